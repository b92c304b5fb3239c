"""Shared test helpers: run a page through Streamlit's AppTest in a given language."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LANGS = ("en", "zh")


def run_page(page_path, lang="en", timeout=60, query=None, setup=None):
    """Run ``app.py`` switched to ``page_path`` in ``lang``; missing translations raise.

    Returns the AppTest after the first run (call ``.run()`` again after changes).
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.session_state["_strict_i18n"] = True
    if setup:
        setup(at)
    at.run()
    if page_path != "app_pages/home/page.py":
        at.switch_page(page_path)
        at.run()
    return at


def open_tab(at, page, tab, lang="en"):
    """Open the tab ``tab`` (its id, e.g. ``step``) of a lesson's lazy tabs (ui/tabs.py) and rerun.

    Only the open tab is built, so a test reads another tab's elements after opening it, the way a
    student clicks it: Streamlit keeps the open tab's label under ``<page>.tab``.
    """
    from ui.i18n import catalog

    labels = {"conv": "conv.tab_{}", "bp": "bp.tab_{}", "gd": "gd.tab.{}", "fm": "fm.tab_{}",
              "train": "train.tab_{}", "own": "own.tab_{}"}
    at.session_state[f"{page}.tab"] = catalog(lang)[labels[page].format(tab)]
    at.run()
    return at


def assert_ok(at):
    """No exception and no uncaught error element on the page."""
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(params=LANGS)
def lang(request):
    return request.param
