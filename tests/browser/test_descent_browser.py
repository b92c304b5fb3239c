"""The gradient-descent lesson in Chromium: click a start point on the map, play the animation."""

import pytest

from tests.browser import fps
from tests.browser.conftest import screen, shot, wait_idle

pytestmark = pytest.mark.browser

TALL = {"width": 1280, "height": 2300}   # Streamlit scrolls inside the page: a tall window shows it all
MAP = """() => document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot')"""   # the first chart


def open_lesson(page, app_url, query):
    page.goto(f"{app_url}/gradient-descent?{query}")
    wait_idle(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=60_000)
    page.wait_for_timeout(800)


def open_tab(page, name):
    page.get_by_role("tab", name=name).click()
    wait_idle(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=60_000)
    page.wait_for_timeout(500)


def map_plot(page):
    """The drag layer of the contour map (the first chart of the first tab)."""
    return page.locator('[data-testid="stPlotlyChart"]').first.locator(".nsewdrag").first


def number(page, label):
    return float(page.get_by_label(label, exact=True).input_value())


def test_click_a_start_point_then_play(page, app_url):
    page.set_viewport_size(TALL)
    open_lesson(page, app_url, "lang=en&steps=12&opts=sgd,momentum,adam")
    assert number(page, "Start x") == -2.5 and number(page, "Start y") == 2.0

    # Click the upper right of the map (data point near (1.5, 1.5)): all optimizers start there.
    map_plot(page).scroll_into_view_if_needed()
    box = map_plot(page).bounding_box()
    page.mouse.move(box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_timeout(300)
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function(
        """() => { const i = [...document.querySelectorAll('input')].find(
                     e => e.getAttribute('aria-label') === 'Start x');
                   return i && Math.abs(parseFloat(i.value) - 1.5) < 0.3; }""", timeout=30_000)
    wait_idle(page)
    assert abs(number(page, "Start y") - 1.5) < 0.3
    page.wait_for_function("() => location.search.includes('x0=1.5')")

    # One way to play: the map's own Play animates the walks in the browser, and stops at the end.
    assert page.get_by_role("button", name="Play").count() == 0                 # no server-side Play
    page.evaluate(f"""() => {{ window.__played = false;
                              ({MAP})().on('plotly_animated', () => window.__played = true); }}""")
    page.locator(".updatemenu-button").first.click()
    page.wait_for_function("() => window.__played", timeout=60_000)
    shot(page, "descent_played_en")

    # The step controls pick one iteration, and the link keeps it.
    page.get_by_role("button", name="Back").click()
    page.wait_for_function(
        """() => document.querySelector('input[aria-label="Iteration shown"]').value === '11'""", timeout=30_000)
    page.wait_for_function("() => location.search.includes('it=11')", timeout=30_000)
    wait_idle(page)
    shot(page, "descent_iteration_11_en")

    # A learning rate far too large: the divergence is explained with its step, nothing breaks.
    open_tab(page, "Learning rate")
    assert page.get_by_text("diverged at step").count() >= 1
    shot(page, "descent_lr_en")


def test_chinese_data_tab(page, app_url):
    page.set_viewport_size(TALL)
    open_lesson(page, app_url, "lang=zh&surface=rosenbrock&show3d=1")
    assert page.locator("h1").first.inner_text().startswith("梯度下降")
    page.wait_for_timeout(800)
    shot(page, "descent_rosenbrock_zh")
    open_tab(page, "BGD、SGD 与小批量")
    assert page.get_by_text("计算的样本梯度个数").count() == 1
    shot(page, "descent_data_zh")
    open_tab(page, "没有梯度之前：搜索")
    shot(page, "descent_search_zh")


@pytest.mark.parametrize("page", ["dark"], indirect=True)
def test_dark_theme(page, app_url):
    page.set_viewport_size(TALL)
    open_lesson(page, app_url, "lang=en&surface=himmelblau&opts=sgd,nesterov,rmsprop,adam")
    page.wait_for_timeout(800)
    shot(page, "descent_himmelblau_dark")


def test_map_plays_in_the_browser_at_ten_frames_a_second(page, app_url):
    """Issue 18 Major 2: the map's own play control (Plotly frames), at >= 10 painted frames a second."""
    page.set_viewport_size({"width": 1024, "height": 768})
    query = "lang=en&steps=100&opts=sgd,momentum,adam"
    open_lesson(page, app_url, query)
    fps.assert_plays_smoothly(page, "descent map", MAP, lambda: page.locator(".updatemenu-button").first.click(),
                              lambda: open_lesson(page, app_url, query))
    shot(page, "descent_browser_play_1024_en")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(1024, 768), (390, 844)])
def test_screens_projector_and_phone(page, app_url, lang, size):
    """Issue 18: screenshots at 1024x768 and 390x844 in both languages, to be looked at."""
    screen(page, app_url, f"gradient-descent?lang={lang}", size, f"descent_screen_{size[0]}_{lang}")


@pytest.mark.parametrize("size", [(1024, 768), (390, 844)])
def test_the_map_uses_its_column(page, app_url, size):
    """Issue 18: the square map is not squeezed by its legend, colour bar and buttons (at 1024 px it was ~190 px
    wide in a ~330 px chart); the Play buttons sit above the map, not on the start ★ in its corner."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_lesson(page, app_url, "lang=zh")
    box = page.evaluate(f"""() => {{ const g = ({MAP})(); const r = e => e.getBoundingClientRect();
        const p = r(g.querySelector('.nsewdrag')), c = r(g), b = r(g.querySelector('.updatemenu-container'));
        return {{plot: p.width, tall: p.height, chart: c.width, top: p.top, buttons: b.bottom}}; }}""")
    assert box["plot"] >= 0.75 * box["chart"], box
    assert abs(box["plot"] - box["tall"]) < 2, box               # still square (equal scales)
    assert box["buttons"] <= box["top"] + 1, box
