"""The one step / play control (ui/player.py) in the four lessons that use it.

AppTest does not run a fragment's timer, but every tick of a playing player is one run of its
fragment; a whole-page run while playing does the same step, so the steps are checked that way.
The browser tests check that the timer really ticks (tests/browser/test_foundation_browser.py).
"""

import pytest

from tests.conftest import assert_ok, run_page
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


@pytest.mark.parametrize("path,key,prefix,first,last", PLAYERS)
def test_play_advances_every_tick_and_stops_at_the_end(path, key, prefix, first, last):
    at = run_page(path, "en", query=QUERY.get(path))
    _reveal(at, path)
    slider = at.slider(key=key)
    assert slider.value == first
    last = last or slider.max
    assert slider.max == last
    at.button(key=f"{prefix}.play_btn").click().run()
    assert_ok(at)
    assert at.button(key=f"{prefix}.play_btn").label == catalog("en")["player.pause"]
    assert at.slider(key=key).value == first               # the first tick comes one interval later
    at.run()                                               # one tick
    assert at.slider(key=key).value == first + 1
    at.run()
    assert at.slider(key=key).value == first + 2
    at.button(key=f"{prefix}.play_btn").click().run()      # pause
    assert at.button(key=f"{prefix}.play_btn").label == catalog("en")["player.play"]
    at.run()
    assert at.slider(key=key).value == first + 2           # paused: no more steps
    at.slider(key=key).set_value(last - 2).run()
    at.button(key=f"{prefix}.play_btn").click().run()
    at.run()
    at.run()
    assert at.slider(key=key).value == last
    at.run()
    assert at.slider(key=key).value == last                # stopped by itself at the end
    assert at.button(key=f"{prefix}.play_btn").label == catalog("en")["player.play"]
    at.button(key=f"{prefix}.play_btn").click().run()      # Play at the end starts again
    assert at.slider(key=key).value == first
    assert_ok(at)


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
