"""Every available lesson renders in both languages without an exception."""

import pytest

from tests.conftest import assert_ok, run_page
from ui.lessons import HOME, available_lessons

PAGES = [HOME.path] + [lesson.path for lesson in available_lessons()]


@pytest.mark.parametrize("path", PAGES)
def test_page_renders(path, lang):
    at = run_page(path, lang)
    assert_ok(at)
    assert at.title, "every page has a title"


def test_home_lists_every_lesson(lang):
    from ui.i18n import catalog
    from ui.lessons import LESSONS

    at = run_page(HOME.path, lang)
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    for lesson in LESSONS:
        assert catalog(lang)[f"lesson.{lesson.key}.summary"] in text


def test_language_from_url_and_locale():
    from ui.i18n import language_from_locale

    assert language_from_locale("zh-CN") == "zh"
    assert language_from_locale("zh-Hant-TW") == "zh"
    assert language_from_locale("en-US") == "en"
    assert language_from_locale(None) == "en"
    at = run_page(HOME.path, "zh")
    assert at.title[0].value.startswith("CNN Lab：")


# --- lazy tabs (ui/tabs.py): only the open tab is built, and the link remembers it -----------------
def _query(at, name):
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def test_a_link_opens_its_tab_and_the_link_follows_the_tab():
    from tests.conftest import open_tab
    from ui.i18n import catalog

    conv = "app_pages/convolution/page.py"
    at = run_page(conv, "en", query={"tab": "step", "stride": "2"})
    assert_ok(at)
    assert at.slider(key="conv.step")                       # the step tab is built ...
    assert not [c for c in at.code if "y[" in c.value]      # ... and the 1-D tab is not
    open_tab(at, "conv", "1d")
    assert_ok(at)
    assert _query(at, "tab") == "1d" and _query(at, "stride") == "2"
    assert [c for c in at.code if "y[" in c.value]
    open_tab(at, "conv", "compare")                         # the first tab: links stay as they were
    assert _query(at, "tab") is None and _query(at, "stride") == "2"
    # a new language keeps the open tab (Streamlit keeps it by its label, which changes)
    open_tab(at, "conv", "rgb")
    at.query_params["lang"] = "zh"
    at.session_state["_lang_picker"] = "zh"
    at.session_state["lang"] = "zh"
    at.run()
    assert_ok(at)
    assert at.session_state["conv.tab"] == catalog("zh")["conv.tab_rgb"] and _query(at, "tab") == "rgb"


def test_an_unknown_tab_in_a_link_opens_the_first():
    at = run_page("app_pages/backprop/page.py", "en", query={"tab": "<script>"})
    assert_ok(at)
    assert at.slider(key="bp.step")                         # the graph tab
    assert _query(at, "tab") is None
