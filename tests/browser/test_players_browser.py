"""The players' browser animation (ui/frames.py) in Chromium: convolution step by step, output size, backprop.

Issue 18 Major 2: each player's chart plays its walk in the browser at >= 10 frames per second (the rate is
the median gap between Plotly's frame events). While it plays, the grids stay on screen (Plotly removes
heatmaps from frames drawn without a full redraw; ui.frames.keep_still puts a picture of each grid, numbers
included, under it). Screenshots at 1024x768 and 390x844 in both languages, to be looked at.
"""

import pytest

from tests.browser import fps
from tests.browser.conftest import shot, wait_idle

pytestmark = pytest.mark.browser

PLAYERS = {   # name: (path and query, pictures of grids that must stay on screen while it plays)
    "convolution": ("convolution?tab=step", 2),             # the input and the output
    "output_size": ("output-size?predict=0", 2),            # the visits (with the padding) and the output
    "backprop": ("backprop", 0),                            # a graph: only scatter traces
}

CHART = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
                  .find(g => g.querySelector('.updatemenu-button'))"""


def open_player(page, app_url, query, lang="en"):
    page.goto(f"{app_url}/{query}{'&' if '?' in query else '?'}lang={lang}")
    wait_idle(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .updatemenu-button', timeout=60_000)
    page.wait_for_timeout(800)


def pictures(page):
    return page.evaluate(f"() => ({CHART})().querySelectorAll('.imagelayer image').length")


@pytest.mark.parametrize("name", list(PLAYERS))
def test_player_animates_in_the_browser_at_ten_frames_a_second(page, app_url, name):
    query, grids = PLAYERS[name]
    page.set_viewport_size({"width": 1024, "height": 768})
    open_player(page, app_url, query)
    assert pictures(page) == grids
    # one way to play (issue 16 item 1): the chart's own Play, labelled as in every lesson, no server Play
    assert page.locator('[data-testid="stPlotlyChart"] .updatemenu-button').first.text_content().strip() == "▶ Play"
    assert page.get_by_role("button", name="Play").count() == 0

    def start():
        button = page.locator('[data-testid="stPlotlyChart"] .updatemenu-button').first
        button.scroll_into_view_if_needed()
        button.click()

    fps.assert_plays_smoothly(page, name, CHART, start, lambda: open_player(page, app_url, query))
    assert pictures(page) == grids                   # still on screen after it played
    shot(page, f"players_{name}_played_1024_en")


def _hover_texts(page, spots):
    """The hover label at fractions ``spots`` of each plot of the walk chart (empty string: none)."""
    drags = page.evaluate(f"""() => [...({CHART})().querySelectorAll('.nsewdrag')].map(d => {{
                              const r = d.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }})""")
    out = []
    for x, y, w, h in drags:
        for fx, fy in spots:
            page.mouse.move(x + w * fx - 4, y + h * fy - 4)
            page.mouse.move(x + w * fx, y + h * fy)
            page.wait_for_timeout(300)
            out.append(page.evaluate("() => [...document.querySelectorAll('.hoverlayer .hovertext')]"
                                     ".map(e => e.textContent).join(' | ')"))
        page.mouse.move(2, 2)
    return out


@pytest.mark.parametrize("name", ["convolution", "output_size"])
def test_grid_hover_survives_the_animation(page, app_url, name):
    """Issue 18: after the chart's own animation the grids still answer a hover (the cells' values)."""
    query, _ = PLAYERS[name]
    page.set_viewport_size({"width": 1024, "height": 900})
    open_player(page, app_url, query)
    page.evaluate(f"() => ({CHART})().scrollIntoView()")
    page.wait_for_timeout(300)
    spots = [(0.1, 0.2), (0.5, 0.5), (0.85, 0.8)]
    before = _hover_texts(page, spots)
    assert all("row" in text for text in before), before
    page.evaluate(f"""() => {{ window.__played = false;
                              ({CHART})().on('plotly_animated', () => window.__played = true); }}""")
    page.locator('[data-testid="stPlotlyChart"] .updatemenu-button').first.click()
    page.wait_for_function("() => window.__played", timeout=120_000)
    page.wait_for_timeout(300)
    after = _hover_texts(page, spots)
    assert after == before


def test_a_link_opens_the_player_where_it_was(page, app_url):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_player(page, app_url, "convolution?tab=step&step=7")
    page.get_by_text("Output cell (row 1, column 1) uses").wait_for()          # cell 7 of the 5 x 5 output
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Output cell (row 1, column 2) uses").wait_for()
    page.wait_for_function("() => location.search.includes('step=8')", timeout=30_000)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(1024, 768), (390, 844)])
def test_screens_projector_and_phone(page, app_url, lang, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    for name, (query, _) in PLAYERS.items():
        open_player(page, app_url, query, lang)
        shot(page, f"players_{name}_{size[0]}_{lang}")
    open_player(page, app_url, "convolution?tab=step&src=image", lang)
    shot(page, f"players_convolution_image_{size[0]}_{lang}")
