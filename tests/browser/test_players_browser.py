"""The players' browser animation (ui/frames.py) in Chromium: convolution step by step, output size, backprop.

Issue 18 Major 2: each player's chart plays its walk in the browser at >= 10 frames per second (the rate is
the median gap between Plotly's frame events). While it plays, the grids stay on screen (Plotly removes
heatmaps from frames drawn without a full redraw; ui.frames.keep_still puts a picture of each grid, numbers
included, under it). Screenshots at 1024x768 and 390x844 in both languages, to be looked at.
"""

import pytest

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
    page.evaluate(f"""() => {{ const gd = ({CHART})(); window.__frames = [];
                             gd.on('plotly_animatingframe', () => window.__frames.push(performance.now())); }}""")
    button = page.locator('[data-testid="stPlotlyChart"] .updatemenu-button').first
    button.scroll_into_view_if_needed()
    button.click()
    page.wait_for_function("() => window.__frames.length >= 20", timeout=60_000)
    stamps = page.evaluate("() => window.__frames")
    gaps = sorted(b - a for a, b in zip(stamps, stamps[1:]))
    fps = 1000 / gaps[len(gaps) // 2]
    print(f"{name}: {len(stamps)} frames, median {fps:.1f} frames per second")
    assert fps >= 10
    assert pictures(page) == grids                   # still on screen while it plays
    shot(page, f"players_{name}_playing_1024_en")


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
