"""Pictures that keep a chart's heatmaps and contours on screen while the browser plays its frames (ui/frames.py).

Plotly's fast path for frames (``redraw=False``) draws only scatter traces and removes heatmaps and contours
from the screen (plotly.js issue 4491); :func:`keep_still` copies each of them, colours and numbers, into a
picture under the plot, painted as Plotly paints them.
"""

from __future__ import annotations

import base64

import numpy as np


def _rgba(colour):
    """``#rrggbb``, ``rgb(r, g, b)`` or ``rgba(r, g, b, a)`` -> (r, g, b, a) floats in 0..255 (alpha 0..1)."""
    c = str(colour).strip()
    if c.startswith("#"):
        c = c[1:]
        return tuple(float(int(c[i:i + 2], 16)) for i in (0, 2, 4)) + (1.0,)
    parts = [float(v) for v in c[c.index("(") + 1:c.index(")")].split(",")]
    return tuple(parts[:3]) + ((parts[3],) if len(parts) > 3 else (1.0,))


def _paint(z, scale, zmin, zmax, opacity=1.0):
    """The colours Plotly gives the cells of ``z``: (H, W, 4) uint8, NaN cells transparent."""
    z = np.asarray(z, dtype=float)
    stops = np.array([float(p) for p, _ in scale])
    cols = np.array([_rgba(c) for _, c in scale])
    span = (zmax - zmin) or 1.0
    f = np.clip((np.nan_to_num(z, nan=zmin) - zmin) / span, 0, 1)
    out = np.stack([np.interp(f, stops, cols[:, k]) for k in range(4)], axis=-1)
    out[..., 3] *= 255 * opacity
    out[~np.isfinite(z)] = 0
    return np.round(out).astype(np.uint8)


def _over(top, under):
    """``top`` drawn over ``under`` (both (H, W, 4) uint8), as the browser stacks translucent traces."""
    a = top[..., 3:4] / 255.0
    b = under[..., 3:4] / 255.0
    alpha = a + b * (1 - a)
    rgb = (top[..., :3] * a + under[..., :3] * b * (1 - a)) / np.maximum(alpha, 1e-9)
    return np.round(np.concatenate([rgb, alpha * 255], axis=-1)).astype(np.uint8)


NUMBER_CELL = 24       # pixels per cell of a picture with numbers: Plotly redraws the pictures on every frame,
                       # and 64 px cells played the convolution walk at 4.8 instead of 12 frames a second


def _png(rgba, cell=1, gap=0, texts=None):
    """:func:`_encode`, remembered: a player draws the same grids again on every step."""
    key = (rgba.tobytes(), rgba.shape, cell, gap, tuple(sorted((texts or {}).items())))
    if key not in _PNGS:
        if len(_PNGS) >= 128:
            _PNGS.clear()
        _PNGS[key] = _encode(rgba, cell, gap, texts)
    return _PNGS[key]


_PNGS = {}


def _encode(rgba, cell=1, gap=0, texts=None):
    """A data URI of the picture ``rgba``, each cell ``cell`` pixels with ``gap`` transparent pixels, and
    ``texts`` ((row, col) -> (text, colour)) written in the middle of their cells."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    big = np.repeat(np.repeat(rgba, cell, axis=0), cell, axis=1)
    if gap:
        big[cell - gap::cell, :, 3] = 0
        big[:, cell - gap::cell, 3] = 0
    img = Image.fromarray(big, "RGBA")
    if texts:
        draw = ImageDraw.Draw(img)
        font = ImageFont.load_default(size=int(cell * 0.5))
        for (r, c), (text, colour) in texts.items():
            draw.text(((c + 0.5) * cell, (r + 0.5) * cell), text, fill=colour, font=font, anchor="mm")
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def keep_still(fig):
    """Copy every heatmap and contour of ``fig`` (colours and a heatmap's numbers) into a picture under it,
    so that they stay on screen while the browser plays frames: Plotly removes every trace that cannot be
    animated (heatmap, contour) when a frame is drawn without a full redraw (plotly.js issue 4491). The
    traces themselves stay for the first view and their hover text. Returns ``fig``."""
    pictures = {}                # (axes, place, cell, gap) -> [RGBA picture, {(row, col): (text, colour)}]
    for trace in fig.data:
        if trace.type not in ("heatmap", "contour") or trace.z is None:
            continue
        z = np.asarray(trace.z, dtype=float)
        finite = z[np.isfinite(z)]
        if finite.size == 0 or not trace.colorscale:
            continue
        zmin = float(finite.min()) if trace.zmin is None else float(trace.zmin)
        zmax = float(finite.max()) if trace.zmax is None else float(trace.zmax)
        scale = [(1 - p, c) for p, c in trace.colorscale[::-1]] if trace.reversescale else trace.colorscale
        h, w = z.shape
        texts = {}
        if trace.type == "contour":      # filled bands, as Plotly draws about ``ncontours`` levels
            bands = max(2, int(trace.ncontours or 15))
            z = zmin + (np.floor((z - zmin) / ((zmax - zmin) or 1.0) * bands) + 0.5) * (zmax - zmin) / bands
            xs, ys = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
            x0, sx, y0, sy = xs[0], xs[-1] - xs[0], ys[-1], ys[-1] - ys[0]
            every = max(1, int(np.ceil(max(h, w) / 48)))     # a small picture: redrawn on every frame
            rgba, cell, gap = _paint(z[::-1][::every, ::every], scale, zmin, zmax, trace.opacity or 1.0), 1, 0
        else:                              # cells at 0..w-1, 0..h-1 (ui.figures.grid), row 0 on top
            x0, sx, y0, sy = -0.5, w, -0.5, h
            rgba = _paint(z, scale, zmin, zmax, trace.opacity or 1.0)
            if trace.text is not None and trace.texttemplate:
                for r, row in enumerate(trace.text):
                    for c, text in enumerate(row):
                        if text:
                            lum = 0.299 * rgba[r, c, 0] + 0.587 * rgba[r, c, 1] + 0.114 * rgba[r, c, 2]
                            texts[(r, c)] = (str(text), "#111827" if lum > 140 else "#ffffff")
            gap = 1 if (trace.xgap or 0) else 0
            cell = NUMBER_CELL if texts or (gap and h * w <= 400) else (16 if gap else 1)
            gap *= max(1, cell // 24)
        place = (trace.xaxis or "x", trace.yaxis or "y", float(x0), float(y0), float(sx), float(sy), cell, gap)
        if place in pictures and pictures[place][0].shape == rgba.shape:   # Plotly draws one picture per
            pictures[place][0] = _over(rgba, pictures[place][0])           # place: stack the layers first
            pictures[place][1].update(texts)
        else:
            pictures[place] = [rgba, texts]
    if pictures:
        fig.layout.images = list(fig.layout.images or ()) + [
            dict(source=_png(rgba, cell, gap, texts), xref=xr, yref=yr, x=x0, y=y0, sizex=sx, sizey=sy,
                 xanchor="left", yanchor="top", sizing="stretch", layer="below")
            for (xr, yr, x0, y0, sx, sy, cell, gap), (rgba, texts) in pictures.items()]
    return fig
