"""Lesson: collect your own classes (camera, drawing, upload), train a small CNN live, see where it looks."""

import streamlit as st

from app_pages.own_classes import collect, inside, prepare, questions, shortcut, try_it
from app_pages.own_classes import train as trainer
from services.own_data import LIMITS, session_data
from ui import quiz
from ui.i18n import translator
from ui.tabs import tabs

t = translator()
st.title(t("own.title"))
st.markdown(t("own.intro"))
st.info(t("own.privacy", n=LIMITS.max_per_class, mb=LIMITS.max_zip_bytes // 2**20), icon=":material/lock:")

data = session_data()
url = trainer.url_state()              # settings in the link; the pictures never are
net = trainer.network(url, data)       # the shared layer table (ui/network_editor.py); edits travel in ?arch=
progress = st.container()              # a running training's progress line, above every other tab
tab, boxes = tabs("own", {"collect": t("own.tab_collect"), "prepare": t("own.tab_prepare"),
                          "train": t("own.tab_train"), "inside": t("own.tab_inside"),
                          "shortcut": t("own.tab_shortcut"), "try": t("own.tab_try")})
prep = prepare.current(url)
if tab == "collect":                   # only the open tab is built (ui/tabs.py)
    with boxes["collect"]:
        collect.section(t, data)
if tab == "prepare":
    with boxes["prepare"]:
        prep = prepare.section(t, data, url)
if tab == "train":
    with boxes["train"]:
        trainer.section(t, data, prep, net, url)
else:
    with progress:                     # the poll goes on, so the pool knows the page still watches the job
        trainer.live_panel(t, compact=True)
url.publish(t)
if tab == "inside":
    with boxes["inside"]:
        inside.section(t, data)
if tab == "shortcut":
    with boxes["shortcut"]:
        shortcut.section(t)
if tab == "try":
    with boxes["try"]:
        try_it.section(t, inside.usable(data))

quiz.show(t, "own", questions.build(quiz.url_values(url), classes=len(data.classes) if data.ready() else 3))
