"""The confusion-matrix figure (Plotly), one for every lesson that evaluates a classifier.

Rows are the true class, columns the prediction, the counts written in the cells; the counts
come from ``cnnlab.nn.train.confusion_matrix`` - this only draws them.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.figures import SEQUENTIAL, number_size, text_colors


def confusion(matrix, labels, t, title_key="confusion.title", height=420):
    """The figure of ``matrix`` (K x K counts) with class names ``labels``; the title is ``t(title_key)``."""
    m = np.asarray(matrix)
    labels = list(labels)
    zrange = (0.0, float(max(1, m.max())))
    # the counts as their own text layer, each black or white for its cell (as ui.figures.grid does:
    # Plotly's automatic text colour gave 3.4-4.3:1 on the middle of the scale) and 16 px up to 10
    # classes, readable on a projector (issue 16)
    colours = text_colors(m.astype(float), SEQUENTIAL, zrange)
    rows, cols = np.indices(m.shape).reshape(2, -1)
    fig = go.Figure([
        go.Heatmap(z=m, x=labels, y=labels, colorscale=SEQUENTIAL, zmin=zrange[0], zmax=zrange[1],
                   showscale=False, xgap=1, ygap=1, hovertemplate=t("confusion.hover") + "<extra></extra>"),
        go.Scatter(x=[labels[c] for c in cols], y=[labels[r] for r in rows], mode="text",
                   text=[str(int(m[r, c])) for r, c in zip(rows, cols)], hoverinfo="skip", showlegend=False,
                   textfont=dict(size=number_size(*m.shape), color=[colours[r, c] for r, c in zip(rows, cols)]),
                   name="counts")])
    fig.update_layout(title=dict(text=t(title_key), x=0.5, xanchor="center"), height=height,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis_title=t("confusion.axis_pred"),
                      yaxis_title=t("confusion.axis_true"))
    fig.update_xaxes(type="category", side="bottom")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig
