"""The "try it" tab: a digit the student draws, uploads or photographs; its scores, softmax and loss.

The arithmetic is ``compute.read_digit`` (``cnnlab``); this module draws the widgets and the result.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.training import compute
from app_pages.training import figures as fig
from ui import canvas, errors
from ui.image_source import IMAGE_TYPES, decode
from ui.models import class_labels

SOURCES = ("canvas", "upload", "camera")
#: readings kept per session (digit x model x true digit); a few, the student tries one digit at a time
KEEP = 8


def _source_bytes(t):
    """The chosen source's widgets; returns the picture's bytes or None while there is none."""
    source = st.radio(t("train.try_source"), SOURCES, horizontal=True, key="train.try_source",
                      format_func=lambda s: t(f"train.try_{s}"))
    if source == "canvas":
        png = canvas.drawing(t, "train.try_canvas")       # 20 px lines on 280 px: MNIST's ~2 px at 28 px
        st.caption(t("train.try_canvas_help"))
        return png
    if source == "upload":
        up = st.file_uploader(t("train.try_upload"), type=IMAGE_TYPES, key="train.try_file",
                              help=t("train.try_upload_help"))
    else:
        up = st.camera_input(t("train.try_camera"), key="train.try_cam")
    return None if up is None else up.getvalue()


def _reading(model, data, label):
    """``compute.read_digit`` of the picture ``data``, kept in the session (never raises but LessonError)."""
    store = st.session_state.setdefault("train.readings", {})
    key = (hashlib.sha1(data).hexdigest(), id(model), label)
    if key not in store:
        img = decode(data, True, 512)
        reading = compute.read_digit(model, img, label)
        if len(store) >= KEEP:
            store.pop(next(iter(store)))
        store[key] = (img, reading)
    return store[key]


def try_it(t, models):
    """Classify a digit the student drew: canvas, upload or camera; MNIST-style preparation; softmax.

    ``models`` maps a (translated) choice to a ``(model, dataset)`` pair.
    """
    data = _source_bytes(t)
    choice = st.radio(t("train.try_model"), list(models), horizontal=True, key="train.try_model")
    model, dataset = models[choice]
    if data is None:
        st.info(t("train.try_waiting"), icon=":material/draw:")
        return
    labels = class_labels(t, dataset)
    label = st.pills(t("train.try_true"), list(range(len(labels))), selection_mode="single",
                     key="train.try_true", format_func=lambda i: labels[i], help=t("train.try_true_help"))
    try:
        img, r = _reading(model, data, label)
    except ValueError as exc:
        errors.show(exc, t)
        return
    c1, c2, c3 = st.columns([1, 1, 2])
    with c1:
        st.image(np.clip(img, 0, 1), caption=t("train.try_original"), width="stretch")
    with c2:
        st.image(fig.colorize(r.digit, "gray", (0, 1), scale=6), caption=t("train.try_prepared"))
        if r.inverted:
            st.caption(t("train.try_inverted"))
    with c3:
        st.metric(t("train.try_prediction"), labels[r.best],
                  t("train.try_confidence", p=f"{r.probs[r.best]:.0%}"), delta_color="off")
        st.plotly_chart(fig.probabilities(r.probs, labels, t, height=260), theme="streamlit",
                        config={"displayModeBar": False})
    st.caption(t("train.try_explain"))
    softmax_steps(t, r, labels)


def _table(t, r, labels):
    s = r.steps
    rows = {t("train.sm_col_class"): list(labels), t("train.sm_col_score"): s.scores,
            t("train.sm_col_shifted"): s.shifted, t("train.sm_col_exp"): s.exps, t("train.sm_col_prob"): s.probs}
    if r.label is not None:
        rows[t("train.sm_col_y")] = (np.arange(len(labels)) == r.label).astype(int)
        rows[t("train.sm_col_grad")] = r.grad
    frame = pd.DataFrame(rows)
    fmt = {c: "{:.4f}" for c in list(rows)[1:]}
    fmt[t("train.sm_col_exp")] = "{:.4g}"
    if r.label is not None:
        fmt[t("train.sm_col_y")] = "{:d}"
    return frame.style.format(fmt).hide(axis="index")


def softmax_steps(t, r, labels):
    """The ten scores, their softmax step by step and, with the true digit, the loss and p - y."""
    st.subheader(t("train.sm_title"))
    st.markdown(t("train.sm_intro"))
    st.table(_table(t, r, labels))
    s = r.steps
    st.markdown(t("train.sm_sum", max=f"{s.scores.max():.4f}", total=f"{s.total:.4f}",
                  best=labels[r.best], p=f"{s.probs[r.best]:.4f}"))
    if r.label is None:
        st.info(t("train.sm_need_label"), icon=":material/touch_app:")
        return
    st.markdown(t("train.sm_loss", label=labels[r.label], p=f"{s.probs[r.label]:.4f}", loss=f"{r.loss:.4f}"))
    st.markdown(t("train.sm_grad", label=labels[r.label], g=f"{r.grad[r.label]:.4f}"))
