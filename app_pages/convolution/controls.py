"""Widgets of the convolution lesson: the input, the kernel, padding and stride.

Returns plain values; the page hands them to ``cnnlab``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnlab.vision import kernels
from ui.grid_guard import grid_width, number_grid
from ui.image_source import image_source
from ui.state import UrlState

IMAGE_SIDE = 40  # working size of an image in this lesson: small enough to see every cell


@dataclass
class ConvSettings:
    x: np.ndarray          # (H, W) input
    k: np.ndarray          # (KH, KW) kernel
    stride: int
    padding: int
    is_grid: bool          # a small integer grid (numbers are written in the cells)
    caption: str


def url_state():
    return UrlState(
        "conv",
        {"src": "grid", "grid": "vertical_bar", "n": 7, "kernel": "sobel_x", "ks": 3,
         "pad": 0, "stride": 1},
        choices={"src": ("grid", "image"), "grid": kernels.GRID_NAMES,
                 "kernel": kernels.KERNEL_NAMES, "ks": (3, 5)},
        bounds={"n": (5, 9), "pad": (0, 4), "stride": (0, 4)},
    )


def controls(t, url):
    """Draw the input / kernel / padding / stride controls; returns ``ConvSettings``."""
    # Two columns as wide as their grids (ui/grid_guard.py): the whole 9 x 9 input and 5 x 5 kernel show
    # at 1024 px; padding and stride sit under the kernel.
    n, ks = url.get("n"), url.get("ks")
    kname = url.get("kernel")
    in_px = grid_width(np.zeros((n, n))) if url.get("src") == "grid" else 360
    k_px = grid_width(kernels.kernel(kname, ks)) if kname in kernels.KERNEL_NAMES and ks in (3, 5) else 240
    left, mid = st.columns([in_px + 24, max(k_px, 180)], gap="small")   # side by side where both fit
    with left:
        st.markdown(f"**{t('conv.input')}**")
        src = st.segmented_control(t("conv.source"), ["grid", "image"], key=url.key("src"),
                                   format_func=lambda s: t(f"conv.source_{s}")) or "grid"
        if src == "grid":
            c1, c2 = st.columns(2)
            preset = c1.selectbox(t("conv.grid_preset"), kernels.GRID_NAMES, key=url.key("grid"),
                                  format_func=lambda g: t(f"conv.grid_{g}"))
            n = c2.slider(t("conv.grid_size"), 5, 9, key=url.key("n"))
            base = kernels.grid(preset, n)
            x = number_grid(t, base, f"conv.grid_editor.{preset}.{n}", t("conv.edit_hint"))
            caption = t(f"conv.grid_{preset}")
        else:
            x, caption = image_source(t, "conv.img", gray=True, max_side=IMAGE_SIDE)
    with mid:
        st.markdown(f"**{t('conv.kernel')}**")
        kname = st.selectbox(t("conv.kernel_preset"), kernels.KERNEL_NAMES, key=url.key("kernel"),
                             format_func=lambda k: t(f"conv.kernel_{k}"))
        ks = st.segmented_control(t("conv.kernel_size"), [3, 5], key=url.key("ks"),
                                  format_func=lambda s: f"{s}×{s}") or 3
        k = number_grid(t, kernels.kernel(kname, ks), f"conv.kernel_editor.{kname}.{ks}", t("conv.edit_hint"))
        p1, p2 = st.columns(2)
        padding = p1.number_input(t("conv.padding"), min_value=0, max_value=4, step=1,
                                  key=url.key("pad"), help=t("conv.padding_help"))
        stride = p2.number_input(t("conv.stride"), min_value=0, max_value=4, step=1,
                                 key=url.key("stride"), help=t("conv.stride_help"))
    return ConvSettings(x=x, k=k, stride=int(stride), padding=int(padding),
                        is_grid=src == "grid", caption=caption)
