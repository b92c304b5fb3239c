"""The four views of the convolution lesson: they draw; the arithmetic is in ``compute.py`` (``cnnlab``)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app_pages.convolution import compute
from cnnlab.vision import kernels
from ui import errors, figures
from ui.fmt import math_num
from ui.fmt import num as _num
from ui.state import remember

padded_input = compute.padded_input     # the step-by-step view draws the padded input too


def output_size_line(t, s, out_shape):
    """The output-size formula with this lesson's numbers, per axis when they differ."""
    lines = []
    for axis, n, kk, o in (("rows", s.x.shape[0], s.k.shape[0], out_shape[0]),
                           ("cols", s.x.shape[1], s.k.shape[1], out_shape[1])):
        lines.append(t(f"conv.output_axis_{axis}", n=n, k=kk, p=s.padding, s=s.stride, o=o))
        if s.x.shape[0] == s.x.shape[1] and s.k.shape[0] == s.k.shape[1]:
            lines = [t("conv.output_axis_both", n=n, k=kk, p=s.padding, s=s.stride, o=o)]
            break
    st.info("  \n".join(lines) + "  \n" + t("conv.output_size", rows=out_shape[0], cols=out_shape[1]),
            icon=":material/straighten:")


# ----------------------------------------------------------------------------- compare
def compare(t, s):
    """Cross-correlation and true convolution side by side."""
    try:
        res = compute.compare(s.x, s.k, s.stride, s.padding)
    except ValueError as exc:
        errors.show(exc, t)
        return None
    output_size_line(t, s, res.corr.shape)
    c1, c2, c3 = st.columns([5, 3, 3])
    figures.chart(c1, figures.grid(res.padded, t("conv.fig_input"), numbers=s.is_grid, mask=res.pad_mask,
                                   mask_label=t("conv.padding_cells") if s.padding else ""))
    figures.chart(c2, figures.grid(s.k, t("conv.fig_kernel")))
    figures.chart(c3, figures.grid(res.rotated, t("conv.fig_rotated")))
    o1, o2 = st.columns(2)
    figures.chart(o1, figures.grid(res.corr, t("conv.fig_corr"), numbers=s.is_grid))
    figures.chart(o2, figures.grid(res.conv, t("conv.fig_conv"), numbers=s.is_grid))
    if res.symmetric:
        st.success(t("conv.same_symmetric"), icon=":material/check_circle:")
    elif res.max_diff < 1e-12:
        st.info(t("conv.same_by_chance"))
    else:
        st.warning(t("conv.differ", diff=_num(res.max_diff)), icon=":material/compare_arrows:")
    st.markdown(t("conv.identity_check", diff=math_num(res.identity_diff, 2)))   # 0, not 0.0e+00
    st.markdown(t("conv.why_frameworks"))
    return res.corr


