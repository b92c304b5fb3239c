"""Lesson: convolution vs cross-correlation, step by step, in 1-D and over colour channels."""

import streamlit as st

from app_pages.convolution import questions
from app_pages.convolution import steps as conv_steps
from app_pages.convolution import views as conv_views
from app_pages.convolution.controls import controls, url_state
from ui import lesson, quiz
from ui.image_source import image_source
from ui.tabs import tabs

t, url, settings = lesson.header("conv", url_state, controls)

tab, boxes = tabs("conv", {"compare": t("conv.tab_compare"), "step": t("conv.tab_step"),
                           "1d": t("conv.tab_1d"), "rgb": t("conv.tab_rgb")})
with boxes[tab]:                       # only the open tab is built (ui/tabs.py)
    if tab == "compare":
        conv_views.compare(t, settings)
    elif tab == "step":
        st.markdown(t("conv.step_intro"))
        conv_steps.step_by_step(t, settings)
    elif tab == "1d":
        conv_views.one_d(t)
    else:
        rgb, _ = image_source(t, "conv.rgb", gray=False, max_side=48, default_sample="shapes")
        conv_views.multi_channel(t, rgb)

quiz.show(t, "conv", questions.build(quiz.url_values(url)))
