"""Figures of the shape-arithmetic lessons (output size, pooling, receptive field, architectures).

Built on ``ui.figures.grid``; pages pass arrays from ``cnnlab`` and translated text.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui import figures

PLOT = {"theme": "streamlit", "width": "stretch", "config": {"displayModeBar": False}}
SHADE = "rgba(148,163,184,0.55)"   # slate: cells never read
RF_FILL = "rgba(245,158,11,0.28)"
KIND_COLOURS = {"conv": "#3b82f6", "pool": "#10b981", "fc": "#a855f7", "concat": "#f59e0b",
                "add": "#ef4444"}


def shade_cells(fig, mask, label, size=None):
    """Overlay translucent squares on the cells where ``mask`` is True (e.g. never read)."""
    rr, cc = np.nonzero(mask)
    if len(rr) == 0:
        return fig
    h, w = mask.shape
    fig.add_trace(go.Scatter(
        x=cc, y=rr, mode="markers", name=label, hoverinfo="skip", showlegend=True,
        marker=dict(symbol="square", size=size or max(8, 300 // max(h, w)), color=SHADE,
                    line=dict(width=0))))
    return fig


def visit_grid(t, counts, pad_mask, taps, title, zero_label=None):
    """The padded input: how often windows read each cell, padding hatched, unread cells shaded.

    Parameters
    ----------
    counts : (Hp, Wp) ints, visits per cell; pad_mask : (Hp, Wp) bool, padding (or inserted zeros)
    taps : (rows, cols) of the current window
    """
    values = np.where(pad_mask, np.nan, counts).astype(float)
    if np.all(np.isnan(values)):
        values = np.zeros_like(values)
    fig = figures.grid(values, title, mask=pad_mask, mask_label=zero_label or t("size.legend_padding"),
                       highlight=taps, zrange=(0, max(1.0, float(np.nanmax(values)))),
                       hover=t("size.hover_visits"))
    shade_cells(fig, (counts == 0) & ~pad_mask, t("size.legend_never"))
    return fig


def step_output(t, out_hw, step, title):
    """The output grid filled in window order up to ``step``; the current cell outlined."""
    oh, ow = out_hw
    order = np.arange(oh * ow).reshape(oh, ow)
    values = np.where(order <= step, order + 1, np.nan)
    return figures.grid(values, title, cell=divmod(step, ow), zrange=(0, oh * ow),
                        hover=t("size.hover_order"))


def selected_overlay(fig, rows, cols, label, colour=figures.OUTPUT):
    """Circle the input cells that max / min pooling selected."""
    fig.add_trace(go.Scatter(x=np.ravel(cols), y=np.ravel(rows), mode="markers", name=label,
                             hoverinfo="skip",
                             marker=dict(symbol="circle-open", size=22, color=colour, line=dict(width=3))))
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
    if cr[0] <= cr[1] and cc[0] <= cc[1]:
        fig.add_shape(type="rect", x0=cc[0] - 0.5, x1=cc[1] + 0.5, y0=cr[0] - 0.5, y1=cr[1] + 0.5,
                      line=dict(color=figures.HIGHLIGHT, width=3), fillcolor=RF_FILL)
    fig.add_shape(type="rect", x0=-0.5, x1=size - 0.5, y0=-0.5, y1=size - 0.5,
                  line=dict(color="rgba(128,128,128,0.9)", width=1))
    if layer_units is not None:
        rr, cc_ = np.meshgrid(layer_units[0], layer_units[1], indexing="ij")
        fig.add_trace(go.Scatter(
            x=cc_.ravel(), y=rr.ravel(), mode="markers", name=t("rf.legend_units"),
            customdata=np.stack([np.indices(rr.shape)[0].ravel(), np.indices(rr.shape)[1].ravel()], 1),
            hovertemplate=t("rf.hover_unit") + "<extra></extra>",
            marker=dict(size=7, color="rgba(59,130,246,0.35)", line=dict(width=1, color="#3b82f6"))))
    fig.add_trace(go.Scatter(x=[(uc + vc) / 2], y=[(ur + vr) / 2], mode="markers", name=t("rf.legend_centre"),
                             hoverinfo="skip", marker=dict(symbol="x", size=12, color=figures.OUTPUT)))
    lo = min(-0.5, ur - 0.5, uc - 0.5) - 1
    hi = max(size - 0.5, vr + 0.5, vc + 0.5) + 1
    fig.update_xaxes(range=[lo, hi], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=[hi, lo], showgrid=False, zeroline=False, scaleanchor="x", constrain="domain")
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=520,
                      margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.05),
                      clickmode="event+select", dragmode=False)
    return fig


def network_diagram(t, rows, title):
    """A left-to-right strip of boxes, one per layer; height ~ log(spatial size), width ~ log(channels).

    Rows of parallel branches (``branch`` set) are stacked at the same step.
    """
    fig = go.Figure()
    branches = sorted({r.get("branch") or "" for r in rows} - {""})
    lane = {b: i - (len(branches) - 1) / 2 for i, b in enumerate(branches)}
    pos = []
    seen = {}
    col = 0
    for row in rows:
        b = row.get("branch") or ""
        if b:
            seen[b] = seen.get(b, 0) + 1
            pos.append((col + seen[b], lane[b] * 2.6))
        else:
            col = max([col] + [col + v for v in seen.values()]) + 1
            seen = {}
            pos.append((col, 0.0))
    for row, (px, py) in zip(rows, pos):
        out = row["out"]
        spatial = out[1] if len(out) == 3 else 1
        chans = out[0]
        hgt = 0.4 + 0.35 * np.log2(spatial + 1)
        wid = 0.15 + 0.06 * np.log2(chans + 1)
        colour = KIND_COLOURS.get(row["kind"], "#64748b")
        fig.add_shape(type="rect", x0=px - wid, x1=px + wid, y0=py - hgt / 2, y1=py + hgt / 2,
                      line=dict(color=colour, width=2), fillcolor=colour, opacity=0.35)
        shape = "×".join(str(v) for v in out)
        fig.add_trace(go.Scatter(
            x=[px], y=[py - hgt / 2 - 0.35], mode="text", text=[row["name"]], textposition="bottom center",
            textfont=dict(size=10), showlegend=False,
            hovertext=[t("arch.hover_layer", name=row["name"], shape=shape, params=f"{row['params']:,}")],
            hoverinfo="text"))
    for kind, colour in KIND_COLOURS.items():
        if any(r["kind"] == kind for r in rows):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=t(f"arch.kind_{kind}"),
                                     marker=dict(symbol="square", size=12, color=colour)))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=360,
                      margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.05))
    return fig
