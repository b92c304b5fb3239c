"""Sections of the pooling lesson: controls, forward with the selected inputs, backward, why pool."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from app_pages.pooling import compute
from cnnlab.geometry import shapes
from cnnlab.ops import pooling
from ui import errors, figures, shape_figures
from ui.fmt import num as _fmt
from ui.grid_guard import number_grid, parse_grid
from ui.image_source import image_source
from ui.state import UrlState, remember

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


def grid_text(x):
    """The grid as the link writes it: rows separated by ``;``, cells by ``,`` (``""`` for the default)."""
    x = np.asarray(x, dtype=float)
    if x.shape == DEFAULT_GRID.shape and np.array_equal(x, DEFAULT_GRID):
        return ""
    return ";".join(",".join(f"{v:.10g}" for v in row) for row in x)


def grid_from_text(text):
    """The grid of a link's ``cells``; ``None`` unless it is a whole grid of the lesson's size."""
    if not text:
        return DEFAULT_GRID.astype(float)
    rows = [row.split(",") for row in text.split(";")]
    if len(rows) != DEFAULT_GRID.shape[0] or any(len(r) != DEFAULT_GRID.shape[1] for r in rows):
        return None
    x, bad = parse_grid(rows)
    return None if bad else x


def url_state():
    # the edited grid (``cells``) and the chosen output cell (``r``, ``c``) are in the link too (issue 16)
    return UrlState("pool", {"mode": "max", "k": 2, "s": 2, "p": 0, "ceil": False, "source": "grid",
                             "cells": "", "r": 0, "c": 0},
                    choices={"mode": MODES, "source": SOURCES},
                    bounds={"k": (1, 8), "s": (0, 8), "p": (0, 4), "r": (0, 63), "c": (0, 63)},
                    valid={"cells": lambda text: len(text) <= 2000 and grid_from_text(text) is not None})


def controls(t, url):
    # two rows, so that at 1024 px (and wrapping at 390 px) every option and label stays whole
    top1, top2 = st.columns([3, 2], vertical_alignment="bottom")
    mode = top1.segmented_control(t("pool.mode"), MODES, key=url.key("mode"),
                                  format_func=lambda m: t(f"pool.mode_{m}")) or "max"
    source = top2.radio(t("pool.source"), SOURCES, key=url.key("source"), horizontal=True,
                        format_func=lambda o: t(f"pool.source_{o}"))
    c2, c3, c4, c5 = st.columns(4, vertical_alignment="bottom")
    k = c2.number_input(t("pool.k"), 1, 8, key=url.key("k"), help=t("pool.k_help"))
    s = c3.number_input(t("pool.s"), 0, 8, key=url.key("s"), help=t("pool.s_help"))
    p = c4.number_input(t("pool.p"), 0, 4, key=url.key("p"), help=t("pool.p_help"))
    ceil = c5.toggle(t("pool.ceil"), key=url.key("ceil"), help=t("pool.ceil_help"))
    return Settings(mode, int(k), int(s), int(p), bool(ceil), source)


def input_array(t, s, url):
    """The input: an editable grid or an image (sample / upload). Returns ``(x, is_grid)``."""
    if s.source == "grid":
        st.caption(t("pool.grid_help"))
        if "pool.grid" not in st.session_state:         # a new editor: the grid of the link or the session
            st.session_state["pool._grid_base"] = grid_from_text(url.get("cells"))
        base = st.session_state.get("pool._grid_base")
        x = number_grid(t, DEFAULT_GRID if base is None else base, "pool.grid")
        url.set("cells", grid_text(x))
        return x, True
    img, _ = image_source(t, "pool.image", gray=True, max_side=48, default_sample="digit")
    return np.asarray(img, dtype=float), False


def _ps(s):
    return compute.PoolSettings(s.mode, s.k, s.s, s.p, s.ceil)


def _show_error(t, s, x, exc):
    """A pooling error in pooling words, and only fixes the student can make here."""
    if getattr(exc, "code", None) == "kernel_too_large":
        st.error(t("pool.window_too_large", k=s.k, padded=x.shape[0] + 2 * s.p), icon=":material/error:")
    else:
        errors.show(exc, t)
    # only what the student can change here: the window, the stride, the padding (not the input)
    fixes = [(n, v) for n, v in shapes.suggest_fixes(x.shape[0], s.k, s.s, s.p, 1, "pool") if n in POOL_FIXES]
    if fixes:
        sep = "；" if t.lang == "zh" else " · "
        st.info(t("pool.try_fix", fixes=sep.join(t(f"pool.fix_{n}", value=v) for n, v in fixes)),
                icon=":material/lightbulb:")


def forward(t, s, x, is_grid):
    """Pool, show input and output, the window of a chosen output cell and the selected inputs."""
    try:
        res = compute.forward(x, _ps(s))
    except ValueError as exc:
        _show_error(t, s, x, exc)
        return None
    out = res.out
    oh, ow = out.shape
    for key, hi in (("pool.r", oh - 1), ("pool.c", ow - 1)):
        if st.session_state.get(key, 0) > hi:
            st.session_state[key] = hi
    c1, c2 = st.columns(2)
    r = c1.number_input(t("pool.cell_row"), 0, oh - 1, key="pool.r")
    c = c2.number_input(t("pool.cell_col"), 0, ow - 1, key="pool.c")
    win = pooling.pool_window(r, c, x.shape, s.k, s.s, s.p, s.ceil)
    # two lines: one line was cut on both sides in its 3/5 column at 1024 px ("nput (window ... outlinec")
    fig_in = figures.grid(x, f'{t("pool.fig_input")}<br>{t("pool.fig_input_note")}', numbers=is_grid,
                          highlight=(win["valid_rows"], win["valid_cols"]))
    # room for the title's second line above the column numbers: the title at the top, the grid as big as before
    fig_in.update_layout(margin_t=92, height=fig_in.layout.height + 28,
                         title=dict(yref="container", y=1, yanchor="top", pad=dict(t=10)))
    if res.sel_rows and is_grid:
        shape_figures.selected_overlay(fig_in, np.array(res.sel_rows), np.array(res.sel_cols),
                                       t(f"pool.legend_selected_{s.mode}"))
    fig_out = figures.grid(out, t("pool.fig_output", rows=oh, cols=ow), numbers=is_grid, cell=(r, c),
                           zrange=(float(x.min()), float(max(x.max(), x.min() + 1e-9))))
    g1, g2 = st.columns([3, 2])
    figures.chart(g1, fig_in, key="pool.fig_in")
    figures.chart(g2, fig_out, key="pool.fig_out")
    window = x[np.ix_(win["valid_rows"], win["valid_cols"])]
    nums = ", ".join(_fmt(v) for v in window.ravel())
    st.markdown(t(f"pool.cell_explain_{s.mode}", r=r, c=c, values=nums, n=window.size,
                  result=_fmt(float(out[r, c]))))
    return out


def backward(t, s, x, is_grid, out):
    """Where each upstream gradient value goes: to the selected input, or split evenly."""
    st.markdown(t(f"pool.backward_intro_{s.mode}"))
    if is_grid:
        default = np.arange(1, out.size + 1).reshape(out.shape)
        st.caption(t("pool.dout_help"))
        dout = number_grid(t, default, f"pool.dout.{out.shape}")
    else:
        dout = np.ones_like(out)
    dx = compute.backward(x, _ps(s), dout).dx
    g1, g2 = st.columns([2, 3])
    figures.chart(g1, figures.grid(dout, t("pool.fig_dout"), numbers=is_grid), key="pool.fig_dout")
    figures.chart(g2, figures.grid(dx, t("pool.fig_dx"), numbers=is_grid), key="pool.fig_dx")
    st.info(t("pool.no_params"), icon=":material/info:")


def _by_mode(key, s):
    """The text of ``key`` for max pooling, ``key_avg`` / ``key_min`` for the others."""
    return key if s.mode == "max" else f"{key}_{s.mode}"


def why_pool(t, s, x, is_grid):
    """Shift a feature and compare the pooled maps; how much smaller the next layers get."""
    st.markdown(t("pool.why_intro"))
    remember("pool", {"pool.shift": 1})
    shift = st.slider(t("pool.shift"), 0, 3, key="pool.shift")
    # on the grid: a bright dot that moves inside its window (the point is visible); on an image: the image
    res = compute.shift(None if is_grid else x, x.shape, _ps(s), shift)
    if res.dot is not None:
        r, c = res.dot
        st.caption(t(_by_mode("pool.dot_caption", s), r=r, c=c, first=res.window_cols[0], last=res.window_cols[-1]))
    # two by two (inputs above, pooled maps below): four grids side by side are too small to read at 1024 px
    if is_grid:
        g1, g2 = st.columns(2)
        g3, g4 = st.columns(2)
    else:
        g1, (g2, g3, g4) = None, st.columns(3)
    if g1 is not None:
        dot_title = t("pool.fig_dot_dark" if s.mode == "min" else "pool.fig_dot")
        figures.chart(g1, figures.grid(res.original, dot_title, numbers=True), key="pool.fig_dot")
    figures.chart(g2, figures.grid(res.shifted, t("pool.fig_shifted", n=shift), numbers=is_grid),
                  key="pool.fig_shifted")
    figures.chart(g3, figures.grid(res.pooled, t("pool.fig_pooled"), numbers=is_grid), key="pool.fig_pooled")
    figures.chart(g4, figures.grid(res.pooled_shifted, t("pool.fig_pooled_shifted"), numbers=is_grid),
                  key="pool.fig_pooled_shifted")
    m1, m2 = st.columns(2)
    m1.metric(t("pool.changed_input"), f"{res.changed_input:.0%}",
              help=t("pool.mean_change", v=_fmt(res.mean_change_input)))
    m2.metric(t("pool.changed_pooled"), f"{res.changed_pooled:.0%}",
              help=t("pool.mean_change", v=_fmt(res.mean_change_pooled)))
    st.caption(t(_by_mode("pool.shift_caption", s)))
    red = compute.reduction(x.shape, _ps(s))
    st.markdown(t("pool.reduction", h=red.h, w=red.w, oh=red.oh, ow=red.ow, ratio=_fmt(red.ratio),
                  before=f"{red.before:,}", after=f"{red.after:,}"))
