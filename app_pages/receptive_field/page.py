"""Lesson: the receptive field of a unit, layer by layer (Araujo, Norris and Sim, Distill 2019)."""

import streamlit as st

from app_pages.receptive_field import questions
from app_pages.receptive_field import views as rf_views
from ui import lesson, quiz

t, url, (layers, size) = lesson.header("rf", rf_views.url_state, rf_views.stack_editor)

rows, with_out = rf_views.compute(t, layers, size)
if rows:
    st.subheader(t("rf.table_title"))
    rf_views.table(t, rows, with_out)
    rf_views.growth(t, rows, size, with_out)
    st.markdown(t("rf.formulas"))
    st.subheader(t("rf.picture_title"))
    if with_out:
        rf_views.unit_picture(t, rows, size, layers)
    else:
        st.info(t("rf.picture_needs_valid"))

quiz.show(t, "rf", questions.build(quiz.url_values(url)))
