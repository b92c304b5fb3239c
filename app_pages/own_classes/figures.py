"""Figures of the "Your own classes" lesson (Plotly) and image layout for display.

Pages pass arrays and translated text; nothing here computes a number the lesson teaches.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import plotly.graph_objects as go

from ui.confusion import confusion as _confusion

confusion = partial(_confusion, title_key="own.confusion_title", height=360)

TRAIN_COLOR = "#3b82f6"
VAL_COLOR = "#f59e0b"


def _layout(fig, title, height, xlabel="", ylabel=""):
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis_title=xlabel, yaxis_title=ylabel, legend=dict(orientation="h", y=-0.3))
    return fig


def curves(snap, t, which="loss", height=280):
    """Per-batch training values and validation points of ``loss`` or ``accuracy``.

    Drawn on every progress poll while a run trains, so built cheaply: NumPy columns (Plotly validates a
    list point by point, an array at once) and the whole layout in the constructor call.
    """
    col = 1 if which == "loss" else 2
    data = []
    if snap["batches"]:
        b = np.asarray(snap["batches"], dtype=float)
        data.append(go.Scatter(x=b[:, 0], y=b[:, col], mode="lines", name=t("own.curve_train"),
                               line=dict(color=TRAIN_COLOR, width=1)))
    if snap["vals"]:
        v = np.asarray(snap["vals"], dtype=float)
        data.append(go.Scatter(x=v[:, 0], y=v[:, col], mode="lines+markers", name=t("own.curve_val"),
                               line=dict(color=VAL_COLOR, width=2)))
    yaxis = dict(title=t(f"own.axis_{which}"))
    if which == "accuracy":
        yaxis.update(range=[0, 1.02], tickformat=".0%")
    return go.Figure(data=data, layout=dict(
        title=dict(text=t(f"own.chart_{which}"), x=0.5, xanchor="center"), height=height,
        margin=dict(l=10, r=10, t=40, b=10), xaxis=dict(title=t("own.axis_step")), yaxis=yaxis,
        legend=dict(orientation="h", y=-0.3)))


def probabilities(probs, labels, t, height=280):
    """One bar per class, the most likely one highlighted."""
    p = np.asarray(probs, dtype=float)
    colors = [VAL_COLOR if i == int(p.argmax()) else TRAIN_COLOR for i in range(p.size)]
    fig = go.Figure(go.Bar(x=list(labels), y=p, marker_color=colors, text=[f"{v:.0%}" for v in p],
                           textposition="outside", hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    _layout(fig, t("own.prob_title"), height, t("own.axis_class"), t("own.axis_prob"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 1.15], tickformat=".0%")
    return fig


def chw_to_image(x):
    """Network input ``(C, H, W)`` (uint8 or float in [0, 1]) -> displayable ``(H, W[, 3])`` float."""
    a = np.asarray(x)
    a = a / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)
    return a[0] if a.shape[0] == 1 else np.transpose(a, (1, 2, 0))


def enlarge(img, factor):
    """Nearest-neighbour enlargement so that 32x32 pixels stay visible as squares."""
    a = np.asarray(img)
    a = np.repeat(np.repeat(a, factor, axis=0), factor, axis=1)
    return np.clip(a, 0, 1) if a.dtype != np.uint8 else a


def tiles(maps, cols=8, gap=1):
    """Side-by-side (rows of ``cols``) grey tiles of ``(K, h, w)`` maps, each scaled to [0, 1]."""
    m = np.asarray(maps, dtype=np.float64)
    k, h, w = m.shape
    lo = m.reshape(k, -1).min(axis=1)[:, None, None]
    hi = m.reshape(k, -1).max(axis=1)[:, None, None]
    m = np.where(hi > lo, (m - lo) / np.where(hi > lo, hi - lo, 1), 0)
    rows = -(-k // cols)
    out = np.ones((rows * (h + gap) - gap, min(k, cols) * (w + gap) - gap))
    for i in range(k):
        r, c = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = m[i]
    return out
