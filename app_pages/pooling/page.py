"""Lesson: max, average and min pooling, forward and backward, and why networks pool."""

import streamlit as st

from app_pages.pooling import questions
from app_pages.pooling import views as pool_views
from ui import quiz, style
from ui.i18n import translator

t = translator()
style.wrap_controls()
st.title(t("pool.title"))
st.markdown(t("pool.intro"))

url = pool_views.url_state()
with st.container(border=True):
    settings = pool_views.controls(t, url)
url.publish(t)

x, is_grid = pool_views.input_array(t, settings, url)

st.subheader(t("pool.forward_title"))
out = pool_views.forward(t, settings, x, is_grid)

if out is not None:
    st.subheader(t("pool.backward_title"))
    pool_views.backward(t, settings, x, is_grid, out)
    st.subheader(t("pool.why_title"))
    pool_views.why_pool(t, settings, x, is_grid)

url.publish()                          # again: the edited grid and the chosen output cell are known now
quiz.show(t, "pool", questions.build(quiz.url_values(url)))
