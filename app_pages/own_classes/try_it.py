"""Try it live: a new photo, drawing or upload; class probabilities and where the network looks."""

from __future__ import annotations

import streamlit as st

from app_pages.own_classes import figures as fig
from app_pages.own_classes import looks
from app_pages.own_classes.collect import plain
from cnnlab.checks import LessonError
from cnnlab.vision.augment import to_working
from cnnlab.vision.images import read_image
from services.own_data import LIMITS
from ui import canvas, errors, figures
from ui.image_source import IMAGE_TYPES

SOURCES = ("upload", "camera", "canvas")


def new_image(t):
    """Bytes of a new image from the chosen source (None until there is one)."""
    source = st.radio(t("own.source"), SOURCES, horizontal=True, key="own.try_source",
                      format_func=lambda s: t(f"own.source_{s}"))
    if source == "upload":
        up = st.file_uploader(t("own.try_upload"), type=IMAGE_TYPES, key="own.try_up")
        return None if up is None else up.getvalue()
    if source == "camera":
        shot = st.camera_input(t("own.camera"), key="own.try_cam")
        return None if shot is None else shot.getvalue()
    return canvas.drawing(t, "own.try_canvas", line=14)


def section(t, trained):
    st.markdown(t("own.try_intro"))
    if trained is None:
        st.info(t("own.not_trained"), icon=":material/model_training:")
        return
    data = new_image(t)
    if data is None:
        st.caption(t("own.try_waiting"))
        return
    try:
        arr = read_image(data, gray=False, max_side=LIMITS.stored_side)
    except LessonError as exc:
        errors.show(exc, t)
        return
    x = to_working(arr, LIMITS.working_size, trained.gray)
    probs = trained.model.predict(x[None])[0]
    classes = list(trained.classes)
    pred = int(probs.argmax())
    figures.chart(st, fig.probabilities(probs, classes, t), key="own.try_probs", config={"displayModeBar": False})
    st.success(t("own.try_answer", name=plain(classes[pred]), p=f"{probs[pred]:.0%}"), icon=":material/psychology:")
    looks.show(t, trained.model, x, pred, classes, "own.try_look")
