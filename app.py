"""CNN Lab: the frame. Logging, page config, language picker, navigation over the lessons."""

import logging
import os

import streamlit as st

from ui import classroom, display, i18n, style
from ui.lessons import HOME, SECTIONS, available_lessons

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def configure_logging():
    """Once per process: the app's loggers (ui, services, app_pages, cnnlab) to stderr, standard format.

    The level comes from ``CNNLAB_LOG_LEVEL`` (DEBUG, INFO, WARNING, ...; default INFO). Streamlit's
    own loggers are left as Streamlit configures them.
    """
    level_name = os.environ.get("CNNLAB_LOG_LEVEL", "INFO").upper()
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        level = logging.INFO
    first = not any(getattr(h, "_cnnlab", False) for h in logging.getLogger("ui").handlers)
    for name in ("ui", "services", "app_pages", "cnnlab", "cnnlab_app"):
        log = logging.getLogger(name)
        log.setLevel(level)
        if not any(getattr(h, "_cnnlab", False) for h in log.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            handler._cnnlab = True
            log.addHandler(handler)
            log.propagate = False
    if first and level_name != logging.getLevelName(level):
        logging.getLogger("cnnlab_app").warning("CNNLAB_LOG_LEVEL=%r is not a level: using INFO", level_name)


configure_logging()

st.set_page_config(page_title="CNN Lab", page_icon=":material/grid_on:", layout="wide")

style.wrap_controls()       # every option and label of every lesson's controls may wrap (projector, phone)
i18n.init_language()
display.init()              # "projector": bigger text for a projected lesson (sidebar, ?display=projector)
t = i18n.translator()


def page(lesson, default=False):
    return st.Page(lesson.path, title=t(f"lesson.{lesson.key}.title"), icon=lesson.icon,
                   url_path=lesson.url or None, default=default)


pages = {t("section.start"): [page(HOME, default=True)]}
for section in SECTIONS:
    members = [page(lesson) for lesson in available_lessons() if lesson.section == section]
    if members:
        pages[t(f"section.{section}")] = members

current = st.navigation(pages, expanded=True)   # every lesson listed: no untranslatable "View N more"

with st.sidebar:
    i18n.language_picker()
    display.sidebar_toggle(t)
    st.caption(t("app.sidebar_note"))
classroom.sidebar(t, current)

current.run()
