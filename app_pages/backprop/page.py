"""Lesson: backpropagation through a computational graph, step by step, checked numerically."""

import streamlit as st

from app_pages.backprop import conv_layer as backprop_layers
from app_pages.backprop import views as backprop_views
from ui.i18n import translator

t = translator()
st.title(t("bp.title"))
st.markdown(t("bp.intro"))

url = backprop_views.url_state()
with st.container(border=True):
    setup = backprop_views.controls(t, url)
url.publish()

graph_tab, check_tab, jac_tab, conv_tab = st.tabs(
    [t("bp.tab_graph"), t("bp.tab_check"), t("bp.tab_jacobian"), t("bp.tab_conv")])
with graph_tab:
    if setup is None:
        st.info(t("bp.fix_expression"), icon=":material/edit:")
    else:
        backprop_views.graph_steps(t, setup)
    st.markdown(t("bp.gates_summary"))
with check_tab:
    if setup is None:
        st.info(t("bp.fix_expression"), icon=":material/edit:")
    else:
        backprop_views.gradient_check(t, setup)
with jac_tab:
    backprop_layers.jacobian(t)
with conv_tab:
    backprop_layers.conv_layer(t)
    st.divider()
    backprop_layers.pooling(t)
