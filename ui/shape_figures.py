"""Figures of the shape-arithmetic lessons (output size, pooling, receptive field, architectures).

Built on ``ui.figures.grid``; pages pass arrays from ``cnnlab`` and translated text.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui import figures
from ui.style import PLOT  # noqa: F401 - kept importable from here for older callers

SHADE = "rgba(148,163,184,0.55)"   # slate: cells never read
RF_FILL = "rgba(245,158,11,0.28)"
KIND_COLOURS = {"conv": "#3b82f6", "pool": "#10b981", "fc": "#a855f7", "concat": "#f59e0b",
                "add": "#ef4444"}


PAD_SHADE = "rgba(128,128,128,0.30)"
PAD_MARK = "#64748b"                 # slate 500: the "×" of a padding cell, readable on light and dark


def shade_cells(fig, mask, label, colour=SHADE):
    """Cover the cells where ``mask`` is True with a translucent colour (one overlay trace) + legend
    (no legend entry without ``label``)."""
    if not np.any(mask):
        return fig
    gap = fig.data[0].xgap or 0
    fig.add_trace(go.Heatmap(z=np.where(mask, 1.0, np.nan), zmin=0, zmax=1, showscale=False,
                             colorscale=[[0, colour], [1, colour]], hoverinfo="skip", xgap=gap, ygap=gap))
    if label:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label, showlegend=True,
                                 marker=dict(symbol="square", size=12, color=colour)))
    return fig


def two_lines(title):
    """Break a figure title before its bracketed part, so it fits a half-width column (plotly does not wrap)."""
    for mark in (" (", "（"):
        if mark in title:
            head, tail = title.split(mark, 1)
            return f"{head}<br>{mark.strip()}{tail}"
    return title


def _title_room(fig):
    """A two-line title needs room above the column numbers (the grid's x axis is on top)."""
    if "<br>" in (fig.layout.title.text or ""):
        fig.update_layout(margin_t=(fig.layout.margin.t or 64) + 44, height=(fig.layout.height or 400) + 44)
    return fig


def cross_cells(fig, mask, label, colour=PAD_MARK):
    """Draw a "×" in every cell where ``mask`` is True (padding, inserted zeros), with a legend entry.

    The cross is what the lesson's text promises; the faint overlay under it stays as a background."""
    if not np.any(mask):
        return fig
    rows, cols = np.nonzero(mask)
    h, w = mask.shape
    px = (fig.layout.height or 400) - (fig.layout.margin.t or 64) - 30      # the grid in pixels, roughly
    size = int(np.clip(0.5 * px / max(h, w), 7, 22))
    fig.add_trace(go.Scatter(x=cols.tolist(), y=rows.tolist(), mode="markers", name=label, showlegend=True,
                             hoverinfo="skip",
                             marker=dict(symbol="x-thin", size=size, color=colour,
                                         line=dict(width=2, color=colour))))
    return fig


def visit_grid(t, counts, pad_mask, taps, title, zero_label=None):
    """The padded input: how often windows read each cell, padding and never-read cells shaded.

    Parameters
    ----------
    counts : (Hp, Wp) ints, visits per cell; pad_mask : (Hp, Wp) bool, padding (or inserted zeros)
    taps : (rows, cols) of the current window
    """
    never = (counts == 0) & ~pad_mask
    values = np.where(pad_mask | never, np.nan, counts).astype(float)
    if np.all(np.isnan(values)):
        values = np.zeros_like(values)
    fig = figures.grid(values, two_lines(title), zrange=(0, max(1.0, float(np.nanmax(values)))),
                       hover=t("size.hover_visit_cell"), colorscale="Blues")  # the amber outline stays visible
    # "read by 1 window" / "read by 3 windows": the count's words per cell (a hover template has no plural)
    fig.data[0].customdata = [[t.plural("size.visits", int(n)) for n in row] for row in counts]
    _title_room(fig)
    shade_cells(fig, pad_mask, None, PAD_SHADE)
    cross_cells(fig, pad_mask, zero_label or t("size.legend_padding"))
    shade_cells(fig, never, t("size.legend_never"))
    outline(fig, *taps)
    fig.update_layout(showlegend=True)
    return fig


def outline(fig, rows, cols):
    """Outline the window (and each tap, when dilation leaves gaps) in the highlight colour."""
    r0, r1, c0, c1 = min(rows), max(rows), min(cols), max(cols)
    new = [dict(type="rect", x0=c0 - 0.5, x1=c1 + 0.5, y0=r0 - 0.5, y1=r1 + 0.5,
                line=dict(color=figures.HIGHLIGHT, width=4), layer="above")]
    if len(rows) * len(cols) < (r1 - r0 + 1) * (c1 - c0 + 1):
        new += [dict(type="rect", x0=c - 0.45, x1=c + 0.45, y0=r - 0.45, y1=r + 0.45,
                     line=dict(color=figures.HIGHLIGHT, width=2), layer="above") for r in rows for c in cols]
    fig.layout.shapes = [sh.to_plotly_json() for sh in fig.layout.shapes] + new
    return fig


def selected_overlay(fig, rows, cols, label, colour=figures.OUTPUT):
    """Circle the input cells that max / min pooling selected."""
    fig.add_trace(go.Scatter(x=np.ravel(cols), y=np.ravel(rows), mode="markers", name=label,
                             hoverinfo="skip",
                             marker=dict(symbol="circle-open", size=22, color=colour, line=dict(width=3))))
    fig.update_layout(showlegend=True)
    return fig


def rf_picture(t, img, size, region, layer_units, chosen, title):
    """An input image of ``size x size`` pixels with one unit's receptive field drawn on it.

    region : ((u_r, v_r), (u_c, v_c)) raw, may reach outside [0, size - 1]
    layer_units : (centres_rows, centres_cols) of the layer's units (clickable points) or None
    """
    a = np.clip(np.asarray(img, dtype=float), 0, 1)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    h, w = a.shape[:2]
    fig = go.Figure(go.Image(z=(a * 255).astype(np.uint8), x0=-0.5 + size / w / 2,
                             dx=size / w, dy=size / h, y0=-0.5 + size / h / 2, hoverinfo="skip"))
    (ur, vr), (uc, vc) = region
    fig.add_shape(type="rect", x0=uc - 0.5, x1=vc + 0.5, y0=ur - 0.5, y1=vr + 0.5,
                  line=dict(color=figures.HIGHLIGHT, width=2, dash="dot"))
    cr = (max(ur, 0), min(vr, size - 1))
    cc = (max(uc, 0), min(vc, size - 1))
    # the field inside the image: a filled trace, not a shape (shapes sit above every trace and would veil
    # the unit dots); always trace 1 (empty when the field misses the image), so the dots are trace 2
    xs, ys = [], []
    if cr[0] <= cr[1] and cc[0] <= cc[1]:
        x0, x1, y0, y1 = cc[0] - 0.5, cc[1] + 0.5, cr[0] - 0.5, cr[1] + 0.5
        xs, ys = [x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=RF_FILL,
                             line=dict(color=figures.HIGHLIGHT, width=3), hoverinfo="skip", showlegend=False))
    fig.add_shape(type="rect", x0=-0.5, x1=size - 0.5, y0=-0.5, y1=size - 0.5,
                  line=dict(color="rgba(128,128,128,0.9)", width=1))
    if layer_units is not None:
        rr, cc_ = np.meshgrid(layer_units[0], layer_units[1], indexing="ij")
        fig.add_trace(go.Scatter(
            x=cc_.ravel().tolist(), y=rr.ravel().tolist(), mode="markers", name=t("rf.legend_units"),
            customdata=np.stack([np.indices(rr.shape)[0].ravel(), np.indices(rr.shape)[1].ravel()], 1).tolist(),
            hovertemplate=t("rf.hover_unit") + "<extra></extra>",
            # solid blue with a white ring: visible on dark and light photos, in both themes (issue 16)
            marker=dict(size=10, color="#2563eb", opacity=0.95, line=dict(width=2, color="#ffffff"))))
    fig.add_trace(go.Scatter(x=[(uc + vc) / 2], y=[(ur + vr) / 2], mode="markers", name=t("rf.legend_centre"),
                             hoverinfo="skip", marker=dict(symbol="x", size=12, color=figures.OUTPUT)))
    lo = min(-0.5, ur - 0.5, uc - 0.5) - 1
    hi = max(size - 0.5, vr + 0.5, vc + 0.5) + 1
    fig.update_xaxes(range=[lo, hi], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=[hi, lo], showgrid=False, zeroline=False, scaleanchor="x", constrain="domain")
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=520,
                      margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.05),
                      clickmode="event+select", hovermode="closest")
    return fig


