"""Keep a lesson's main settings in the URL so a shared link shows the same view.

Usage in a page, before its widgets::

    url = ui.state.UrlState("conv", {"kernel": "sobel_x", "stride": 1, "pad": 0},
                            choices={"kernel": KERNELS}, bounds={"stride": (1, 4)})
    st.selectbox(..., key=url.key("kernel"))   # the widget's key, value restored
    ...
    url.publish()                               # after the widgets: write them to ?kernel=..&stride=..

Values are parsed with the type of their default and validated against
``choices`` / ``bounds``; anything malformed in a link is ignored (the
default is used), so a hand-edited URL can never break a page; ``publish(t)`` tells the teacher
which setting of the link was ignored.

Settings are remembered for the session (issue 16): Streamlit forgets the value of a widget that is
not drawn, so leaving a lesson and coming back would reset it. ``publish`` keeps every setting in a
plain session entry (``_remember.<page>``), and a lesson opened again starts from it. A link still
wins: a valid value in the URL is used before a remembered one, a remembered one before the default.
:func:`remember` does the same for a lesson's other widgets (not in the link).
"""

from __future__ import annotations

import math

import streamlit as st


def _memo_key(page):
    return f"_remember.{page}"


def remember(page, defaults):
    """Keep a lesson's other widgets (``{key: default}``, not in its link) for the session.

    Call it before the widgets are drawn, on every run, and draw them with ``key=`` and no value of
    their own: a value a widget has is noted; a widget drawn again (the student came back to the
    lesson) gets its noted value back, a new one its default. Not for widgets whose state cannot be
    set (buttons, file uploaders, data editors)."""
    memo = st.session_state.setdefault(f"_remember.{page}.widgets", {})
    for key, default in defaults.items():
        if key in st.session_state:
            memo[key] = st.session_state[key]
        else:
            st.session_state[key] = memo.get(key, default)


class UrlState:
    def __init__(self, page, defaults, choices=None, bounds=None, valid=None):
        self.page = page
        self.defaults = dict(defaults)
        self.choices = choices or {}
        self.bounds = bounds or {}
        self.valid = valid or {}              # name -> check(value) -> bool, for values such as a grid
        link_tab = f"{page}._tab_link"        # the open tab of a link (ui/tabs.py), read before anything
        if link_tab not in st.session_state:  # rewrites the URL
            st.session_state[link_tab] = st.query_params.get("tab")
        if f"{page}._link" not in st.session_state:   # the whole link, for values outside these settings
            st.session_state[f"{page}._link"] = dict(st.query_params)   # (a player's position: linked_int)
        lazy_tabs = f"{page}._tab_id" in st.session_state      # the page has lazy tabs (ui/tabs.py)
        self.ignored = []                     # settings of the link that were not valid (this run only)
        memo = st.session_state.get(_memo_key(page), {})
        for name, default in self.defaults.items():
            key = self.key(name)
            if key not in st.session_state:
                raw = st.query_params.get(name)
                parsed = self._parse(name, raw)
                if raw is not None and parsed is None:
                    self.ignored.append(name)
                if parsed is None:            # no (valid) link value: the session's last one, else default
                    parsed = memo.get(name, default)
                st.session_state[key] = parsed
            elif lazy_tabs:
                # A setting whose widget is in a tab that is not open now (lazy tabs, ui/tabs.py) is
                # not drawn on this run, and Streamlit would forget it: keep it as plain state.
                st.session_state[key] = st.session_state[key]

    def key(self, name):
        """The session-state (widget) key of a setting."""
        return f"{self.page}.{name}"

    def get(self, name):
        return st.session_state.get(self.key(name), self.defaults[name])

    def set(self, name, value):
        st.session_state[self.key(name)] = value

    def _parse(self, name, raw):
        if raw is None:
            return None
        default = self.defaults[name]
        try:
            if isinstance(default, bool):
                if raw not in ("0", "1", "true", "false"):
                    return None
                value = raw in ("1", "true")
            elif isinstance(default, int):
                value = int(raw)
            elif isinstance(default, float):
                value = float(raw)
                if not math.isfinite(value):
                    return None
            else:
                value = str(raw)
        except (TypeError, ValueError):
            return None
        if name in self.choices and value not in self.choices[name]:
            return None
        if name in self.bounds:
            lo, hi = self.bounds[name]
            if not (lo <= value <= hi):
                return None
        if name in self.valid and not self.valid[name](value):
            return None
        return value

    @staticmethod
    def _format(value):
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    def warn_ignored(self, t):
        """Tell the teacher which settings of the link were not valid and so show their defaults.

        Names only (they are this page's own parameter names), never the link's text."""
        if self.ignored:
            names = ", ".join(f"`{n}`" for n in self.ignored)
            st.warning(t("state.ignored", names=names, n=len(self.ignored)), icon=":material/link_off:")

    def publish(self, t=None):
        """Write the current settings (and the language) to the URL; with ``t``, first say which settings
        of the link were ignored (:meth:`warn_ignored`)."""
        if t is not None:
            self.warn_ignored(t)
        st.session_state[_memo_key(self.page)] = {name: self.get(name) for name in self.defaults}
        params = {"lang": st.session_state.get("lang", "en")}
        for name in self.defaults:
            params[name] = self._format(self.get(name))
        tab = st.session_state.get(f"{self.page}._tab_id")   # lazy tabs (ui/tabs.py) own ?tab=
        if tab is not None and st.query_params.get("tab") == tab:
            params["tab"] = tab
        # class mode (ui/classroom.py): a student's way back to the class; the display mode (ui/display.py)
        for keep in ("class", "me", "display"):
            if st.query_params.get(keep):
                params[keep] = st.query_params[keep]
        if dict(st.query_params) != params:
            st.query_params.from_dict(params)


def linked_int(page, name, lo, hi):
    """``?name=`` of the link that opened ``page`` as an int clamped to ``lo..hi``, or None (missing or not
    a number). For a value that defines the view but is no ``UrlState`` setting, such as a player's
    position (``ui.player``); the link is read as it came, before ``publish`` rewrote the URL."""
    raw = (st.session_state.get(f"{page}._link") or {}).get(name, st.query_params.get(name))
    try:
        value = int(str(raw))
    except ValueError:
        return None
    return max(lo, min(hi, value))


def show_in_link(name, value):
    """Write ``?name=value`` to the URL (a value outside the page's ``UrlState``, e.g. a player's position).
    Call it on every run that shows the value, a fragment's run too: ``publish`` rewrites the URL from the
    page's own settings on every whole-page run."""
    if st.query_params.get(name) != str(value):
        st.query_params[name] = str(value)
