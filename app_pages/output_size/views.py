"""Sections of the output-size lesson: controls, predict-then-reveal, formula, picture, parameters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from app_pages.output_size import compute as size_compute
from app_pages.output_size import steps as size_steps
from ui import errors, player
from ui.number_box import number
from ui.state import UrlState

MODES = ["conv", "pool", "transposed"]
AXES = ("r", "c")
FIELDS = {"i": (1, 40, 5), "k": (1, 11, 3), "p": (0, 10, 1), "s": (0, 8, 2), "d": (1, 5, 1)}
#: The parameter calculators (lo, hi, default): a layer on a psize x psize x pcin input, and a bank of features
PARAM_FIELDS = {"cimage": (1, 100_000, 1000), "chidden": (1, 10 ** 9, 10 ** 6), "cwindow": (1, 1000, 10),
                "psize": (1, 1024, 32), "pk": (1, 11, 5), "pcin": (1, 4096, 3), "pcout": (1, 4096, 10),
                "ppad": (0, 10, 2), "pstride": (1, 8, 1), "fsize": (1, 1024, 96), "fk": (1, 32, 8),
                "fn": (1, 4096, 400)}
CONTROL_KEYS = [f"size.{f}_{a}" for f in FIELDS for a in AXES] + ["size.op"]
STEP_KEY = "size.step"        # the player's key (its position is the chosen output cell, 1-based)


@dataclass
class Axis:
    i: int
    k: int
    p: int
    s: int
    d: int


@dataclass
class Settings:
    mode: str
    axes: tuple           # (rows Axis, cols Axis)
    ceil: bool
    op: int
    square: bool
    predict: bool

    def key(self):
        return (self.mode, self.ceil, self.op, tuple(tuple(vars(a).values()) for a in self.axes))


def url_state():
    defaults = {"mode": "conv", "square": True, "ceil": False, "op": 0, "predict": True, "cell": 1,
                "pbias": True}
    bounds = {"op": (0, 7), "cell": (1, 60 * 60)}
    for f, (lo, hi, default) in FIELDS.items():
        for a in AXES:
            defaults[f"{f}_{a}"] = default
            bounds[f"{f}_{a}"] = (lo, hi)
    for name, (lo, hi, default) in PARAM_FIELDS.items():
        defaults[name] = default
        bounds[name] = (lo, hi)
    url = UrlState("size", defaults, choices={"mode": MODES}, bounds=bounds)
    if not st.session_state.get("size._cell_linked"):      # the link's window position, once
        st.session_state["size._cell_linked"] = True
        if url.get("cell") != 1:
            player.goto(STEP_KEY, int(url.get("cell")))
    return url


def publish(t, url):
    """Write the settings to the link, with the window position the player shows now."""
    url.set("cell", max(1, min(int(player.position(STEP_KEY, 1) or 1), 60 * 60)))
    url.publish(t)


def controls(t, url):
    """The widgets; returns :class:`Settings` (plain values, possibly invalid)."""
    c1, c2, c3 = st.columns([4, 2, 2], vertical_alignment="bottom")
    mode = c1.segmented_control(t("size.mode"), MODES, key=url.key("mode"),
                                format_func=lambda m: t(f"size.mode_{m}")) or "conv"
    square = c2.toggle(t("size.square"), key=url.key("square"), help=t("size.square_help"))
    c3.toggle(t("size.predict_first"), key=url.key("predict"), help=t("size.predict_help"))
    axes_shown = ("r",) if square else AXES
    for a in axes_shown:
        cols = st.columns(len(FIELDS) + 1, vertical_alignment="bottom")
        cols[0].markdown(f"**{t('size.axis_both' if square else f'size.axis_{a}')}**")
        for col, (f, (lo, hi, _)) in zip(cols[1:], FIELDS.items()):
            if f == "d" and mode == "pool":
                st.session_state[url.key(f"d_{a}")] = 1
                col.number_input(t("size.f_d"), 1, 1, key=url.key(f"d_{a}"), disabled=True,
                                 help=t("size.pool_no_dilation"))
                continue
            number(col, t, f"size.f_{f}", url.key(f"{f}_{a}"), lo, hi, help=t(f"size.f_{f}_help"))
    if square:
        for f in FIELDS:
            st.session_state[url.key(f"{f}_c")] = st.session_state[url.key(f"{f}_r")]
    ceil, op = False, 0
    if mode == "pool":
        ceil = st.toggle(t("size.ceil"), key=url.key("ceil"), help=t("size.ceil_help"))
    if mode == "transposed":
        op = number(st, t, "size.op", url.key("op"), 0, 7, help=t("size.op_help"))
    axes = tuple(Axis(*(int(url.get(f"{f}_{a}")) for f in FIELDS)) for a in AXES)
    return Settings(mode, axes, bool(ceil), int(op), bool(square), bool(url.get("predict")))


def compute(s):
    """Output size per axis, or the error of the first axis that fails and its fixes."""
    res = size_compute.sizes(s.mode, tuple(tuple(vars(a).values()) for a in s.axes), s.ceil, s.op)
    if res.outs is None:
        return None, (res.axis, res.error(), list(res.fixes))
    return res.outs, None


def fix_text(t, fixes):
    return t("size.list_sep").join(t(f"size.fix_{name}", value=v) for name, v in fixes)   # "；" in Chinese


def show_error(t, s, err):
    n, exc, fixes = err
    errors.show(exc, t)
    axis = t("size.axis_both" if s.square else f"size.axis_{AXES[n]}")
    if fixes:
        st.info(t("size.try_fix", axis=axis, fixes=fix_text(t, fixes)), icon=":material/lightbulb:")


def predict(t, s, outs):
    """Predict, then reveal. Returns True when the answer may be shown."""
    if not s.predict:
        return True
    revealed = st.session_state.get("size.revealed_for") == s.key()
    st.markdown(t("size.predict_prompt"))
    cols = st.columns([2, 2, 3], vertical_alignment="bottom")
    guesses = []
    for col, a in zip(cols, ("r",) if s.square else AXES):
        # no limits: Streamlit's range message is English; any whole number is a guess to grade
        guesses.append(col.number_input(t("size.guess" if s.square else f"size.guess_{a}"), None, None, value=None,
                                        step=1, key=f"size.guess_{a}", placeholder=t("size.guess_placeholder")))

    def reveal():
        st.session_state["size.revealed_for"] = s.key()

    cols[-1].button(t("size.reveal"), on_click=reveal, key="size.reveal_btn", type="primary",
                    icon=":material/visibility:")
    if not revealed:
        st.caption(t("size.hidden"))
        return False
    want = outs[:1] if s.square else outs
    if any(g is None for g in guesses):
        st.info(t("size.no_guess"))
    elif all(int(g) == o for g, o in zip(guesses, want)):
        st.success(t("size.right"), icon=":material/check_circle:")
    elif s.square and int(guesses[0]) == outs[0] * outs[1] and outs[0] > 1:
        # the number of output cells is a right answer too, to a question read as "how many cells"
        st.success(t("size.right_cells", n=outs[0] * outs[1], rows=outs[0], cols=outs[1]),
                   icon=":material/check_circle:")
    else:
        st.warning(t("size.wrong"), icon=":material/info:")
    return True


def _frac(num, s, ceil=False):
    br = (r"\left\lceil", r"\right\rceil") if ceil else (r"\left\lfloor", r"\right\rfloor")
    return rf"{br[0]} \frac{{{num}}}{{{s}}} {br[1]}"


def formula(t, s, outs):
    """The formula with the student's numbers, step by step, per axis."""
    st.markdown(f"**{t('size.formula_title')}**")
    shown = 1 if s.square else 2
    for n in range(shown):
        a, o = s.axes[n], outs[n]
        if shown > 1:
            st.caption(t(f"size.axis_{AXES[n]}"))
        if s.mode == "transposed":
            st.latex(r"o = (i-1)s - 2p + d(k-1) + \text{op} + 1")
            st.latex(rf"= ({a.i}-1)\cdot{a.s} - 2\cdot{a.p} + {a.d}\cdot({a.k}-1) + {s.op} + 1")
            st.latex(rf"= \mathbf{{{o}}}")
            continue
        ceil = s.mode == "pool" and s.ceil
        num = a.i + 2 * a.p - a.d * (a.k - 1) - 1
        st.latex(r"o = " + _frac(r"i + 2p - d(k-1) - 1", "s", ceil) + " + 1")
        filled = f"{a.i} + 2 \\cdot {a.p} - {a.d} \\cdot ({a.k}-1) - 1"
        st.latex("= " + _frac(filled, a.s, ceil) + " + 1")
        st.latex("= " + _frac(num, a.s, ceil) + rf" + 1 = \mathbf{{{o}}}")
        if ceil and o != -(-num // a.s) + 1:
            st.caption(t("size.ceil_dropped"))
    st.metric(t("size.answer"), t("size.answer_value", rows=outs[0], cols=outs[1]))


def explanation(t, s):
    """What the floor throws away, the inputs that give the same size, and fixes."""
    if s.mode == "transposed":
        a = s.axes[0]
        st.markdown(t("size.transposed_explain", s=a.s, limit=max(a.s, a.d)))
        return
    for n in range(1 if s.square else 2):
        a = s.axes[n]
        info = size_compute.explain(s.mode, tuple(vars(a).values()), s.ceil)
        axis = t("size.axis_both" if s.square else f"size.axis_{AXES[n]}")
        never = ", ".join(str(v) for v in info.never)
        if s.mode == "pool" and s.ceil and info.extra:
            st.info(t("size.ceil_extra", axis=axis, extra=info.extra), icon=":material/info:")
        elif info.even and info.gaps:
            # dilation: the last window ends at the edge, but cells between its taps are never read
            st.info(t("size.even_gaps", axis=axis, num=info.numerator, s=a.s, d=a.d), icon=":material/info:")
        elif info.even:
            st.success(t("size.even", axis=axis, num=info.numerator, s=a.s), icon=":material/check:")
        else:
            st.warning(t("size.uneven", axis=axis, num=info.numerator, s=a.s, r=info.remainder),
                       icon=":material/content_cut:")
        if never:
            st.markdown(t("size.never", axis=axis, cells=never))
        lo, hi = info.same_inputs
        st.markdown(t("size.same_inputs", axis=axis, lo=lo, hi=hi, o=info.out))
        if info.fixes and not info.even:
            st.info(t("size.suggest", fixes=fix_text(t, info.fixes)), icon=":material/lightbulb:")


def _axis_picture(s, a, o):
    """Per axis: visits, padding mask and the stride of the picture (computed in compute.axis_picture)."""
    pic = size_compute.axis_picture(s.mode, tuple(vars(a).values()), o, s.op)
    if pic is None:
        return None
    return np.array(pic.counts, dtype=int), np.array(pic.pad, dtype=bool), pic.stride


def picture(t, s, outs):
    """Every window position, step by step or playing; input and output side by side."""
    parts = [_axis_picture(s, a, o) for a, o in zip(s.axes, outs)]
    if any(p is None for p in parts):
        st.info(t("size.transposed_crop"))
        return
    (cr, pr, sr), (cc, pc, sc) = parts
    counts = np.outer(cr, cc)
    pad = pr[:, None] | pc[None, :]
    if counts.size > 60 * 60:
        st.info(t("size.too_big_picture"))
        return
    if s.mode == "transposed":
        st.markdown(t("size.transposed_picture", s=s.axes[0].s, zeros=s.axes[0].s - 1))
    zero_label = t("size.legend_zeros") if s.mode == "transposed" else None
    size_steps.walk(t, s, outs, counts, pad, (sr, sc), zero_label)
