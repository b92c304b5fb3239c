"""DeepID's idea live on digits: the pretrained LeNet-5's last hidden layer as a digit representation.

Controls (digit, space, number of neighbours) -> ``compute.representation`` / ``compute.neighbours``
(cached, frozen) -> the nearest digits as thumbnails and the 2-D PCA map of the test set by class.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app_pages.architectures import compute
from ui import errors, figures
from ui.fmt import num, sig
from ui.models import pretrained_available, pretrained_model
from ui.style import PLOT

# Ten distinguishable class colours (Tableau 10), readable on light and dark backgrounds.
CLASS_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                 "#9c755f", "#bab0ac"]
THUMB = 3                 # thumbnails drawn at 3x: 84 x 84 pixels


def n_digits():
    return int(compute.test_digits()[1].shape[0])


def _thumb(img):
    return np.kron(np.asarray(img, dtype=np.uint8), np.ones((THUMB, THUMB), dtype=np.uint8))


def _controls(t, url, n):
    c1, c2, c3 = st.columns([2, 2, 2])
    c1.slider(t("arch.rep.digit"), 0, n - 1, key=url.key("digit"), help=t("arch.rep.digit_help", n=n))
    c2.radio(t("arch.rep.space"), compute.SPACES, key=url.key("space"),
             format_func=lambda s: t(f"arch.rep.space_{s}"))
    c3.slider(t("arch.rep.k"), 1, 16, key=url.key("k"))
    return url.get("digit"), url.get("space"), url.get("k")


def _ink():
    """Black on a light page, white on a dark one: the chosen digit and its rings stand out of any cloud."""
    try:
        dark = st.context.theme.type == "dark"
    except AttributeError:
        dark = False
    return "#f8fafc" if dark else "#111827"


def _pca_figure(t, rep, nb):
    ink = _ink()
    fig = go.Figure()
    xy = rep.scores
    for d in range(10):
        sel = np.flatnonzero(rep.labels == d)
        fig.add_trace(go.Scattergl(
            x=xy[sel, 0], y=xy[sel, 1], mode="markers", name=str(d),
            marker=dict(size=5, color=CLASS_COLOURS[d], opacity=0.75),
            customdata=sel, hovertemplate=t("arch.rep.hover", label=d, index="%{customdata}") + "<extra></extra>"))
    near = list(nb.indices)
    fig.add_trace(go.Scatter(x=xy[near, 0], y=xy[near, 1], mode="markers", name=t("arch.rep.legend_near"),
                             hoverinfo="skip",
                             marker=dict(size=13, color="rgba(0,0,0,0)", line=dict(width=2, color=ink))))
    fig.add_trace(go.Scatter(x=[xy[nb.index, 0]], y=[xy[nb.index, 1]], mode="markers",
                             name=t("arch.rep.legend_chosen"), hoverinfo="skip",
                             marker=dict(symbol="star", size=22, color=CLASS_COLOURS[nb.label],
                                         line=dict(width=2, color=ink))))
    e1, e2 = rep.explained
    fig.update_xaxes(title=t("arch.rep.pc", i=1, share=sig(100 * e1, 3)), zeroline=False)
    fig.update_yaxes(title=t("arch.rep.pc", i=2, share=sig(100 * e2, 3)), zeroline=False)
    fig.update_layout(title=dict(text=t(f"arch.rep.map_title_{rep.space}", n=len(rep.labels)), x=0.5,
                                 xanchor="center"),
                      height=480, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(title=t("arch.rep.legend_class"), orientation="h", y=-0.18))
    return fig


def show(t, url):
    st.subheader(t("arch.rep.title"))
    st.markdown(t("arch.rep.intro"))
    if not pretrained_available():
        st.info(t("arch.rep.no_model"), icon=":material/info:")
        return
    images, _ = compute.test_digits()
    n = images.shape[0]
    index, space, k = _controls(t, url, n)
    try:
        with st.spinner(t("arch.rep.computing")):
            rep = compute.representation(space, pretrained_model())
            other = compute.agreement("pixels" if space == "hidden" else "hidden", pretrained_model())
        nb = compute.neighbours(rep, index, k)
    except ValueError as exc:
        errors.show(exc, t)
        return
    st.markdown(t("arch.rep.nearest_title", label=nb.label, index=index, k=k,
                  space=t(f"arch.rep.space_{space}")))
    thumbs = [_thumb(images[index])] + [_thumb(images[i]) for i in nb.indices]
    caps = [t("arch.rep.chosen_caption", label=nb.label)] + [
        t("arch.rep.nb_caption", label=lab, dist=num(d)) for lab, d in zip(nb.labels, nb.distances)]
    figures.picture(st, thumbs, caption=caps, width=28 * THUMB)
    mine = compute.Agreement(space, rep.dim, rep.agreement)
    hidden, pixels = (mine, other) if space == "hidden" else (other, mine)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("arch.rep.same_metric", k=k), f"{nb.same} / {k}")
    m2.metric(t("arch.rep.agree_hidden", d=hidden.dim), f"{sig(100 * hidden.share, 3)} %",
              help=t("arch.rep.agree_help"))
    m3.metric(t("arch.rep.agree_pixels", d=pixels.dim), f"{sig(100 * pixels.share, 3)} %",
              help=t("arch.rep.agree_help"))
    figures.chart(st, _pca_figure(t, rep, nb), **PLOT, key="arch.fig_pca")
    st.caption(t("arch.rep.map_caption"))
