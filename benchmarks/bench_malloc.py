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

and prints the medians and the per-round ratios with / without.

``--rss``: the server's resident memory after a class, with and without the settings: a
``streamlit run app.py`` on 127.0.0.1 (``--port``, default 8690), ``--students`` tabs walking four
lessons and changing their widgets (benchmarks/bench_busy.py's), two of them training LeNet-5 for a
few seconds (in trainer processes, which are measured apart); then every tab closes and, after the
disconnected-session TTL, the server's RSS is read. Alternating, ``--rounds`` servers each.
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
sys.path.insert(0, str(ROOT / "benchmarks"))
import _timing  # noqa: E402

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


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def class_rss(with_settings, port, students):
    """Start a server, let ``students`` tabs work and leave; (start, peak, after) RSS of the server in MB,
    and the trainer processes' RSS after."""
    import asyncio
    import urllib.request

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_busy import TRAIN_QUERY, keyed, observe
    from stclient import StreamlitSession

    ttl = 3
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    if with_settings:
        env.update(SETTINGS)
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
                             str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--server.fileWatcherType", "none", "--server.disconnectedSessionTTL", str(ttl)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        start = rss_mb(proc.pid)
        peak = [start]

        async def one(i):
            s = StreamlitSession(url, query=TRAIN_QUERY if i < 2 else "lang=en", timeout=180)
            await s.connect("training" if i < 2 else "")
            if i < 2:
                await s.click(keyed(s, "train.start"))
                await asyncio.sleep(8)
                await s.click(keyed(s, "train.stop"))
            await observe(s, 3, [])
            await s.close()

        async def watch(stop):
            while not stop.is_set():
                peak[0] = max(peak[0], rss_mb(proc.pid))
                await asyncio.sleep(0.2)

        async def scenario():
            stop = asyncio.Event()
            w = asyncio.create_task(watch(stop))
            await asyncio.gather(*(one(i) for i in range(students)))
            stop.set()
            await w
        asyncio.run(scenario())
        time.sleep(ttl + 5)                   # the sessions' TTL, then the memory they held
        after = rss_mb(proc.pid)
        kids = sum(rss_mb(k) for k in _timing.children(proc.pid))
        return start, peak[0], after, kids
    finally:
        proc.terminate()
        proc.wait(20)


def main_rss(args):
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.students} tabs per class "
          f"(two train for 8 s); port {args.port}", flush=True)
    rows = {True: [], False: []}
    for rnd in range(args.rounds):
        for flag in ((True, False) if rnd % 2 == 0 else (False, True)):
            r = class_rss(flag, args.port, args.students)
            rows[flag].append(r)
            print(f"   round {rnd + 1} {'with' if flag else 'without'}: server RSS start {r[0]:.0f} MB, "
                  f"peak {r[1]:.0f}, after the class {r[2]:.0f}; trainer processes {r[3]:.0f} MB; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"\n{'server RSS MB (median)':<24} {'start':>6} {'peak':>6} {'after':>6} {'trainers':>9}")
    for flag in (True, False):
        med = [statistics.median(r[i] for r in rows[flag]) for i in range(4)]
        print(f"{'with' if flag else 'without':<24} {med[0]:>6.0f} {med[1]:>6.0f} {med[2]:>6.0f} {med[3]:>9.0f}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rss", action="store_true", help="the server's memory after a class instead")
    parser.add_argument("--port", type=int, default=8690)
    parser.add_argument("--students", type=int, default=6)
    args = parser.parse_args(argv)
    if args.rss:
        return main_rss(args)
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
