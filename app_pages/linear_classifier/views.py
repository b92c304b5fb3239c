"""Controls, cached fits and sections of the linear-classifier lesson."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.linear_classifier import figures as fg
from cnnlab.calculus import linear
from ui import errors, figures
from ui.fmt import num
from ui.state import UrlState
from ui.style import PLOT

SECTIONS = ["train", "softmax", "lsq"]
LRS = [0.05, 0.1, 0.3, 0.5, 1.0, 2.0]
CLICK_KEY = "lin.click"


def url_state():
    return UrlState("lin", {"view": "train", "preset": "two_blobs", "added": "", "cls": 1, "steps": 200,
                            "lr": 0.5, "point": 1},
                    choices={"view": SECTIONS, "preset": list(linear.PRESETS), "lr": LRS},
                    bounds={"cls": (1, 3), "steps": (1, 1000), "point": (1, linear.MAX_POINTS)})


@st.cache_data(show_spinner=False, max_entries=64)
def points(preset, added):
    x0, y0, k = linear.preset(preset)
    xa, ya = linear.parse_points(added, k)
    return np.vstack([x0, xa]), np.concatenate([y0, ya]), k, len(ya)


@st.cache_data(show_spinner=False, max_entries=64)
def ce_fit(preset, added, lr, steps):
    x, y, k, _ = points(preset, added)
    return linear.train_softmax(x, y, k, lr=lr, steps=steps)


@st.cache_data(show_spinner=False, max_entries=64)
def ls_fit(preset, added):
    x, y, k, _ = points(preset, added)
    return linear.fit_least_squares(x, y, k)


def _added(url, k):
    return linear.parse_points(url.get("added"), k)


def _store(url, xa, ya):
    url.set("added", linear.format_points(xa, ya))


def add_points(url, k, new_x, new_y):
    xa, ya = _added(url, k)
    xa, ya = np.vstack([xa, new_x]), np.concatenate([ya, new_y])
    _store(url, xa[-linear.MAX_ADDED:], ya[-linear.MAX_ADDED:])


def take_click(url, k):
    """A click on the faint grid (kept by Streamlit under ``CLICK_KEY``) adds one point of the chosen class."""
    event = st.session_state.get(CLICK_KEY)
    try:
        pts = event["selection"]["points"] if event else []
    except (KeyError, TypeError):
        pts = []
    grid = st.session_state.get("lin.grid_curve")
    pts = [p for p in pts if p.get("curve_number") == grid]
    signature = tuple((round(float(p["x"]), 3), round(float(p["y"]), 3)) for p in pts)
    if not signature or signature == st.session_state.get("lin.last_click"):
        return
    st.session_state["lin.last_click"] = signature
    cls = min(int(url.get("cls")), k) - 1
    xy = np.array(signature[-1:], dtype=float)
    add_points(url, k, xy, np.array([cls]))


def _undo(url, k):
    xa, ya = _added(url, k)
    _store(url, xa[:-1], ya[:-1])


def _clear(url):
    url.set("added", "")


def _far(url, k, x, y):
    cls = min(int(url.get("cls")), k) - 1
    fx, fy = linear.far_points(x, y, cls, seed=len(y))
    add_points(url, k, fx, fy)


def data_controls(t, url):
    """Preset and the points the student added; returns ``(x, y, k, n_added)``."""
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    c1.selectbox(t("lin.preset"), linear.PRESETS, key=url.key("preset"), format_func=lambda p: t(f"lin.preset.{p}"),
                 on_change=_clear, args=(url,))
    preset = url.get("preset")
    k = linear.preset(preset)[2]
    if int(url.get("cls")) > k:
        url.set("cls", k)
    c2.segmented_control(t("lin.add_class"), list(range(1, k + 1)), key=url.key("cls"),
                         format_func=lambda c: t("lin.class_n", n=c))
    take_click(url, k)
    x, y, k, n_added = points(preset, url.get("added"))
    with st.container(horizontal=True):
        st.button(t("lin.far"), on_click=_far, args=(url, k, x, y), icon=":material/open_with:",
                  help=t("lin.far_help"))
        st.button(t("lin.undo"), on_click=_undo, args=(url, k), disabled=n_added == 0, icon=":material/undo:")
        st.button(t("lin.clear"), on_click=_clear, args=(url,), disabled=n_added == 0, icon=":material/delete:")
    with st.expander(t("lin.by_numbers"), icon=":material/edit:"):
        e1, e2, e3 = st.columns(3, vertical_alignment="bottom")
        px = e1.number_input("x₁", -linear.COORD_LIMIT, linear.COORD_LIMIT, 0.0, 0.5, key="lin.new_x")
        py = e2.number_input("x₂", -linear.COORD_LIMIT, linear.COORD_LIMIT, 0.0, 0.5, key="lin.new_y")
        if e3.button(t("lin.add_point"), key="lin.add_btn", width="stretch"):
            add_points(url, k, np.array([[px, py]]), np.array([min(int(url.get("cls")), k) - 1]))
            st.rerun()
    st.caption(t("lin.counts", n=len(y), added=n_added, limit=linear.MAX_ADDED))
    return x, y, k


def train_section(t, url, x, y, k):
    c1, c2 = st.columns(2)
    steps = c1.slider(t("lin.steps"), 1, 1000, key=url.key("steps"), help=t("lin.steps_help"))
    lr = c2.select_slider(t("lin.lr"), LRS, key=url.key("lr"))
    try:
        fit = ce_fit(url.get("preset"), url.get("added"), float(lr), int(steps))
    except ValueError as exc:
        errors.show(exc, t)
        return
    extent = fg.view_extent(x)
    fig = fg.scene(t, x, y, k, t("lin.train_title", step=steps), extent, regions=(fit.w, fit.b), clickable=True)
    st.session_state["lin.grid_curve"] = len(fig.data) - 1
    figures.chart(st, fig, key=CLICK_KEY, on_select="rerun", selection_mode="points", **PLOT,
                    alt=t("lin.scene_alt"))
    st.caption(t("lin.click_help"))
    left, right = st.columns([3, 2], vertical_alignment="center")
    figures.chart(left, fg.loss_curve(t, fit.losses, steps), **PLOT, alt=t("lin.loss_alt"))
    right.metric(t("lin.accuracy"), f"{fit.accuracy:.0%}")
    right.markdown(t("lin.loss_now", loss=f"{fit.losses[-1]:.4f}"))
    st.markdown(t("lin.train_explain"))


def softmax_section(t, url, x, y, k):
    fit = ce_fit(url.get("preset"), url.get("added"), float(url.get("lr")), int(url.get("steps")))
    n = len(y)
    if int(url.get("point")) > n:
        url.set("point", 1)
    i = int(st.number_input(t("lin.point"), 1, n, key=url.key("point"), help=t("lin.point_help"))) - 1
    steps = linear.softmax_steps(linear.scores(x[i:i + 1], fit.w, fit.b)[0], int(y[i]))
    c1, c2 = st.columns([1, 1], gap="medium")
    figures.chart(c1, fg.scene(t, x, y, k, t("lin.sm_scene_title", i=i + 1), fg.view_extent(x),
                             regions=(fit.w, fit.b), highlight=x[i], height=380, legend=False), **PLOT,
                    alt=t("lin.sm_alt"))
    figures.chart(c2, fg.prob_bars(t, steps), **PLOT, alt=t("lin.probs_alt"))
    st.markdown(t("lin.sm_point", i=i + 1, x1=num(x[i, 0]), x2=num(x[i, 1]), c=int(y[i]) + 1))
    rows = []
    for c in range(k):
        rows.append({t("lin.col.class"): t("lin.class_n", n=c + 1), t("lin.col.score"): f"{steps.scores[c]:.3f}",
                     t("lin.col.shifted"): f"{steps.shifted[c]:.3f}", t("lin.col.exp"): f"{steps.exps[c]:.4f}",
                     t("lin.col.prob"): f"{steps.probs[c]:.4f}", t("lin.col.target"): str(int(c == steps.label)),
                     t("lin.col.grad"): f"{steps.grad[c]:+.4f}"})
    st.table(rows, border="horizontal")      # static: every header whole ("∂L/∂s = p − y" was cut at 1024 px)
    st.markdown(t("lin.sm_loss", total=f"{steps.total:.4f}", c=steps.label + 1, p=f"{steps.probs[steps.label]:.4f}",
                  loss=f"{steps.loss:.4f}"))
    st.markdown(t("lin.sm_explain"))


def lsq_section(t, url, x, y, k):
    try:
        ls = ls_fit(url.get("preset"), url.get("added"))
        ce = ce_fit(url.get("preset"), url.get("added"), float(url.get("lr")), int(url.get("steps")))
    except ValueError as exc:
        errors.show(exc, t)
        return
    extent = fg.view_extent(x)
    if k == 2:
        lines = {"ls": (ls.w, ls.b), "ce": (ce.w, ce.b)}
        figures.chart(st, fg.scene(t, x, y, k, t("lin.lsq_title"), extent, lines=lines), **PLOT,
                        alt=t("lin.lsq_alt"))
        st.markdown(t("lin.angles", ls=f"{linear.boundary_angle(ls.w):.0f}", ce=f"{linear.boundary_angle(ce.w):.0f}"))
    else:
        c1, c2 = st.columns(2)
        figures.chart(c1, fg.scene(t, x, y, k, t("lin.line_ls"), extent, regions=(ls.w, ls.b), height=400), **PLOT,
                        alt=t("lin.regions_alt", method=t("lin.line_ls")))
        figures.chart(c2, fg.scene(t, x, y, k, t("lin.line_ce"), extent, regions=(ce.w, ce.b), height=400), **PLOT,
                        alt=t("lin.regions_alt", method=t("lin.line_ce")))
    m1, m2 = st.columns(2)
    m1.metric(t("lin.acc_ls"), f"{ls.accuracy:.0%}")
    m2.metric(t("lin.acc_ce"), f"{ce.accuracy:.0%}")
    st.markdown(t("lin.lsq_explain"))
