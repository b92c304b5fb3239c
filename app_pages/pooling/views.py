"""Sections of the pooling lesson: controls, forward with the selected inputs, backward, why pool."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnlab.geometry import shapes
from cnnlab.ops import pooling
from ui import errors, figures, shape_figures
from ui.fmt import num as _fmt
from ui.grid_guard import bound_edits
from ui.image_source import image_source
from ui.state import UrlState
from ui.style import PLOT

MODES = ["max", "avg", "min"]
POOL_FIXES = ("kernel_size", "stride", "padding")
SOURCES = ["grid", "image"]
DEFAULT_GRID = np.random.default_rng(7).integers(0, 10, size=(6, 6))


@dataclass
class Settings:
    mode: str
    k: int
    s: int
    p: int
    ceil: bool
    source: str


def url_state():
    return UrlState("pool", {"mode": "max", "k": 2, "s": 2, "p": 0, "ceil": False, "source": "grid"},
                    choices={"mode": MODES, "source": SOURCES},
                    bounds={"k": (1, 8), "s": (0, 8), "p": (0, 4)})


def controls(t, url):
    c1, c2, c3, c4, c5 = st.columns([3, 2, 2, 2, 2], vertical_alignment="bottom")
    mode = c1.segmented_control(t("pool.mode"), MODES, key=url.key("mode"),
                                format_func=lambda m: t(f"pool.mode_{m}")) or "max"
    k = c2.number_input(t("pool.k"), 1, 8, key=url.key("k"), help=t("pool.k_help"))
    s = c3.number_input(t("pool.s"), 0, 8, key=url.key("s"), help=t("pool.s_help"))
    p = c4.number_input(t("pool.p"), 0, 4, key=url.key("p"), help=t("pool.p_help"))
    ceil = c5.toggle(t("pool.ceil"), key=url.key("ceil"), help=t("pool.ceil_help"))
    source = st.radio(t("pool.source"), SOURCES, key=url.key("source"), horizontal=True,
                      format_func=lambda o: t(f"pool.source_{o}"))
    return Settings(mode, int(k), int(s), int(p), bool(ceil), source)


def _clean(table):
    """The edited grid as floats; empty or non-numeric cells count as 0."""
    rows = []
    for row in np.asarray(table, dtype=object):
        vals = []
        for v in row:
            try:
                f = float(v)
            except (TypeError, ValueError):
                f = 0.0
            vals.append(f if np.isfinite(f) else 0.0)
        rows.append(vals)
    return np.array(rows, dtype=float)


def input_array(t, s):
    """The input: an editable grid or an image (sample / upload). Returns ``(x, is_grid)``."""
    if s.source == "grid":
        st.caption(t("pool.grid_help"))
        bound_edits("pool.grid", DEFAULT_GRID.shape[0], range(DEFAULT_GRID.shape[1]))
        table = st.data_editor(DEFAULT_GRID, key="pool.grid", width="content")
        return _clean(table), True
    img, _ = image_source(t, "pool.image", gray=True, max_side=48, default_sample="digit")
    return np.asarray(img, dtype=float), False


def forward(t, s, x, is_grid):
    """Pool, show input and output, the window of a chosen output cell and the selected inputs."""
    try:
        out = pooling.pool2d(x, s.k, s.s, s.p, s.mode, s.ceil)
    except ValueError as exc:
        errors.show(exc, t)
        # only what the student can change here: the window, the stride, the padding (not the input)
        fixes = [(n, v) for n, v in shapes.suggest_fixes(x.shape[0], s.k, s.s, s.p, 1, "pool")
                 if n in POOL_FIXES]
        if fixes:
            sep = "；" if t.lang == "zh" else " · "
            st.info(t("pool.try_fix", fixes=sep.join(t(f"pool.fix_{n}", value=v) for n, v in fixes)),
                    icon=":material/lightbulb:")
        return None
    oh, ow = out.shape
    for key, hi in (("pool.r", oh - 1), ("pool.c", ow - 1)):
        if st.session_state.get(key, 0) > hi:
            st.session_state[key] = hi
    c1, c2 = st.columns(2)
    r = c1.number_input(t("pool.cell_row"), 0, oh - 1, key="pool.r")
    c = c2.number_input(t("pool.cell_col"), 0, ow - 1, key="pool.c")
    win = pooling.pool_window(r, c, x.shape, s.k, s.s, s.p, s.ceil)
    fig_in = figures.grid(x, t("pool.fig_input"), numbers=is_grid,
                          highlight=(win["valid_rows"], win["valid_cols"]), hover=t("pool.hover"))
    if s.mode != "avg" and is_grid:
        rows, cols = pooling.pool2d_selected(x, s.k, s.s, s.p, s.mode, s.ceil)
        shape_figures.selected_overlay(fig_in, rows, cols, t(f"pool.legend_selected_{s.mode}"))
    fig_out = figures.grid(out, t("pool.fig_output", rows=oh, cols=ow), numbers=is_grid, cell=(r, c),
                           hover=t("pool.hover"), zrange=(float(x.min()), float(max(x.max(), x.min() + 1e-9))))
    g1, g2 = st.columns([3, 2])
    g1.plotly_chart(fig_in, **PLOT, key="pool.fig_in")
    g2.plotly_chart(fig_out, **PLOT, key="pool.fig_out")
    window = x[np.ix_(win["valid_rows"], win["valid_cols"])]
    nums = ", ".join(_fmt(v) for v in window.ravel())
    st.markdown(t(f"pool.cell_explain_{s.mode}", r=r, c=c, values=nums, n=window.size,
                  result=_fmt(float(out[r, c]))))
    return out


def backward(t, s, x, is_grid):
    """Where each upstream gradient value goes: to the selected input, or split evenly."""
    st.markdown(t(f"pool.backward_intro_{s.mode}"))
    out, cache = pooling.pool2d_forward(x, s.k, s.s, s.p, s.mode, s.ceil)
    if is_grid:
        default = np.arange(1, out.size + 1).reshape(out.shape)
        st.caption(t("pool.dout_help"))
        bound_edits(f"pool.dout.{out.shape}", default.shape[0], range(default.shape[1]))
        dout = _clean(st.data_editor(default, key=f"pool.dout.{out.shape}", width="content"))
    else:
        dout = np.ones_like(out)
    dx = pooling.pool2d_backward(dout, cache)
    g1, g2 = st.columns([2, 3])
    g1.plotly_chart(figures.grid(dout, t("pool.fig_dout"), numbers=is_grid), **PLOT, key="pool.fig_dout")
    g2.plotly_chart(figures.grid(dx, t("pool.fig_dx"), numbers=is_grid), **PLOT, key="pool.fig_dx")
    st.info(t("pool.no_params"), icon=":material/info:")


def why_pool(t, s, x, is_grid):
    """Shift the input one pixel and compare; how much smaller the next layers get."""
    st.markdown(t("pool.why_intro"))
    shift = st.slider(t("pool.shift"), 0, 3, 1, key="pool.shift")
    res = pooling.shift_comparison(x, s.k, s.s, s.p, s.mode, shift)
    g1, g2, g3 = st.columns(3)
    g1.plotly_chart(figures.grid(res["shifted"], t("pool.fig_shifted", n=shift), numbers=is_grid),
                    **PLOT, key="pool.fig_shifted")
    g2.plotly_chart(figures.grid(res["pooled"], t("pool.fig_pooled"), numbers=is_grid),
                    **PLOT, key="pool.fig_pooled")
    g3.plotly_chart(figures.grid(res["pooled_shifted"], t("pool.fig_pooled_shifted"), numbers=is_grid),
                    **PLOT, key="pool.fig_pooled_shifted")
    m1, m2 = st.columns(2)
    m1.metric(t("pool.changed_input"), f"{res['changed_input']:.0%}",
              help=t("pool.mean_change", v=f"{res['mean_change_input']:.3f}"))
    m2.metric(t("pool.changed_pooled"), f"{res['changed_pooled']:.0%}",
              help=t("pool.mean_change", v=f"{res['mean_change_pooled']:.3f}"))
    st.caption(t("pool.shift_caption"))
    h, w = x.shape
    oh, ow = res["pooled"].shape
    before, after = shapes.fc_params(h * w, 10), shapes.fc_params(oh * ow, 10)
    st.markdown(t("pool.reduction", h=h, w=w, oh=oh, ow=ow, ratio=f"{(h * w) / (oh * ow):.3g}",
                  before=f"{before:,}", after=f"{after:,}"))
