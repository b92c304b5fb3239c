"""Views of the backpropagation lesson beyond scalars: Jacobians, the convolution layer, pooling.

Numbers come from :mod:`cnnlab.ops.conv_backward`; every sentence goes through ``t``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.backprop.figures import num
from cnnlab.ops import conv_backward as cb
from cnnlab.text import byte_units
from ui import errors, figures
from ui.fmt import sig
from ui.style import PLOT

D, N = 2, 2                       # channels and filters in the "D" / "N" cases
CASES = {"1_1": (1, 1), "d_1": (D, 1), "1_n": (1, N), "d_n": (D, N)}


@st.cache_data(show_spinner=False)
def _conv_case(channels, filters, seed):
    return cb.conv_backward_case(channels, filters, size=4, kernel=2, seed=seed)


@st.cache_data(show_spinner=False)
def _pool_case(mode, seed):
    return cb.pool_backward_case(mode, size=4, kernel=2, seed=seed)


def jacobian(t):
    """Why a 4096 x 4096 Jacobian is never built: sizes, and the diagonal of an elementwise op."""
    st.markdown(t("bp.jac_intro"))
    c1, c2 = st.columns(2)
    n = c1.number_input(t("bp.jac_width"), min_value=1, max_value=100_000, value=4096, step=1,
                        key="bp.jac_n")
    batch = c2.number_input(t("bp.jac_batch"), min_value=1, max_value=1024, value=1, step=1,
                            key="bp.jac_batch")
    try:
        s = cb.jacobian_sizes(int(n), int(batch))
    except ValueError as exc:
        errors.show(exc, t)
        return
    m1, m2, m3 = st.columns(3)
    m1.metric(t("bp.jac_entries"), f"{s['entries']:,}")
    size, unit = byte_units(s["megabytes"] * 2 ** 20)       # 37.3 PB, not 39,062,500.0 GB
    m2.metric(t("bp.jac_memory"), f"{size:,.1f} {unit}")
    m3.metric(t("bp.jac_nonzero"), f"{s['diagonal_entries']:,}",
              help=t("bp.jac_nonzero_help", share=f"{s['nonzero_fraction']:.2e}"))
    st.markdown(t("bp.jac_diagonal"))
    x = np.array([1.5, -2.0, 0.5, -1.0, 3.0, -0.5])
    dout = np.array([2.0, 1.0, -1.0, 3.0, -2.0, 1.0])
    jac = cb.elementwise_jacobian(x)
    cols = st.columns([1, 3, 1, 1])
    figures.chart(cols[0], figures.grid(x[:, None], t("bp.jac_fig_x")), **PLOT, key="bp.jac_x")
    figures.chart(cols[1], figures.grid(jac, t("bp.jac_fig_jac")), **PLOT, key="bp.jac_j")
    figures.chart(cols[2], figures.grid(dout[:, None], t("bp.jac_fig_dout")), **PLOT, key="bp.jac_d")
    figures.chart(cols[3], figures.grid((jac.T @ dout)[:, None], t("bp.jac_fig_dx")), **PLOT,
                         key="bp.jac_dx")
    st.markdown(t("bp.jac_vjp"))


PER_ROW = 3                       # grids side by side: a 4 x 4 grid keeps 16 px numbers in its cells; four
# columns are 129 px wide at 1024 px, narrower than a Plotly chart (150 px), which cut the grids' right side


def _grids(t, groups, key):
    """Small numbered grids in rows of ``PER_ROW``, never one grid across the page (the one-channel case
    stacked three full-width grids). ``groups``: a list of (title key, {label: (H, W) array})."""
    items = [(t(title_key, which=label), a) for title_key, arrays in groups for label, a in arrays.items()]
    for start in range(0, len(items), PER_ROW):
        cols = st.columns(PER_ROW)
        for i, (title, a) in enumerate(items[start:start + PER_ROW]):
            figures.chart(cols[i], figures.grid(a, title, numbers=True, diverging=True, height=230),
                                 **PLOT, key=f"{key}.{start + i}")


def _worked_dx(t, r, channels):
    """One input cell's gradient written out term by term."""
    st.markdown(t("bp.conv_worked_dx"))
    c1, c2, c3, _ = st.columns([1, 1, 1, 3])
    h, w = r["x"].shape[1:]
    row = int(c1.number_input(t("bp.conv_row"), 0, h - 1, 1, key="bp.cell_row"))
    col = int(c2.number_input(t("bp.conv_col"), 0, w - 1, 1, key="bp.cell_col"))
    ch = int(c3.number_input(t("bp.conv_channel"), 0, channels - 1, 0, key="bp.cell_ch")
             if channels > 1 else 0)
    terms, total = cb.input_gradient_terms(r, ch, row, col)
    names = " + ".join(f"∂L/∂Y{x['f']}[{x['i']},{x['j']}]·K{x['f']}[{x['a']},{x['b']}]"
                       for x in terms)
    values = " + ".join(f"({num(x['dout'])})({num(x['w'])})" for x in terms)
    st.code(f"∂L/∂X[c={ch}][{row}, {col}] = {names}\n  = {values}\n  = {num(total)}",
            language=None, wrap_lines=True)


