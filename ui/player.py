"""One step / play control for every lesson that walks through something one step at a time.

Usage in a lesson::

    def draw(pos):                     # runs inside the player's fragment, on every step
        ...figures for position pos...

    ui.player.player(t, "conv.step", 1, total, draw, label=t("conv.step"))

One way to play in every lesson (issue 16 item 1, issue 18 Major 2): the chart drawn by ``draw`` carries
its own **▶ Play** (``ui.frames.add_play`` with :func:`play_labels`), which the browser animates; the
buttons Start, Back, Next, End and the slider over ``lo..hi`` (key ``key``) pick ONE position, the one
the text under the chart explains, and a short shared caption (``player.hint``) says so. Stepping
re-runs only the fragment (cheap); the page does not run again.

``play=True`` adds a server-side Play/Pause (one step per tick) for a lesson whose chart has no browser
frames; no lesson uses it today.

Why the server Play really plays (``play=True``): the play state is plain session state, not a widget
inside the fragment. A fragment's timer (``run_every``) is fixed when the whole page runs, so a toggle inside the
fragment could never start it (issue 16: the convolution lesson's Play advanced once and stopped).
Here, when a click inside the fragment changes the play state, the fragment asks for one whole-page
rerun, which registers the fragment again with (or without) its timer. Each tick advances ``stride``
positions (the first one interval after Play); at ``hi`` the player stops by itself;
pressing Play at the end starts again from ``lo``.

The position is the slider's own value. Buttons and the end of a play ask for a position
through ``<key>._goto`` (plain state, read before the slider is drawn), because a rerun can carry
the browser's older slider value, which would undo a direct write; a copy (``<key>._pos``) brings
the position back when the slider was not drawn for a while (its tab was closed).
"""

from __future__ import annotations

import streamlit as st

from ui import state as url_state

SLIDER_PX = 260                        # the position slider beside the buttons (wraps below them on a phone)
STEP_BUTTONS = ("first_btn", "prev_btn", "next_btn", "last_btn")
# On a phone the four step buttons show their icons only (their names stay for screen readers), so that they
# keep to one row and the chart stays on screen (issue 18). Built from code constants only.
_PHONE_CSS = """<style>@media (max-width: 640px) {{ {labels} {{ position: absolute !important; width: 1px;
 height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }}
 {buttons} {{ padding-left: 0.6rem !important; padding-right: 0.6rem !important; min-width: 0 !important; }}
 {buttons} span {{ margin-right: 0 !important; }} }}</style>"""


def _phone_css(prefix):
    keys = [f".st-key-{prefix.replace('.', '-')}-{b}" for b in STEP_BUTTONS]
    return _PHONE_CSS.format(labels=", ".join(f"{k} button p" for k in keys),
                             buttons=", ".join(f"{k} button" for k in keys))


def _pos_key(key):
    return f"{key}._pos"


def _goto_key(key):
    return f"{key}._goto"


def _play_key(key):
    return f"{key}._playing"


def position(key, default=0):
    """The current position of the player ``key`` (before clamping to its range)."""
    state = st.session_state
    return state.get(_goto_key(key), state.get(key, state.get(_pos_key(key), default)))


def goto(key, pos):
    """Show position ``pos`` (clamped to the player's range when it is next drawn); stops playing."""
    st.session_state[_play_key(key)] = False
    st.session_state[_goto_key(key)] = pos


def playing(key):
    return bool(st.session_state.get(_play_key(key), False))


def play_labels(t):
    """The translated Play / Pause labels of a chart's own (browser) animation: the same in every lesson."""
    return t("player.play"), t("player.pause")


def _toggle(key, lo, hi):
    if playing(key):
        st.session_state[_play_key(key)] = False
        return
    if position(key, lo) >= hi:
        st.session_state[_goto_key(key)] = lo         # Play at the end starts again
    st.session_state[_play_key(key)] = True
    st.session_state[f"{key}._fresh"] = True          # the first tick comes after one interval


