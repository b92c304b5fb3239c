"""Lesson: convolution vs cross-correlation, step by step, in 1-D and over colour channels."""

import streamlit as st

from app_pages.convolution import views as conv_views
from app_pages.convolution.controls import controls, url_state
from ui.i18n import translator
from ui.image_source import image_source

t = translator()
st.title(t("conv.title"))
st.markdown(t("conv.intro"))

url = url_state()
with st.container(border=True):
    settings = controls(t, url)
url.publish()

compare_tab, step_tab, one_d_tab, rgb_tab = st.tabs(
    [t("conv.tab_compare"), t("conv.tab_step"), t("conv.tab_1d"), t("conv.tab_rgb")])
with compare_tab:
    conv_views.compare(t, settings)
with step_tab:
    st.markdown(t("conv.step_intro"))
    conv_views.step_by_step(t, settings)
with one_d_tab:
    conv_views.one_d(t)
with rgb_tab:
    rgb, _ = image_source(t, "conv.rgb", gray=False, max_side=48, default_sample="shapes")
    conv_views.multi_channel(t, rgb)