def conv_layer(t):
    """The four stride-1 cases, the two formulas, and the check against finite differences."""
    st.markdown(t("bp.conv_intro"))
    st.latex(r"\frac{\partial L}{\partial X_c} = \sum_f \operatorname{full\_conv}"
             r"\left(\frac{\partial L}{\partial Y_f},\, K_{f,c}\right)"
             r" = \sum_f \operatorname{pad}\left(\frac{\partial L}{\partial Y_f}\right)"
             r"\star \operatorname{rot}_{180}(K_{f,c})")
    st.latex(r"\frac{\partial L}{\partial K_{f,c}} = X_c \star \frac{\partial L}{\partial Y_f}"
             r"\qquad \frac{\partial L}{\partial b_f} = \sum_{i,j}"
             r"\frac{\partial L}{\partial Y_f}[i,j]")
    case = st.segmented_control(t("bp.conv_case"), list(CASES), default="1_1", key="bp.case",
                                format_func=lambda k: t(f"bp.case.{k}", d=D, n=N)) or "1_1"
    seed = st.columns([1, 3])[0].number_input(t("bp.conv_seed"), min_value=0, max_value=999, value=0, step=1,
                           key="bp.conv_seed", help=t("bp.conv_seed_help"))
    channels, filters = CASES[case]
    r = _conv_case(channels, filters, int(seed))
    st.markdown(t("bp.conv_forward"))
    _grids(t, [("bp.conv_fig_x", {f"c={c}": r["x"][c] for c in range(channels)}),
               ("bp.conv_fig_w", {f"f={f}, c={c}": r["w"][f, c] for f in range(filters) for c in range(channels)}),
               ("bp.conv_fig_dout", {f"f={f}": r["dout"][f] for f in range(filters)})], "bp.cx")
    st.markdown(t("bp.conv_dx"))
    _grids(t, [("bp.conv_fig_dx", {f"c={c}": r["dx"][c] for c in range(channels)})], "bp.cdx")
    _worked_dx(t, r, channels)
    if filters > 1:
        st.markdown(t("bp.conv_dx_sum"))
        _grids(t, [("bp.conv_fig_dx_term", {f"f={f}, c={c}": r["dx_terms"][f, c] for f in range(filters)
                                             for c in range(channels)})], "bp.cdxt")
    st.markdown(t("bp.conv_dw"))
    _grids(t, [("bp.conv_fig_dw", {f"f={f}, c={c}": r["dw"][f, c] for f in range(filters)
                                    for c in range(channels)})], "bp.cdw")
    terms, total = cb.kernel_gradient_terms(r, 0, 0, 0, 0)
    st.markdown(t("bp.conv_worked_dw"))
    st.code("∂L/∂K[f=0, c=0][0, 0] = Σ X[i, j] · ∂L/∂Y[i, j]\n  = "
            + " + ".join(f"({num(x['x'])})({num(x['dout'])})" for x in terms)
            + f"\n  = {num(total)}", language=None, wrap_lines=True)
    st.markdown(t("bp.conv_db", db=", ".join(num(v) for v in r["db"])))
    rows = []
    for name, fast, formula, numeric in (
            ("∂L/∂X", r["dx"], r["dx_formula"], r["dx_numeric"]),
            ("∂L/∂K", r["dw"], r["dw_formula"], r["dw_numeric"]),
            ("∂L/∂b", r["db"], r["dout"].sum(axis=(1, 2)), r["db_numeric"])):
        rows.append({t("bp.col.quantity"): name,
                     t("bp.col.vs_formula"): sig(np.abs(fast - formula).max(), 2),
                     t("bp.col.vs_numeric"): sig(np.abs(fast - numeric).max(), 2)})
    st.markdown(t("bp.conv_check"))
    st.dataframe(rows, hide_index=True, width="stretch")
    ok = r["max_error"] < 1e-6
    (st.success if ok else st.error)(t("bp.conv_check_ok" if ok else "bp.conv_check_bad",
                                       err=sig(r['max_error'], 2)))


def pooling(t):
    """Max and average pooling backward side by side, checked against finite differences."""
    st.markdown(t("bp.pool_intro"))
    seed = st.session_state.get("bp.conv_seed", 0)
    for mode in ("max", "avg"):
        r = _pool_case(mode, int(seed))
        st.markdown(f"**{t(f'bp.pool_{mode}')}**")
        sub = st.columns(3)
        for j, (k, title) in enumerate((("x", "bp.pool_fig_x"), ("dout", "bp.pool_fig_dout"),
                                        ("dx", "bp.pool_fig_dx"))):
            figures.chart(sub[j], figures.grid(r[k], t(title), numbers=True, height=220),
                                **PLOT, key=f"bp.pool.{mode}.{k}")
        st.caption(t(f"bp.pool_{mode}_rule", err=sig(r['max_error'], 2)))