# ----------------------------------------------------------------------------- 1-D
def one_d(t):
    """A signal convolved with a decaying response: why the kernel index runs backwards."""
    st.markdown(t("conv.1d_intro"))
    remember("conv", {"conv.1d_rate": 0.5, "conv.1d_length": 5, "conv.1d_t": 7})   # kept for the session
    c1, c2 = st.columns(2)
    rate = c1.slider(t("conv.1d_rate"), 0.1, 1.0, step=0.05, key="conv.1d_rate")
    length = c2.slider(t("conv.1d_length"), 2, 8, key="conv.1d_length")
    tt = st.slider(t("conv.1d_time"), 0, compute.SIGNAL_LENGTH - 1, key="conv.1d_t")
    res = compute.one_d(float(rate), int(length), int(tt))
    x, y = res.x, res.y
    fig = go.Figure()
    fig.add_bar(x=list(range(len(x))), y=x, name=t("conv.1d_signal"),
                marker_color=[figures.HIGHLIGHT if i in res.used else "#64748b" for i in range(len(x))])
    fig.add_bar(x=list(res.flipped_at), y=list(res.flipped), name=t("conv.1d_flipped"), marker_color="#2563eb",
                opacity=0.6)
    fig.add_scatter(x=list(range(len(y))), y=y, name=t("conv.1d_output"), mode="lines+markers",
                    line=dict(color=figures.OUTPUT))
    fig.update_layout(barmode="overlay", height=320, xaxis_title=t("conv.1d_axis_time"),
                      yaxis_title=t("conv.1d_axis_value"), margin=dict(l=10, r=10, t=10, b=10),
                      # anchored at its bottom above the plot: on a phone it takes 3 lines and covered the bars
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    figures.chart(st, fig, key="conv.fig_1d")
    st.code(equation_1d(tt, res.terms, y[tt]), language=None, wrap_lines=True)
    st.markdown(t("conv.1d_explain"))


def equation_1d(tt, terms, value):
    """``y[7] = x[7]h[0] + x[6]h[1] = 0×1 + 2×0.5 = 1``: the symbols, then the numbers, then the sum."""
    if not terms:
        return f"y[{tt}] = 0"
    symbols = " + ".join(f"x[{i}]h[{j}]" for j, i, _, _, _ in terms)
    numbers = " + ".join(f"{math_num(xv)}×{math_num(hv)}" for _, _, xv, hv, _ in terms)
    return f"y[{tt}] = {symbols} = {numbers} = {math_num(value)}"


# ----------------------------------------------------------------------------- RGB
def multi_channel(t, rgb):
    """One 3-D kernel over R, G and B gives one feature map: per-channel sums plus the bias."""
    st.markdown(t("conv.rgb_intro"))
    remember("conv", {"conv.rgb_kernel": kernels.RGB_KERNELS[0], "conv.rgb_bias": 0.0, "conv.params_k": 5,
                      "conv.params_c": 3, "conv.params_f": 10})
    c1, c2 = st.columns(2)
    name = c1.selectbox(t("conv.rgb_kernel"), kernels.RGB_KERNELS, key="conv.rgb_kernel",
                        format_func=lambda k: t(f"conv.rgb_{k}"))
    bias = c2.slider(t("conv.rgb_bias"), -1.0, 1.0, step=0.1, key="conv.rgb_bias")
    res = compute.multi_channel(rgb, name, float(bias))
    figures.chart(st, figures.image(rgb, t("conv.rgb_input"), height=260), key="conv.fig_rgb_in")
    cols = st.columns(3)
    m = float(np.abs(res.parts).max()) or 1.0
    for c, col in enumerate(cols):
        ch = t(f"conv.channel_{'rgb'[c]}")
        figures.chart(col, figures.grid(res.kernel[c], t("conv.rgb_slice", ch=ch)), key=f"conv.fig_w{c}")
        figures.chart(col, figures.grid(res.parts[c], t("conv.rgb_part", ch=ch), zrange=(-m, m), diverging=True,
                                        height=260), key=f"conv.fig_part{c}")
    figures.chart(st, figures.grid(res.total, t("conv.rgb_total", b=_num(bias)), diverging=True, height=300),
                  key="conv.fig_rgb_total")
    st.caption(t("conv.rgb_check", diff=math_num(res.check, 2)))   # 0, not 0.0e+00
    st.subheader(t("conv.params_title"))
    p1, p2, p3 = st.columns(3)
    k = p1.number_input(t("conv.params_k"), 1, 11, key="conv.params_k")
    c = p2.number_input(t("conv.params_c"), 1, 512, key="conv.params_c")
    f = p3.number_input(t("conv.params_f"), 1, 512, key="conv.params_f")
    try:
        res = compute.params(int(k), int(c), int(f))
        st.markdown(t("conv.params_result", k=int(k), c=int(c), f=int(f), one=f"{res.one:,}",
                      total=f"{res.total:,}"))   # 73,856, not 73856
    except ValueError as exc:
        errors.show(exc, t)
