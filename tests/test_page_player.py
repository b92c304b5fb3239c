"""The one step control (ui/player.py) in the four lessons that use it: the chart's own ▶ Play animates in
the browser (tests/browser/test_players_browser.py measures it), the buttons and the slider pick one step.
"""

import json

import pytest

from tests.conftest import assert_ok, run_page
from ui import player
from ui.i18n import catalog

# lesson page, slider key, button prefix, first position, last position of the default settings
PLAYERS = [
    ("app_pages/convolution/page.py", "conv.step", "conv", 1, 25),        # 7x7 input, 3x3 kernel: 5x5 cells
    ("app_pages/output_size/page.py", "size.step", "size", 1, 9),         # i=5, k=3, p=1, s=2: 3x3 windows
    ("app_pages/backprop/page.py", "bp.step", "bp", 0, None),
]


QUERY = {"app_pages/convolution/page.py": {"tab": "step"}}


def _reveal(at, path):
    if "output_size" in path:                 # the picture appears after the prediction is revealed
        at.button(key="size.reveal_btn").click().run()


def _play_menus(at):
    """The labels of the browser Play / Pause buttons of every chart on the page (ui.frames.add_play)."""
    out = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for menu in spec["layout"].get("updatemenus", []):
            if menu.get("name") == "play":
                out.append(([b["label"] for b in menu["buttons"]], len(spec.get("frames", []))))
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path,key,prefix,first,last", PLAYERS + [("app_pages/gradient_descent/page.py",
                                                                   "gd.it", "gd", 0, 100)])
def test_one_way_to_play_the_charts_own_play(path, key, prefix, first, last, lang):
    """Issue 16 item 1: every player has ONE Play, the chart's browser animation labelled like the others;
    the step buttons and slider pick a position, and the shared hint says so."""
    at = run_page(path, lang, query=QUERY.get(path))
    _reveal(at, path)
    assert_ok(at)
    cat = catalog(lang)
    assert not [b for b in at.button if b.key == f"{prefix}.play_btn"]          # no server-side Play
    assert {b.key for b in at.button} >= {f"{prefix}.{b}" for b in player.STEP_BUTTONS}
    menus = _play_menus(at)
    assert len(menus) == 1, menus                                              # one chart plays
    labels, count = menus[0]
    assert labels == ["▶ " + cat["player.play"], "■ " + cat["player.pause"]]
    assert count > 2                                                           # it has frames to play
    hint = {"gd": "gd.play_hint", "size": "size.play_hint"}.get(prefix, "player.hint")
    assert cat[hint] in [c.value for c in at.caption]


def _server_play_app():
    import streamlit as st

    from ui import player
    from ui.i18n import catalog

    cat = catalog("en")
    player.player(lambda k, **kw: cat[k].format(**kw), "demo.step", 1, 6, lambda pos: st.write(f"at {pos}"),
                  label="Step", play=True)


def test_server_play_still_advances_every_tick_and_stops_at_the_end():
    """``play=True`` (no lesson uses it now): AppTest runs no fragment timer, but a whole-page run while
    playing does one tick's step, so the steps are checked that way."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_server_play_app).run()
    play = "demo.play_btn"
    assert at.slider(key="demo.step").value == 1
    at.button(key=play).click().run()
    assert_ok(at)
    assert at.button(key=play).label == catalog("en")["player.pause"]
    assert at.slider(key="demo.step").value == 1             # the first tick comes one interval later
    at.run()
    assert at.slider(key="demo.step").value == 2
    at.button(key=play).click().run()                          # pause
    at.run()
    assert at.slider(key="demo.step").value == 2
    at.slider(key="demo.step").set_value(5).run()
    at.button(key=play).click().run()
    at.run()
    at.run()
    assert at.slider(key="demo.step").value == 6               # stopped by itself at the end
    assert at.button(key=play).label == catalog("en")["player.play"]
    at.button(key=play).click().run()                          # Play at the end starts again
    assert at.slider(key="demo.step").value == 1


@pytest.mark.parametrize("path,key,prefix,first,last", PLAYERS)
def test_step_buttons(path, key, prefix, first, last, lang):
    at = run_page(path, lang, query=QUERY.get(path))
    _reveal(at, path)
    last = last or at.slider(key=key).max
    at.button(key=f"{prefix}.next_btn").click().run()
    at.button(key=f"{prefix}.next_btn").click().run()
    assert at.slider(key=key).value == first + 2
    at.button(key=f"{prefix}.prev_btn").click().run()
    assert at.slider(key=key).value == first + 1
    at.button(key=f"{prefix}.last_btn").click().run()
    assert at.slider(key=key).value == last
    at.button(key=f"{prefix}.next_btn").click().run()      # never past the end
    assert at.slider(key=key).value == last
    at.button(key=f"{prefix}.first_btn").click().run()
    assert at.slider(key=key).value == first
    at.button(key=f"{prefix}.prev_btn").click().run()      # never before the start
    assert at.slider(key=key).value == first
    assert_ok(at)


# Issue 16 item 10 / issue 18 (links): a player's position is part of the link where it defines the view.
LINKED = [
    ("app_pages/convolution/page.py", "conv.step", "conv", {"tab": "step"}, 1, 25),
    ("app_pages/backprop/page.py", "bp.step", "bp", {}, 0, 6),                 # (x + y) z: 2 forward, 4 back
]


@pytest.mark.parametrize("path,key,prefix,query,first,last", LINKED)
def test_a_link_carries_the_players_position(path, key, prefix, query, first, last):
    at = run_page(path, "en", query={**query, "step": "3"})
    assert_ok(at)
    assert at.slider(key=key).value == 3
    assert at.query_params["step"] == "3"
    at.button(key=f"{prefix}.next_btn").click().run()
    assert at.slider(key=key).value == 4
    assert at.query_params["step"] == "4"                # the link follows the player
    for key_, value in query.items():
        assert at.query_params[key_] == value          # and keeps the open tab


@pytest.mark.parametrize("path,key,prefix,query,first,last", LINKED)
def test_a_bad_or_far_position_in_a_link_is_clamped_or_ignored(path, key, prefix, query, first, last):
    at = run_page(path, "en", query={**query, "step": "999"})
    assert at.slider(key=key).value == last
    at = run_page(path, "en", query={**query, "step": "two"})
    assert_ok(at)
    assert at.slider(key=key).value == first


def test_backprop_link_keeps_the_open_tab():
    at = run_page("app_pages/backprop/page.py", "en", query={"tab": "check"})
    assert_ok(at)
    assert at.query_params["tab"] == "check"
