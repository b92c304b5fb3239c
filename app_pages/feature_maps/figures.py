"""Figures of the feature-maps lesson (Plotly). Pages pass arrays and translated text."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnlab.vision.filters import value_range
from ui.figures import DIVERGING, HIGHLIGHT, OUTPUT, SEQUENTIAL


def _scale(lo, hi):
    return DIVERGING if lo < 0 < hi else SEQUENTIAL


ROBUST = 99.5  # percentile: a few extreme border values must not wash out the rest


GRAY = [[0.0, "#000000"], [1.0, "#ffffff"]]


def map_grid(maps, titles, shared=True, cols=4, cell_px=170, hover="", colorbar_title="", robust=ROBUST,
             gray=()):
    """Feature maps ``(F, h, w)`` as a grid of heatmaps.

    ``shared``: one colour scale for all maps (compare strengths across filters,
    with one colour bar); otherwise each map is stretched over its own range.
    The figure is built from plain dicts in one go (``make_subplots`` is slow for many maps).
    ``gray``: indices of maps that are images (drawn black to white, not in a map's colours).
    """
    m = np.asarray(maps, dtype=float)
    f, h, w = m.shape
    cols = max(1, min(cols, f))
    rows = -(-f // cols)
    limits = value_range(m, shared, robust)
    gap_x, gap_y = 0.02, 0.1 / rows + 0.03
    width = (1 - gap_x * (cols - 1)) / cols
    height = (1 - gap_y * (rows - 1)) / rows
    data, layout, notes = [], {}, []
    for i in range(f):
        lo, hi = limits if shared else limits[i]
        r, c = divmod(i, cols)
        n = "" if i == 0 else str(i + 1)
        x0 = c * (width + gap_x)
        y1 = 1 - r * (height + gap_y)
        data.append(dict(type="heatmap", z=m[i], zmin=lo, zmax=hi, colorscale=GRAY if i in gray else _scale(lo, hi),
                         showscale=bool(shared and i == 0), xaxis=f"x{n}", yaxis=f"y{n}",
                         colorbar=dict(title=dict(text=colorbar_title), thickness=12, len=0.9),
                         hovertemplate=hover or "%{y}, %{x}: %{z:.3g}<extra></extra>"))
        axis = dict(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
        layout[f"xaxis{n}"] = dict(axis, domain=[max(0.0, x0), min(1.0, x0 + width)], anchor=f"y{n}")
        layout[f"yaxis{n}"] = dict(axis, domain=[max(0.0, y1 - height), min(1.0, y1)], anchor=f"x{n}",
                                   autorange="reversed",
                                   scaleanchor=f"x{n}")
        notes.append(dict(text=titles[i], x=x0 + width / 2, y=y1, xref="paper", yref="paper",
                          xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=12)))
    layout.update(annotations=notes, height=int(rows * cell_px + 40), margin=dict(l=5, r=5, t=30, b=5))
    return go.Figure(data=data, layout=layout)


def clickable_map(values, title, cell=None, box=None, hover=""):
    """One feature map with an invisible point on every pixel, so a click selects the pixel.

    ``cell`` (row, col) is outlined in the output colour; ``box`` (rows, cols) index
    arrays (e.g. the pooling window, in this map's coordinates) in the highlight colour.
    """
    v = np.asarray(values, dtype=float)
    h, w = v.shape
    lo, hi = value_range(v, robust=ROBUST)
    rr, cc = np.mgrid[0:h, 0:w]
    fig = go.Figure(go.Heatmap(z=v, zmin=lo, zmax=hi, colorscale=_scale(lo, hi), showscale=True,
                               colorbar=dict(thickness=12), hoverinfo="skip"))
    fig.add_trace(go.Scattergl(
        x=cc.ravel(), y=rr.ravel(), mode="markers", showlegend=False,
        marker=dict(size=max(3, int(420 / max(h, w))), color="rgba(0,0,0,0)", symbol="square"),
        customdata=v.ravel(), hovertemplate=hover or "%{y}, %{x}: %{customdata:.3g}<extra></extra>"))
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
                      margin=dict(l=10, r=10, t=40, b=10), clickmode="event+select", dragmode=False,
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
                      margin=dict(l=10, r=10, t=40, b=10))
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return fig


def spectra(mags, titles, height=300):
    """Centred log-magnitude spectra side by side (low frequencies in the middle)."""
    fig = map_grid(np.stack(mags) if len({a.shape for a in mags}) == 1 else mags, titles, shared=False,
                   cols=len(mags), cell_px=height - 40, hover="%{z:.2f}<extra></extra>", robust=None)
    for trace in fig.data:
        trace.colorscale = SEQUENTIAL
    return fig


def bars(values, title, xlabel="", ylabel="", labels=None, height=240, highlight=None):
    """A bar per unit of a dense layer (or per class); ``highlight`` index drawn in the output colour."""
    v = np.asarray(values, dtype=float).ravel()
    colors = [OUTPUT if i == highlight else "#2563eb" for i in range(v.size)]
    fig = go.Figure(go.Bar(x=labels if labels is not None else np.arange(v.size), y=v,
                           marker_color=colors, hovertemplate="%{x}: %{y:.3g}<extra></extra>"))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=height,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis_title=xlabel, yaxis_title=ylabel)
    return fig
