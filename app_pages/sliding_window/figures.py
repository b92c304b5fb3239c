"""Figures of the sliding-window lesson: the page of digits, windows, class maps, labels and boxes."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui import figures
from ui.fmt import num

# ten distinguishable colours (Tableau 10) for the digits 0 .. 9
DIGIT_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                 "#9c755f", "#bab0ac"]
# a detection's label (its digit): readable on a projector, in black or white for its box colour (white on the
# light ones, such as yellow 5 or grey 9, was below 2:1)
LABEL_PX = 16


def _rect(fig, top, left, h, w, colour, width=2, dash=None):
    fig.add_shape(type="rect", x0=left - 0.5, x1=left + w - 0.5, y0=top - 0.5, y1=top + h - 0.5,
                  line=dict(color=colour, width=width, dash=dash))


def _height(img, base=90):
    return int(min(560, base + img.shape[0] * 3.2))


def page_with_window(t, img, window_box, title):
    """The page, with the chosen window (the part the network sees, padding included) outlined."""
    fig = figures.image(img, title, height=_height(img))
    top, left, side = window_box
    _rect(fig, top, left, side, side, figures.HIGHLIGHT, 3)
    _rect(fig, top + 2, left + 2, side - 4, side - 4, figures.HIGHLIGHT, 1, "dot")
    return fig


def class_map(t, probs, digit, title, stride):
    """``p(digit)`` at every window position, a heatmap with the positions' page coordinates."""
    r, c = probs.shape[1:]
    fig = go.Figure(go.Heatmap(z=probs[digit], x=np.arange(c) * stride, y=np.arange(r) * stride, zmin=0, zmax=1,
                               colorscale=figures.SEQUENTIAL, colorbar=dict(thickness=12, len=0.9),
                               customdata=[[num(p) for p in row] for row in probs[digit]],
                               hovertemplate=t("fcn.map_hover") + "<extra></extra>"))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=int(min(360, 130 + r * 16)),
                      margin=dict(l=10, r=10, t=40, b=10), xaxis_title=t("fcn.axis_col"), yaxis_title=t("fcn.axis_row"))
    fig.update_yaxes(autorange="reversed")
    return fig


def window_probs(t, p, title):
    fig = go.Figure(go.Bar(x=[str(d) for d in range(len(p))], y=p, marker_color=DIGIT_COLOURS[:len(p)],
                           text=[num(v) for v in p], textposition="auto"))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=260, margin=dict(l=10, r=10, t=50, b=10),
                      xaxis=dict(title=t("fcn.axis_digit"), type="category"),    # every digit named, not 0 and 5
                      yaxis=dict(range=[0, 1], title=t("fcn.axis_prob")))
    return fig


def segmentation(t, img, det, stride, threshold, title):
    """Every position coloured by its most likely digit (where its probability reaches the threshold)."""
    fig = figures.image(img, title, height=_height(img))
    r, c = det.labels.shape
    z = np.where(det.scores >= threshold, det.labels, np.nan).astype(float)
    text = [[t("fcn.seg_hover", d=int(det.labels[i, j]), p=num(det.scores[i, j])) for j in range(c)]
            for i in range(r)]
    scale = []          # one flat colour per digit (steps, not a gradient)
    for d in range(10):
        scale += [[d / 10, DIGIT_COLOURS[d]], [(d + 1) / 10, DIGIT_COLOURS[d]]]
    fig.add_trace(go.Heatmap(z=z, x=np.arange(c) * stride + 13.5, y=np.arange(r) * stride + 13.5, zmin=-0.5,
                             zmax=9.5,
                             colorscale=scale, opacity=0.6, text=text, hovertemplate="%{text}<extra></extra>",
                             showscale=False))
    # the key as a row of ten labelled squares under the page: a colour bar squeezed ten 9 px digits into
    # the height of this short chart
    for d in range(10):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=str(d), hoverinfo="skip",
                                 marker=dict(symbol="square", size=14, color=DIGIT_COLOURS[d], opacity=0.8)))
    fig.update_layout(showlegend=True, height=_height(img) + 40,
                      legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.02, yanchor="top",
                                  title=dict(text=t("fcn.axis_digit")), font=dict(size=14)))
    return fig


def detections(t, img, det, truth_boxes, truth_labels, title):
    fig = figures.image(img, title, height=_height(img))
    for (top, left, h, w) in truth_boxes:
        _rect(fig, top, left, h, w, "rgba(200,200,200,0.6)", 1, "dot")
    for (top, left, h, w), lab, score in zip(det.boxes, det.box_labels, det.box_scores):
        colour = DIGIT_COLOURS[int(lab)]
        _rect(fig, top, left, h, w, colour, 3)
        # the digit alone on the box (with its probability it was wider than a box on a phone and covered the
        # next label); the probability on hover
        fig.add_annotation(x=left - 0.5, y=top - 0.5, text=str(int(lab)), showarrow=False,
                           hovertext=t("fcn.seg_hover", d=int(lab), p=num(score)),
                           xanchor="left", yanchor="bottom", font=dict(color=figures.ink(colour), size=LABEL_PX),
                           bgcolor=colour)
    fig.update_layout(margin=dict(l=10, r=10, t=60, b=10))
    return fig
