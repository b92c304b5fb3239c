"""CNN Lab: the frame. Page config, language picker, navigation over the lessons."""

import streamlit as st

from ui import i18n
from ui.lessons import HOME, SECTIONS, available_lessons

st.set_page_config(page_title="CNN Lab", page_icon=":material/grid_on:", layout="wide")

i18n.init_language()
t = i18n.translator()


def page(lesson, default=False):
    return st.Page(lesson.path, title=t(f"lesson.{lesson.key}.title"), icon=lesson.icon,
                   url_path=lesson.url or None, default=default)


pages = {t("section.start"): [page(HOME, default=True)]}
for section in SECTIONS:
    members = [page(lesson) for lesson in available_lessons() if lesson.section == section]
    if members:
        pages[t(f"section.{section}")] = members

current = st.navigation(pages)

with st.sidebar:
    i18n.language_picker()
    st.caption(t("app.sidebar_note"))

current.run()
