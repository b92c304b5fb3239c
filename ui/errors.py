"""Show a core error translated, never a traceback; log what the student cannot be told.

An error with a ``code`` the catalogs know (``cnnlab.checks.LessonError``) is the student's to fix:
it is shown as ``error.<code>`` in the current language and not logged. Anything else reaches the
student as the generic message (translated, without the exception's English text), and is a bug or an
operations problem: it is logged once, one line
with its traceback (``logging.getLogger("ui.errors")``), so an operator learns about it. The log
names the exception and where it was raised, never the student's data.
"""

from __future__ import annotations

import logging
import re

import streamlit as st

logger = logging.getLogger(__name__)


def _log_once(exc, reason):
    if getattr(exc, "_cnnlab_logged", False):
        return
    logger.error("a student saw the generic error message (%s): %s: %s", reason, type(exc).__name__, exc,
                 exc_info=(type(exc), exc, exc.__traceback__))
    try:
        exc._cnnlab_logged = True           # the page shows it again on every rerun: log it once
    except AttributeError:                  # an exception type without a __dict__
        pass


#: What Markdown (and Streamlit's additions: :red[...], :material/...:, $math$) gives a meaning to.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#!|~$:@])")
#: ... and "www." (a link without brackets); a parameter sits inside a sentence, never at a line start.
_WWW = re.compile(r"(?i)\b(www)\.")


def plain(text):
    """``text`` shown literally inside Markdown: its special characters backslash-escaped, on one line.

    For anything a student or a link supplied (a kernel token, a file name, a layer name): in a
    message it must never become a link, an image, a heading or coloured text (issue 17).
    """
    return _WWW.sub(r"\1\\.", _MARKDOWN.sub(r"\\\1", " ".join(str(text).split())))


def _param(v, t):
    """A message parameter: a known term in the current language, other text as plain text."""
    if not isinstance(v, str):
        return v
    return t.term(v) if t.has(f"term.{v}") else plain(v)


def message(exc, t):
    """The translated sentence for an exception raised by ``cnnlab`` (quoted input as plain text)."""
    code = getattr(exc, "code", None)
    if code and t.has(f"error.{code}"):
        params = {k: _param(v, t) for k, v in getattr(exc, "params", {}).items()}
        try:
            return t(f"error.{code}", **params)
        except (KeyError, IndexError, ValueError) as fmt_exc:
            _log_once(exc, f"error.{code} does not fit its parameters: {fmt_exc!r}")
    else:
        _log_once(exc, f"no catalog entry error.{code}" if code else "no error code")
    return t("error.generic")   # translated only: the English exception text goes to the log, not the page


def show(exc, t):
    """``st.error`` with the translated message of ``exc``."""
    st.error(message(exc, t), icon=":material/error:")
