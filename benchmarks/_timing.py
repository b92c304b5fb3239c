"""Timing helpers of the benchmarks (bench_speed.py, bench_training.py), written once.

Every comparison is paired: one measurement of ``a`` and one of ``b`` back to back in the same
process, repeated; the ratio is taken per pair, so the load from other work on a shared machine hits
both sides alike. ``clock`` is ``time.thread_time`` (CPU seconds of this thread: what the work costs,
one thread each side) or ``time.perf_counter`` (wall seconds).
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass


def per_call(fn, calls, clock=time.thread_time):
    """Seconds of ``clock`` per call of ``fn``, over ``calls`` calls."""
    t0 = clock()
    for _ in range(calls):
        fn()
    return (clock() - t0) / calls


@dataclass(frozen=True)
class Pairs:
    """The per-pair seconds of ``a`` and ``b`` and their ratios ``a / b`` (``b`` and ratios empty without b)."""

    a: list
    b: list
    ratios: list

    @property
    def median_a(self):
        return statistics.median(self.a)

    @property
    def median_b(self):
        return statistics.median(self.b) if self.b else None

    @property
    def ratio(self):
        return statistics.median(self.ratios) if self.ratios else None


def paired(a_fn, b_fn, repeats, calls, clock=time.thread_time, warmup=2):
    """Time ``a_fn`` and ``b_fn`` (which may be None) back to back, ``repeats`` times ``calls`` calls each."""
    for _ in range(warmup):
        a_fn()
        if b_fn:
            b_fn()
    ta, tb, ratios = [], [], []
    for _ in range(repeats):
        x = per_call(a_fn, calls, clock)
        ta.append(x)
        if b_fn:
            y = per_call(b_fn, calls, clock)
            tb.append(y)
            ratios.append(x / y)
    return Pairs(ta, tb, ratios)


def spread(values):
    """``median (min-max)`` with two decimals."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def torch_lenet(torch):
    """LeNet-5 as cnnlab.nn.model.LENET5 describes it, in PyTorch (the other side of the pairs)."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def children(pid):
    """The live child processes of ``pid`` (any of its threads may have started them), from /proc."""
    from pathlib import Path

    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids
