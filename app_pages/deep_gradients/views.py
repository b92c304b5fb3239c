"""Controls, cached runs and figures of the lesson "Why deep networks are hard to train"."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from threadpoolctl import threadpool_limits

from cnnlab.nn import depth
from ui import fmt as ui_fmt
from ui.state import UrlState

SECTIONS = ["init", "train"]
LRS = [0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1.0]
WIDTHS = [16, 32, 64, 128]
STEPS = [50, 100, 150, 200, 300]
SHALLOW = 3
# one click to a case the lesson talks about: settings it sets
SCENARIOS = {
    "vanish": {"depth": 20, "act": "sigmoid", "init": "xavier", "res": False, "norm": False, "lr": 0.5},
    "relu_he": {"depth": 20, "act": "relu", "init": "he", "res": False, "norm": False, "lr": 0.05},
    "skip": {"depth": 20, "act": "sigmoid", "init": "xavier", "res": True, "norm": False, "lr": 0.1},
    "explode": {"depth": 20, "act": "relu", "init": "large", "res": False, "norm": False, "lr": 0.05},
}


def url_state():
    lo, hi = depth.DEPTH_RANGE
    return UrlState("deep", {"view": "init", "depth": 20, "width": 64, "act": "sigmoid", "init": "xavier",
                             "res": False, "norm": False, "lr": 0.5, "steps": 150},
                    choices={"view": SECTIONS, "act": list(depth.ACTIVATIONS), "init": list(depth.INITS),
                             "width": WIDTHS, "lr": LRS, "steps": STEPS},
                    bounds={"depth": (lo, hi)})


def _apply(url, name):
    for k, v in SCENARIOS[name].items():
        url.set(k, v)


def scenarios(t, url):
    st.caption(t("deep.try"))
    with st.container(horizontal=True):
        for name in SCENARIOS:
            st.button(t(f"deep.scn.{name}"), key=f"deep.scn.{name}", on_click=_apply, args=(url, name))


def controls(t, url):
    """The network's settings; returns ``(DeepNet, lr, steps)``."""
    lo, hi = depth.DEPTH_RANGE
    c1, c2, c3 = st.columns(3)
    n = c1.slider(t("deep.depth"), lo, hi, key=url.key("depth"), help=t("deep.depth_help"))
    act = c2.selectbox(t("deep.act"), depth.ACTIVATIONS, key=url.key("act"), format_func=lambda a: t(f"deep.act.{a}"))
    init = c3.selectbox(t("deep.init"), depth.INITS, key=url.key("init"), format_func=lambda a: t(f"deep.init.{a}"),
                        help=t("deep.init_help"))
    c4, c5, c6 = st.columns(3)
    width = c4.select_slider(t("deep.width"), WIDTHS, key=url.key("width"))
    res = c5.toggle(t("deep.res"), key=url.key("res"), help=t("deep.res_help"))
    norm = c6.toggle(t("deep.norm"), key=url.key("norm"), help=t("deep.norm_help"))
    return depth.DeepNet(int(n), int(width), act, init, bool(res), bool(norm))


def train_controls(t, url):
    c1, c2 = st.columns(2)
    lr = c1.select_slider(t("deep.lr"), LRS, key=url.key("lr"))
    steps = c2.select_slider(t("deep.steps"), STEPS, key=url.key("steps"), help=t("deep.steps_help"))
    return float(lr), int(steps)


@st.cache_data(show_spinner=False, max_entries=64)
def norms_at_init(net):
    with threadpool_limits(1):   # small matrices: one BLAS thread is faster on a shared, loaded server
        return depth.gradients_at_init(net)


@st.cache_data(show_spinner=False, max_entries=32)
def run(net, lr, steps):
    with threadpool_limits(1):
        return depth.train(net, lr=lr, steps=steps, batch=64, seed=0, records=10)


def fmt(v):
    """A gradient norm or ratio: three significant digits, a tiny one as ``2.75 × 10⁻¹²`` (as the axis)."""
    return ui_fmt.sci(v, 3)


def norm_bars(t, norms, title, ref=None, ref_name=""):
    """Gradient norm of every layer, log scale; ``ref`` a second set drawn as a line."""
    layers = np.arange(1, len(norms) + 1)
    shown = np.where(np.isfinite(norms) & (norms > 0), norms, np.nan)
    fig = go.Figure(go.Bar(x=layers, y=shown, name=t("deep.bar_name"), marker_color="#3b82f6",
                           customdata=[fmt(v) for v in norms],     # as the text writes it: 9 not 9.00
                           hovertemplate=t("deep.bar_hover") + "<extra></extra>"))
    if ref is not None:
        fig.add_trace(go.Scatter(x=layers, y=np.where(ref > 0, ref, np.nan), name=ref_name, mode="lines+markers",
                                 line=dict(color="#f59e0b")))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=340,
                      margin=dict(l=10, r=10, t=50, b=10), xaxis_title=t("deep.axis_layer"),
                      yaxis_title=t("deep.axis_norm"), legend=dict(orientation="h", y=-0.3), bargap=0.15)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_xaxes(dtick=1 if len(norms) <= 15 else 5)
    return fig


def curves(t, runs, title, ylabel, key):
    """One line per run: ``runs`` maps a name to ``(x, y)``."""
    fig = go.Figure()
    for (name, (x, y)), colour in zip(runs.items(), ("#2563eb", "#f59e0b")):
        fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines", line=dict(color=colour, width=2)))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=300,
                      margin=dict(l=10, r=10, t=50, b=10), xaxis_title=t("deep.axis_step"), yaxis_title=ylabel,
                      legend=dict(orientation="h", y=-0.35))
    if key == "norm":
        fig.update_yaxes(type="log", exponentformat="power")
    return fig


def ratio_line(t, norms):
    ratio = depth.first_last_ratio(norms)
    st.markdown(t("deep.ratio", first=fmt(norms[0]), last=fmt(norms[-1]), ratio=fmt(ratio), n=len(norms)))
    verdict = depth.diagnose(norms)
    if verdict == "exploding":
        finite = norms[np.isfinite(norms)]
        big = float(finite.max()) if finite.size else float("inf")
        st.warning(t("deep.exploding", big=fmt(big)), icon=":material/warning:")
    elif verdict == "vanishing":
        st.info(t("deep.vanishing", ratio=fmt(ratio)), icon=":material/info:")
    elif verdict == "all_small":
        st.info(t("deep.all_small"), icon=":material/info:")
    else:
        st.success(t("deep.alive"), icon=":material/check_circle:")
