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
