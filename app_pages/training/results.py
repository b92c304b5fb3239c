"""After training: test accuracy, confusion matrix, mistakes, filters, feature maps; and "Try it".

Every section works on a finished model (the session's own, or the process's one read-only copy of
the pretrained LeNet-5, ``ui.models.pretrained_model``), never on one that a trainer thread is still
changing.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.training import figures as fig
from cnnlab.nn.data import to_float
from cnnlab.nn.digits import preprocess_steps
from cnnlab.nn.train import confusion_matrix, evaluate
from ui import errors, figures
from ui.image_source import IMAGE_TYPES, decode
from ui.models import class_labels

MAX_MISTAKES = 24


def labels_for(t, dataset):
    return class_labels(t, dataset)


def evaluation(model, test):
    """Test-set evaluation of ``model``, kept in the session while the model is unchanged."""
    store = st.session_state.setdefault("train.evals", {})
    key = id(model)
    if key not in store:
        store.clear()
        ev = evaluate(model, *test)
        ev["confusion"] = confusion_matrix(test[1], ev["pred"])
        store[key] = ev
    return store[key]


def results(t, model, dataset, test):
    """Test accuracy, confusion matrix, misclassified examples, first-layer filters."""
    ev = evaluation(model, test)
    labels = labels_for(t, dataset)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("train.test_accuracy"), f"{ev['accuracy']:.1%}")
    c2.metric(t("train.test_loss"), f"{ev['loss']:.3f}")
    c3.metric(t("train.test_size"), f"{len(test[1]):,}")
    left, right = st.columns([1, 1])
    with left:
        figures.chart(st, fig.confusion(ev["confusion"], labels, t), theme="streamlit",
                        config={"displayModeBar": False})
        st.caption(t("train.confusion_explain"))
    with right:
        wrong = np.flatnonzero(ev["pred"] != test[1])
        st.markdown(f"**{t('train.mistakes_title', shown=min(wrong.size, MAX_MISTAKES), total=wrong.size)}**")
        if wrong.size:
            wrong = wrong[:MAX_MISTAKES]
            figures.picture(st, [fig.colorize(test[0][i], "gray", (0, 255)) for i in wrong],
                     caption=[f"{labels[test[1][i]]} → {labels[ev['pred'][i]]}" for i in wrong], width=72)
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
    i = st.number_input(t("train.example"), min_value=0, max_value=n - 1, value=0, step=1,
                        key="train.example", help=t("train.example_help"))
    x = to_float(test[0][i:i + 1])
    acts = model.activations(x)
    labels = labels_for(t, dataset)
    cols = st.columns([1, 3])
    with cols[0]:
        figures.picture(st, fig.colorize(test[0][i], "gray", (0, 255), scale=6),
                 caption=t("train.example_title", label=labels[test[1][i]]))
    with cols[1]:
        figures.chart(st, fig.probabilities(acts[-1][2][0], labels, t, height=240), theme="streamlit",
                        config={"displayModeBar": False})
    flat = []
    for index, kind, out in acts[:-1]:
        name = t("train.layer_title", index=index + 1, kind=t(f"train.layer.{kind}"),
                 shape=" × ".join(str(s) for s in out.shape[1:]))
        a = out[0]
        if a.ndim == 3 and a.shape[1] > 1:
            cmap = "RdBu_r" if a.min() < 0 else "viridis"
            tiles = fig.mosaic(a[:32], min(8, a.shape[0]), gap=1)
            scale = max(1, min(12, 880 // tiles.shape[1]))
            figures.picture(st, fig.colorize(tiles, cmap, scale=scale), caption=name)
        else:
            flat.append((name, a))
    cols = st.columns(2)
    for i, (name, a) in enumerate(flat):
        figures.chart(cols[i % 2], fig.vector(a, name, height=200), theme="streamlit",
                                 config={"displayModeBar": False})
    st.caption(t("train.maps_explain"))


def try_it(t, models):
    """Classify a digit the student drew: upload or camera, MNIST-style preparation, probabilities.

    ``models`` maps a (translated) choice to a ``(model, dataset)`` pair.
    """
    source = st.radio(t("train.try_source"), ["upload", "camera"], horizontal=True,
                      key="train.try_source", format_func=lambda s: t(f"train.try_{s}"))
    if source == "upload":
        up = st.file_uploader(t("train.try_upload"), type=IMAGE_TYPES, key="train.try_file",
                              help=t("train.try_upload_help"))
    else:
        up = st.camera_input(t("train.try_camera"), key="train.try_cam")
    choice = st.radio(t("train.try_model"), list(models), horizontal=True, key="train.try_model")
    model, dataset = models[choice]
    if up is None:
        st.info(t("train.try_waiting"), icon=":material/draw:")
        return
    try:
        img = decode(up.getvalue(), True, 512)
        steps = preprocess_steps(img)
    except ValueError as exc:
        errors.show(exc, t)
        return
    probs = model.predict(steps["digit"][None, None])[0]
    labels = labels_for(t, dataset)
    c1, c2, c3 = st.columns([1, 1, 2])
    with c1:
        figures.picture(st, np.clip(img, 0, 1), caption=t("train.try_original"), width="stretch")
    with c2:
        figures.picture(st, fig.colorize(steps["digit"], "gray", (0, 1), scale=6), caption=t("train.try_prepared"))
        if steps["inverted"]:
            st.caption(t("train.try_inverted"))
    with c3:
        best = int(probs.argmax())
        st.metric(t("train.try_prediction"), labels[best], t("train.try_confidence", p=f"{probs[best]:.0%}"),
                  delta_color="off")
        figures.chart(st, fig.probabilities(probs, labels, t, height=260), theme="streamlit",
                        config={"displayModeBar": False})
    st.caption(t("train.try_explain"))
