"""Views of the backpropagation lesson: the expression controls, the stepped graph, the gradient check.

Widgets only return plain values; numbers come from :mod:`cnnlab.calculus.autograd`;
every sentence goes through the translator ``t``.
"""

from __future__ import annotations

import math
import re

import streamlit as st

from app_pages.backprop import compute
from app_pages.backprop import figures as gf
from cnnlab.calculus.expr import parse
from ui import errors, figures, player
from ui import frames as ui_frames
from ui.fmt import sig
from ui.state import UrlState
from ui.style import PLOT

PRESETS = {
    "simple": ("(x + y) * z", {"x": -2.0, "y": 5.0, "z": -4.0}),
    "neuron": ("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
               {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}),
    "reuse": ("x * y + x", {"x": 3.0, "y": -2.0}),
    "relu_off": ("relu(w * x + b) * z", {"w": 2.0, "x": -1.0, "b": 0.5, "z": 3.0}),
    "max_gate": ("max(x, y) * z", {"x": 4.0, "y": 2.0, "z": -3.0}),
}
CHOICES = list(PRESETS) + ["custom"]
GLIDE = 10                         # browser frames per step: the ring glides to the next node in 0.7 s
LIMIT = 1000.0                     # the number inputs accept -LIMIT..LIMIT
_PAIR = re.compile(r"([A-Za-z][A-Za-z0-9_]{0,15})=(-?[0-9.eE+-]{1,24})")


def _vals_text(values):
    return ",".join(f"{k}={v:g}" for k, v in values.items())


def _vals_parse(text):
    """``"x=-2,y=5"`` -> ``{"x": -2.0, "y": 5.0}``; anything malformed is skipped."""
    out = {}
    for part in str(text).split(",")[:20]:
        m = _PAIR.fullmatch(part.strip())
        if m:
            try:
                v = float(m.group(2))
            except ValueError:
                continue
            if math.isfinite(v) and abs(v) <= LIMIT:
                out[m.group(1)] = v
    return out


def url_state():
    expr, vals = PRESETS["simple"]
    url = UrlState("bp", {"preset": "simple", "expr": expr, "vals": _vals_text(vals)},
                   choices={"preset": CHOICES})
    preset = url.get("preset")
    if preset in PRESETS and url.get("expr") != PRESETS[preset][0]:
        url.set("preset", "custom")   # a hand-edited expr: the preset's caption would speak of another one
    return url


def _apply_preset():
    key = st.session_state.get("bp.preset", "simple")
    if key in PRESETS:
        expr, vals = PRESETS[key]
        st.session_state["bp.expr"] = expr
        for name, v in vals.items():
            st.session_state[f"bp.val.{name}"] = v
        player.goto("bp.step", 0)


def _typed():
    key = st.session_state.get("bp.preset")
    if key in PRESETS and st.session_state.get("bp.expr") != PRESETS[key][0]:
        st.session_state["bp.preset"] = "custom"
    player.goto("bp.step", 0)


def controls(t, url):
    """Preset, expression and one number input per variable.

    Returns ``(text, values, tr)`` or None when the expression cannot be used
    (the error is shown; the rest of the page keeps working).
    """
    c1, c2 = st.columns([1, 2])
    c1.selectbox(t("bp.preset"), CHOICES, key=url.key("preset"), on_change=_apply_preset,
                 format_func=lambda k: t(f"bp.preset.{k}"))
    text = c2.text_input(t("bp.expression"), key=url.key("expr"), on_change=_typed,
                         max_chars=500, help=t("bp.expression_help"))
    st.caption(t("bp.preset_note." + url.get("preset")))
    try:
        expr = parse(text)
    except ValueError as exc:
        errors.show(exc, t)
        return None
    linked = _vals_parse(url.get("vals"))
    values, bad = {}, []
    cols = st.columns(max(1, min(6, len(expr.variables))))
    for i, name in enumerate(expr.variables):
        key = f"bp.val.{name}"
        if key not in st.session_state:
            st.session_state[key] = linked.get(name, 1.0)
        # no min/max on the box: Streamlit's own range message is English; we explain in the page's language
        typed = cols[i % len(cols)].number_input(name, min_value=None, max_value=None, step=0.5, key=key,
                                                 format="%g")
        if typed is not None and math.isfinite(typed) and abs(typed) <= LIMIT:
            values[name] = st.session_state[f"bp._ok.{name}"] = float(typed)
        else:
            values[name] = st.session_state.get(f"bp._ok.{name}", linked.get(name, 1.0))
            bad.append((name, typed))
    for name, typed in bad:
        st.error(t("bp.value_out_of_range", name=name, limit=f"{LIMIT:g}",
                   value="—" if typed is None else f"{typed:g}", old=gf.num(values[name])),
                 icon=":material/error:")
    url.set("vals", _vals_text(values))
    try:
        tr = compute.trace(text, tuple(values.items())).graph
    except ValueError as exc:
        errors.show(exc, t)           # one message: 1/0 and log(-1) are errors, not "no variables"
        return None
    if not expr.variables:
        st.info(t("bp.no_variables"), icon=":material/info:")
    return text, values, tr


# ----------------------------------------------------------------------------- steps
def _formula(tr, node_id, names):
    """``n1 = x + y = −2 + 5 = 3`` for a forward step."""
    rhs = _rhs(tr, node_id, names)
    return f"{names[node_id]} = {rhs[0]} = {rhs[1]} = {gf.num(tr['nodes'][node_id]['value'])}"


