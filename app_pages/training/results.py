"""After training: test accuracy, confusion matrix, mistakes, filters, feature maps ("try it": try_digit.py).

Every section works on a finished model (the session's own, or the process's one read-only copy of
the pretrained LeNet-5, ``ui.models.pretrained_model``), never on one that a trainer thread is still
changing.
"""

from __future__ import annotations

import streamlit as st

from app_pages.training import compute, panel
from app_pages.training import figures as fig
from ui import figures
from ui.models import class_labels

MAX_MISTAKES = 24


def labels_for(t, dataset):
    return class_labels(t, dataset)


def evaluation(model, test):
    """Test-set evaluation of ``model`` (``compute.Evaluation``), kept in the session while the model is
    unchanged."""
    store = st.session_state.setdefault("train.evals", {})
    key = id(model)
    if key not in store:
        store.clear()
        store[key] = compute.evaluation(model, *test)
    return store[key]


def results(t, model, dataset, test):
    """Test accuracy, confusion matrix, misclassified examples, first-layer filters."""
    ev = evaluation(model, test)
    labels = labels_for(t, dataset)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("train.test_accuracy"), f"{ev.accuracy:.1%}")
    c2.metric(t("train.test_loss"), f"{ev.loss:.3f}")
    c3.metric(t("train.test_size"), f"{len(test[1]):,}")
    left, right = st.columns([3, 2])     # the matrix wide enough for 16 px counts in 10 x 10 cells
    with left:
        figures.chart(st, fig.confusion(ev.confusion, labels, t), theme="streamlit",
                        config={"displayModeBar": False})
        st.caption(t("train.confusion_explain"))
    with right:
        wrong = ev.wrong
        st.markdown(f"**{t('train.mistakes_title', shown=min(wrong.size, MAX_MISTAKES), total=wrong.size)}**")
        if wrong.size:
            wrong = wrong[:MAX_MISTAKES]
            figures.picture(st, [fig.colorize(test[0][i], "gray", (0, 255)) for i in wrong],
                     caption=[f"{labels[test[1][i]]} → {labels[ev.pred[i]]}" for i in wrong], width=72)
            st.caption(t("train.mistakes_explain"))
        else:
            st.success(t("train.no_mistakes"))
    w = model.first_filters()
    if w is not None:
        st.subheader(t("train.filters_title"))
        figures.picture(st, [fig.colorize(k[0], "RdBu_r", scale=16) for k in w[:32]],
                 caption=[str(i) for i in range(min(32, w.shape[0]))], width=96)
        st.caption(t("train.filters_explain"))


def feature_maps(t, model, dataset, test):
    """Every layer's output for one chosen test example."""
    n = len(test[1])
    # no min/max (Streamlit's own range message is English): a number out of range is explained here
    typed = st.number_input(t("train.example"), None, None, value=0, step=1, key="train.example",
                            help=t("train.example_help"))
    if compute.in_bounds(typed, 0, n - 1, True):
        i = st.session_state["train._good.example"] = int(typed)
    else:
        i = min(st.session_state.get("train._good.example", 0), n - 1)
        panel.out_of_range(t, t("train.example"), (0, n - 1, True), typed, i)
    layers = compute.example_layers(model, test[0][i])
    labels = labels_for(t, dataset)
    cols = st.columns([1, 3])
    with cols[0]:
        figures.picture(st, fig.colorize(test[0][i], "gray", (0, 255), scale=6),
                 caption=t("train.example_title", label=labels[test[1][i]]))
    with cols[1]:
        figures.chart(st, fig.probabilities(layers.probs, labels, t, height=240), theme="streamlit",
                        config={"displayModeBar": False})

    def name(index, kind, a):
        return t("train.layer_title", index=index + 1, kind=t(f"train.layer.{kind}"),
                 shape=" × ".join(str(s) for s in a.shape))

    for index, kind, a in layers.maps:
        cmap = "RdBu_r" if a.min() < 0 else "viridis"
        tiles = fig.mosaic(a[:32], min(8, a.shape[0]), gap=1)
        scale = max(1, min(12, 880 // tiles.shape[1]))
        figures.picture(st, fig.colorize(tiles, cmap, scale=scale), caption=name(index, kind, a))
    flat = [(name(index, kind, a), a) for index, kind, a in layers.vectors]
    cols = st.columns(2)
    for i, (title, a) in enumerate(flat):
        figures.chart(cols[i % 2], fig.vector(a, title, height=200), theme="streamlit",
                                 config={"displayModeBar": False})
    st.caption(t("train.maps_explain"))
