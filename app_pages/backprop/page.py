"""Lesson: backpropagation through a computational graph, step by step, checked numerically."""

import streamlit as st

from app_pages.backprop import conv_layer as backprop_layers
from app_pages.backprop import questions
from app_pages.backprop import views as backprop_views
from ui import quiz
from ui.i18n import translator
from ui.tabs import tabs

t = translator()
st.title(t("bp.title"))
st.markdown(t("bp.intro"))

url = backprop_views.url_state()
with st.container(border=True):
    setup = backprop_views.controls(t, url)
url.publish(t)

tab, boxes = tabs("bp", {"graph": t("bp.tab_graph"), "check": t("bp.tab_check"),
                         "jacobian": t("bp.tab_jacobian"), "conv": t("bp.tab_conv")})
with boxes[tab]:                       # only the open tab is built (ui/tabs.py)
    if tab in ("graph", "check") and setup is None:
        st.info(t("bp.fix_expression"), icon=":material/edit:")
    elif tab == "graph":
        backprop_views.graph_steps(t, setup)
    elif tab == "check":
        backprop_views.gradient_check(t, setup)
    elif tab == "jacobian":
        backprop_layers.jacobian(t)
    else:
        backprop_layers.conv_layer(t)
        st.divider()
        backprop_layers.pooling(t)
    if tab == "graph":
        st.markdown(t("bp.gates_summary"))

quiz.show(t, "bp", questions.build(quiz.url_values(url)))
