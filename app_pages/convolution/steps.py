"""Convolution › Step by step: the kernel slides one output cell at a time.

The chart's own ▶ Play plays the whole walk in the browser (``ui.frames``): the window glides over the input
while the output map fills in. The player's buttons and slider (``ui.player``) pick one cell, whose
multiply-add is written out under the chart with its step number. Every number comes
from ``cnnlab``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import cnnlab
from ui import errors, figures, frames, player
from ui.fmt import num as _num
from ui.style import PLOT


def _padded(x, padding):
    xp = np.pad(x, padding)
    mask = np.ones_like(xp, dtype=bool)
    mask[padding:padding + x.shape[0], padding:padding + x.shape[1]] = False
    return xp, mask


def walk_figure(t, s, k_used, out, step):
    """Input (window) and output (filled so far) side by side, with the browser walk of every cell."""
    oh, ow = out.shape
    xp, mask = _padded(s.x, s.padding)
    zrange = (float(out.min()), float(out.max())) if out.max() > out.min() else None
    left = figures.grid(xp, t("conv.fig_input_window"), numbers=s.is_grid, mask=mask,
                        mask_label=t("conv.padding_cells") if s.padding else "")
    right = figures.grid(out, t("conv.fig_output_so_far"), numbers=s.is_grid, zrange=zrange)

    def terms(i):
        return cnnlab.window_terms(s.x, k_used, *divmod(i, ow), stride=s.stride, padding=s.padding)

    def window(i):
        w = terms(i)
        return frames.box(int(w["rows"][0]), int(w["rows"][-1]), int(w["cols"][0]), int(w["cols"][-1]))

    def caption(i):
        r, c = divmod(i, ow)
        return t("conv.walk_now", r=r, c=c, value=_num(out[r, c]))

    play, pause = player.play_labels(t)
    return frames.grid_walk(left, right, out.shape, window, caption, step - 1, not_yet=t("conv.not_yet"),
                            play=play, pause=pause)


def step_by_step(t, s):
    """Slide the kernel one output cell at a time and write out the multiply-add."""
    op = st.segmented_control(t("conv.operation"), ["corr", "conv"], key="conv.op", default="corr",
                              format_func=lambda o: t(f"conv.op_{o}")) or "corr"
    k_used = s.k if op == "corr" else cnnlab.rotate180(s.k)
    try:
        out = cnnlab.correlate2d(s.x, k_used, stride=s.stride, padding=s.padding)
    except ValueError as exc:
        errors.show(exc, t)
        return
    oh, ow = out.shape

    def draw(step):
        r, c = divmod(step - 1, ow)
        fig = walk_figure(t, s, k_used, out, step)
        terms = cnnlab.window_terms(s.x, k_used, r, c, stride=s.stride, padding=s.padding)
        figures.chart(st, fig, **PLOT, key="conv.fig_step_walk", alt=t("conv.walk_alt", rows=oh, cols=ow))
        st.caption(t("conv.walk_help"))
        g1, g2 = st.columns([1, 2])          # the kernel beside the multiply-add that uses its numbers
        figures.chart(g1, figures.grid(k_used, t(f"conv.fig_kernel_used_{op}")), **PLOT, key="conv.fig_step_k")
        with g2:
            st.markdown(t("conv.cell_formula", n=step, total=oh * ow, r=r, c=c, r0=int(terms["rows"][0]),
                          c0=int(terms["cols"][0])))
            prods = [f"({_num(a)}×{_num(b)})" for a, b in zip(terms["window"].ravel(), k_used.ravel())]
            if len(prods) <= 9:
                st.code(" + ".join(prods) + f" = {_num(terms['value'])}", language=None, wrap_lines=True)
            else:
                st.code(t("conv.sum_of_products", n=len(prods), value=_num(terms["value"])), language=None)
        if len(prods) > 9:
            figures.chart(st, figures.grid(terms["products"], t("conv.fig_products"), numbers=True), **PLOT,
                            key="conv.fig_step_prod")

    player.player(t, "conv.step", 1, oh * ow, draw, label=t("conv.step"), link="step")
