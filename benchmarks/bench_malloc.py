"""The Dockerfile's glibc settings (MALLOC_ARENA_MAX=2, MALLOC_MMAP_THRESHOLD_=131072) and training speed.

Usage::

    .venv/bin/python benchmarks/bench_malloc.py [--rounds 5]

``MALLOC_MMAP_THRESHOLD_`` fixes the size above which glibc maps every allocation separately and
unmaps it when freed: memory goes back to the system at once, and the next array of that size is
page-faulted in again. The readable engine allocates new arrays in every step (it measured ~3x
slower with the setting); the fast engine preallocates its buffers. This script measures, in fresh
processes alternating with and without the settings (so both see the same load), the CPU time per
step of

1. the fast engine's LeNet-5 training step (batch 64 and 256, ``FastNet.train_step``),
2. a whole trainer run on the fast engine (``cnnlab.nn.train.train``, engine "fast", 1 epoch of the
   bundled digits with augmentation and validation, as a trainer runs it; per step),
3. the readable engine's step (batch 64), for reference,

and prints the medians and the per-round ratios with / without. The idle memory after a class is
measured by benchmarks/load_test.py (``--no-malloc-tuning`` runs it without the settings).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETTINGS = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072"}


def measure(calls):
    """In this process: CPU ms per step of each figure (a JSON line)."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    from cnnlab.calculus.optim import make_optimizer
    from cnnlab.nn import fast
    from cnnlab.nn.data import load_digits, to_float
    from cnnlab.nn.layers import softmax_cross_entropy
    from cnnlab.nn.model import LENET5, Model
    from cnnlab.nn.train import train

    out = {}
    with threadpool_limits(1):
        data = load_digits()
        xtr, ytr = data[0]
        for bs in (64, 256):
            x, y = to_float(xtr[:bs]), ytr[:bs].astype(np.int64)
            net = fast.FastNet(Model(LENET5, seed=0))
            opt = make_optimizer("adam", lr=0.001)
            for _ in range(3):
                net.train_step(x, y, opt)
            t0 = time.thread_time()
            for _ in range(calls):
                net.train_step(x, y, opt)
            out[f"fast_step_b{bs}"] = (time.thread_time() - t0) / calls * 1e3
        model = Model(LENET5, seed=0)
        t0 = time.thread_time()
        steps = 0
        for r in train(model, data, epochs=1, engine="fast"):
            steps = r.get("step", steps)
        out["fast_trainer_run"] = (time.thread_time() - t0) / max(steps, 1) * 1e3
        x, y = to_float(xtr[:64]), ytr[:64].astype(np.int64)
        model = Model(LENET5, seed=0)
        opt = make_optimizer("adam", lr=0.001)
        params = model.parameters()

        def readable():
            logits, caches = model.forward(x, train=True)
            _, d, _ = softmax_cross_entropy(logits, y)
            _, grads = model.backward(d, caches, input_grad=False)
            opt.step(params, grads)
        for _ in range(3):
            readable()
        t0 = time.thread_time()
        for _ in range(max(3, calls // 3)):
            readable()
        out["readable_step_b64"] = (time.thread_time() - t0) / max(3, calls // 3) * 1e3
    print(json.dumps(out))


def run_child(with_settings, calls):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    if with_settings:
        env.update(SETTINGS)
    done = subprocess.run([sys.executable, __file__, "--child", "--calls", str(calls)], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        measure(args.calls)
        return 0
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs; "
          f"{args.rounds} rounds, each a process with and one without {SETTINGS}", flush=True)
    with_, without, ratios = [], [], []
    for rnd in range(args.rounds):
        pair = [None, None]
        for flag in ((True, False) if rnd % 2 == 0 else (False, True)):
            pair[0 if flag else 1] = run_child(flag, args.calls)
        with_.append(pair[0])
        without.append(pair[1])
        ratios.append({k: pair[0][k] / pair[1][k] for k in pair[0]})
        print(f"   round {rnd + 1}: " + ", ".join(f"{k} {pair[0][k]:.2f}/{pair[1][k]:.2f} ms" for k in pair[0])
              + f"   load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"\n{'CPU ms per step':<22} {'with':>8} {'without':>8} {'with/without (min-max)':>24}")
    for k in with_[0]:
        r = [x[k] for x in ratios]
        print(f"{k:<22} {statistics.median(x[k] for x in with_):>8.2f} "
              f"{statistics.median(x[k] for x in without):>8.2f} "
              f"{statistics.median(r):>10.2f} ({min(r):.2f}-{max(r):.2f})")
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
