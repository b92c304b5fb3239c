"""The confusion-matrix figure (Plotly), one for every lesson that evaluates a classifier.

Rows are the true class, columns the prediction, the counts written in the cells; the counts
come from ``cnnlab.nn.train.confusion_matrix`` - this only draws them.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.figures import SEQUENTIAL


def confusion(matrix, labels, t, title_key="confusion.title", height=420):
    """The figure of ``matrix`` (K x K counts) with class names ``labels``; the title is ``t(title_key)``."""
    m = np.asarray(matrix)
    labels = list(labels)
    fig = go.Figure(go.Heatmap(z=m, x=labels, y=labels, colorscale=SEQUENTIAL, showscale=False,
                               text=m, texttemplate="%{text}", xgap=1, ygap=1,
                               hovertemplate=t("confusion.hover") + "<extra></extra>"))
    fig.update_layout(title=dict(text=t(title_key), x=0.5, xanchor="center"), height=height,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis_title=t("confusion.axis_pred"),
                      yaxis_title=t("confusion.axis_true"))
    fig.update_xaxes(type="category", side="bottom")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig
