"""Show a core error translated, never a traceback."""

from __future__ import annotations

import streamlit as st


def message(exc, t):
    """The translated sentence for an exception raised by ``cnnlab``."""
    code = getattr(exc, "code", None)
    if code and t.has(f"error.{code}"):
        params = {k: (t.term(v) if isinstance(v, str) else v)
                  for k, v in getattr(exc, "params", {}).items()}
        try:
            return t(f"error.{code}", **params)
        except (KeyError, IndexError, ValueError):
            pass
    return t("error.generic", detail=str(exc))


def show(exc, t):
    """``st.error`` with the translated message of ``exc``."""
    st.error(message(exc, t), icon=":material/error:")
