"""Widgets and cached runs of the gradient-descent lesson. Returns plain values and arrays.

Every run is cached with ``st.cache_data`` on plain arguments (names, numbers,
tuples), so moving the animation or switching language never recomputes a path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import streamlit as st

from app_pages.gradient_descent import compute
from cnnlab.calculus import descent, surfaces
from cnnlab.calculus.optim import OPTIMIZERS, SCHEDULES
from ui import player
from ui.state import UrlState

SURFACE_CHOICES = surfaces.SURFACES + ("typed",)
DEFAULT_FORMULA = "x^2/4 + y^2 + 0.5*sin(3*x)"


# The iteration shown (the step controls under the map) is a setting of the link, ``?it=`` (issue 18): a link
# without it, or with it past the last step, shows the whole paths.
ITER_KEY, ITER_END = "gd.it", 500
LR_MAX = 10.0    # the learning-rate boxes accept 0 < lr <= LR_MAX; anything else is explained, not clamped


@lru_cache(maxsize=64)
def tuned(name, kappa, formula):
    """Start point and :class:`descent.Suggestion` of a surface (the quadratic bowl if it cannot be built).

    Cached: on a surface other than a quadratic the suggestion is a measured search.
    """
    try:
        surf = build_surface(name, kappa, formula)
    except ValueError:
        surf = surfaces.quadratic()
    return (float(surf.start[0]), float(surf.start[1])), descent.suggested_settings(surf)


def _apply_tuning(url, suggestion, steps=True):
    for o, lr in suggestion.lrs.items():
        url.set(f"lr_{o}", lr)
    url.set("mom", suggestion.momentum)
    if steps:
        url.set("steps", suggestion.steps)


def url_state():
    # a link that names only the surface gets that surface's start and learning rates
    name = st.session_state.get("gd.surface", st.query_params.get("surface", "quadratic"))
    name = name if name in SURFACE_CHOICES else "quadratic"
    try:
        kappa = float(st.session_state.get("gd.kappa", st.query_params.get("kappa", 10.0)))
    except (TypeError, ValueError):
        kappa = 10.0
    kappa = kappa if 1.0 <= kappa <= 100.0 else 10.0
    start, sug = tuned(name, kappa if name == "quadratic" else 10.0,
                       st.session_state.get("gd.formula", st.query_params.get("formula", DEFAULT_FORMULA)))
    defaults = {"surface": "quadratic", "kappa": 10.0, "formula": DEFAULT_FORMULA,
                "opts": "sgd,momentum,adam", "steps": sug.steps, "sched": "constant", "mom": sug.momentum,
                "x0": start[0], "y0": start[1], "show3d": False,
                "data": "linear", "l2": 0.0, "batch": 8, "dlr": 0.3, "dsteps": 60, "seed": 0,
                "tries": 100, "radius": 0.3, "sseed": 0, "it": ITER_END}
    defaults.update({f"lr_{o}": sug.lrs[o] for o in OPTIMIZERS})
    bounds = {"kappa": (1.0, 100.0), "steps": (1, 500), "mom": (0.0, 0.99), "x0": (-100.0, 100.0),
              "y0": (-100.0, 100.0), "l2": (0.0, 2.0), "batch": (2, 50), "dlr": (1e-5, 10.0),
              "dsteps": (1, 500), "seed": (0, 9999), "tries": (1, 500), "radius": (0.01, 2.0),
              "sseed": (0, 9999), "it": (0, ITER_END)}
    bounds.update({f"lr_{o}": (1e-12, LR_MAX) for o in OPTIMIZERS})
    url = UrlState("gd", defaults, bounds=bounds,
                   choices={"surface": SURFACE_CHOICES, "sched": SCHEDULES, "data": descent.DATA_KINDS})
    # Only the open tab draws its widgets; Streamlit forgets the state of widgets that were not drawn,
    # so copy every setting over to plain session state at the top of each run.
    for key in [url.key(name) for name in defaults] + ["gd._opts"]:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    return url


build_surface = compute.build_surface



# ---------------------------------------------------------------------------
# widgets
# ---------------------------------------------------------------------------
@dataclass
class MapSettings:
    surface: str
    kappa: float
    formula: str
    opts: tuple
    lrs: tuple
    steps: int
    sched: str
    start: tuple
    mom: float
    show3d: bool
    bad_lrs: tuple = ()


def _surface_changed(url):
    """A new surface: move the start to its own start point and suggest learning rates."""
    name = url.get("surface")
    try:
        build_surface(name, url.get("kappa"), url.get("formula"))
    except ValueError:
        return
    start, suggestion = tuned(name, float(url.get("kappa")) if name == "quadratic" else 10.0, url.get("formula"))
    url.set("x0", start[0])
    url.set("y0", start[1])
    _apply_tuning(url, suggestion)
    player.goto(ITER_KEY, ITER_END)


def _kappa_changed(url):
    """A new condition number: the rates and mu tuned for the new bowl (the start stays)."""
    _apply_tuning(url, tuned("quadratic", float(url.get("kappa")), url.get("formula"))[1], steps=False)


def _opts_changed(url):
    url.set("opts", ",".join(st.session_state["gd._opts"]))


def map_controls(t, url):
    """Draw the surface, optimizers, learning rates, steps, schedule and start point widgets."""
    if "gd._opts" not in st.session_state:
        chosen = [o for o in url.get("opts").split(",") if o in OPTIMIZERS]
        st.session_state["gd._opts"] = chosen or ["sgd"]
    c1, c2, c3 = st.columns([2, 3, 2])
    with c1:
        name = st.selectbox(t("gd.surface"), SURFACE_CHOICES, key=url.key("surface"),
                            format_func=lambda s: t(f"gd.surface.{s}"), on_change=_surface_changed,
                            args=(url,))
        if name == "quadratic":
            st.slider(t("gd.kappa"), 1.0, 100.0, step=1.0, key=url.key("kappa"), help=t("gd.kappa_help"),
                      on_change=_kappa_changed, args=(url,))
        if name == "typed":
            st.text_input(t("gd.formula"), key=url.key("formula"), max_chars=200, help=t("gd.formula_help"),
                          on_change=_surface_changed, args=(url,))
        st.caption(t(f"gd.surface.{name}.about"))
    with c2:
        st.multiselect(t("gd.optimizers"), OPTIMIZERS, key="gd._opts",
                              format_func=lambda o: t(f"gd.opt.{o}"), on_change=_opts_changed, args=(url,))
        with st.expander(t("gd.lrs"), expanded=False):
            cols = st.columns(3)
            for i, o in enumerate(OPTIMIZERS):
                # no min/max: Streamlit's own range message is English; map_settings explains instead
                cols[i % 3].number_input(t(f"gd.opt.{o}"), None, None, step=0.001, format="%.5g",
                                         key=url.key(f"lr_{o}"))
            st.slider(t("gd.momentum"), 0.0, 0.99, step=0.01, key=url.key("mom"), help=t("gd.momentum_help"))
            sug = tuned(name, float(url.get("kappa")) if name == "quadratic" else 10.0, url.get("formula"))[1]
            st.caption(t("gd.tuned_rates", mu=f"{sug.momentum:g}", rates=t("gd.list_sep").join(
                f"{t(f'gd.opt.{o}')} {sug.lrs[o]:g}" for o in OPTIMIZERS)))
    with c3:
        a, b = st.columns(2)
        # no min/max (Streamlit's range message is English): a start far off the map is explained by the path
        a.number_input(t("gd.x0"), None, None, step=0.1, format="%.2f", key=url.key("x0"))
        b.number_input(t("gd.y0"), None, None, step=0.1, format="%.2f", key=url.key("y0"))
        st.slider(t("gd.steps"), 1, 500, key=url.key("steps"))
        st.selectbox(t("gd.schedule"), SCHEDULES, key=url.key("sched"),
                     format_func=lambda s: t(f"gd.sched.{s}"), help=t("gd.schedule_help"))
    st.toggle(t("gd.show3d"), key=url.key("show3d"))


def map_settings(url):
    """The settings of the map tab, also when another tab is open (its widgets are not drawn then).

    An optimizer whose typed learning rate is out of range (0, -1, 1e9, empty) is left out and listed
    in ``bad_lrs`` as ``(optimizer, typed text)`` so the page can say why.
    """
    chosen = tuple(o for o in url.get("opts").split(",") if o in OPTIMIZERS)
    opts = tuple(o for o in chosen if valid_lr(url.get(f"lr_{o}")))
    bad = tuple((o, _typed(url.get(f"lr_{o}"))) for o in chosen if o not in opts)
    return MapSettings(url.get("surface"), float(url.get("kappa")), url.get("formula"), opts,
                       tuple(float(url.get(f"lr_{o}")) for o in opts), int(url.get("steps")),
                       url.get("sched"), tuple(url.defaults[k] if url.get(k) is None else float(url.get(k))
                                               for k in ("x0", "y0")),
                       float(url.get("mom")), bool(url.get("show3d")), bad)


def on_map_click(url):
    """The start point from a click on the map (the invisible grid returns the clicked point)."""
    event = st.session_state.get("gd.map")
    points = (event or {}).get("selection", {}).get("points", [])
    if points:
        url.set("x0", round(float(points[0]["x"]), 2))
        url.set("y0", round(float(points[0]["y"]), 2))
        st.session_state["gd._clicked"] = True
        player.goto(ITER_KEY, ITER_END)   # show the whole new paths; Play replays them


def data_controls(t, url):
    """Data kind, L2 weight, batch size, learning rate, steps and seed of the BGD/SGD comparison."""
    c1, c2, c3 = st.columns(3)
    kind = c1.radio(t("gd.data.kind"), descent.DATA_KINDS, key=url.key("data"), horizontal=True,
                    format_func=lambda k: t(f"gd.data.{k}"))
    c1.slider(t("gd.data.l2"), 0.0, 2.0, step=0.05, key=url.key("l2"), help=t("gd.data.l2_help"))
    c2.slider(t("gd.data.batch"), 2, 50, key=url.key("batch"))
    c2.number_input(t("gd.data.lr"), None, None, step=0.01, format="%.4g", key=url.key("dlr"))
    c3.slider(t("gd.steps"), 1, 500, key=url.key("dsteps"))
    c3.number_input(t("gd.seed"), 0, 9999, key=url.key("seed"))
    lr = url.get("dlr")
    if valid_lr(lr):
        st.session_state["gd._dlr_ok"] = float(lr)
    else:
        old = st.session_state.get("gd._dlr_ok", 0.3)
        st.error(t("gd.data.lr_out_of_range", limit=f"{LR_MAX:g}", value=_typed(lr), old=f"{old:g}"),
                 icon=":material/error:")
        lr = old
    return (kind, float(url.get("l2")), int(url.get("batch")), float(lr), int(url.get("dsteps")),
            int(url.get("seed")))


def valid_lr(lr):
    """Whether a typed learning rate can be used: a finite number above 0 and at most LR_MAX."""
    return isinstance(lr, (int, float)) and not isinstance(lr, bool) and 0 < lr <= LR_MAX


def _typed(value):
    return "—" if value is None else f"{value:g}"


def search_controls(t, url):
    c1, c2, c3 = st.columns(3)
    c1.slider(t("gd.search.tries"), 1, 500, key=url.key("tries"))
    c2.slider(t("gd.search.radius"), 0.01, 2.0, step=0.01, key=url.key("radius"))
    c3.number_input(t("gd.seed"), 0, 9999, key=url.key("sseed"))
    return int(url.get("tries")), float(url.get("radius")), int(url.get("sseed"))