def player(t, key, lo, hi, draw, *, label, help=None, stride=1, interval=1.0, start=None,
           buttons=None, whole_page=None, link=None, play=False, hint="player.hint"):
    """Draw the control and ``draw(pos)`` for the shown position; returns nothing.

    Parameters
    ----------
    key : the slider's widget key (also the prefix of the player's own state)
    lo, hi : the range of positions, both included
    draw : callable(pos) drawn under the controls, inside the fragment
    label, help : the slider's translated label and help
    stride : positions per step and per tick (a long walk shows about ``(hi - lo) / stride`` frames)
    interval : seconds between ticks while playing
    start : the position shown first (default ``lo``)
    buttons : prefix of the button keys (default: ``key`` without its last part), e.g. ``conv`` gives
        ``conv.first_btn``, ``conv.prev_btn``, ``conv.next_btn``, ``conv.last_btn``, ``conv.play_btn``
    whole_page : callable() -> bool, asked first on every step: True runs the whole page again (e.g.
        a click inside ``draw`` changed what the page computes)
    link : a query-parameter name (e.g. ``"step"``): the link carries the shown position and a link
        with it opens there (``ui.state.linked_int`` / ``show_in_link``)
    play : True adds the server's Play/Pause button (default False: the lesson's chart plays in the
        browser, ``ui.frames``, and the buttons and the slider only pick a position)
    hint : with ``play`` False, the catalog key of a caption under the controls saying that the chart's
        ▶ Play animates and that the buttons pick the step the text explains (``player.hint``); None: none
    """
    prefix = buttons or key.rsplit(".", 1)[0]
    first = lo if start is None else start
    was_playing = playing(key)
    state = st.session_state
    if link and not any(k in state for k in (key, _pos_key(key), _goto_key(key))):
        linked = url_state.linked_int(key.split(".", 1)[0], link, lo, hi)   # first view in this session
        if linked is not None:
            state[_goto_key(key)] = linked

    def move(to):
        goto(key, max(lo, min(hi, to)))

    @st.fragment(run_every=interval if was_playing else None)
    def body():
        if playing(key) != was_playing or (whole_page is not None and whole_page()):
            st.rerun(scope="app")                   # start or stop the timer: the whole page once
        asked = st.session_state.pop(_goto_key(key), None)
        if asked is not None:
            pos = asked
        else:
            pos = st.session_state.get(key, st.session_state.get(_pos_key(key), first))
        pos = max(lo, min(hi, int(pos)))
        if was_playing and not st.session_state.pop(f"{key}._fresh", False):
            pos = min(hi, pos + stride)
            if pos >= hi:                           # the end: the next tick sees the change and stops,
                st.session_state[_play_key(key)] = False
                st.session_state[_goto_key(key)] = hi   # and shows the end whatever the browser sends
        st.session_state[_pos_key(key)] = pos
        if link:
            url_state.show_in_link(link, pos)
        now = playing(key)
        # one wrapping row sized to its buttons: on a phone they stay side by side (columns would stack)
        st.html(_phone_css(prefix))
        row = st.container(horizontal=True, vertical_alignment="bottom", gap="small")
        row.button(t("player.first"), key=f"{prefix}.first_btn", icon=":material/first_page:",
                   on_click=move, args=(lo,))
        row.button(t("player.back"), key=f"{prefix}.prev_btn", icon=":material/chevron_left:",
                   on_click=move, args=(pos - stride,))
        row.button(t("player.next"), key=f"{prefix}.next_btn", icon=":material/chevron_right:",
                   on_click=move, args=(pos + stride,))
        row.button(t("player.last"), key=f"{prefix}.last_btn", icon=":material/last_page:",
                   on_click=move, args=(hi,))
        if play:
            row.button(t("player.pause") if now else t("player.play"), key=f"{prefix}.play_btn",
                       icon=":material/pause:" if now else ":material/play_arrow:",
                       on_click=_toggle, args=(key, lo, hi), help=t("player.play_help", s=f"{interval:g}"))
        if hi > lo:
            st.session_state[key] = pos
            with row:
                st.slider(label, lo, hi, key=key, help=help, width=SLIDER_PX)
        if hint and not play:
            st.caption(t(hint))
        draw(pos)

    body()
