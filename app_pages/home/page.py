"""Home: what CNN Lab teaches, a card for every lesson, and a short history of CNNs."""

import streamlit as st

from ui.i18n import translator
from ui.lessons import LESSONS, SECTIONS

t = translator()

st.title(t("home.title"))
st.markdown(t("home.intro"))

for section in SECTIONS:
    lessons = [lesson for lesson in LESSONS if lesson.section == section]
    st.subheader(t(f"section.{section}"))
    cols = st.columns(3)
    for i, lesson in enumerate(lessons):
        with cols[i % 3].container(border=True, height="stretch"):
            st.markdown(f"#### {t(f'lesson.{lesson.key}.title')}")
            st.caption(t(f"lesson.{lesson.key}.summary"))
            if lesson.available:
                st.page_link(lesson.path, label=t("home.open"), icon=lesson.icon)
            else:
                st.caption(f"*{t('home.coming_soon')}*")

st.divider()
st.header(t("home.history.title"))
for era in ("hubel", "neocognitron", "lenet", "alexnet"):
    with st.container(border=True):
        st.markdown(f"**{t(f'home.history.{era}.title')}**")
        st.markdown(t(f"home.history.{era}.text"))

st.subheader(t("home.why.title"))
st.markdown(t("home.why.text"))
