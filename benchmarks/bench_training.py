"""Benchmark: CNN Lab's NumPy LeNet-5 training step and conv2d against PyTorch on the CPU.

Usage::

    .venv/bin/pip install torch==2.13.0        # optional, only for the comparison
    .venv/bin/python benchmarks/bench_training.py [--repeats 15] [--steps 20] [--no-torch]

Prints medians and ratios, never asserts. Every comparison is paired: one
NumPy measurement and one PyTorch measurement back to back in the same
process, repeated; the ratio is the median of the per-pair ratios, so load
from other processes hits both sides alike.

1. LeNet-5 training step, batch 64, 1x28x28, float32, forward + backward + Adam update.
2. conv2d forward and forward + backward vs ``torch.nn.functional.conv2d`` for a few shapes.
3. Training images per second.
4. Time to 97 % test accuracy with the lesson's default settings (bundled digits).

Section 0 first reports memory: the arrays a model holds after ``predict`` on 1,000
images (besides its weights) and the traced peak of ``predict`` on 10,000.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import _timing  # noqa: E402

from cnnlab.calculus.optim import make_optimizer  # noqa: E402
from cnnlab.nn.data import load_digits, to_float  # noqa: E402
from cnnlab.nn.layers import softmax_cross_entropy  # noqa: E402
from cnnlab.nn.model import LENET5, Model  # noqa: E402
from cnnlab.nn.train import DEFAULTS, blas_report, blas_threads, evaluate, train  # noqa: E402
from cnnlab.ops.conv import conv2d_backward, conv2d_forward  # noqa: E402

CONV_SHAPES = [  # (N, C, H, W), (F, K), padding
    ((64, 1, 28, 28), (6, 5), 2),
    ((64, 6, 14, 14), (16, 5), 0),
    ((64, 16, 5, 5), (120, 5), 0),
    ((32, 3, 64, 64), (16, 3), 1),
    ((16, 32, 32, 32), (64, 3), 1),
]


def paired(np_fn, torch_fn, repeats, steps):
    """Median wall seconds per call of each side and the median of the per-pair ratios (benchmarks/_timing.py);
    ``paired.best``: the fastest run of each side (closest to an idle machine)."""
    p = _timing.paired(np_fn, torch_fn, repeats, steps, clock=time.perf_counter)
    paired.best = (min(p.a), min(p.b) if p.b else None)
    return p.median_a, p.median_b, p.ratio


# --------------------------------------------------------------------------
def numpy_lenet_step(batch):
    model = Model(LENET5, seed=0)
    opt = make_optimizer("adam", lr=0.001)
    params = model.parameters()
    x, y = batch
    rng = np.random.default_rng(0)

    def step():
        logits, caches = model.forward(x, train=True, rng=rng)
        _, d, _ = softmax_cross_entropy(logits, y)
        _, grads = model.backward(d, caches, input_grad=False)
        opt.step(params, grads)
    return step


def torch_lenet_step(torch, batch):
    torch.manual_seed(0)
    net = _timing.torch_lenet(torch)
    opt = torch.optim.Adam(net.parameters(), lr=0.001)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.from_numpy(batch[0])
    y = torch.from_numpy(batch[1])

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
    return step


def conv_pairs(torch, shape, fk, pad):
    rng = np.random.default_rng(0)
    n, c, h, w = shape
    f, k = fk
    x = rng.standard_normal(shape, dtype=np.float32)
    wt = rng.standard_normal((f, c, k, k), dtype=np.float32) * 0.1
    b = np.zeros(f, np.float32)
    oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    dout = rng.standard_normal((n, f, oh, ow), dtype=np.float32)

    def np_fwd():
        conv2d_forward(x, wt, b, 1, pad)

    def np_both():
        _, cache = conv2d_forward(x, wt, b, 1, pad)
        conv2d_backward(dout, cache)

    if torch is None:
        return np_fwd, None, np_both, None
    F = torch.nn.functional
    tx = torch.from_numpy(x).requires_grad_(True)
    tw = torch.from_numpy(wt).requires_grad_(True)
    tb = torch.from_numpy(b).requires_grad_(True)
    tdout = torch.from_numpy(dout)

    def t_fwd():
        with torch.no_grad():
            F.conv2d(tx, tw, tb, padding=pad)

    def t_both():
        out = F.conv2d(tx, tw, tb, padding=pad)
        out.backward(tdout)
        tx.grad = tw.grad = tb.grad = None
    return np_fwd, t_fwd, np_both, t_both


def time_to_97(seconds_budget=60.0):
    """Train with the lesson defaults; the training time when test accuracy first reaches 97 %."""
    data = load_digits()
    x_test, y_test = to_float(data[2][0]), data[2][1]
    model = Model(LENET5, seed=DEFAULTS["seed"])
    settings = {k: DEFAULTS[k] for k in ("optimizer", "lr", "schedule", "batch_size", "epochs",
                                         "augment", "seed")}
    reached, final, last = None, None, None
    for r in train(model, data, **settings):
        if r["kind"] == "val":
            acc = evaluate(model, x_test, y_test)["accuracy"]   # not counted in r["elapsed"]
            last = (r["elapsed"], acc)
            if reached is None and acc >= 0.97:
                reached = last
        if r["kind"] == "end":
            final = (r["elapsed"], last[1] if last else None)
        if r.get("elapsed", 0) > seconds_budget:
            break
    return reached, final or last


def memory_figures():
    """Arrays a LeNet-5 holds besides its weights after predict(1,000), and predict(10,000)'s traced peak."""
    import tracemalloc
    model = Model(LENET5, seed=0)
    weights = {id(p) for p in model.parameters()}

    def held(obj, seen):
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            return 0 if id(obj) in weights else obj.nbytes
        items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else (
            vars(obj).values() if hasattr(obj, "__dict__") else ())
        return sum(held(v, seen) for v in items)

    rng = np.random.default_rng(0)
    model.predict(rng.random((1000, 1, 28, 28), dtype=np.float32))
    after = held(model, set())
    x = rng.random((10_000, 1, 28, 28), dtype=np.float32)
    tracemalloc.start()
    model.predict(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return after, peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--skip-97", action="store_true")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for NumPy (the app uses 1 per trainer) and threads for torch")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch threads (default: same as --threads)")
    args = parser.parse_args(argv)
    blas_threads(args.threads)
    blas_ok = bool(blas_report()) and all(lib["num_threads"] == args.threads for lib in blas_report())
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("PyTorch is not installed: NumPy figures only (pip install torch==2.13.0 for ratios).")
    if torch:
        torch.set_num_threads(args.torch_threads or args.threads)
    print(f"numpy {np.__version__} ({args.threads} BLAS thread(s){'' if blas_ok else ': could not set'})"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "")
          + f", {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    (xtr, ytr), _, _ = load_digits()
    batch = (to_float(xtr[:64]), ytr[:64].astype(np.int64))

    after, peak = memory_figures()
    print(f"\n0. Memory: LeNet-5 holds {after / 1e6:.2f} MB of arrays besides its weights after predict(1,000); "
          f"predict(10,000) peaks at {peak / 2 ** 20:.1f} MiB traced (input not counted)")

    print("\n1. LeNet-5 training step, batch 64 (forward + backward + Adam)")
    t_np, t_t, ratio = paired(numpy_lenet_step(batch), torch and torch_lenet_step(torch, batch),
                              args.repeats, args.steps)
    print(f"   numpy  {t_np * 1e3:7.2f} ms/step   {64 / t_np:8.0f} images/s")
    if t_t:
        print(f"   torch  {t_t * 1e3:7.2f} ms/step   {64 / t_t:8.0f} images/s")
        print(f"   ratio numpy/torch (median of pairs): {ratio:.2f}x   (target <= 1.25x)")
    print(f"   images/s target >= 8000: {'met' if 64 / t_np >= 8000 else 'NOT met'} (median)")
    best_np, best_t = paired.best
    print(f"   fastest pair members: numpy {best_np * 1e3:.2f} ms ({64 / best_np:.0f} images/s)"
          + (f", torch {best_t * 1e3:.2f} ms ({64 / best_t:.0f} images/s)" if best_t else ""))

    print("\n2. conv2d (float32), ms per call: numpy / torch / ratio")
    for shape, fk, pad in CONV_SHAPES:
        npf, tf, npb, tb = conv_pairs(torch, shape, fk, pad)
        f1, f2, fr = paired(npf, tf, max(5, args.repeats // 2), args.steps)
        b1, b2, br = paired(npb, tb, max(5, args.repeats // 2), args.steps)
        label = f"x{shape} w({fk[0]},{shape[1]},{fk[1]},{fk[1]}) pad {pad}"
        if f2:
            print(f"   {label:42s} fwd {f1 * 1e3:6.2f} / {f2 * 1e3:6.2f} / {fr:4.2f}x"
                  f"   fwd+bwd {b1 * 1e3:6.2f} / {b2 * 1e3:6.2f} / {br:4.2f}x")
        else:
            print(f"   {label:42s} fwd {f1 * 1e3:6.2f}   fwd+bwd {b1 * 1e3:6.2f}")

    if not args.skip_97:
        print("\n3. Time to 97 % test accuracy, lesson defaults "
              f"({DEFAULTS['optimizer']}, lr {DEFAULTS['lr']}, {DEFAULTS['schedule']}, batch "
              f"{DEFAULTS['batch_size']}, {DEFAULTS['epochs']} epochs, augmentation {DEFAULTS['augment']})")
        reached, final = time_to_97()
        if reached:
            print(f"   97 % reached after {reached[0]:.1f} s of training (test accuracy {reached[1]:.2%})")
        else:
            print("   97 % NOT reached")
        if final:
            print(f"   full run: {final[0]:.1f} s, final test accuracy {final[1]:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
