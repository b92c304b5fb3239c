"""Lesson: collect your own classes (camera, drawing, upload), train a small CNN live, see where it looks."""

import streamlit as st

from app_pages.own_classes import collect, inside, prepare, shortcut, try_it
from app_pages.own_classes import train as trainer
from services.own_data import LIMITS, session_data
from ui.i18n import translator

t = translator()
st.title(t("own.title"))
st.markdown(t("own.intro"))
st.info(t("own.privacy", n=LIMITS.max_per_class, mb=LIMITS.max_zip_bytes // 2**20), icon=":material/lock:")

data = session_data()
tabs = st.tabs([t("own.tab_collect"), t("own.tab_prepare"), t("own.tab_train"), t("own.tab_inside"),
                t("own.tab_shortcut"), t("own.tab_try")])
with tabs[0]:
    collect.section(t, data)
with tabs[1]:
    prep = prepare.section(t, data)
with tabs[2]:
    trainer.section(t, data, prep)
with tabs[3]:
    inside.section(t, data)
with tabs[4]:
    shortcut.section(t)
with tabs[5]:
    try_it.section(t, inside.usable(data))
