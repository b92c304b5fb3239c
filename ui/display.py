"""The display option of the sidebar: "projector" makes text, chart text and grid numbers bigger.

One size cannot serve a laptop and a projected classroom alike (issue 16): a lesson read at arm's length
is comfortable at 16 px numbers; read from the back of a room it needs more. The choice is kept for the
session and in the link (``?display=projector``), so a teacher's saved link opens in projector mode.
"""

from __future__ import annotations

import streamlit as st

KEY = "_display_projector"
PARAM = "display"
#: How much bigger text is in projector mode (page text, chart text, grid numbers).
SCALE = 1.3

_CSS = """<style>
html { font-size: 18px; }
</style>"""


def projector():
    """True when the session shows the lesson in projector mode (False outside a session)."""
    try:
        return bool(st.session_state.get(KEY, False))
    except Exception:  # noqa: BLE001 - no session (a figure built in a plain test)
        return False


def scale():
    """The factor for text sizes: ``SCALE`` in projector mode, else 1."""
    return SCALE if projector() else 1.0


def init():
    """Once per run, before the page: take the mode from the link the first time, keep it in the URL."""
    if KEY not in st.session_state:
        st.session_state[KEY] = st.query_params.get(PARAM) == "projector"
    if projector():
        st.query_params[PARAM] = "projector"
        st.html(_CSS)   # a constant: no user or link text in it
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def sidebar_toggle(t):
    """The sidebar switch (its state is the session's; :func:`init` keeps the link in step)."""
    st.sidebar.toggle(t("display.projector"), key=KEY, help=t("display.projector_help"))
