"""Benchmark: the fast engine (cnnlab.nn.fast) against PyTorch on the CPU, one thread each.

Usage::

    .venv/bin/pip install torch==2.13.0                 # optional, only for the ratios
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_speed.py

(``OPENBLAS_CORETYPE`` forces an older OpenBLAS kernel where it is set, see the
environment notes; unset it for the benchmark only. The kernel in use is printed.)

Prints, never asserts:

1. LeNet-5 training step (forward + backward + Adam, float32) at batch 16 / 64 / 128 / 256:
   fast engine / torch, paired runs in the same process (one NumPy measurement and one
   torch measurement back to back, repeated), CPU-time ratios: median and spread (min-max).
2. Inference of the pretrained LeNet-5 (assets/lenet5_mnist.npz) on 500 digits: fast / torch.
3. Peak memory (tracemalloc) of predicting 10,000 digits on the fast path.
4. Time to 97 % test accuracy with the lesson's defaults (cnnlab.nn.train.DEFAULTS) on the
   fast trainer (test accuracy measured at each validation point, not counted).

5. Every lesson's rerun after its typical widget change (AppTest medians, the pages and widgets of
   benchmarks/bench_reruns.py, run here in the same process).

and ends with one line a script can read::

    RESULT step_ratio=... step_ratio_b16=... step_ratio_b256=... infer_ratio=... t97_s=... rerun_max_ms=... \
        t97_cpu_s=... rerun_max_cpu_ms=... load=...

(the last three: the CPU seconds of the same figures, which a busy machine inflates far less than the
wall seconds, and the load average at the end).

``step_ratio`` is batch 64. ``rerun_max_ms`` is the slowest page's median rerun of item 5
(``--skip-reruns``: nan; ``--reruns-output FILE``: read from a saved bench_reruns.py table).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import time
import tracemalloc
import warnings
from dataclasses import astuple
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import _timing  # noqa: E402

from cnnlab import load_digits, load_model  # noqa: E402
from cnnlab.calculus.optim import make_optimizer  # noqa: E402
from cnnlab.nn import fast  # noqa: E402
from cnnlab.nn.data import to_float  # noqa: E402
from cnnlab.nn.model import LENET5, Model  # noqa: E402
from cnnlab.nn.train import DEFAULTS, train  # noqa: E402

BATCHES = (16, 64, 128, 256)
MODEL_FILE = ROOT / "assets" / "lenet5_mnist.npz"


torch_lenet = _timing.torch_lenet
paired = _timing.paired
spread = _timing.spread


def torch_step(torch, x, y):
    torch.manual_seed(0)
    net = torch_lenet(torch)
    opt = torch.optim.Adam(net.parameters(), lr=0.001)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(net(tx), ty).backward()
        opt.step()
    return step


def fast_step(x, y):
    net = fast.FastNet(Model(LENET5, seed=0))
    opt = make_optimizer("adam", lr=0.001)
    return lambda: net.train_step(x, y, opt)


def torch_pretrained(torch, model):
    net = torch_lenet(torch)
    weighted = [m for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    layers = [layer for layer in model.layers if layer.params]
    with torch.no_grad():
        for m, layer in zip(weighted, layers):
            w = layer.params["w"]
            m.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T if layer.kind == "dense" else w)))
            m.bias.copy_(torch.from_numpy(layer.params["b"]))
    net.eval()
    return net


# --------------------------------------------------------------------------
def bench_steps(torch, xtr, ytr, repeats, calls):
    print("\n1. LeNet-5 training step (forward + backward + Adam, float32), CPU ms per step")
    ratios = {}
    for bs in BATCHES:
        x, y = to_float(xtr[:bs]), ytr[:bs].astype(np.int64)
        ta, tb, r = astuple(paired(fast_step(x, y), torch and torch_step(torch, x, y), repeats, calls))
        line = f"   batch {bs:3d}: fast {statistics.median(ta) * 1e3:7.2f}"
        if torch:
            ratios[bs] = statistics.median(r)
            line += f"   torch {statistics.median(tb) * 1e3:7.2f}   fast/torch {spread(r)}"
        print(line + f"   load {os.getloadavg()[0]:.1f}", flush=True)
    return ratios


def bench_inference(torch, model, x, repeats, calls):
    print("\n2. Inference of the pretrained LeNet-5, 500 digits, CPU ms per call")
    if torch:
        net = torch_pretrained(torch, model)
        tx = torch.from_numpy(x)

        def torch_fn():
            with torch.no_grad():
                return torch.softmax(net(tx), dim=1)
        agree = float(np.max(np.abs(torch_fn().numpy() - fast.predict(model, x))))
    else:
        torch_fn, agree = None, float("nan")
    ta, tb, r = astuple(paired(lambda: fast.predict(model, x), torch_fn, repeats, calls))
    line = f"   fast {statistics.median(ta) * 1e3:7.2f}"
    if torch:
        line += (f"   torch {statistics.median(tb) * 1e3:7.2f}   fast/torch {spread(r)}"
                 f"   (probabilities agree to {agree:.1e})")
    print(line, flush=True)
    return statistics.median(r) if r else float("nan")


def bench_memory(model, x):
    print("\n3. Peak memory, predict on 10,000 digits (fast path, tracemalloc)")
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fast.predict(model, x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"   {peak / 1e6:.1f} MB  (input {x.nbytes / 1e6:.1f} MB, not counted: it exists before)")
    return peak


def bench_t97(data):
    settings = {k: DEFAULTS[k] for k in ("optimizer", "lr", "schedule", "batch_size", "epochs", "augment", "seed")}
    print("\n4. Time to 97 % test accuracy, lesson defaults on the fast trainer: "
          + ", ".join(f"{k} {v}" for k, v in settings.items()))
    x_test, y_test = to_float(data[2][0]), data[2][1]
    model = Model(LENET5, seed=DEFAULTS["seed"])
    gen = train(model, data, engine="fast", **settings)
    reached = final = None
    cpu = 0.0
    while True:
        t0 = time.thread_time()
        r = next(gen, None)
        cpu += time.thread_time() - t0
        if r is None:
            break
        if r["kind"] == "val":
            acc = fast.evaluate(fast.FastNet(model), x_test, y_test)["accuracy"]     # not counted
            final = (r["elapsed"], cpu, acc)
            if reached is None and acc >= 0.97:
                reached = final
    if reached:
        print(f"   97 % reached after {reached[0]:.2f} s of training ({reached[1]:.2f} s CPU), "
              f"test accuracy {reached[2]:.2%}")
    else:
        print("   97 % NOT reached")
    if final:
        print(f"   full run: {final[0]:.2f} s ({final[1]:.2f} s CPU), final test accuracy {final[2]:.2%}")
    return (reached[0], reached[1]) if reached else (float("nan"), float("nan"))


def bench_reruns(runs):
    """5. Every lesson's rerun after its typical widget change: AppTest medians (benchmarks/bench_reruns.py)."""
    import bench_reruns
    print(f"\n5. Lesson rerun after a typical widget change, AppTest, {runs} reruns per page (ms)")
    print(f"   {'page':<14} {'widget':<14} {'median':>7} {'min':>6} {'max':>6} {'CPU median':>11}")
    medians, cpu_medians = {}, {}
    warnings.filterwarnings("ignore")
    for name in bench_reruns.CHANGES:
        cpu = []
        times = bench_reruns.bench_times(name, runs, cpu)
        medians[name], cpu_medians[name] = statistics.median(times), statistics.median(cpu)
        key = bench_reruns.CHANGES[name][2] or "(rerun)"
        print(f"   {name:<14} {key:<14} {medians[name] * 1e3:>7.0f} {min(times) * 1e3:>6.0f} "
              f"{max(times) * 1e3:>6.0f} {cpu_medians[name] * 1e3:>11.0f}   load {os.getloadavg()[0]:.1f}", flush=True)
    worst = max(medians, key=medians.get)
    print(f"   slowest page: {worst}, median {medians[worst] * 1e3:.0f} ms "
          f"(CPU of the process per rerun: slowest {max(cpu_medians.values()) * 1e3:.0f} ms)")
    return medians[worst] * 1e3, max(cpu_medians.values()) * 1e3


