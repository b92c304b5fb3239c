"""The shared kit in a real browser: editable grids show every column, their toolbar covers nothing,
what a student types in a cell arrives as typed (issue 16 items 5 and 7)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot, wait_idle

pytestmark = pytest.mark.browser

EDITOR = '[data-testid="stDataFrame"]'


def _editors(page):
    """(visible width, full width) of every editable grid's scroller."""
    page.wait_for_selector(EDITOR)
    page.wait_for_timeout(1500)
    return page.eval_on_selector_all(
        EDITOR, "els => els.map(e => { const s = e.querySelector('.dvn-scroller');"
                " return [s.clientWidth, s.scrollWidth]; })")


@pytest.mark.parametrize("width", [1024, 1280])
def test_every_column_of_the_grids_shows(page, app_url, width):
    page.set_viewport_size({"width": width, "height": 800})
    for path in ("convolution?n=9&ks=5&kernel=gaussian", "convolution?n=9&ks=5", "pooling"):
        page.goto(f"{app_url}/{path}")
        wait_idle(page)
        sizes = _editors(page)
        assert sizes, path
        for visible, full in sizes:
            assert full <= visible + 1, (path, width, sizes)      # no column hidden behind a scrollbar
    shot(page, f"kit-grids-{width}")


def test_grid_toolbar_does_not_cover_the_size_slider(page, app_url):
    page.goto(f"{app_url}/convolution?n=9")
    wait_idle(page)
    grid = page.locator(EDITOR).first
    grid.hover()
    page.wait_for_timeout(500)
    toolbars = [t for t in page.locator('[data-testid="stElementToolbar"]').all() if t.is_visible()]
    slider = page.locator('[data-testid="stSlider"]').first.bounding_box()
    for tb in toolbars:
        box = tb.bounding_box()
        overlap = not (box["x"] + box["width"] <= slider["x"] or slider["x"] + slider["width"] <= box["x"]
                       or box["y"] + box["height"] <= slider["y"] or slider["y"] + slider["height"] <= box["y"])
        assert not overlap, (box, slider)


def test_a_typed_1e308_is_named_not_turned_into_1308(page, app_url):
    page.goto(f"{app_url}/pooling")
    wait_idle(page)
    grid = page.locator(EDITOR).first
    grid.wait_for()
    page.wait_for_timeout(1500)
    box = grid.bounding_box()
    page.mouse.dblclick(box["x"] + 60, box["y"] + 105)     # row 1, column 0 (header 35 px, rows 35 px)
    page.wait_for_timeout(400)
    page.keyboard.press("Control+a")
    page.keyboard.type("1e308", delay=30)
    typed = page.evaluate("() => document.activeElement && document.activeElement.value")
    assert typed == "1e308"                                 # a number cell would show 1308 here
    page.keyboard.press("Enter")
    wait_idle(page)
    page.wait_for_timeout(800)
    errors = [e.inner_text() for e in page.locator('[data-testid="stAlert"]').all()]
    assert any("row 1, column 0" in e for e in errors), errors
