"""Figure builders shared by the lessons (Plotly). Pages pass arrays and translated text.

Colour scales are perceptually uniform (viridis for magnitudes, a balanced
diverging scale for signed values) and readable in light and dark themes.
"""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale, unlabel_rgb

from ui import display
from ui.fmt import cell as _fmt
from ui.fmt import num as _num
from ui.i18n import current_language, current_text
from ui.style import PLOT

SEQUENTIAL = "Viridis"
DIVERGING = "RdBu_r"
HIGHLIGHT = "#f59e0b"   # amber: the window / selected cells
OUTPUT = "#ef4444"      # red: the output cell


def _luminance(rgb):
    """WCAG relative luminance of an ``(r, g, b)`` colour in 0-255."""
    c = np.asarray(rgb, dtype=float) / 255
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def contrast(a, b):
    """WCAG contrast ratio of two ``(r, g, b)`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink(colour):
    """``"#000000"`` or ``"#ffffff"``, whichever contrasts more with ``colour`` (``"#rrggbb"`` or ``"rgb(...)"``):
    the text colour for a label drawn on a coloured box (the box has the same colour in both themes)."""
    c = colour.strip()
    rgb = tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) if c.startswith("#") else unlabel_rgb(c)[:3]
    return "#000000" if contrast(rgb, (0, 0, 0)) >= contrast(rgb, (255, 255, 255)) else "#ffffff"


def text_colors(values, scale, zrange):
    """Per cell, black or white, whichever contrasts more with the cell's colour (at least 4.58:1, WCAG AA
    in both themes: the cell colour is the same in both). NaN cells get no text."""
    lo, hi = zrange
    frac = np.clip((np.nan_to_num(values, nan=lo) - lo) / ((hi - lo) or 1.0), 0, 1)
    cells = sample_colorscale(scale, list(frac.ravel()))
    black, white = (0, 0, 0), (255, 255, 255)
    pick = ["#000000" if contrast(unlabel_rgb(c), black) >= contrast(unlabel_rgb(c), white) else "#ffffff"
            for c in cells]
    return np.array(pick, dtype=object).reshape(values.shape)


def number_size(h, w):
    """Font size of the numbers in an h x w grid: 16 px up to 10 cells a side (readable from the back
    of a room at 1024 x 768, issue 16), more in projector mode."""
    base = 16 if max(h, w) <= 10 else 13 if max(h, w) <= 16 else 11
    return round(base * display.scale())


def grid(values, title="", *, numbers=None, diverging=None, highlight=None, cell=None,
         mask=None, mask_label="", height=None, zrange=None, colorbar=False, hover=None, colorscale=None):
    """A heatmap of a 2-D array drawn as a grid of cells, row 0 at the top.

    Parameters
    ----------
    values : (H, W) array
    numbers : bool, write each value in its cell (default: when the grid is small)
    diverging : bool, centre the colour scale on 0 (default: when values have both signs)
    highlight : (rows, cols) index arrays of cells to outline (e.g. the kernel window)
    cell : (row, col) a single cell to outline in the output colour
    mask : (H, W) bool array of cells to hatch (e.g. padding, never-visited cells)
    colorscale : a Plotly colour scale name instead of the default (the numbers' colours follow it)
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
    scale = colorscale or (DIVERGING if diverging else SEQUENTIAL)
    traces = [go.Heatmap(
        z=v, zmin=zrange[0], zmax=zrange[1], colorscale=scale, showscale=colorbar,
        # in the page's language, and 9 as 9 (d3's "~" drops trailing zeros: .4g alone writes 9.000)
        hovertemplate=hover or current_text("fig.hover_cell"),
        xgap=1 if numbers else 0, ygap=1 if numbers else 0,
    )]
    if numbers:
        # the numbers as their own text layer: each in black or white for its cell's colour (Plotly's
        # automatic choice gave 3.4-4.3:1 on the middle of Viridis; a heatmap's text has one colour)
        rows, cols = np.nonzero(np.isfinite(v))
        colours = text_colors(v, scale, zrange)
        traces.append(go.Scatter(
            x=cols, y=rows, mode="text", text=[_fmt(v[r, c]) for r, c in zip(rows, cols)],
            textfont=dict(size=number_size(h, w), color=[colours[r, c] for r, c in zip(rows, cols)]),
            hoverinfo="skip", showlegend=False, name="numbers"))
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


# ----------------------------------------------------------------------------- showing a chart
_TAG = re.compile(r"<[^>]*>")


def describe(fig):
    """A short description of what ``fig`` shows, in the page's language, for screen readers (issue 16).

    Built from the figure itself: its (already translated) title and what it draws: a grid of values with
    its size and range, an image with its size, or a chart with the names of its series."""
    spec = getattr(fig, "spec", None)              # a figure written as plain JSON (ui.frames.Plain)
    if isinstance(spec, dict):
        title = " ".join(_TAG.sub(" ", str((spec.get("layout", {}).get("title") or {}).get("text") or "")).split())
        names = [str(tr["name"]) for tr in spec.get("data", ()) if tr.get("name") and tr.get("showlegend") is not False]
        return _describe_chart(title or current_text("fig.alt_untitled"), names)
    title = " ".join(_TAG.sub(" ", str(fig.layout.title.text or "")).split()) or current_text("fig.alt_untitled")
    data = fig.data
    if data and data[0].type == "heatmap" and data[0].z is not None:
        z = np.asarray(data[0].z, dtype=float)
        finite = z[np.isfinite(z)]
        if z.ndim == 2 and finite.size:
            return current_text("fig.alt_grid").format(title=title, rows=z.shape[0], cols=z.shape[1],
                                                       lo=_num(finite.min()), hi=_num(finite.max()))
    if data and data[0].type == "image" and data[0].z is not None:
        z = np.asarray(data[0].z)
        return current_text("fig.alt_image").format(title=title, rows=z.shape[0], cols=z.shape[1])
    names = [str(tr.name) for tr in data if getattr(tr, "name", None) and getattr(tr, "showlegend", None) is not False]
    return _describe_chart(title, names)


def _describe_chart(title, names):
    if names:
        sep = "、" if current_language() == "zh" else ", "
        return current_text("fig.alt_chart").format(title=title, series=sep.join(dict.fromkeys(names)))
    return current_text("fig.alt_chart_plain").format(title=title)


def _projector_fonts(fig):
    """Chart text 1.3 times bigger in projector mode (grid numbers are sized by :func:`number_size`)."""
    k = display.SCALE
    spec = getattr(fig, "spec", None)              # a figure written as plain JSON (ui.frames.Plain): a copy
    if isinstance(spec, dict):
        layout, title = dict(spec.get("layout", {})), dict(spec.get("layout", {}).get("title") or {})
        layout["font"] = {**layout.get("font", {}), "size": round(12 * k)}
        title["font"] = {**title.get("font", {}), "size": round((title.get("font", {}).get("size") or 16) * 1.12)}
        return type(fig)({**spec, "layout": {**layout, "title": title}})
    fig = go.Figure(fig)      # a copy: a figure may come from a cache
    # titles a little (a long title must still fit its column), axis and legend text fully
    fig.update_layout(font_size=round(12 * k), title_font_size=round((fig.layout.title.font.size or 16) * 1.12))
    return fig


def chart(box, fig, alt=None, **kwargs):
    """Show the Plotly figure ``fig`` in ``box`` (``st`` or a column) the kit's way, for every lesson.

    The plot style (:data:`ui.style.PLOT`; ``kwargs`` such as ``key`` are passed on), bigger text in
    projector mode (ui/display.py), and a description for screen readers: ``alt``, or one made from the
    figure (:func:`describe`)."""
    if display.projector():
        fig = _projector_fonts(fig)
    return box.plotly_chart(fig, alt=alt or describe(fig), **{**PLOT, **kwargs})


def picture(box, image, alt=None, **kwargs):
    """``box.image(image, **kwargs)`` with a description for screen readers on every picture: ``alt``, else
    each picture's caption, else a plain "image" (``"Image 3 of 8"`` for a row of pictures)."""
    if alt is None:
        caption = kwargs.get("caption")
        if isinstance(image, (list, tuple)):
            n = len(image)
            caps = caption if isinstance(caption, (list, tuple)) else [caption] * n
            alt = [str(c) if c else current_text("fig.alt_picture_n").format(i=i + 1, n=n)
                   for i, c in enumerate(caps)]
        else:
            alt = str(caption) if caption else current_text("fig.alt_picture")
    return box.image(image, alt=alt, **kwargs)
