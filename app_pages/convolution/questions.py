"""Questions of the convolution lesson, built from its settings (a pure function; cnnlab computes every answer)."""

from __future__ import annotations

import numpy as np

from cnnlab import quiz
from cnnlab.geometry import shapes
from cnnlab.ops import conv
from cnnlab.vision import kernels

DEFAULTS = {"grid": "vertical_bar", "n": 7, "kernel": "sobel_x", "ks": 3, "pad": 0, "stride": 1}


def build(settings):
    """``settings``: the lesson's URL values (``grid, n, kernel, ks, pad, stride``) -> list of Questions.

    The questions are about the preset grid ``grid`` (n x n) and the kernel, as drawn on the page.
    """
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    grid = s["grid"] if s["grid"] in kernels.GRID_NAMES else DEFAULTS["grid"]
    name = s["kernel"] if s["kernel"] in kernels.KERNEL_NAMES else DEFAULTS["kernel"]
    n = quiz.clamp_int(s["n"], 5, 9, 7)
    ks = 5 if quiz.clamp_int(s["ks"], 3, 5, 3) == 5 else 3
    pad = quiz.clamp_int(s["pad"], 0, 4, 0)
    stride = quiz.clamp_int(s["stride"], 1, 4, 1)
    x = kernels.grid(grid, n)
    k = kernels.kernel(name, ks)
    side = shapes.conv_output_size(n, ks, stride, pad)
    out = conv.correlate2d(x, k, stride=stride, padding=pad)
    flipped = conv.convolve2d(x, k, stride=stride, padding=pad)
    common = {"n": n, "k": ks, "p": pad, "s": stride}
    return [
        quiz.numeric("conv.out_side", "conv.q.out_side", side, "conv.q.out_side_why", **common),
        quiz.numeric("conv.out_total", "conv.q.out_total", out.size, "conv.q.out_total_why", side=side, **common),
        quiz.numeric("conv.top_left", "conv.q.top_left", round(float(out[0, 0]), 4), "conv.q.top_left_why",
                     tolerance=0.01, **common),
        quiz.choice("conv.flip", "conv.q.flip", ("quiz.yes", "quiz.no"),
                    0 if not np.allclose(out, flipped) else 1, "conv.q.flip_why", **common),
    ]
