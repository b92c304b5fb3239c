"""The top of a lesson page, the same in every lesson: title, introduction, settings, the link.

Usage in a ``page.py``::

    t, url, settings = lesson.header("pool", pool_views.url_state, pool_views.controls)

draws ``<prefix>.title`` and ``<prefix>.intro``, makes the lesson's :class:`ui.state.UrlState`, draws its
controls (in a bordered box unless ``boxed=False``) and publishes the link, first saying which setting of
the link was ignored (``publish(t)``). Returns the translator, the URL state and what the controls return.
"""

from __future__ import annotations

import streamlit as st

from ui.i18n import translator


def header(prefix, url_state, controls, boxed=True):
    """Title, intro, ``url_state()``, ``controls(t, url)`` and the link; returns ``(t, url, settings)``."""
    t = translator()
    st.title(t(f"{prefix}.title"))
    st.markdown(t(f"{prefix}.intro"))
    url = url_state()
    if boxed:
        with st.container(border=True):
            settings = controls(t, url)
    else:
        settings = controls(t, url)
    url.publish(t)
    return t, url, settings
