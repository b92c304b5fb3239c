"""Rerun cost of every lesson page after a typical widget change (Streamlit AppTest, no browser).

For each page: open it once (warm-up: imports, caches, the pretrained model), then change one
typical widget N times, cycling through a few values as a student would, and time each rerun.
Prints a table of the median and the fastest rerun per page in milliseconds. No asserts: the
README's Performance section quotes the table before and after a change.

Run: .venv/bin/python benchmarks/bench_reruns.py [--runs 9] [--page conv ...]

Before / after a change on a shared, busy machine: ``--against DIR`` runs the same script in the other
checkout DIR (which needs this file in its benchmarks/) and here, page by page, alternating the two
``--rounds`` times in fresh processes, so both see the same load; it prints both medians side by side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: page key -> (page script, widget kind, widget key, values to cycle through)
CHANGES = {
    "home": ("app_pages/home/page.py", None, None, ()),
    "conv": ("app_pages/convolution/page.py", "number_input", "conv.stride", (2, 3, 1)),
    "output_size": ("app_pages/output_size/page.py", "number_input", "size.k_r", (5, 7, 3)),
    "pooling": ("app_pages/pooling/page.py", "number_input", "pool.k", (3, 4, 2)),
    "receptive": ("app_pages/receptive_field/page.py", "number_input", "rf.size", (32, 64, 16)),
    "architectures": ("app_pages/architectures/page.py", "selectbox", "arch.net", ("alexnet", "vgg16", "lenet5")),
    "backprop": ("app_pages/backprop/page.py", "number_input", "bp.val.x", (2.0, 3.0, 1.0)),
    "descent": ("app_pages/gradient_descent/page.py", "slider", "gd.steps", (150, 200, 100)),
    "training": ("app_pages/training/page.py", "selectbox", "train.preset", ("small", "mlp", "lenet5")),
    "features": ("app_pages/feature_maps/page.py", "selectbox", "fm.pool", (3, 4, 2)),
}


def _widget(at, kind, key):
    return getattr(at, kind)(key=key)


def bench(name, runs):
    times = bench_times(name, runs)
    return statistics.median(times), min(times)


def bench_times(name, runs, cpu=None):
    """Seconds per rerun of page ``name`` after its typical widget change, ``runs`` times.

    ``cpu``, a list, receives the CPU seconds of this process per rerun (every thread: AppTest runs the
    script in a thread of its own), which a busy machine inflates far less than the wall time.
    """
    from streamlit.testing.v1 import AppTest

    path, kind, key, values = CHANGES[name]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    if name != "home":
        at.switch_page(path)
        at.run()
    if at.exception:
        raise RuntimeError(f"{name}: {[e.value for e in at.exception]}")
    times = []
    for i in range(runs):
        start, cpu0 = time.perf_counter(), time.process_time()
        if kind is None:
            at.run()
        else:
            _widget(at, kind, key).set_value(values[i % len(values)]).run()
        times.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.process_time() - cpu0)
        if at.exception:
            raise RuntimeError(f"{name}: {[e.value for e in at.exception]}")
    return times


def _times_in(tree, page, runs):
    """The rerun times of ``page`` measured by a fresh process in checkout ``tree``."""
    out = subprocess.run([sys.executable, str(Path(tree) / "benchmarks" / "bench_reruns.py"), "--raw",
                          "--page", page, "--runs", str(runs)], cwd=tree, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def compare(other, pages, runs, rounds):
    print(f"{'page':<14} {'widget':<14} {'before ms':>10} {'after ms':>9} {'before min':>11} {'after min':>10}")
    for name in pages:
        before, after = [], []
        for _ in range(rounds):
            before += _times_in(other, name, runs)
            after += _times_in(ROOT, name, runs)
        key = CHANGES[name][2] or "(rerun)"
        print(f"{name:<14} {key:<14} {statistics.median(before) * 1000:>10.0f} "
              f"{statistics.median(after) * 1000:>9.0f} {min(before) * 1000:>11.0f} {min(after) * 1000:>10.0f}",
              flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--page", action="append", choices=list(CHANGES), help="only these pages")
    parser.add_argument("--against", help="another checkout to compare with (before / after)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations with --against")
    parser.add_argument("--raw", action="store_true", help="print one page's times as JSON (for --against)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    if args.against:
        compare(args.against, args.page or list(CHANGES), args.runs, args.rounds)
        return
    if args.raw:
        print(json.dumps(bench_times(args.page[0], args.runs)))
        return
    print(f"{'page':<14} {'widget':<14} {'median ms':>10} {'min ms':>8}")
    for name in args.page or list(CHANGES):
        med, best = bench(name, args.runs)
        key = CHANGES[name][2] or "(rerun)"
        print(f"{name:<14} {key:<14} {med * 1000:>10.0f} {best * 1000:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
