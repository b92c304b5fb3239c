"""A small drawing canvas (mouse, finger, stylus) on ``st.components.v2``: no build step.

``drawing(t, key)`` shows the canvas with Undo and Clear and returns the
current drawing as PNG bytes (or None when it is empty). The bytes come from
the browser, so the caller decodes them with ``cnnlab.read_image`` like any
upload. Why a component of our own: a maintained package would need a build
or an old components API; this one is ~100 lines of plain JavaScript in this
folder, uses pointer events (one code path for mouse, touch and pen) and sets
``touch-action: none`` so drawing with a finger does not scroll the page.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
PREFIX = "data:image/png;base64,"
#: a 560x560 PNG of strokes is far below this; anything longer is not our canvas.
MAX_DATA_URL = 2_000_000
#: 20 px on a 280 px canvas = about 2 px at 28 x 28, the stroke width of MNIST digits.
DIGIT_LINE = 20


# registered once, when this module is first imported (the component's code is ours, never user text)
_COMPONENT = st.components.v2.component(
    "cnnlab_canvas", html="", css=(HERE / "canvas.css").read_text(encoding="utf-8"),
    js=(HERE / "canvas.js").read_text(encoding="utf-8"))


def png_bytes(data_url):
    """The PNG bytes of a data URL from the canvas, or None if it is not one (never raises)."""
    if not isinstance(data_url, str) or not data_url.startswith(PREFIX) or len(data_url) > MAX_DATA_URL:
        return None
    try:
        return base64.b64decode(data_url[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return None


def drawing(t, key, *, line=DIGIT_LINE, ink="#ffffff", paper="#000000", size=280):
    """Show the canvas; returns the drawing as PNG bytes, or None when nothing is drawn.

    ``st.session_state[key + ".token"]`` changes to empty the canvas (see :func:`clear`).
    """
    token = st.session_state.get(f"{key}.token", 0)
    result = _COMPONENT(
        key=key,
        data={"size": size, "line": line, "ink": ink, "paper": paper, "token": token,
              "undo_label": t("canvas.undo"), "clear_label": t("canvas.clear"), "aria_label": t("canvas.aria")},
        default={"png": None}, on_png_change=lambda: None, height="content")
    value = getattr(result, "png", None)
    if value is not None and st.session_state.get(f"{key}.used") == hash(value):
        return None                          # already added; the canvas is being emptied
    return png_bytes(value)


def clear(key, png):
    """Empty the canvas on the next run and forget ``png`` (the drawing just used)."""
    st.session_state[f"{key}.token"] = st.session_state.get(f"{key}.token", 0) + 1
    st.session_state[f"{key}.used"] = hash(_data_url(png))


def _data_url(png):
    return PREFIX + base64.b64encode(png).decode("ascii")