def _layout_positions(rows):
    """Column and lane of every row: parallel branches share columns, one lane each."""
    branches = sorted({r.get("branch") or "" for r in rows} - {""})
    lane = {b: (i - (len(branches) - 1) / 2) * 1.7 for i, b in enumerate(branches)}
    pos, seen, col = [], {}, 0
    for row in rows:
        b = row.get("branch") or ""
        if b:
            seen[b] = seen.get(b, 0) + 1
            pos.append((col + seen[b], lane[b]))
        else:
            col = col + max(seen.values(), default=0) + 1
            seen = {}
            pos.append((col, 0.0))
    return pos


def network_diagram(t, rows, title):
    """A left-to-right strip of boxes, one per layer, joined by lines; parallel branches stacked.

    Box height grows with log(spatial size), width with log(channels).
    """
    fig = go.Figure()
    pos = _layout_positions(rows)
    prev_main, last = None, {}
    lines_x, lines_y, skip_x, skip_y = [], [], [], []
    for row, p in zip(rows, pos):
        b = row.get("branch") or ""
        if b:
            src = last.get(b, prev_main)
            if src is not None:
                lines_x += [src[0], p[0], None]
                lines_y += [src[1], p[1], None]
            last[b] = p
            continue
        sources = list(last.values()) or ([prev_main] if prev_main else [])
        for src in sources:
            lines_x += [src[0], p[0], None]
            lines_y += [src[1], p[1], None]
        if row["kind"] == "add" and "skip" not in last and prev_main is not None:
            skip_x += [prev_main[0], (prev_main[0] + p[0]) / 2, p[0], None]
            skip_y += [prev_main[1], prev_main[1] + 1.9, p[1], None]
        last, prev_main = {}, p
    fig.add_trace(go.Scatter(x=lines_x, y=lines_y, mode="lines", hoverinfo="skip", showlegend=False,
                             line=dict(color="rgba(128,128,128,0.7)", width=1.5)))
    if skip_x:
        fig.add_trace(go.Scatter(x=skip_x, y=skip_y, mode="lines", name=t("arch.skip"), hoverinfo="skip",
                                 line=dict(color=KIND_COLOURS["add"], width=2, dash="dot", shape="spline")))
    many = len(rows) > 12
    size = 12                       # readable projected; a long strip writes its names upright (-90°): they
    # hang straight down from their boxes, so none reaches past the first column or into its neighbour
    for row, (px, py) in zip(rows, pos):
        out = row["out"]
        spatial = out[1] if len(out) == 3 else 1
        hgt = 0.35 + 0.9 * np.log2(spatial + 1) / np.log2(229)
        wid = 0.08 + 0.26 * np.log2(out[0] + 1) / np.log2(4097)
        colour = KIND_COLOURS.get(row["kind"], "#64748b")
        # a see-through fill but a solid outline: the whole shape at 45 % made the boxes 1.9:1 on the page in
        # both themes (navy on the dark page); the full-colour outline stands out of light and dark pages
        fig.add_shape(type="rect", x0=px - wid, x1=px + wid, y0=py - hgt / 2, y1=py + hgt / 2,
                      line=dict(color=colour, width=2), fillcolor=_translucent(colour, 0.45))
        shape = "×".join(str(v) for v in out)
        fig.add_annotation(x=px, y=py - hgt / 2 - 0.08, text=row["name"], showarrow=False,
                           yanchor="top", xanchor="center",
                           textangle=-90 if many else 0, font=dict(size=size),
                           hovertext=t("arch.hover_layer", name=row["name"], shape=shape,
                                       params=f"{row['params']:,}"))
    for kind, colour in KIND_COLOURS.items():
        if any(r["kind"] == kind for r in rows):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=t(f"arch.kind_{kind}"),
                                     marker=dict(symbol="square", size=12, color=colour)))
    ys = [p[1] for p in pos]
    fig.update_xaxes(visible=False, range=[0.3, max(p[0] for p in pos) + 0.7])
    if many:   # the upright names below the boxes, in a bottom margin as tall as the longest; legend on top
        names = max(_text_px(r["name"], size) for r in rows)
        fig.update_yaxes(visible=False, range=[min(ys) - 0.75, max(ys) + (2.3 if skip_x else 0.6)])
        fig.update_layout(height=300 + int(names), margin=dict(l=10, r=10, t=70, b=int(names) + 12),
                          legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"))
    else:
        fig.update_yaxes(visible=False, range=[min(ys) - 2.2, max(ys) + (2.3 if skip_x else 1.0)])
        fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.02))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), showlegend=True)
    return fig


def _translucent(colour, alpha):
    """``"#rrggbb"`` as ``"rgba(r,g,b,alpha)"``."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _text_px(text, size):
    """Roughly how long ``text`` is in pixels at font ``size``: a Chinese character is square, Latin ~0.6."""
    return sum(size if ord(ch) >= 0x2E80 else 0.62 * size for ch in str(text))
