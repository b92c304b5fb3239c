"""Whole-number boxes that clamp a typed number visibly and say so, in the page's language.

Streamlit's own ``min_value``/``max_value`` keep a typed 99 in the box with an English hint while the page
goes on with the previous value (issue 16, item 8). These boxes have no Streamlit limits; their
``on_change`` sets an out-of-range number to the nearest limit (the box shows it) and
:func:`show_clamped` says what was typed and what is used.
"""

from __future__ import annotations

import streamlit as st

CLAMPED = "_number_box.clamped"     # pending notices: (key, label, typed, lo, hi, used)


def _clamp(key, label, lo, hi):
    """on_change of a number box: an out-of-range number is set to the nearest limit, and said so."""
    typed = st.session_state.get(key)
    used = lo if typed is None else min(max(int(typed), lo), hi)
    if typed is None or used != typed:
        st.session_state[key] = used
        st.session_state.setdefault(CLAMPED, []).append((key, label, typed, lo, hi, used))


def number(col, t, label, key, lo, hi, help=None):
    """A whole-number box without Streamlit's own limits (its range message is English and it keeps the
    typed number in the box while the page uses the old one): the lesson clamps and explains instead."""
    return col.number_input(t(label), None, None, step=1, key=key, help=help, on_change=_clamp,
                            args=(key, label, lo, hi))


def show_clamped(t, keys, message):
    """Say, in the page's language, which of the boxes ``keys`` got a number out of range and what is used.

    ``message`` is the lesson's catalog key, with ``{name} {value} {lo} {hi} {used}``."""
    keys = set(keys)
    pending = st.session_state.get(CLAMPED, [])
    for _key, label, typed, lo, hi, used in [c for c in pending if c[0] in keys]:
        st.warning(t(message, name=t(label), value="—" if typed is None else f"{typed:g}", lo=lo, hi=hi,
                     used=used), icon=":material/straighten:")
    st.session_state[CLAMPED] = [c for c in pending if c[0] not in keys]
