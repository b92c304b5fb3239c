"""The pooling lesson's arithmetic: pure functions of its settings, cached, returning frozen results.

Every number comes from ``cnnlab`` (``cnnlab.ops.pooling``, ``cnnlab.geometry.shapes``); this module only
chooses the inputs (the student's grid, or a bright dot for the shift demonstration) and bundles the answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnlab.geometry import shapes
from cnnlab.ops import pooling


@dataclass(frozen=True)
class PoolSettings:
    mode: str
    k: int
    s: int
    p: int
    ceil: bool


@dataclass(frozen=True)
class Forward:
    out: np.ndarray            # (H', W') pooled map
    sel_rows: tuple            # the selected input cell of every window (max / min), else ()
    sel_cols: tuple


@dataclass(frozen=True)
class Backward:
    dx: np.ndarray


@dataclass(frozen=True)
class Shift:
    original: np.ndarray       # the input of the demonstration
    shifted: np.ndarray
    pooled: np.ndarray
    pooled_shifted: np.ndarray
    changed_input: float       # fraction of cells that changed
    changed_pooled: float
    mean_change_input: float
    mean_change_pooled: float
    dot: tuple | None          # (row, col) of the bright dot before the shift, when the demo uses one
    window_cols: tuple         # the columns of the dot's pooling window (empty without a dot)


@dataclass(frozen=True)
class Reduction:
    h: int
    w: int
    oh: int
    ow: int
    ratio: float               # input cells / pooled cells
    before: int                # parameters of a fully connected layer to 10 units, on the input
    after: int                 # ... and after pooling


@st.cache_data(max_entries=64, show_spinner=False)
def forward(x: np.ndarray, ps: PoolSettings) -> Forward:
    out = pooling.pool2d(x, ps.k, ps.s, ps.p, ps.mode, ps.ceil)
    rows = cols = ()
    if ps.mode != "avg":
        r, c = pooling.pool2d_selected(x, ps.k, ps.s, ps.p, ps.mode, ps.ceil)
        rows, cols = tuple(int(v) for v in np.ravel(r)), tuple(int(v) for v in np.ravel(c))
    return Forward(out, rows, cols)


@st.cache_data(max_entries=64, show_spinner=False)
def backward(x: np.ndarray, ps: PoolSettings, dout: np.ndarray) -> Backward:
    _, cache = pooling.pool2d_forward(x, ps.k, ps.s, ps.p, ps.mode, ps.ceil)
    return Backward(pooling.pool2d_backward(dout, cache))


def dot_input(shape, ps: PoolSettings, value=9.0):
    """A dark grid with one bright dot in the second window (the first when there is only one), in its
    first row and first column that no earlier window reads: a feature the shift can move inside its window.
    Returns the grid, the dot's ``(row, col)`` and the window's columns."""
    oh, ow = pooling.pool2d(np.zeros(shape), ps.k, ps.s, ps.p, ps.mode, ps.ceil).shape
    i, j = min(1, oh - 1), min(1, ow - 1)
    win = pooling.pool_window(i, j, shape, ps.k, ps.s, ps.p, ps.ceil)
    rows, cols = [int(v) for v in win["valid_rows"]], [int(v) for v in win["valid_cols"]]
    # the first row / column that no earlier window reads (overlapping windows share them), and never
    # column 0, which shift_comparison repeats into the freed columns
    prev = pooling.pool_window(max(i - 1, 0), max(j - 1, 0), shape, ps.k, ps.s, ps.p, ps.ceil)
    prev_rows = set(prev["valid_rows"]) if i else set()
    prev_cols = set(prev["valid_cols"]) if j else set()
    r = next((v for v in rows if v not in prev_rows), rows[-1])
    c = next((v for v in cols if v > 0 and v not in prev_cols), cols[-1])
    # min pooling keeps the darkest input: its feature is a dark dot on a bright grid (a bright one would vanish)
    x = np.full(shape, value) if ps.mode == "min" else np.zeros(shape)
    x[r, c] = 0.0 if ps.mode == "min" else value
    return x, (r, c), tuple(cols)


@st.cache_data(max_entries=64, show_spinner=False)
def shift(x: np.ndarray | None, shape: tuple, ps: PoolSettings, n: int) -> Shift:
    """Shift ``x`` right by ``n`` columns and pool both; ``x=None`` uses the bright-dot grid of ``shape``."""
    dot = None
    window = ()
    if x is None:
        x, dot, window = dot_input(shape, ps)
    res = pooling.shift_comparison(x, ps.k, ps.s, ps.p, ps.mode, n, ceil_mode=ps.ceil)
    return Shift(x, res["shifted"], res["pooled"], res["pooled_shifted"], res["changed_input"],
                 res["changed_pooled"], res["mean_change_input"], res["mean_change_pooled"], dot, window)


@st.cache_data(max_entries=64, show_spinner=False)
def reduction(shape: tuple, ps: PoolSettings, classes: int = 10) -> Reduction:
    h, w = shape
    oh = shapes.pool_output_size(h, ps.k, ps.s, ps.p, ceil_mode=ps.ceil)
    ow = shapes.pool_output_size(w, ps.k, ps.s, ps.p, ceil_mode=ps.ceil)
    return Reduction(h, w, oh, ow, (h * w) / (oh * ow), shapes.fc_params(h * w, classes),
                     shapes.fc_params(oh * ow, classes))
