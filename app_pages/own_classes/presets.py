"""The lesson's preset networks for the working size and its training defaults (no Streamlit here)."""

from __future__ import annotations

from services.own_data import LIMITS

PRESETS = ("small", "wide")
BATCHES = [8, 16, 32, 64]
#: 60 epochs (issue 12): starter-set validation accuracy, fast engine: 40 epochs median 95.8 % (8 seeds),
#: 60 epochs median 97.2 % (10 seeds), the worst seed 91.7 % either way (benchmarks/bench_own_classes.py)
DEFAULTS = {"preset": "small", "epochs": 60, "lr": 0.005, "batch": 16, "seed": 0}


def preset(width, classes=2):
    """The lesson's network for 32x32 inputs: three 3x3 conv blocks, a global max pool, one score per class.

    The global max pool (an 8x8 window over the 8x8 maps) asks "is this pattern anywhere?",
    which suits objects that can be anywhere in a photo; Grad-CAM looks at the 8x8 maps before it.
    """
    f = {"small": (8, 16, 32), "wide": (16, 32, 32)}[width]
    return [{"type": "conv", "filters": f[0], "kernel": 3, "padding": 1}, {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "conv", "filters": f[1], "kernel": 3, "padding": 1}, {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "conv", "filters": f[2], "kernel": 3, "padding": 1}, {"type": "relu"},
            {"type": "maxpool", "size": LIMITS.working_size // 4}, {"type": "flatten"},
            {"type": "dense", "units": int(classes)}]
