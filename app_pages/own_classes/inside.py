"""Look inside: validation accuracy, confusion matrix, mistakes, filters, feature maps, where it looks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.own_classes import figures as fig
from app_pages.own_classes import looks
from app_pages.own_classes.collect import plain
from app_pages.own_classes.train import Trained
from cnnlab.checks import LessonError
from cnnlab.nn.data import to_float
from cnnlab.nn.model import load_model
from cnnlab.nn.train import confusion_matrix, evaluate
from services.own_data import LIMITS
from ui import errors, figures

MAX_MISTAKES = 16


def usable(data):
    """The finished model, unless a training run is still changing it (then None, with a note)."""
    trained = st.session_state.get("own.model")
    job = st.session_state.get("own.job")
    if trained is not None and job is not None and job.active and job.model is trained.model:
        return None
    return trained


def evaluation(trained):
    """Validation evaluation of a finished model, kept while the model is unchanged."""
    store = st.session_state.setdefault("own.evals", {})
    key = (id(trained.model), trained.how, len(trained.val[1]))
    if key not in store:
        store.clear()
        x, y = trained.val
        ev = evaluate(trained.model, to_float(x), y)
        ev["confusion"] = confusion_matrix(y, ev["pred"], len(trained.classes))
        store[key] = ev
    return store[key]


def results(t, trained):
    x, y = trained.val
    if len(y) == 0:
        st.info(t("own.no_val"), icon=":material/info:")
        return
    ev = evaluation(trained)
    classes = list(trained.classes)
    st.metric(t("own.val_acc"), f"{ev['accuracy']:.0%}", help=t("own.val_acc_help", n=len(y)))
    c1, c2 = st.columns([1, 1])
    figures.chart(c1, fig.confusion(ev["confusion"], classes, t), key="own.confusion",
                    config={"displayModeBar": False})
    m = ev["confusion"]
    per = [{t("own.col_class"): n, t("own.col_correct"): int(m[i, i]), t("own.col_total"): int(m[i].sum()),
            t("own.col_acc"): f"{m[i, i] / m[i].sum():.0%}" if m[i].sum() else "–"} for i, n in enumerate(classes)]
    c2.dataframe(pd.DataFrame(per), hide_index=True, width="stretch")
    wrong = np.flatnonzero(ev["pred"] != y)[:MAX_MISTAKES]
    st.subheader(t("own.mistakes_title", n=int(np.sum(ev["pred"] != y))))
    if wrong.size:
        figures.picture(st, [fig.enlarge(fig.chw_to_image(x[i]), 2) for i in wrong], width=72, clamp=True,
                 caption=[t("own.mistake", true=classes[y[i]], pred=classes[ev["pred"][i]]) for i in wrong])
    else:
        st.caption(t("own.no_mistakes"))


def filters_and_maps(t, trained):
    model = trained.model
    w = model.first_filters()
    x, y = trained.val
    if w is not None:
        st.subheader(t("own.filters_title"))
        if w.shape[1] == 3:
            k = w - w.min(axis=(1, 2, 3), keepdims=True)
            k = k / np.maximum(k.max(axis=(1, 2, 3), keepdims=True), 1e-12)
            figures.picture(st, [fig.enlarge(np.transpose(f, (1, 2, 0)), 12) for f in k], width=40, clamp=True)
        else:
            figures.picture(st, fig.enlarge(fig.tiles(w[:, 0], cols=16), 12), clamp=True)
        st.caption(t("own.filters_note", n=w.shape[0], k=w.shape[2]))
    if len(y) == 0:
        return
    st.subheader(t("own.maps_title"))
    i = st.slider(t("own.which_val"), 1, len(y), 1, key="own.maps_i") - 1
    acts = model.activations(to_float(x[i:i + 1]))
    convs = [(idx, kind, a) for idx, kind, a in acts if kind in ("conv", "relu") and a.ndim == 4]
    names = [t("own.map_layer", index=idx + 1, kind=t(f"own.layer.{kind}"), c=a.shape[1], h=a.shape[2])
             for idx, kind, a in convs]
    j = st.selectbox(t("own.which_layer"), range(len(convs)), format_func=lambda j: names[j], key="own.maps_layer")
    a = convs[min(j, len(convs) - 1)][2][0]
    c1, c2 = st.columns([1, 4])
    figures.picture(c1, fig.enlarge(fig.chw_to_image(x[i]), 3), caption=trained.classes[y[i]], clamp=True)
    figures.picture(c2, fig.enlarge(fig.tiles(a, cols=8), max(1, 96 // a.shape[1])), clamp=True)


def where_it_looks(t, trained):
    x, y = trained.val
    if len(y) == 0:
        return
    st.subheader(t("own.looks_title"))
    st.markdown(t("own.looks_intro"))
    c1, c2 = st.columns(2)
    i = c1.slider(t("own.which_val"), 1, len(y), 1, key="own.look_i") - 1
    classes = list(trained.classes)
    xi = to_float(x[i:i + 1])[0]
    pred = int(trained.model.predict(xi[None])[0].argmax())
    target = c2.selectbox(t("own.look_class"), range(len(classes)), index=pred, key=f"own.look_target.{i}",
                          format_func=lambda k: classes[k])
    st.caption(t("own.look_truth", true=classes[y[i]], pred=classes[pred]))
    looks.show(t, trained.model, xi, target, classes, "own.look")
    st.markdown(t("own.looks_explain"))


def trained_from_upload(data, blob):
    """A :class:`Trained` from an uploaded model file, checked against the classes collected here.

    ``load_model`` refuses anything that is not a CNN Lab model (``allow_pickle=False``, shapes and
    sizes checked); this adds: the input must be the working size, one output per class.
    """
    model = load_model(blob)
    gray = model.input_shape[0] == 1
    want = (1 if gray else 3, LIMITS.working_size, LIMITS.working_size)
    if tuple(model.input_shape) != want or model.num_classes != len(data.classes):
        raise LessonError("own_model_mismatch", "this model does not fit the classes collected here.",
                          classes=len(data.classes), size=LIMITS.working_size)
    ds = data.dataset(gray)
    return Trained(model, tuple(data.names()), gray, data.version, ds[1], "loaded")


def _on_model_upload(t, data):
    up = st.session_state.get("own.model_up")
    if up is None:
        return
    try:
        st.session_state["own.model"] = trained_from_upload(data, up.getvalue())
    except LessonError as exc:
        exc.params = {k: plain(v) if isinstance(v, str) else v for k, v in getattr(exc, "params", {}).items()}
        st.session_state["own.model_error"] = errors.message(exc, t)


def model_files(t, data, trained):
    """Download this model; upload a model .npz to evaluate it or keep training it (Resume, tab 3)."""
    if trained is not None:
        trained.model.meta = {**trained.model.meta, "classes": list(trained.classes)}
        st.download_button(t("own.download_model"), trained.model.to_bytes(), file_name="cnnlab_own_model.npz",
                           mime="application/octet-stream", icon=":material/download:", key="own.dl_model",
                           on_click="ignore")
    st.file_uploader(t("own.upload_model"), type=["npz"], key="own.model_up", help=t("own.upload_model_help"),
                     on_change=_on_model_upload, args=(t, data))
    err = st.session_state.pop("own.model_error", None)
    if err:
        st.error(err, icon=":material/error:")


def section(t, data):
    trained = usable(data)
    if trained is None:
        if st.session_state.get("own.model") is not None:
            st.info(t("own.busy"), icon=":material/hourglass_top:")
        else:
            st.info(t("own.not_trained"), icon=":material/model_training:")
        model_files(t, data, None)
        return
    st.info(t(f"own.showing_{trained.how}"), icon=":material/info:")
    if trained.version != data.version:
        st.caption(t("own.data_changed"))
    results(t, trained)
    where_it_looks(t, trained)
    filters_and_maps(t, trained)
    model_files(t, data, trained)