def _rhs(tr, node_id, names):
    """A node's operation written with its inputs' names and with their values: ``("x + y", "−2 + 5")``."""
    n = tr["nodes"][node_id]
    kids = [c for c, p, _ in tr["edges"] if p == node_id]
    val = [gf.num(tr["nodes"][c]["value"]) for c in kids]
    val = [f"({v})" if v.startswith("−") else v for v in val]
    nm = [names[c] if tr["nodes"][c]["kind"] != "const" else gf.num(tr["nodes"][c]["value"])
          for c in kids]
    sym = gf.symbol(n)
    if n["op"] in ("add", "sub", "mul", "div"):
        rhs = (f"{nm[0]} {sym} {nm[1]}", f"{val[0]} {sym} {val[1]}")
    elif n["op"] == "pow":
        rhs = (f"{nm[0]}{sym}", f"{val[0]}{sym}")
    elif n["op"] == "neg":
        rhs = (f"−{nm[0]}", f"−{val[0]}")
    else:
        fname = "σ" if n["op"] == "sigmoid" else n["op"]
        rhs = (f"{fname}({', '.join(nm)})", f"{fname}({', '.join(val)})")
    return rhs


def _gate_note(t, tr, s, names):
    n = tr["nodes"][s["node"]]
    op = n["op"]
    if op == "add":
        return t("bp.gate.add")
    if op == "mul":
        return t("bp.gate.mul")
    if op in ("max", "min"):
        return t(f"bp.gate.{op}_{'win' if s['local'] else 'lose'}", child=names[s["child"]])
    if op == "relu":
        return t("bp.gate.relu_on" if s["local"] else "bp.gate.relu_off")
    return t(f"bp.local.{op}", p=n["label"][1:] if op == "pow" else "")


def _explain(t, tr, state, names):
    if state["phase"] == "start":
        st.info(t("bp.step_start"), icon=":material/play_circle:")
        return
    if state["phase"] == "forward":
        st.markdown(t("bp.step_forward", k=state["index"], total=state["total"]))
        st.code(_formula(tr, state["node"], names), language=None)
        return
    s = state["step"]
    parent, child = names[s["node"]], names[s["child"]]
    st.markdown(t("bp.step_backward", k=state["index"], total=state["total"], parent=parent,
                  child=child))
    # the local gradient is written with the parent's own operation, ∂(n1 × z)/∂n1, so it never reads
    # like the total gradient ∂f/∂n1 when the parent is the output f
    st.code(f"∂f/∂{child} += ∂f/∂{parent} × ∂({_rhs(tr, s['node'], names)[0]})/∂{child} = "
            f"({gf.num(s['upstream'])}) × ({gf.num(s['local'])}) = {gf.num(s['product'])}",
            language=None)
    st.markdown(_gate_note(t, tr, s, names))
    earlier = [b for b in tr["backward"][:state["index"] - 1] if b["child"] == s["child"]]
    if earlier:
        st.markdown(t("bp.reuse_add", name=child, before=gf.num(earlier[-1]["grad_after"]),
                      product=gf.num(s["product"]), after=gf.num(s["grad_after"])))


def graph_steps(t, setup):
    """The graph, stepped through forward then backward, with play and step controls."""
    _, _, tr = setup
    total = gf.total_steps(tr)
    names = gf.node_names(tr)
    if total == 0:                                       # a lone input: nothing to step through
        figures.chart(st, gf.graph(tr, gf.step_state(tr, 0)), **PLOT, key="bp.fig_graph")
        st.info(t("bp.no_steps"), icon=":material/info:")
        return

    def title_of(state):
        return t(f"bp.phase.{state['phase']}", k=state["index"], total=state["total"])

    keys = gf.steps(tr, total, title_of)              # the browser's walk: the same for every step shown

    def draw(step):
        state = gf.step_state(tr, step)
        fig = gf.graph(tr, state, title_of(state))
        ui_frames.add_play(fig, ui_frames.glide(keys, GLIDE, moving={gf.DYNAMIC[1]}), *player.play_labels(t),
                           y=1.0, yanchor="bottom", pad_below=30)
        figures.chart(st, fig, alt=t("bp.graph_alt"), **PLOT, key="bp.fig_graph")
        st.caption(t("bp.legend"))
        _explain(t, tr, state, names)

    player.player(t, "bp.step", 0, total, draw, label=t("bp.step"), help=t("bp.step_help"),
                  link="step")


# ----------------------------------------------------------------------------- gradient check
H_CHOICES = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 1e-10, 1e-12]


def gradient_check(t, setup):
    """Analytic (backprop) against numerical (central differences) gradients, with relative errors."""
    text, values, _ = setup
    st.markdown(t("bp.check_intro"))
    h = st.select_slider(t("bp.h"), H_CHOICES, value=1e-5, key="bp.h",
                         format_func=lambda v: f"{v:.0e}", help=t("bp.h_help"))
    try:
        check = compute.gradient_check(text, tuple(values.items()), h)
    except ValueError as exc:
        errors.show(exc, t)
        return
    rows = check.rows
    if not rows:
        st.info(t("bp.no_variables"), icon=":material/info:")
        return
    table = [{t("bp.col.variable"): r.name, t("bp.col.analytic"): f"{r.analytic:.10g}",
              t("bp.col.numerical"): f"{r.numerical:.10g}",
              t("bp.col.rel_error"): f"{r.rel_error:.2e}",
              t("bp.col.verdict"): t("bp.verdict." + ("ok" if r.rel_error < 1e-6 else
                                                       "close" if r.rel_error < 1e-3 else
                                                       "bad"))}
             for r in rows]
    st.dataframe(table, hide_index=True, width="stretch")
    st.markdown(t("bp.check_worst", worst=sig(check.worst, 2), h=f"{h:.0e}"))
    if check.kinked:
        st.warning(t("bp.kink_note"), icon=":material/warning:")
    st.markdown(t("bp.tradeoff"))
