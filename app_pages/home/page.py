"""Home: what CNN Lab teaches, what images ask of a model, a card for every lesson, a short history of
CNNs, and why images need local, shared weights (the weight counts computed live by ``cnnlab``)."""

import streamlit as st

from cnnlab.geometry.architectures import weights_for_an_image
from ui import errors
from ui.fmt import big, grouped
from ui.i18n import translator
from ui.lessons import LESSONS, SECTIONS
from ui.state import UrlState

t = translator()
BY_KEY = {lesson.key: lesson for lesson in LESSONS}
# What images ask of a model, each with the lesson that shows it live.
ASKS = (("local", "receptive"), ("anywhere", "conv"), ("size", "sliding"))
SIDES = (28, 32, 64, 100, 224, 256, 500, 1000, 2000, 4000)
HIDDEN = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)
# A card's link names its lesson in a sentence: let it wrap instead of ending in "…" (a constant, no user text).
LINK_CSS = """<style>[data-testid="stPageLink"] p, [data-testid="stPageLink"] span { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }</style>"""


def _cards(items, body):
    """Cards three to a row; each row its own columns, so a card is only as tall as its row needs."""
    for start in range(0, len(items), 3):
        cols = st.columns(3)
        for col, item in zip(cols, items[start:start + 3]):
            with col.container(border=True, height="stretch"):
                body(item)


def _ask(item):
    key, lesson_key = item
    st.markdown(f"**{t(f'home.ask.{key}.title')}**")
    st.markdown(t(f"home.ask.{key}.text"))
    lesson = BY_KEY[lesson_key]
    if lesson.available:
        st.page_link(lesson.path, label=t(f"home.ask.{key}.link"), icon=lesson.icon)


def _lesson(lesson):
    st.markdown(f"**{t(f'lesson.{lesson.key}.title')}**")
    st.markdown(t(f"lesson.{lesson.key}.summary"))
    if lesson.available:
        st.page_link(lesson.path, label=t("home.open"), icon=lesson.icon)
    else:
        st.markdown(t("home.coming_soon"))


def _weights(url):
    st.subheader(t("home.why.title"))
    st.markdown(t("home.why.intro"))
    c1, c2, c3 = st.columns(3)
    side = c1.select_slider(t("home.why.side"), SIDES, key=url.key("side"), format_func=lambda s: f"{s} × {s}")
    hidden = c2.select_slider(t("home.why.hidden"), HIDDEN, key=url.key("hidden"), format_func=big)
    window = c3.slider(t("home.why.window"), 1, 32, key=url.key("window"))
    try:
        full, local, shared = weights_for_an_image(side, hidden, window)
    except ValueError as exc:
        errors.show(exc, t)
        return
    m1, m2, m3 = st.columns(3)
    m1.metric(t("home.why.full"), big(full), help=grouped(full))
    m2.metric(t("home.why.local"), big(local), help=grouped(local))
    m3.metric(t("home.why.shared"), big(shared), help=grouped(shared))
    st.markdown(t("home.why.explain", side=side, pixels=big(side * side), hidden=big(hidden), window=window,
                  full=big(full), local=big(local), shared=big(shared)))
    st.markdown(t("home.why.reason"))


st.title(t("home.title"))
st.markdown(t("home.intro"))
url = UrlState("home", {"side": 1000, "hidden": 1_000_000, "window": 10},
               choices={"side": SIDES, "hidden": HIDDEN}, bounds={"window": (1, 32)})

st.html(LINK_CSS)
st.subheader(t("home.ask.title"))
st.markdown(t("home.ask.intro"))
_cards(ASKS, _ask)
_weights(url)

for section in SECTIONS:
    st.subheader(t(f"section.{section}"))
    _cards([lesson for lesson in LESSONS if lesson.section == section], _lesson)

st.divider()
st.header(t("home.history.title"))
for era in ("hubel", "neocognitron", "lenet", "alexnet"):
    with st.container(border=True):
        st.markdown(f"**{t(f'home.history.{era}.title')}**")
        st.markdown(t(f"home.history.{era}.text"))

# The home page is where every visit starts (and where a link to a lesson is first read): its settings go
# into the link only once they differ from the defaults or came with the link, so other links stay as sent.
if any(url.get(n) != d or n in st.query_params for n, d in url.defaults.items()):
    url.publish(t)
else:
    url.warn_ignored(t)
