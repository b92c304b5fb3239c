"""Questions of the feature-maps lesson, built from its settings (cnnlab computes shapes and kernel responses)."""

from __future__ import annotations

import numpy as np

from cnnlab import quiz
from cnnlab.geometry import shapes
from cnnlab.ops import conv
from cnnlab.vision import filters

DEFAULTS = {"size": 128, "bank": ",".join(filters.DEFAULT_BANK), "pool_on": True, "pool": 2, "inspect": "edge_90"}
KINDS = ("fm.q.kind_edges", "fm.q.kind_blur", "fm.q.kind_sharpen")


def build(settings):
    """``settings``: the lesson's URL values -> list of Questions (an image of ``size`` x ``size`` pixels)."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    size = quiz.clamp_int(s["size"], 16, 256, 128)
    bank = [n for n in str(s["bank"]).split(",") if n in filters.FILTER_NAMES] or list(filters.DEFAULT_BANK)
    pool_on = str(s["pool_on"]).lower() in ("true", "1")
    pool = quiz.clamp_int(s["pool"], 2, 4, 2) if pool_on else 1
    name = s["inspect"] if s["inspect"] in bank else bank[0]
    side = shapes.pool_output_size(size, pool, pool) if pool > 1 else size   # the convolution keeps the size
    k = filters.named_kernel(name)
    flat = float(conv.correlate2d(np.ones_like(k), k)[0, 0])                  # response to a flat patch
    kind = 0 if abs(flat) < 1e-9 else (1 if (k >= 0).all() else 2)
    common = {"size": size, "maps": len(bank), "pool": pool, "filter": f"fm.filter.{name}"}
    return [
        quiz.numeric("fm.numbers", "fm.q.numbers", len(bank) * side * side, "fm.q.numbers_why", side=side, **common),
        quiz.numeric("fm.flat", "fm.q.flat", round(flat, 4), "fm.q.flat_why", tolerance=0.01, **common),
        quiz.choice("fm.kind", "fm.q.kind", KINDS, kind, "fm.q.kind_why", flat=round(flat, 4), **common),
    ]
