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
from ui import canvas, errors, figures
from ui.fmt import math_num
from ui.image_source import IMAGE_TYPES, decode
from ui.models import class_labels

SOURCES = ("canvas", "upload", "camera")
#: readings kept per session (digit x model x true digit); a few, the student tries one digit at a time
KEEP = 8


def _source_bytes(t):
    """The chosen source's widgets; returns ``(source, bytes)``, the bytes None while there is no picture."""
    source = st.radio(t("train.try_source"), SOURCES, horizontal=True, key="train.try_source",
                      format_func=lambda s: t(f"train.try_{s}"))
    if source == "canvas":
        png = canvas.drawing(t, "train.try_canvas")       # 20 px lines on 280 px: MNIST's ~2 px at 28 px
        st.caption(t("train.try_canvas_help"))
        return source, png
    if source == "upload":
        up = st.file_uploader(t("train.try_upload"), type=IMAGE_TYPES, key="train.try_file",
                              help=t("train.try_upload_help"))
    else:
        up = st.camera_input(t("train.try_camera"), key="train.try_cam")
    return source, None if up is None else up.getvalue()


def _reading(model, data, label):
    """``(image, compute.read_digit(...))`` of the picture ``data``, kept in the session; a picture with no
    digit raises ``ValueError`` (a LessonError with its translated message)."""
    store = st.session_state.setdefault("train.readings", {})
    key = (hashlib.sha1(data).hexdigest(), id(model), label)
    if key not in store or store[key][0] is not model:     # an id can be reused by a newer model
        img = decode(data, True, 512)
        reading = compute.read_digit(model, img, label)
        if len(store) >= KEEP:
            store.pop(next(iter(store)))
        store[key] = (model, img, reading)
    return store[key][1:]


def try_it(t, models):
    """Classify a digit the student drew: canvas, upload or camera; MNIST-style preparation; softmax.

    ``models`` maps a (translated) choice to a ``(model, dataset)`` pair.
    """
    left, right = st.columns([1, 1], gap="large")
    with left:
        source, data = _source_bytes(t)
        choice = st.radio(t("train.try_model"), list(models), horizontal=True, key="train.try_model")
    model, dataset = models[choice]
    labels = class_labels(t, dataset)
    label = st.session_state.get("train.try_true")       # the pills are drawn below, with the loss
    with right:
        if data is None:
            st.info(t("train.try_waiting"), icon=":material/draw:")
            return
        try:
            img, r = _reading(model, data, label)
        except ValueError as exc:
            errors.show(exc, t)
            return
        st.metric(t("train.try_prediction"), labels[r.best],
                  t("train.try_confidence", p=f"{r.probs[r.best]:.0%}"), delta_color="off")
        a, b = st.columns(2)
        figures.picture(a, fig.colorize(r.digit, "gray", (0, 1), scale=6), caption=t("train.try_prepared"),
                        width="stretch")
        if source != "canvas":                            # the drawing is on the left already
            figures.picture(b, np.clip(img, 0, 1), caption=t("train.try_original"), width="stretch")
        if r.inverted:
            st.caption(t("train.try_inverted"))
        st.caption(t("train.try_explain"))
    figures.chart(st, fig.probabilities(r.probs, labels, t, height=260), theme="streamlit",
                    config={"displayModeBar": False})
    softmax_steps(t, r, labels)


def _table(t, r, labels):
    s = r.steps
    rows = {t("train.sm_col_class"): list(labels), t("train.sm_col_score"): s.scores,
            t("train.sm_col_shifted"): s.shifted, t("train.sm_col_exp"): s.exps, t("train.sm_col_prob"): s.probs}
    if r.label is not None:
        rows[t("train.sm_col_y")] = (np.arange(len(labels)) == r.label).astype(int)
        rows[t("train.sm_col_grad")] = r.grad
    frame = pd.DataFrame(rows)
    # scores to 4 decimals; the tiny probabilities of a confident network need significant digits
    fmt = {c: fmt_sig for c in list(rows)[1:]}
    fmt[t("train.sm_col_score")] = fmt[t("train.sm_col_shifted")] = "{:.4f}"
    if r.label is not None:
        fmt[t("train.sm_col_y")] = "{:d}"
    return frame.style.format(fmt).hide(axis="index")


def fmt_sig(v):
    """4 significant digits with a true minus sign, also for 1e-14 (``ui.fmt.math_num`` rounds it to 0)."""
    v = float(v)
    return "0" if v == 0 else f"{v:.4g}".replace("-", "−")


def softmax_steps(t, r, labels):
    """The ten scores, their softmax step by step and, with the true digit, the loss and p - y."""
    st.subheader(t("train.sm_title"))
    st.markdown(t("train.sm_intro"))
    st.pills(t("train.try_true"), list(range(len(labels))), selection_mode="single", key="train.try_true",
             format_func=lambda i: labels[i], help=t("train.try_true_help"))
    st.table(_table(t, r, labels))
    s = r.steps
    st.markdown(t("train.sm_sum", max=math_num(s.scores.max(), 6), total=math_num(s.total, 6),
                  best=labels[r.best], p=math_num(s.probs[r.best], 6)))
    if r.label is None:
        st.info(t("train.sm_need_label"), icon=":material/touch_app:")
        return
    # enough digits that -log p of a p near 1 still reads as the small loss it is
    st.markdown(t("train.sm_loss", label=labels[r.label], p=math_num(s.probs[r.label], 8), loss=math_num(r.loss, 4)))
    st.markdown(t("train.sm_grad", label=labels[r.label], g=math_num(r.grad[r.label], 4)))
