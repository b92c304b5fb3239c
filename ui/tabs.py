"""Lazy tabs for every lesson: only the open tab is built on a rerun, and the link remembers it.

Usage in a page::

    open_tab, boxes = ui.tabs.tabs("conv", {"compare": t("conv.tab_compare"), "step": t("conv.tab_step")})
    if open_tab == "compare":
        with boxes["compare"]:
            ...

``st.tabs(..., on_change="rerun")`` reruns the page when the student picks a tab, and the page
draws only the open one (plain ``st.tabs`` runs the code of every tab on every rerun). The open tab
is kept in the URL as ``?tab=<id>`` (language independent; left out for the first tab, so links
made before tabs were remembered are unchanged), and a link with an unknown ``tab`` opens the first.

Streamlit keeps the open tab as its translated label under the key ``<page>.tab``; after a
language switch that label no longer exists, so the tab's id is kept as well and the label of
the new language is put back. ``UrlState`` (same ``page``) notes the link's ``tab`` when it is
created and keeps ``tab`` in the URL when it publishes, whichever comes first on the page.
"""

from __future__ import annotations

import streamlit as st


def tab_key(page):
    """The widget key of a page's tabs (its value is the open tab's label)."""
    return f"{page}.tab"


def _id_key(page):
    return f"{page}._tab_id"


def open_tab(page):
    """The id of the open tab of ``page`` (None before the tabs were first drawn)."""
    return st.session_state.get(_id_key(page))


def tabs(page, labels):
    """Draw the tabs ``labels`` (id -> translated label); returns ``(open id, {id: container})``."""
    ids = list(labels)
    names = [labels[i] for i in ids]
    key = tab_key(page)
    chosen = st.session_state.get(key)
    if chosen in names:                                   # picked by the student (or a test)
        current = ids[names.index(chosen)]
    else:                                                 # first run (maybe from a link), or a new language
        current = st.session_state.get(_id_key(page))
        if current not in ids:
            linked = st.session_state.get(f"{page}._tab_link", st.query_params.get("tab"))
            current = linked if linked in ids else ids[0]
        st.session_state[key] = labels[current]
    st.session_state[_id_key(page)] = current
    boxes = st.tabs(names, key=key, on_change="rerun")
    want = None if current == ids[0] else current
    if st.query_params.get("tab") != want:
        if want is None:
            del st.query_params["tab"]
        else:
            st.query_params["tab"] = want
    return current, dict(zip(ids, boxes))

