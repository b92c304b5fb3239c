"""Figures of the feature-maps lesson (Plotly). Pages pass arrays and translated text."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.figures import DIVERGING, HIGHLIGHT, OUTPUT, SEQUENTIAL


def _scale(lo, hi):
    return DIVERGING if lo < 0 < hi else SEQUENTIAL


#: the colour maps of the pictures (st.image): the same as the Plotly scales of ui.figures
PICTURE_CMAPS = {"sequential": "viridis", "diverging": "RdBu_r", "gray": "gray"}


def kind_of(lo, hi):
    """``diverging`` for limits around 0 (signed maps, 0 white), else ``sequential``."""
    return "diverging" if lo < 0 < hi else "sequential"


def picture(values, lo, hi, px=180, kind=None):
    """One map as an RGB uint8 picture for ``st.image``: coloured over ``[lo, hi]``, each value a block of
    pixels (sharp, never smoothed by the browser), about ``px`` pixels on its longer side.

    Many maps as pictures in one ``st.image`` call cost a fraction of a Plotly heatmap each (issue 15).
    """
    from matplotlib import colormaps

    v = np.asarray(values, dtype=float)
    u = np.clip((v - lo) / ((hi - lo) or 1.0), 0, 1)
    rgb = colormaps[PICTURE_CMAPS[kind or kind_of(lo, hi)]](u, bytes=True)[..., :3]
    k = max(1, px // max(v.shape))            # at most px: st.image would resize (and blur) a wider one
    return np.repeat(np.repeat(rgb, k, axis=0), k, axis=1)


def framed(rgb, pad=3):
    """``rgb`` with a transparent margin (RGBA): pictures side by side in ``st.image`` keep a gap between
    them in the light and the dark theme alike."""
    h, w, _ = rgb.shape
    out = np.zeros((h + 2 * pad, w + 2 * pad, 4), np.uint8)
    out[pad:pad + h, pad:pad + w, :3] = rgb
    out[pad:pad + h, pad:pad + w, 3] = 255
    return out


def pictures(maps, limits, px=180, kinds=None):
    """``(F, h, w)`` maps with ``(F, 2)`` limits as a list of framed pictures (see :func:`picture`)."""
    return [framed(picture(m, lo, hi, px, None if kinds is None else kinds[i]))
            for i, (m, (lo, hi)) in enumerate(zip(maps, limits))]


def png_list(rgbs):
    """Pictures as PNG bytes and the width to show them at: their own (the widest), so ``st.image`` shows
    them pixel for pixel - with a smaller width it would resize every one on every rerun, blurring it."""
    from cnnlab.vision.images import to_png_bytes

    return [to_png_bytes(p / 255.0) for p in rgbs], max(p.shape[1] for p in rgbs)


def colour_bar(lo, hi, width=360, height=14):
    """The colour scale from ``lo`` (left) to ``hi`` (right) as a strip picture, for a caption beside it."""
    ramp = np.tile(np.linspace(lo, hi, width), (height, 1))
    return picture(ramp, lo, hi, px=1)


def clickable_map(values, title, cell=None, box=None, hover="", limits=None):
    """One feature map with an invisible point on every pixel, so a click selects the pixel.

    ``cell`` (row, col) is outlined in the output colour; ``box`` (rows, cols) index
    arrays (e.g. the pooling window, in this map's coordinates) in the highlight colour.
    ``limits`` ``(lo, hi)``: the colour limits (``compute.Pixel.map_limits``); the map's own range without.
    """
    v = np.asarray(values, dtype=float)
    h, w = v.shape
    lo, hi = limits if limits is not None else (float(v.min()), float(v.max()) or 1.0)
    rr, cc = np.mgrid[0:h, 0:w]
    fig = go.Figure(go.Heatmap(z=v, zmin=lo, zmax=hi, colorscale=_scale(lo, hi), showscale=True,
                               colorbar=dict(thickness=12), hoverinfo="skip"))
    fig.add_trace(go.Scattergl(
        x=cc.ravel(), y=rr.ravel(), mode="markers", showlegend=False,
        marker=dict(size=max(3, int(420 / max(h, w))), color="rgba(0,0,0,0)", symbol="square"),
        # 9 as 9 and 0.1234567 as 0.123 (d3's "~" drops trailing zeros), as the kit's hover (fig.hover_cell)
        customdata=v.ravel(), hovertemplate=hover or "%{y}, %{x}: %{customdata:.3~g}<extra></extra>"))
    shapes = []
    if box is not None:
        br, bc = box
        shapes.append(dict(type="rect", x0=min(bc) - 0.5, x1=max(bc) + 0.5, y0=min(br) - 0.5,
                           y1=max(br) + 0.5, line=dict(color=HIGHLIGHT, width=3)))
    if cell is not None:
        r, c = cell
        shapes.append(dict(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5,
                           line=dict(color=OUTPUT, width=3)))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), shapes=shapes, height=440,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10), clickmode="event+select", dragmode=False,
                      hovermode="closest")
    fig.update_xaxes(showgrid=False, zeroline=False, range=[-0.5, w - 0.5], constrain="domain")
    fig.update_yaxes(showgrid=False, zeroline=False, range=[h - 0.5, -0.5], scaleanchor="x",
                     constrain="domain")
    return fig


def image_with_field(image, field, title="", window=None, height=440):
    """The input image with the receptive field ``(r0, r1, c0, c1)`` outlined (inclusive).

    ``window`` (r0, r1, c0, c1): the kernel window of the selected convolution cell, drawn
    thinner in the output colour when it differs from the field (after pooling).
    """
    a = np.clip(np.asarray(image, dtype=float), 0, 1)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    fig = go.Figure(go.Image(z=(a * 255).astype(np.uint8), hoverinfo="skip"))
    r0, r1, c0, c1 = field
    shapes = [dict(type="rect", x0=c0 - 0.5, x1=c1 + 0.5, y0=r0 - 0.5, y1=r1 + 0.5,
                   line=dict(color=HIGHLIGHT, width=3))]
    if window is not None and tuple(window) != tuple(field):
        w0, w1, v0, v1 = window
        shapes.append(dict(type="rect", x0=v0 - 0.5, x1=v1 + 0.5, y0=w0 - 0.5, y1=w1 + 0.5,
                           line=dict(color=OUTPUT, width=2)))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), shapes=shapes, height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return fig


def bars(values, title, xlabel="", ylabel="", labels=None, height=240, highlight=None):
    """A bar per unit of a dense layer (or per class); ``highlight`` index drawn in the output colour."""
    v = np.asarray(values, dtype=float).ravel()
    colors = [OUTPUT if i == highlight else "#2563eb" for i in range(v.size)]
    fig = go.Figure(go.Bar(x=labels if labels is not None else np.arange(v.size), y=v,
                           marker_color=colors, hovertemplate="%{x}: %{y:.3~g}<extra></extra>"))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=height,
                      margin=dict(l=10, r=10, t=(40 if title else 10) + (22 if ylabel else 0), b=10),
                      # every class named (numeric labels alone were ticked 0 and 5 only)
                      xaxis=dict(title=xlabel, type="category" if labels is not None else "-"))
    if ylabel:   # level, above the axis: the upright title "概率" touched the "0.2" ticks at 390 px
        fig.add_annotation(text=ylabel, xref="paper", yref="paper", x=0, y=1, xanchor="left", yanchor="bottom",
                           yshift=6, showarrow=False)
    return fig
