"""Translation: one flat JSON catalog per language in ``assets/i18n``.

The language comes from ``?lang=`` in the URL, then the session, then the
browser's locale (``zh-*`` gives Chinese). ``translator()`` returns ``t`` with
``t(key, **params)``; a missing key raises ``KeyError`` in tests (the catalog
test makes sure none is missing) and shows the key itself in production.

A text that depends on a count ("1 file", "3 files") has two entries, ``key.one`` and
``key.other``, and is asked for with ``t.plural(key, n, **params)`` (``n`` is passed on as ``{n}``).
English picks ``.one`` for exactly 1; Chinese has no plural, so both entries read the same (with
the measure word a teacher writes: 个文件, 张图片) and ``.other`` is used.
"""

from __future__ import annotations

import json
import logging
import numbers
from functools import cache
from pathlib import Path

import streamlit as st

logger = logging.getLogger(__name__)

CATALOG_DIR = Path(__file__).resolve().parent.parent / "assets" / "i18n"
LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"


@cache
def catalog(lang):
    """The flat ``{key: text}`` catalog of one language."""
    with open(CATALOG_DIR / f"{lang}.json", encoding="utf-8") as f:
        return json.load(f)


class Translator:
    """``t(key, **params)``: the text of ``key`` in this language, formatted with ``params``."""

    def __init__(self, lang):
        self.lang = lang
        self.texts = catalog(lang)

    def __call__(self, key, **params):
        text = self.texts.get(key)
        if text is None:
            if st.session_state.get("_strict_i18n"):
                raise KeyError(f"missing translation key: {key}")
            return key
        return text.format(**params) if params else text

    def plural(self, key, n, **params):
        """The text of ``key.one`` or ``key.other`` for the count ``n`` (also given to the text as ``{n}``)."""
        return self(f"{key}.{plural_form(self.lang, n)}", n=n, **params)

    def has(self, key):
        return key in self.texts

    def term(self, name):
        """A term such as ``stride`` in this language (falls back to the name itself)."""
        key = f"term.{name}"
        return self.texts.get(key, str(name))


def plural_form(lang, n):
    """``'one'`` or ``'other'``: the catalog entry a count ``n`` needs in ``lang`` (CLDR's rule for
    English: ``one`` for the whole number 1 only, "1.0 files" has decimals; Chinese has only ``other``)."""
    if lang == "zh":
        return "other"
    return "one" if isinstance(n, numbers.Integral) and n == 1 else "other"


def language_from_locale(locale):
    """``'zh'`` for any Chinese locale (zh, zh-CN, zh-Hans-CN, ...), else English."""
    return "zh" if (locale or "").lower().startswith("zh") else DEFAULT


def init_language():
    """Decide the language for this run and keep it in session and URL. Returns the code."""
    qp = st.query_params.get("lang")
    if "lang" not in st.session_state:
        if qp in LANGUAGES:
            st.session_state.lang = qp
        else:
            try:
                locale = st.context.locale
            except Exception as exc:  # noqa: BLE001 - older Streamlit or no browser context (tests)
                logger.debug("no browser locale (%s: %s): using the default language", type(exc).__name__, exc)
                locale = None
            st.session_state.lang = language_from_locale(locale)
    elif qp in LANGUAGES and qp != st.session_state.lang:
        st.session_state.lang = qp  # the user edited the link
    return st.session_state.lang


def language_picker():
    """The sidebar's language switch; keeps ``?lang=`` in the URL."""
    def changed():
        choice = st.session_state._lang_picker
        if choice in LANGUAGES:  # a second click deselects: keep the language
            st.session_state.lang = choice
        st.query_params["lang"] = st.session_state.lang

    st.session_state._lang_picker = st.session_state.lang
    st.sidebar.segmented_control(
        "Language / 语言", options=list(LANGUAGES), format_func=LANGUAGES.get,
        key="_lang_picker", on_change=changed, selection_mode="single",
    )
    st.query_params["lang"] = st.session_state.lang


def current_language():
    """The session's language code; the default outside a Streamlit session (plain tests)."""
    try:
        lang = st.session_state.get("lang", DEFAULT)
    except Exception:  # noqa: BLE001 - no session (bare mode)
        lang = DEFAULT
    return lang if lang in LANGUAGES else DEFAULT


def current_text(key):
    """The text of ``key`` in the session's language, for kit code that has no ``t`` (figure defaults)."""
    return catalog(current_language()).get(key, key)


def translator():
    """The translator for the current session's language."""
    return Translator(st.session_state.get("lang", DEFAULT))