def rerun_max_ms(args):
    """The slowest page's median rerun: measured here (AppTest, in this process), or read from a saved
    output of bench_reruns.py (``--reruns-output``), or nan with ``--skip-reruns``."""
    if args.reruns_output:
        text = Path(args.reruns_output).read_text(encoding="utf-8")
        found = [float(m) for m in re.findall(r"^\S+\s+\S+\s+(\d+)\s+\d+\s*$", text, re.M)]
        return (max(found) if found else float("nan")), float("nan")
    if args.skip_reruns:
        return float("nan"), float("nan")
    return bench_reruns(args.rerun_runs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="pairs per figure")
    parser.add_argument("--calls", type=int, default=10, help="calls per measurement")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--skip-97", action="store_true")
    parser.add_argument("--reruns-output", help="a saved table of benchmarks/bench_reruns.py instead of item 5")
    parser.add_argument("--skip-reruns", action="store_true", help="no item 5 (rerun_max_ms=nan)")
    parser.add_argument("--rerun-runs", type=int, default=9, help="reruns per page in item 5")
    args = parser.parse_args(argv)
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("PyTorch is not installed: fast-engine figures only (pip install torch==2.13.0 for ratios).")
    load0 = os.getloadavg()
    with threadpool_limits(1):
        blas = [f"{i['internal_api']} {i.get('version', '')} {i.get('architecture', '')} "
                f"{i['num_threads']} thread(s)" for i in threadpool_info()]
        if torch:
            torch.set_num_threads(1)
        print(f"numpy {np.__version__} ({'; '.join(blas)})"
              + (f", torch {torch.__version__} ({torch.get_num_threads()} thread)" if torch else "")
              + f", {os.cpu_count()} CPUs, load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
        if os.environ.get("OPENBLAS_CORETYPE"):
            print(f"   note: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is set (an older kernel)")
        data = load_digits()
        (xtr, ytr), (xva, _), (xte, _) = data
        ratios = bench_steps(torch, xtr, ytr, args.repeats, args.calls)
        model = load_model(MODEL_FILE)
        infer = bench_inference(torch, model, to_float(xte[:500]), args.repeats, max(2, args.calls // 2))
        bench_memory(model, to_float(np.concatenate([xtr, xva, xte])))
        t97, t97_cpu = (float("nan"), float("nan")) if args.skip_97 else bench_t97(data)
    rerun_ms, rerun_cpu_ms = rerun_max_ms(args)          # the pages as a server runs them: BLAS as it is, not limited
    load1 = os.getloadavg()
    print(f"\nload average at the end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f} "
          "(2 shared cores: a load above ~1 means other work shared the machine)")

    def fmt(v):
        return "nan" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3g}"
    print(f"RESULT step_ratio={fmt(ratios.get(64))} step_ratio_b16={fmt(ratios.get(16))} "
          f"step_ratio_b256={fmt(ratios.get(256))} infer_ratio={fmt(infer)} t97_s={fmt(t97)} "
          f"rerun_max_ms={fmt(rerun_ms)} t97_cpu_s={fmt(t97_cpu)} rerun_max_cpu_ms={fmt(rerun_cpu_ms)} "
          f"load={load1[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
