"""Figure builders shared by the lessons (Plotly). Pages pass arrays and translated text.

Colour scales are perceptually uniform (viridis for magnitudes, a balanced
diverging scale for signed values) and readable in light and dark themes.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.fmt import cell as _fmt
from ui.i18n import current_text

SEQUENTIAL = "Viridis"
DIVERGING = "RdBu_r"
HIGHLIGHT = "#f59e0b"   # amber: the window / selected cells
OUTPUT = "#ef4444"      # red: the output cell


def grid(values, title="", *, numbers=None, diverging=None, highlight=None, cell=None,
         mask=None, mask_label="", height=None, zrange=None, colorbar=False, hover=None):
    """A heatmap of a 2-D array drawn as a grid of cells, row 0 at the top.

    Parameters
    ----------
    values : (H, W) array
    numbers : bool, write each value in its cell (default: when the grid is small)
    diverging : bool, centre the colour scale on 0 (default: when values have both signs)
    highlight : (rows, cols) index arrays of cells to outline (e.g. the kernel window)
    cell : (row, col) a single cell to outline in the output colour
    mask : (H, W) bool array of cells to hatch (e.g. padding, never-visited cells)
    """
    v = np.asarray(values, dtype=float)
    h, w = v.shape
    finite = v[np.isfinite(v)] if np.isfinite(v).any() else np.zeros(1)
    lo, hi = float(finite.min()), float(finite.max())
    if numbers is None:
        numbers = h * w <= 200
    if diverging is None:
        diverging = lo < 0 < hi
    if zrange is None:
        if diverging:
            m = max(abs(lo), abs(hi)) or 1.0
            zrange = (-m, m)
        else:
            zrange = (lo, hi if hi > lo else lo + 1)
    traces = [go.Heatmap(
        z=v, zmin=zrange[0], zmax=zrange[1],
        colorscale=DIVERGING if diverging else SEQUENTIAL, showscale=colorbar,
        text=[[_fmt(x) if np.isfinite(x) else "" for x in row] for row in v] if numbers else None,
        texttemplate="%{text}" if numbers else None,
        # readable from the back of a room (issue 16): 16 px numbers up to 10 cells a side
        textfont=dict(size=16 if max(h, w) <= 10 else 13 if max(h, w) <= 16 else 11),
        # in the page's language, and 9 as 9 (d3's "~" drops trailing zeros: .4g alone writes 9.000)
        hovertemplate=hover or current_text("fig.hover_cell"),
        xgap=1 if numbers else 0, ygap=1 if numbers else 0,
    )]
    shapes = []
    if mask is not None:
        for r, c in zip(*np.nonzero(mask)):
            shapes.append(dict(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5,
                               fillcolor="rgba(128,128,128,0.45)", line=dict(width=0), layer="above"))
        if mask_label:
            traces.append(go.Scatter(x=[None], y=[None], mode="markers", name=mask_label,
                                     marker=dict(symbol="square", size=12, color="rgba(128,128,128,0.6)")))
    if highlight is not None:
        rows, cols = highlight
        r0, r1, c0, c1 = min(rows), max(rows), min(cols), max(cols)
        shapes.append(dict(type="rect", x0=c0 - 0.5, x1=c1 + 0.5, y0=r0 - 0.5, y1=r1 + 0.5,
                           line=dict(color=HIGHLIGHT, width=4)))
        if len(rows) * len(cols) < (r1 - r0 + 1) * (c1 - c0 + 1):  # dilated: mark each tap
            for r in rows:
                for c in cols:
                    shapes.append(dict(type="rect", x0=c - 0.45, x1=c + 0.45, y0=r - 0.45, y1=r + 0.45,
                                       line=dict(color=HIGHLIGHT, width=2)))
    if cell is not None:
        r, c = cell
        shapes.append(dict(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5,
                           line=dict(color=OUTPUT, width=4)))
    size = height or int(min(480, max(200, 34 * h + 90)))
    # One constructor call with the whole layout builds the same figure as update_layout +
    # update_xaxes + update_yaxes about four times faster; this builder was the largest single
    # cost of a lesson rerun under load (py-spy, benchmarks/load_test.py; docs/deployment.md).
    return go.Figure(data=traces, layout=dict(
        title=dict(text=title, x=0.5, xanchor="center"), shapes=shapes, height=size,
        margin=dict(l=10, r=10, t=64 if title else 24, b=10),
        legend=dict(orientation="h", y=-0.05),
        xaxis=dict(showgrid=False, zeroline=False, showticklabels=h * w <= 400, dtick=1,
                   constrain="domain", side="top", range=[-0.5, w - 0.5]),
        yaxis=dict(showgrid=False, zeroline=False, showticklabels=h * w <= 400, dtick=1,
                   range=[h - 0.5, -0.5], scaleanchor="x", constrain="domain"),
    ))


def image(arr, title="", height=320):
    """An RGB (H, W, 3) or gray (H, W) image in [0, 1], rows down, as a Plotly figure."""
    a = np.clip(np.asarray(arr, dtype=float), 0, 1)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    fig = go.Figure(go.Image(z=(a * 255).astype(np.uint8)))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return fig


def line(xs, series, title="", xlabel="", ylabel="", log_y=False, height=300, markers=False):
    """Line chart: ``series`` maps a (translated) name to its y values."""
    fig = go.Figure()
    for name, ys in series.items():
        fig.add_trace(go.Scatter(x=xs, y=ys, name=name, mode="lines+markers" if markers else "lines"))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis_title=xlabel, yaxis_title=ylabel,
                      legend=dict(orientation="h", y=-0.25))
    if log_y:
        fig.update_yaxes(type="log")
    return fig
