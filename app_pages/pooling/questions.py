"""Questions of the pooling lesson, built from its settings (cnnlab.ops.pooling computes the answers)."""

from __future__ import annotations

import numpy as np

from cnnlab import quiz
from cnnlab.geometry import shapes
from cnnlab.ops import pooling

DEFAULTS = {"mode": "max", "k": 2, "s": 2, "p": 0, "ceil": False}
GRID = np.random.default_rng(7).integers(0, 10, size=(6, 6))   # the lesson's default grid


def build(settings, grid=None):
    """``settings``: the lesson's URL values (``mode, k, s, p, ceil``); ``grid``: the input (default: the page's)."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    x = np.asarray(GRID if grid is None else grid, dtype=float)
    mode = s["mode"] if s["mode"] in pooling.MODES else "max"
    k = quiz.clamp_int(s["k"], 1, 8, 2)
    stride = quiz.clamp_int(s["s"], 0, 8, 2) or k
    p = quiz.clamp_int(s["p"], 0, 4, 0)
    ceil = str(s["ceil"]).lower() in ("true", "1")
    common = {"n": x.shape[0], "k": k, "s": stride, "p": p, "mode": f"pool.mode_{mode}"}
    try:
        out, cache = pooling.pool2d_forward(x, k, stride, p, mode, ceil)
    except ValueError:   # settings the page itself refuses: ask about a 2x2 window instead
        k, stride, p, ceil = 2, 2, 0, False
        common.update(k=k, s=stride, p=p)
        out, cache = pooling.pool2d_forward(x, k, stride, p, mode, ceil)
    side = shapes.pool_output_size(x.shape[0], k, stride, p, ceil_mode=ceil)
    dout = np.zeros_like(out)
    dout[0, 0] = 1.0
    receivers = int(np.count_nonzero(pooling.pool2d_backward(dout, cache)))
    return [
        quiz.numeric("pool.side", "pool.q.side", side, "pool.q.side_why", **common),
        quiz.numeric("pool.top_left", "pool.q.top_left", round(float(out[0, 0]), 4), "pool.q.top_left_why",
                     tolerance=0.01, **common),
        quiz.numeric("pool.receivers", "pool.q.receivers", receivers, "pool.q.receivers_why", **common),
    ]
