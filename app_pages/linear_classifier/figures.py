"""Figures of the linear-classifier lesson: points, class regions, boundary lines, the clickable grid."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnlab.calculus import linear
from ui.fmt import num

COLOURS = ["#3b82f6", "#ef4444", "#10b981"]
FILLS = ["rgba(59,130,246,0.18)", "rgba(239,68,68,0.18)", "rgba(16,185,129,0.18)"]
SYMBOLS = ["circle", "x", "diamond"]
LINE_STYLES = {"ce": dict(color="#16a34a", width=3), "ls": dict(color="#a855f7", width=3, dash="dash")}


def view_extent(x):
    """A square view, symmetric about 0, that holds every point (at least +-4)."""
    m = max(4.0, float(np.ceil(np.abs(x).max() + 1.0)) if x.size else 4.0)
    m = min(m, linear.COORD_LIMIT)
    return (-m, m, -m, m)


def click_grid(extent, n=33):
    xs = np.linspace(extent[0], extent[1], n)
    gx, gy = np.meshgrid(xs, xs)
    return gx.ravel(), gy.ravel()


def _segment(a1, a2, c, extent):
    """The part of the line ``a1 x + a2 y + c = 0`` inside the view, or None."""
    x0, x1, y0, y1 = extent
    pts = []
    if abs(a2) > 1e-12:
        for x in (x0, x1):
            y = -(a1 * x + c) / a2
            if y0 <= y <= y1:
                pts.append((x, y))
    if abs(a1) > 1e-12:
        for y in (y0, y1):
            x = -(a2 * y + c) / a1
            if x0 <= x <= x1:
                pts.append((x, y))
    if len(pts) < 2:
        return None
    return pts[0], pts[-1]


def _coords(xs, ys):
    """Each point's coordinates as the page writes numbers (``1`` not ``1.00``), for the hover text."""
    return [[num(a), num(b)] for a, b in zip(np.ravel(xs), np.ravel(ys))]


def scene(t, x, y, k, title, extent, regions=None, lines=None, highlight=None, clickable=False, height=460,
          legend=True):
    """Points by class over the predicted regions of ``regions = (w, b)``; ``lines`` maps a style to ``(w, b)``."""
    fig = go.Figure()
    if regions is not None:
        gx, gy, cls = linear.region_grid(*regions, extent, n=100)
        scale = [[i / max(k - 1, 1), FILLS[i]] for i in range(k)] if k > 1 else [[0, FILLS[0]], [1, FILLS[0]]]
        fig.add_trace(go.Heatmap(x=gx, y=gy, z=cls, zmin=0, zmax=k - 1, colorscale=scale, showscale=False,
                                 hoverinfo="skip"))
    for c in range(k):
        pts = x[y == c]
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=t("lin.class_n", n=c + 1),
                                 marker=dict(color=COLOURS[c], symbol=SYMBOLS[c], size=9,
                                             line=dict(width=1, color="white")),
                                 customdata=_coords(pts[:, 0], pts[:, 1]),
                                 hovertemplate=t("lin.point_hover") + "<extra></extra>"))
    for style, (w, b) in (lines or {}).items():
        shown = False
        for (a1, a2, c) in linear.boundary_lines(w, b).values():
            seg = _segment(a1, a2, c, extent)
            if seg is None:
                continue
            fig.add_trace(go.Scatter(x=[seg[0][0], seg[1][0]], y=[seg[0][1], seg[1][1]], mode="lines",
                                     line=LINE_STYLES[style], name=t(f"lin.line_{style}"), showlegend=not shown,
                                     hoverinfo="skip"))
            shown = True
    if highlight is not None:
        fig.add_trace(go.Scatter(x=[highlight[0]], y=[highlight[1]], mode="markers", name=t("lin.chosen"),
                                 marker=dict(size=20, color="rgba(0,0,0,0)", line=dict(width=3, color="#f59e0b")),
                                 hoverinfo="skip"))
    if clickable:      # last trace: a faint grid the student clicks to add a point
        gx, gy = click_grid(extent)
        fig.add_trace(go.Scatter(x=gx, y=gy, mode="markers", showlegend=False, name="grid",
                                 marker=dict(size=10, color="rgba(120,120,120,0.12)"), customdata=_coords(gx, gy),
                                 hovertemplate=t("lin.grid_hover") + "<extra></extra>"))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center", y=0.98, yanchor="top"), height=height,
                      margin=dict(l=10, r=10, t=80, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0.5, xanchor="center"),
                      xaxis=dict(range=extent[:2], title="x₁", zeroline=False),
                      yaxis=dict(range=extent[2:], title="x₂", zeroline=False, scaleanchor="x", scaleratio=1),
                      clickmode="event+select", dragmode=False, showlegend=legend)
    if not legend:
        fig.update_layout(margin=dict(l=10, r=10, t=50, b=10))
    return fig


def loss_curve(t, losses, step):
    fig = go.Figure(go.Scatter(x=np.arange(len(losses)), y=losses, mode="lines", name=t("lin.loss")))
    fig.add_vline(x=step, line=dict(color="#f59e0b", dash="dot"))
    fig.update_layout(title=dict(text=t("lin.loss_title"), x=0.5, xanchor="center"), height=260,
                      margin=dict(l=10, r=10, t=50, b=10), xaxis_title=t("lin.axis_step"),
                      yaxis_title=t("lin.loss"))
    return fig


def prob_bars(t, steps):
    k = len(steps.probs)
    fig = go.Figure(go.Bar(x=[t("lin.class_n", n=c + 1) for c in range(k)], y=steps.probs,
                           marker_color=COLOURS[:k], text=[f"{p:.4f}" for p in steps.probs], textposition="auto"))
    fig.update_layout(title=dict(text=t("lin.probs_title"), x=0.5, xanchor="center"), height=260,
                      margin=dict(l=10, r=10, t=50, b=10), yaxis=dict(range=[0, 1], title=t("lin.prob")))
    return fig
