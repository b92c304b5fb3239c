"""Output size › the picture: every window position, played in the browser or picked with the player.

The chart's own ▶ Play plays the whole walk in the browser (``ui.frames.grid_walk``): the window glides over
the padded input while the output fills in; the player's buttons and slider (``ui.player``) pick one window.
The visit counts and window taps come from ``cnnlab.geometry.shapes``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnlab.geometry import shapes
from ui import figures, frames, player, shape_figures
from ui.style import PLOT


def _window(s, strides, i, cols):
    """The outline of window ``i`` on the padded input, and of each tap when dilation leaves gaps."""
    r, c = divmod(i, cols)
    rows = shapes.window_taps(r, s.axes[0].k, strides[0], s.axes[0].d)
    cs = shapes.window_taps(c, s.axes[1].k, strides[1], s.axes[1].d)
    xs, ys = frames.box(min(rows), max(rows), min(cs), max(cs))
    if len(rows) * len(cs) < (max(rows) - min(rows) + 1) * (max(cs) - min(cs) + 1):
        tx, ty = frames.boxes([(a, b) for a in rows for b in cs])
        xs, ys = xs + [None] + tx, ys + [None] + ty
    return xs, ys


def walk_figure(t, s, outs, counts, pad, strides, zero_label, step):
    """Visits of the padded input beside the output filled in window order, with the browser walk."""
    first = (shapes.window_taps(0, s.axes[0].k, strides[0], s.axes[0].d),
             shapes.window_taps(0, s.axes[1].k, strides[1], s.axes[1].d))
    left = shape_figures.visit_grid(t, counts, pad, first, t("size.fig_input"), zero_label)
    # the window moves in the frames: drop the fixed outline the kit drew for window 0
    left.layout.shapes = [sh for sh in left.layout.shapes if sh.line.color != figures.HIGHLIGHT]
    oh, ow = outs
    order = np.arange(1, oh * ow + 1, dtype=float).reshape(oh, ow)
    right = figures.grid(order, t("size.fig_output", rows=oh, cols=ow), zrange=(0, oh * ow),
                         hover=t("size.hover_order"))

    def caption(i):
        r, c = divmod(i, ow)
        return t("size.step_caption", n=i + 1, total=oh * ow, r=r, c=c)

    play, pause = player.play_labels(t)
    return frames.grid_walk(left, right, outs, lambda i: _window(s, strides, i, ow), caption, step - 1,
                            not_yet=t("size.not_yet"), play=play, pause=pause)


def walk(t, s, outs, counts, pad, strides, zero_label):
    """The player over every window position (key ``size.step``)."""
    total = outs[0] * outs[1]

    def draw(step):
        fig = walk_figure(t, s, outs, counts, pad, strides, zero_label, step)
        figures.chart(st, fig, **PLOT, key="size.fig_walk", alt=t("size.walk_alt", rows=outs[0], cols=outs[1]))
        st.caption(t("size.walk_help"))

    player.player(t, "size.step", 1, total, draw, label=t("size.step"), hint="size.play_hint")
