"""The arithmetic of the feature-maps lesson: pure functions of the settings, frozen results.

The numbers come from ``cnnlab.vision.filters`` (the bank, ReLU, pooling, colour limits); the views
(``sections.py``, ``figures.py``) only draw them. ``page.py`` keeps the results in ``st.cache_data``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.checks import LessonError
from cnnlab.vision import filters

#: percentile of the colour limits: a few extreme border values must not wash out the rest
ROBUST = 99.5


@dataclass(frozen=True)
class Bank:
    """Every chosen filter on the gray image, then ReLU and pooling; the last stage's colour limits."""

    names: tuple              # the filters' names, in the order of the maps
    stages: tuple             # (("conv", (F, H, W)), ("relu", ...), ("pool", (F, h, w)))
    shapes: tuple             # (("input", (1, H, W)), ("conv", (F, H, W)), ...)
    limits: np.ndarray        # (F, 2) colour limits (lo, hi) of each map of the last stage
    shared: tuple             # (lo, hi): one pair for all maps of the last stage

    @property
    def stage(self):
        return self.stages[-1][0]

    @property
    def maps(self):
        return self.stages[-1][1]


def check_fits(shape, pool):
    """Refuse an image too small or too thin for the pooling window, saying so in those words."""
    h, w = shape[:2]
    if pool and pool > 1 and pool > min(h, w):
        raise LessonError("fm_image_too_small", f"the image is {h}x{w} pixels: too small or too thin for a "
                          f"{pool}x{pool} pooling window.", h=h, w=w, pool=pool)


def bank(gray, names, kernels, use_relu=True, pool=2, mode="max"):
    """The filter bank (``cnnlab.vision.filters.pipeline``) with the colour limits of its last stage."""
    check_fits(np.shape(gray), pool)
    res = filters.pipeline(gray, filters.stack_kernels(list(kernels)), use_relu, pool, mode)
    for _, a in res["stages"]:
        a.setflags(write=False)       # shared read-only between reruns and sessions (page.py caches it)
    maps = res["output"]
    per_map = filters.value_range(maps, shared=False, robust=ROBUST)
    per_map.setflags(write=False)
    shared = tuple(float(v) for v in filters.value_range(maps, shared=True, robust=ROBUST))
    return Bank(tuple(names), tuple(tuple(s) for s in res["stages"]),
                tuple((name, tuple(shape)) for name, shape in res["shapes"]), per_map, shared)


def limits_of(result, shared):
    """``(F, 2)`` colour limits: the same pair for every map (``shared``) or each map's own."""
    if shared:
        return np.tile(np.asarray(result.shared, dtype=float), (len(result.names), 1))
    return np.asarray(result.limits, dtype=float)


def checked_cell(value, top):
    """``value`` as a row / column index in ``[0, top)``, or None when it is empty or outside."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer)) or not np.isfinite(value):
        return None
    if float(value) != int(value) or not 0 <= int(value) < top:
        return None
    return int(value)
