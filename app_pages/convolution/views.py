"""The four views of the convolution lesson. Every number comes from ``cnnlab``."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import cnnlab
from cnnlab.vision import kernels
from ui import errors, figures
from ui.fmt import math_num
from ui.fmt import num as _num
from ui.style import PLOT


def padded_input(x, padding):
    """The zero-padded input and a mask of its padding cells."""
    xp = np.pad(x, padding)
    mask = np.ones_like(xp, dtype=bool)
    mask[padding:padding + x.shape[0], padding:padding + x.shape[1]] = False
    return xp, mask


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
        corr = cnnlab.correlate2d(s.x, s.k, stride=s.stride, padding=s.padding)
        conv = cnnlab.convolve2d(s.x, s.k, stride=s.stride, padding=s.padding)
        via_rot = cnnlab.correlate2d(s.x, cnnlab.rotate180(s.k), stride=s.stride, padding=s.padding)
    except ValueError as exc:
        errors.show(exc, t)
        return None
    output_size_line(t, s, corr.shape)
    xp, mask = padded_input(s.x, s.padding)
    c1, c2, c3 = st.columns([5, 3, 3])
    c1.plotly_chart(figures.grid(xp, t("conv.fig_input"), numbers=s.is_grid, mask=mask,
                                 mask_label=t("conv.padding_cells") if s.padding else ""), **PLOT)
    c2.plotly_chart(figures.grid(s.k, t("conv.fig_kernel")), **PLOT)
    c3.plotly_chart(figures.grid(cnnlab.rotate180(s.k), t("conv.fig_rotated")), **PLOT)
    o1, o2 = st.columns(2)
    o1.plotly_chart(figures.grid(corr, t("conv.fig_corr"), numbers=s.is_grid), **PLOT)
    o2.plotly_chart(figures.grid(conv, t("conv.fig_conv"), numbers=s.is_grid), **PLOT)
    diff = float(np.max(np.abs(corr - conv)))
    if kernels.is_symmetric_180(s.k):
        st.success(t("conv.same_symmetric"), icon=":material/check_circle:")
    elif diff < 1e-12:
        st.info(t("conv.same_by_chance"))
    else:
        st.warning(t("conv.differ", diff=_num(diff)), icon=":material/compare_arrows:")
    st.markdown(t("conv.identity_check", diff=f"{float(np.max(np.abs(conv - via_rot))):.1e}"))
    st.markdown(t("conv.why_frameworks"))
    return corr


# ----------------------------------------------------------------------------- 1-D
def one_d(t):
    """A signal convolved with a decaying response: why the kernel index runs backwards."""
    st.markdown(t("conv.1d_intro"))
    c1, c2 = st.columns(2)
    rate = c1.slider(t("conv.1d_rate"), 0.1, 1.0, 0.5, 0.05, key="conv.1d_rate")
    length = c2.slider(t("conv.1d_length"), 2, 8, 5, key="conv.1d_length")
    x = kernels.pulse_signal(16)
    h = kernels.decaying_response(length, rate)
    y = cnnlab.convolve1d(x, h, padding="full")[: len(x)]
    tt = st.slider(t("conv.1d_time"), 0, len(x) - 1, 7, key="conv.1d_t")
    terms = kernels.convolve1d_terms(x, h, tt)
    used = {i for _, i, *_ in terms}
    fig = go.Figure()
    fig.add_bar(x=list(range(len(x))), y=x, name=t("conv.1d_signal"),
                marker_color=[figures.HIGHLIGHT if i in used else "#64748b" for i in range(len(x))])
    fig.add_bar(x=[tt - j for j in range(len(h)) if tt - j >= 0], y=[h[j] for j in range(len(h)) if tt - j >= 0],
                name=t("conv.1d_flipped"), marker_color="#2563eb", opacity=0.6)
    fig.add_scatter(x=list(range(len(y))), y=y, name=t("conv.1d_output"), mode="lines+markers",
                    line=dict(color=figures.OUTPUT))
    fig.update_layout(barmode="overlay", height=320, xaxis_title=t("conv.1d_axis_time"),
                      yaxis_title=t("conv.1d_axis_value"), margin=dict(l=10, r=10, t=10, b=10),
                      legend=dict(orientation="h", y=1.1))
    st.plotly_chart(fig, **PLOT, key="conv.fig_1d")
    st.code(equation_1d(tt, terms, y[tt]), language=None, wrap_lines=True)
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
    c1, c2 = st.columns(2)
    name = c1.selectbox(t("conv.rgb_kernel"), kernels.RGB_KERNELS, key="conv.rgb_kernel",
                        format_func=lambda k: t(f"conv.rgb_{k}"))
    bias = c2.slider(t("conv.rgb_bias"), -1.0, 1.0, 0.0, 0.1, key="conv.rgb_bias")
    w = kernels.rgb_kernel(name)
    parts, total = cnnlab.channel_contributions(rgb.transpose(2, 0, 1), w, b=bias, padding=1)
    st.plotly_chart(figures.image(rgb, t("conv.rgb_input"), height=260), **PLOT, key="conv.fig_rgb_in")
    cols = st.columns(3)
    m = float(np.abs(parts).max()) or 1.0
    for c, col in enumerate(cols):
        ch = t(f"conv.channel_{'rgb'[c]}")
        col.plotly_chart(figures.grid(w[c], t("conv.rgb_slice", ch=ch)), **PLOT, key=f"conv.fig_w{c}")
        col.plotly_chart(figures.grid(parts[c], t("conv.rgb_part", ch=ch), zrange=(-m, m), diverging=True,
                                      height=260), **PLOT, key=f"conv.fig_part{c}")
    st.plotly_chart(figures.grid(total, t("conv.rgb_total", b=_num(bias)), diverging=True, height=300),
                    **PLOT, key="conv.fig_rgb_total")
    check = float(np.max(np.abs(parts.sum(0) + bias - total)))
    st.caption(t("conv.rgb_check", diff=f"{check:.1e}"))
    st.subheader(t("conv.params_title"))
    p1, p2, p3 = st.columns(3)
    k = p1.number_input(t("conv.params_k"), 1, 11, 5, key="conv.params_k")
    c = p2.number_input(t("conv.params_c"), 1, 512, 3, key="conv.params_c")
    f = p3.number_input(t("conv.params_f"), 1, 512, 10, key="conv.params_f")
    try:
        one = cnnlab.conv_param_count(int(k), int(c), 1)
        st.markdown(t("conv.params_result", k=int(k), c=int(c), f=int(f), one=one,
                      total=cnnlab.conv_param_count(int(k), int(c), int(f))))
    except ValueError as exc:
        errors.show(exc, t)
