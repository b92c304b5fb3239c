"""Rerun cost of every lesson page after a typical widget change (Streamlit AppTest, no browser).

For each page: open it once (warm-up: imports, caches, the pretrained model), then change one
typical widget N times, cycling through a few values as a student would, and time each rerun.
Prints a table of the median and the fastest rerun per page in milliseconds. No asserts: the
README's Performance section quotes the table before and after a change.

Run: .venv/bin/python benchmarks/bench_reruns.py [--runs 9] [--page conv ...]
"""

from __future__ import annotations

import argparse
import statistics
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
    "training": ("app_pages/training/page.py", "number_input", "train.seed", (1, 2, 0)),
    "features": ("app_pages/feature_maps/page.py", "selectbox", "fm.pool", (3, 4, 2)),
}


def _widget(at, kind, key):
    return getattr(at, kind)(key=key)


def bench(name, runs):
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
        start = time.perf_counter()
        if kind is None:
            at.run()
        else:
            _widget(at, kind, key).set_value(values[i % len(values)]).run()
        times.append(time.perf_counter() - start)
        if at.exception:
            raise RuntimeError(f"{name}: {[e.value for e in at.exception]}")
    return statistics.median(times), min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--page", action="append", choices=list(CHANGES), help="only these pages")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    print(f"{'page':<14} {'widget':<14} {'median ms':>10} {'min ms':>8}")
    for name in args.page or list(CHANGES):
        med, best = bench(name, args.runs)
        key = CHANGES[name][2] or "(rerun)"
        print(f"{name:<14} {key:<14} {med * 1000:>10.0f} {best * 1000:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
