"""Lesson: the output size of a convolution, a pooling layer or a transposed convolution."""

import streamlit as st

from app_pages.output_size import questions
from app_pages.output_size import views as size_views
from ui import lesson, quiz

t, url, settings = lesson.header("size", size_views.url_state, size_views.controls)

outs, error = size_views.compute(settings)
if error:
    size_views.show_error(t, settings, error)
elif size_views.predict(t, settings, outs):
    left, right = st.columns([3, 2])
    with left:
        size_views.formula(t, settings, outs)
    with right:
        size_views.explanation(t, settings)
    st.subheader(t("size.picture_title"))
    size_views.picture(t, settings, outs)

st.divider()
st.header(t("size.params_title"))
size_views.parameters(t)

quiz.show(t, "size", questions.build(quiz.url_values(url)))
