"""Lesson: the output size of a convolution, a pooling layer or a transposed convolution."""

import streamlit as st

from app_pages.output_size import parameters as size_params
from app_pages.output_size import questions
from app_pages.output_size import views as size_views
from ui import quiz
from ui.i18n import translator
from ui.number_box import show_clamped

t = translator()
st.title(t("size.title"))
st.markdown(t("size.intro"))

url = size_views.url_state()
with st.container(border=True):
    settings = size_views.controls(t, url)
    show_clamped(t, size_views.CONTROL_KEYS, "size.clamped")
size_views.publish(t, url)

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
size_params.parameters(t, url, size_views.PARAM_FIELDS)

quiz.show(t, "size", questions.build(quiz.url_values(url)))
