"""The convolution lesson's arithmetic: pure functions of its settings, cached, returning frozen results.

Every number comes from ``cnnlab`` (``correlate2d``, ``convolve2d``, ``convolve1d``, ``channel_contributions``,
``conv_param_count``); this module only chooses the inputs and bundles the answers, so that the views only
draw. A ``ValueError`` of the core (a kernel larger than the padded input, say) is raised to the view, which
shows it translated (ui/errors.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

import cnnlab
from cnnlab.vision import kernels

SIGNAL_LENGTH = 16     # samples of the 1-D pulse signal


@dataclass(frozen=True)
class Compare:
    """Cross-correlation and true convolution of one input with one kernel."""
    padded: np.ndarray         # the zero-padded input
    pad_mask: np.ndarray       # True on the padding cells
    rotated: np.ndarray        # the kernel rotated by 180°
    corr: np.ndarray           # cross-correlation (what frameworks call convolution)
    conv: np.ndarray           # true convolution
    max_diff: float            # largest |corr - conv|
    identity_diff: float       # largest |conv - correlate(x, rotate180(k))|: the identity, checked here
    symmetric: bool            # the kernel equals its 180° rotation


@dataclass(frozen=True)
class OneD:
    """A pulse signal through a decaying response, and the terms of one output sample."""
    x: np.ndarray
    h: np.ndarray
    y: np.ndarray              # the output, as long as the signal
    t: int
    terms: tuple               # (j, t - j, x[t - j], h[j], product) of y[t]
    used: frozenset            # the input indices that y[t] reads
    flipped_at: tuple          # where the flipped response lies under the signal: t - j for each j with t - j >= 0
    flipped: tuple             # its heights there: h[j] (the kernel read backwards, left to right)


@dataclass(frozen=True)
class MultiChannel:
    """One 3-D kernel over R, G and B: per-channel parts, their sum plus the bias."""
    kernel: np.ndarray         # (3, KH, KW)
    parts: np.ndarray          # (3, H', W') each channel's correlation with its slice
    total: np.ndarray          # (H', W') the feature map
    check: float               # largest |sum(parts) + b - total|


@dataclass(frozen=True)
class Params:
    one: int                   # parameters of one k x k x C filter with its bias
    total: int                 # ... of f such filters


def padded_input(x, padding):
    """The zero-padded input and a mask of its padding cells."""
    xp = np.pad(x, padding)
    mask = np.ones_like(xp, dtype=bool)
    mask[padding:padding + x.shape[0], padding:padding + x.shape[1]] = False
    return xp, mask


@st.cache_data(max_entries=64, show_spinner=False)
def compare(x: np.ndarray, k: np.ndarray, stride: int, padding: int) -> Compare:
    corr = cnnlab.correlate2d(x, k, stride=stride, padding=padding)
    conv = cnnlab.convolve2d(x, k, stride=stride, padding=padding)
    rotated = cnnlab.rotate180(k)
    via_rot = cnnlab.correlate2d(x, rotated, stride=stride, padding=padding)
    xp, mask = padded_input(x, padding)
    return Compare(xp, mask, rotated, corr, conv, float(np.max(np.abs(corr - conv))),
                   float(np.max(np.abs(conv - via_rot))), bool(kernels.is_symmetric_180(k)))


@st.cache_data(max_entries=64, show_spinner=False)
def one_d(rate: float, length: int, t: int, n: int = SIGNAL_LENGTH) -> OneD:
    x = kernels.pulse_signal(n)
    h = kernels.decaying_response(length, rate)
    y = cnnlab.convolve1d(x, h, padding="full")[: len(x)]
    terms = tuple(kernels.convolve1d_terms(x, h, t))
    under = [j for j in range(len(h)) if t - j >= 0]
    return OneD(x, h, y, t, terms, frozenset(i for _, i, *_ in terms), tuple(t - j for j in under),
                tuple(float(h[j]) for j in under))


@st.cache_data(max_entries=32, show_spinner=False)
def multi_channel(rgb: np.ndarray, name: str, bias: float) -> MultiChannel:
    w = kernels.rgb_kernel(name)
    parts, total = cnnlab.channel_contributions(rgb.transpose(2, 0, 1), w, b=bias, padding=1)
    return MultiChannel(w, parts, total, float(np.max(np.abs(parts.sum(0) + bias - total))))


def params(k: int, c: int, f: int) -> Params:
    return Params(cnnlab.conv_param_count(k, c, 1), cnnlab.conv_param_count(k, c, f))
