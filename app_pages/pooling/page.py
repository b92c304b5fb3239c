"""Lesson: max, average and min pooling, forward and backward, and why networks pool."""

import streamlit as st

from app_pages.pooling import questions
from app_pages.pooling import views as pool_views
from ui import lesson, quiz

t, url, settings = lesson.header("pool", pool_views.url_state, pool_views.controls)

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
