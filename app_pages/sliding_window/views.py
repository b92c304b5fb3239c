"""Controls and cached compute of the sliding-window lesson."""

from __future__ import annotations

import streamlit as st
from threadpoolctl import threadpool_limits

from cnnlab.nn import fcn
from ui import errors
from ui.models import pretrained_model
from ui.state import UrlState

SECTIONS = ["same", "segment", "detect"]


def url_state():
    return UrlState("fcn", {"view": "same", "rows": 1, "cols": 6, "gap": 4, "seed": 0, "digit": 7, "pos": -1,
                            "thr": 0.99, "nms": 0.1, "digits": ""},
                    choices={"view": SECTIONS},
                    bounds={"rows": (1, fcn.MAX_ROWS), "cols": (1, fcn.MAX_COLS), "gap": (0, fcn.MAX_GAP),
                            "seed": (0, 9999), "digit": (0, 9), "pos": (-1, 10_000), "thr": (0.5, 0.9999),
                            "nms": (0.0, 0.9)})


@st.cache_data(show_spinner=False, max_entries=32)
def compute(rows, cols, gap, seed, digits=()):
    page = fcn.compose_page(rows, cols, gap, seed, digits=digits)
    with threadpool_limits(1):   # both ways timed on one BLAS thread: fair, and steady on a loaded server
        return page, fcn.class_maps(pretrained_model(), page.image)


@st.cache_data(show_spinner=False, max_entries=64)
def detect(rows, cols, gap, seed, digits, thr, nms):
    page, maps = compute(rows, cols, gap, seed, digits)
    return fcn.detect(maps.fcn, maps.stride, thr, nms, page.boxes, page.labels)


def _new_digits(url):
    url.set("seed", (int(url.get("seed")) + 1) % 10_000)


def page_controls(t, url):
    c1, c2, c3, c4 = st.columns([2, 2, 2, 2], vertical_alignment="bottom")
    rows = c1.number_input(t("fcn.rows"), 1, fcn.MAX_ROWS, key=url.key("rows"))
    cols = c2.number_input(t("fcn.cols"), 1, fcn.MAX_COLS, key=url.key("cols"))
    gap = c3.number_input(t("fcn.gap"), 0, fcn.MAX_GAP, key=url.key("gap"), help=t("fcn.gap_help"))
    c4.button(t("fcn.new_digits"), on_click=_new_digits, args=(url,), icon=":material/casino:", width="stretch")
    text = st.text_input(t("fcn.digits"), key=url.key("digits"), placeholder=t("fcn.digits_placeholder"),
                         help=t("fcn.digits_help"), max_chars=4 * fcn.MAX_ROWS * fcn.MAX_COLS)
    try:
        digits = fcn.parse_digits(text)
    except ValueError as exc:      # say why, and keep showing a random page
        errors.show(exc, t)
        digits = ()
    return int(rows), int(cols), int(gap), int(url.get("seed")), digits


def fmt_count(n):
    return f"{n:,}"


def fmt_seconds(s):
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"
