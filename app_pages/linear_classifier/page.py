"""Lesson: linear classifiers, softmax and cross-entropy, and why not least squares."""

import streamlit as st

from app_pages.linear_classifier import questions
from app_pages.linear_classifier import views as v
from ui import errors, quiz
from ui.i18n import translator

t = translator()
url = v.url_state()

st.title(t("lin.title"))
st.markdown(t("lin.intro"))

with st.container(border=True):
    try:
        x, y, k = v.data_controls(t, url)
    except ValueError as exc:
        errors.show(exc, t)
        x = None
view = st.segmented_control(t("lin.view"), v.SECTIONS, key=url.key("view"),
                            format_func=lambda s: t(f"lin.view.{s}")) or "train"

if x is not None:
    if view == "train":
        v.train_section(t, url, x, y, k)
    elif view == "softmax":
        v.softmax_section(t, url, x, y, k)
    else:
        v.lsq_section(t, url, x, y, k)
quiz.show(t, "lin", questions.build(quiz.url_values(url)))
url.publish(t)
