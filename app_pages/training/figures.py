"""Figures of the training lesson (Plotly): live curves, confusion matrix, image mosaics, probabilities.

Pages pass arrays and translated text; nothing here computes anything the
core should (tiling images side by side for display is layout, not a lesson).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import plotly.graph_objects as go

from ui.confusion import confusion as _confusion

confusion = partial(_confusion, title_key="train.confusion_title")

TRAIN_COLOR = "#3b82f6"
VAL_COLOR = "#f59e0b"


def _layout(fig, title, height, xlabel="", ylabel=""):
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis_title=xlabel, yaxis_title=ylabel,
                      legend=dict(orientation="h", y=-0.3))
    return fig


def smooth(values, window=10):
    """Trailing moving average (for a readable training curve)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    n = np.minimum(np.arange(1, v.size + 1), window)
    return (c[1:] - c[np.arange(1, v.size + 1) - n]) / n


def curves(snap, t, which="loss", height=300):
    """Training (per batch, smoothed) and validation curves of ``loss`` or ``accuracy``.

    Drawn on every progress poll while a run trains, so built cheaply: NumPy columns (Plotly validates
    a list point by point, an array at once) and the whole layout in the constructor call
    (``update_layout`` and ``update_yaxes`` cost more than the data): 3 ms instead of 12 per figure.
    """
    col = 1 if which == "loss" else 2
    data = []
    if snap["batches"]:
        b = np.asarray(snap["batches"], dtype=float)
        data += [go.Scatter(x=b[:, 0], y=b[:, col], mode="lines", name=t("train.curve_batch"),
                            line=dict(color=TRAIN_COLOR, width=1), opacity=0.3),
                 go.Scatter(x=b[:, 0], y=smooth(b[:, col]), mode="lines", name=t("train.curve_train"),
                            line=dict(color=TRAIN_COLOR, width=2))]
    if snap["vals"]:
        v = np.asarray(snap["vals"], dtype=float)
        data.append(go.Scatter(x=v[:, 0], y=v[:, col], mode="lines+markers", name=t("train.curve_val"),
                               line=dict(color=VAL_COLOR, width=2)))
    title = t("train.chart_loss") if which == "loss" else t("train.chart_accuracy")
    yaxis = dict(title=t("train.axis_loss") if which == "loss" else t("train.axis_accuracy"))
    if which == "accuracy":
        yaxis.update(range=[0, 1.02], tickformat=".0%")
    return go.Figure(data=data, layout=dict(
        title=dict(text=title, x=0.5, xanchor="center"), height=height, margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(title=t("train.axis_step")), yaxis=yaxis, legend=dict(orientation="h", y=-0.3)))


def mosaic(images, cols, gap=1):
    """Tile ``(N, H, W)`` images into one 2-D array, ``cols`` per row, NaN between tiles."""
    images = np.asarray(images, dtype=float)
    n, h, w = images.shape
    rows = max(1, -(-n // cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = images[i]
    return out


def colorize(tiles, cmap="viridis", zrange=None, scale=3):
    """A 2-D array (NaN = gap) as an RGB uint8 picture for ``st.image``, each cell ``scale`` pixels.

    ``cmap``: "gray" for images, "RdBu_r" (centred on 0) for signed weights, "viridis" for
    activations; gaps are mid-gray.
    Much lighter than a Plotly heatmap when a page shows dozens of maps.
    """
    a = np.asarray(tiles, dtype=float)
    gap = np.isnan(a)
    if zrange is None:
        lo, hi = (float(np.nanmin(a)), float(np.nanmax(a))) if (~gap).any() else (0.0, 1.0)
        if cmap == "RdBu_r":
            m = max(abs(lo), abs(hi)) or 1.0
            lo, hi = -m, m
        zrange = (lo, hi if hi > lo else lo + 1e-6)
    u = np.clip((np.where(gap, zrange[0], a) - zrange[0]) / (zrange[1] - zrange[0]), 0, 1)
    idx = (u * 255).astype(np.uint8)
    rgb = _lut(cmap)[idx]
    rgb[gap] = (128, 128, 128)
    return np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)


_LUTS = {}


def _lut(name):
    if name not in _LUTS:
        if name == "gray":
            g = np.arange(256, dtype=np.uint8)
            _LUTS[name] = np.stack([g, g, g], axis=1)
        else:
            from matplotlib import colormaps
            _LUTS[name] = (colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    return _LUTS[name]


def probabilities(probs, labels, t, height=300):
    """Bar chart of class probabilities, the most likely class highlighted."""
    p = np.asarray(probs, dtype=float)
    colors = [VAL_COLOR if i == int(p.argmax()) else TRAIN_COLOR for i in range(p.size)]
    fig = go.Figure(go.Bar(x=list(labels), y=p, marker_color=colors,
                           text=[f"{v:.0%}" for v in p], textposition="outside",
                           hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    _layout(fig, t("train.prob_title"), height, t("train.axis_class"), t("train.axis_prob"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 1.15], tickformat=".0%")
    return fig


def vector(values, title, height=220):
    """A flat layer's output as a bar per unit."""
    v = np.asarray(values, dtype=float).ravel()
    fig = go.Figure(go.Bar(x=np.arange(v.size), y=v, marker_color=TRAIN_COLOR,
                           hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    return _layout(fig, title, height)
