"""Convolution and cross-correlation: single-channel, 1-D and batched multi-channel.

Conventions
-----------
Images are indexed by rows and columns. The effective size of a kernel of
size ``K`` with dilation ``D`` is ``D(K - 1) + 1``, and every output size
follows ``H' = (H + P_top + P_bottom - D(KH - 1) - 1) // S + 1``.

Cross-correlation (what deep-learning frameworks call "convolution") slides
the kernel as it is; true convolution first rotates it by 180 degrees.

The fast path is im2col + one matrix product (``conv2d``); the plain loop
(``conv2d_loop``) is kept beside it as the reference the tests compare with.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..checks import LessonError, check_finite, check_nonnegative_int, check_pair, check_positive_int
from ..geometry.shapes import conv_output_size

PaddingSpec = "int | tuple | str"


# --------------------------------------------------------------------------
# Argument handling
# --------------------------------------------------------------------------
def normalize_padding(padding, kernel_shape, dilation=(1, 1), stride=(1, 1)):
    """Turn any padding spec into ``((top, bottom), (left, right))``.

    Parameters
    ----------
    padding : int, (rows, cols), ((top, bottom), (left, right)) or str
        ``"valid"`` (no padding), ``"same"`` (output as large as the input,
        stride 1 only) or ``"full"`` (every partial overlap, ``D(K-1)`` a side).
    kernel_shape : (KH, KW)
    """
    keff = [d * (k - 1) + 1 for k, d in zip(kernel_shape, dilation)]
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return ((0, 0), (0, 0))
        if mode == "full":
            return tuple((e - 1, e - 1) for e in keff)
        if mode == "same":
            if any(s != 1 for s in stride):
                raise LessonError("same_needs_stride1",
                                  "padding 'same' only works with stride 1; use a number instead.")
            return tuple(((e - 1) // 2, (e - 1) - (e - 1) // 2) for e in keff)
        raise LessonError("bad_padding",
                          f"padding must be a number, 'valid', 'same' or 'full', got '{padding}'.")
    if np.isscalar(padding):
        pairs = ((padding, padding), (padding, padding))
    else:
        padding = tuple(padding)
        if len(padding) != 2:
            raise ValueError("padding must be one number, a (rows, cols) pair or per-side pairs.")
        pairs = tuple(p if np.ndim(p) == 1 else (p, p) for p in padding)
    out = []
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError("padding must be one number, a (rows, cols) pair or per-side pairs.")
        side = []
        for p in pair:
            side.append(check_nonnegative_int(p, "padding"))
        out.append(tuple(side))
    return tuple(out)


def _pair(value, name):
    return check_pair(value, name, check_positive_int)


def output_shape(in_shape, kernel_shape, stride=1, padding=0, dilation=1):
    """Output ``(H', W')`` of a correlation; raises ``LessonError`` (a ``ValueError``) if impossible.

    ``H' = (H + P_top + P_bottom - D(KH - 1) - 1) // S + 1``, per axis by
    :func:`cnnlab.geometry.shapes.conv_output_size`; ``padding`` is any spec of
    :func:`normalize_padding`.
    """
    stride = _pair(stride, "stride")
    dilation = _pair(dilation, "dilation")
    pads = normalize_padding(padding, kernel_shape, dilation, stride)
    return tuple(conv_output_size(n, k, s, p, d)
                 for n, k, s, d, p in zip(in_shape, kernel_shape, stride, dilation, pads))


# --------------------------------------------------------------------------
# Single-channel 2-D and 1-D
# --------------------------------------------------------------------------
def _as_2d(a, name):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows x columns), got {a.ndim} dimensions.")
    if a.size == 0:
        raise ValueError(f"{name} is empty.")
    check_finite(a, name)
    return a


def correlate2d(x, k, stride=1, padding=0, dilation=1):
    """Cross-correlation of a 2-D array with a 2-D kernel (no flip).

    Parameters
    ----------
    x : (H, W) array_like
    k : (KH, KW) array_like
    stride, dilation : int or (rows, cols)
    padding : int, (rows, cols), per-side pairs, 'valid', 'same' or 'full'

    Returns
    -------
    out : (H', W') float64 ndarray,
        ``out[i, j] = sum_{a, b} x_pad[i*S + a*D, j*S + b*D] * k[a, b]``.
    """
    x = _as_2d(x, "input")
    k = _as_2d(k, "kernel")
    out = conv2d(x[None, None], k[None, None], stride=stride, padding=padding, dilation=dilation)
    return out[0, 0]


def convolve2d(x, k, stride=1, padding=0, dilation=1):
    """True convolution: cross-correlation with the kernel rotated by 180 degrees.

    Same arguments and output shape as :func:`correlate2d`.
    """
    k = _as_2d(k, "kernel")
    if isinstance(padding, str) and padding.lower() == "same":
        # The flipped kernel is centred the other way: for even kernels the
        # extra row/column of padding goes before (as scipy.signal does).
        pads = normalize_padding(padding, k.shape, _pair(dilation, "dilation"), _pair(stride, "stride"))
        padding = tuple((after, before) for before, after in pads)
    return correlate2d(x, rotate180(k), stride=stride, padding=padding, dilation=dilation)


def rotate180(k):
    """The kernel rotated by 180 degrees (flipped along rows and columns)."""
    return np.asarray(k)[::-1, ::-1].copy()


def correlate1d(x, k, stride=1, padding=0, dilation=1):
    """Cross-correlation of a 1-D signal ``x`` (T,) with a kernel ``k`` (K,).

    ``out[t] = sum_j x_pad[t*S + j*D] * k[j]``
    """
    x = np.asarray(x, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    if x.ndim != 1 or k.ndim != 1:
        raise ValueError("a 1-D signal and a 1-D kernel are needed.")
    if isinstance(padding, str):
        pad = padding
    else:
        pad = ((0, 0), (padding, padding) if np.isscalar(padding) else tuple(padding))
    if isinstance(pad, str):
        pads = normalize_padding(pad, (1, k.size), (1, dilation), (1, stride))
        pad = ((0, 0), pads[1])
    return correlate2d(x[None, :], k[None, :], stride=(1, stride), padding=pad,
                       dilation=(1, dilation))[0]


def convolve1d(x, k, stride=1, padding=0, dilation=1):
    """True 1-D convolution: ``out[t] = sum_j x[t - j] * k[j]`` (the kernel is reversed).

    With ``padding='full'`` this is the textbook sum over the whole history,
    the same as ``numpy.convolve(x, k)``.
    """
    k = np.asarray(k, dtype=np.float64)
    return correlate1d(x, k[::-1], stride=stride, padding=padding, dilation=dilation)


def pad2d(x, padding, kernel_shape=(1, 1), dilation=1, stride=1, value=0.0):
    """Zero-pad (or pad with ``value``) a 2-D array; returns ``(x_pad, ((top, bottom), (left, right)))``."""
    pads = normalize_padding(padding, kernel_shape, _pair(dilation, "dilation"), _pair(stride, "stride"))
    return np.pad(np.asarray(x, dtype=np.float64), pads, constant_values=value), pads


def window_terms(x, k, row, col, stride=1, padding=0, dilation=1):
    """The multiply-add that produces one output cell of :func:`correlate2d`.

    Returns
    -------
    dict with
        ``rows``, ``cols`` : (KH,), (KW,) int arrays, the padded-input rows/cols used;
        ``window`` : (KH, KW) input values under the kernel;
        ``products`` : (KH, KW) ``window * k``;
        ``value`` : their sum.
    """
    x = _as_2d(x, "input")
    k = _as_2d(k, "kernel")
    s = _pair(stride, "stride")
    d = _pair(dilation, "dilation")
    oh, ow = output_shape(x.shape, k.shape, s, padding, d)
    if not (0 <= row < oh and 0 <= col < ow):
        raise LessonError("cell_outside", f"output cell ({row}, {col}) is outside the {oh}x{ow} output.",
                          row=row, col=col, rows=oh, cols=ow)
    xp, _ = pad2d(x, padding, k.shape, d, s)
    rows = row * s[0] + d[0] * np.arange(k.shape[0])
    cols = col * s[1] + d[1] * np.arange(k.shape[1])
    window = xp[np.ix_(rows, cols)]
    products = window * k
    return {"rows": rows, "cols": cols, "window": window, "products": products,
            "value": float(products.sum())}


# --------------------------------------------------------------------------
# Batched multi-channel convolution (what a CNN layer computes)
# --------------------------------------------------------------------------
def _check_conv_args(x, w, b):
    if x.ndim != 4:
        raise ValueError(f"the input must have shape (N, C, H, W), got {x.ndim} dimensions.")
    if w.ndim != 4:
        raise ValueError(f"the weights must have shape (F, C, KH, KW), got {w.ndim} dimensions.")
    if x.shape[1] != w.shape[1]:
        raise LessonError(
            "channel_mismatch",
            f"the input has {x.shape[1]} channels but each kernel has {w.shape[1]}; they must match.",
            input=x.shape[1], kernel=w.shape[1])
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"the bias must have one value per filter ({w.shape[0]}), got shape {b.shape}.")
    check_finite(x, "input")
    check_finite(w, "weights")
    if b is not None:
        check_finite(b, "bias")


def _prepare(x, w, stride, padding, dilation):
    s = _pair(stride, "stride")
    d = _pair(dilation, "dilation")
    pads = normalize_padding(padding, w.shape[2:], d, s)
    oh, ow = output_shape(x.shape[2:], w.shape[2:], s, pads, d)
    return s, d, pads, (oh, ow)


LAYOUTS = ("nhw", "hwn")


def _windows(layout, c, kh, kw, n, oh, ow):
    """Shape of the unfolded array and the axis order of the padded input for ``layout``."""
    if layout == "nhw":
        return (c, kh, kw, n, oh, ow), (1, 0, 2, 3)
    if layout == "hwn":
        return (c, kh, kw, oh, ow, n), (1, 2, 3, 0)
    raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}.")


def _offsets(kh, kw, out_hw, stride, dilation, spatial):
    """For every kernel offset ``(a, b)``: the slices of the padded input it reads."""
    (oh, ow), (sh, sw), (dh, dw) = out_hw, stride, dilation
    for a in range(kh):
        for b in range(kw):
            rows = slice(a * dh, a * dh + sh * (oh - 1) + 1, sh)
            cols = slice(b * dw, b * dw + sw * (ow - 1) + 1, sw)
            yield a, b, (slice(None),) * spatial + (rows, cols)


def im2col(x_pad, kh, kw, out_hw, stride, dilation, layout="nhw"):
    """Unfold ``x_pad`` (N, C, Hp, Wp) into columns ``(C*KH*KW, N*H'*W')``.

    Row ``(c, a, b)`` of the result holds, for every output position, the
    input value the kernel weight ``w[:, c, a, b]`` multiplies. ``layout`` orders
    the columns: ``"nhw"`` (image by image) or ``"hwn"`` (the batch innermost:
    each window copy then reads runs of ``W' * N`` values instead of ``W'``,
    much faster when the maps are small, as in late layers). Same numbers.
    """
    n, c = x_pad.shape[:2]
    shape, order = _windows(layout, c, kh, kw, n, *out_hw)
    cols = np.empty(shape, dtype=x_pad.dtype)
    # one contiguous copy first: the KH*KW window copies then read memory in order
    xt = np.ascontiguousarray(x_pad.transpose(order))
    lead = 2 if layout == "nhw" else 1
    for a, b, window in _offsets(kh, kw, out_hw, stride, dilation, lead):
        cols[:, a, b] = xt[window]
    return cols.reshape(c * kh * kw, -1)


def col2im(cols, x_pad_shape, kh, kw, out_hw, stride, dilation, layout="nhw"):
    """Adjoint of :func:`im2col`: add every column entry back to its input cell; ``(N, C, Hp, Wp)``."""
    n, c, hp, wp = x_pad_shape
    shape, order = _windows(layout, c, kh, kw, n, *out_hw)
    cols = cols.reshape(shape)
    dxt = np.zeros(tuple(x_pad_shape[i] for i in order), dtype=cols.dtype)
    lead = 2 if layout == "nhw" else 1
    for a, b, window in _offsets(kh, kw, out_hw, stride, dilation, lead):
        dxt[window] += cols[:, a, b]
    return dxt.transpose(np.argsort(order))


class ConvCache(NamedTuple):
    """What :func:`conv2d_backward` needs from :func:`conv2d_forward`."""

    x_pad_shape: tuple
    pads: tuple
    cols: np.ndarray          # (C*KH*KW, N*H'*W') im2col matrix in ``layout`` order
    w: np.ndarray
    stride: tuple
    dilation: tuple
    out_hw: tuple
    layout: str


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1):
    """Forward pass of a convolution layer (cross-correlation), with a cache for backward.

    Parameters
    ----------
    x : (N, C, H, W) ndarray
    w : (F, C, KH, KW) ndarray
    b : (F,) ndarray or None
    stride, dilation : int or (rows, cols); padding : as :func:`normalize_padding`

    Returns
    -------
    out : (N, F, H', W') ndarray, ``H' = (H + 2P - D(KH-1) - 1) // S + 1``
    cache : :class:`ConvCache` for :func:`conv2d_backward`
    """
    x = np.asarray(x)
    w = np.asarray(w)
    b = None if b is None else np.asarray(b)
    _check_conv_args(x, w, b)
    dtype = np.result_type(x.dtype, w.dtype, np.float32)
    x = x.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    s, d, pads, (oh, ow) = _prepare(x, w, stride, padding, dilation)
    x_pad = np.pad(x, ((0, 0), (0, 0)) + pads) if any(sum(pads, ())) else x
    f, c, kh, kw = w.shape
    n = x.shape[0]
    # narrow maps: put the batch innermost so every copy moves long runs (same numbers)
    layout = "hwn" if ow < 16 and n > 1 else "nhw"
    cols = im2col(x_pad, kh, kw, (oh, ow), s, d, layout)
    out = w.reshape(f, -1) @ cols
    if b is not None:
        out += b.astype(dtype).reshape(f, 1)
    if layout == "hwn":
        out = out.reshape(f, oh, ow, n).transpose(3, 0, 1, 2)
    else:
        out = out.reshape(f, n, oh, ow).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(out), ConvCache(x_pad.shape, pads, cols, w, s, d, (oh, ow), layout)


def conv2d_backward(dout, cache, need_dx=True):
    """Backward pass of :func:`conv2d_forward`.

    Parameters
    ----------
    dout : (N, F, H', W') ndarray, upstream gradient
    need_dx : bool, ``False`` skips ``dx`` (returned as ``None``), e.g. for a
        network's first layer, whose input needs no gradient

    Returns
    -------
    dx : (N, C, H, W), dw : (F, C, KH, KW), db : (F,)
        ``dw`` correlates the input with ``dout``; ``dx`` is the full
        convolution of ``dout`` with the kernel (its 180-degree rotation
        correlated), summed over filters.
    """
    w, cols = cache.w, cache.cols
    f, c, kh, kw = w.shape
    dout = np.asarray(dout, dtype=cols.dtype)
    dout2 = dout.transpose(1, 2, 3, 0) if cache.layout == "hwn" else dout.transpose(1, 0, 2, 3)
    dout2 = dout2.reshape(f, -1)
    db = dout2.sum(axis=1)
    dw = (dout2 @ cols.T).reshape(w.shape)
    if not need_dx:
        return None, dw, db
    dcols = w.reshape(f, -1).T @ dout2
    dx_pad = col2im(dcols, cache.x_pad_shape, kh, kw, cache.out_hw, cache.stride, cache.dilation, cache.layout)
    (pt, pb), (pl, pr) = cache.pads
    hp, wp = cache.x_pad_shape[2:]
    dx = dx_pad[:, :, pt:hp - pb, pl:wp - pr]
    return np.ascontiguousarray(dx), dw, db


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """Multi-channel, batched convolution layer (cross-correlation), im2col version.

    Parameters
    ----------
    x : (N, C, H, W) ndarray
    w : (F, C, KH, KW) ndarray
    b : (F,) ndarray, optional

    Returns
    -------
    (N, F, H', W') ndarray: ``out[n, f] = b[f] + sum_c correlate2d(x[n, c], w[f, c])``.
    """
    return conv2d_forward(x, w, b, stride, padding, dilation)[0]


def conv2d_loop(x, w, b=None, stride=1, padding=0, dilation=1):
    """The slow, obvious reference for :func:`conv2d`: four loops and a dot product."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    b = None if b is None else np.asarray(b, dtype=np.float64)
    _check_conv_args(x, w, b)
    (sh, sw), (dh, dw), pads, (oh, ow) = _prepare(x, w, stride, padding, dilation)
    xp = np.pad(x, ((0, 0), (0, 0)) + pads)
    n, f = x.shape[0], w.shape[0]
    kh, kw = w.shape[2:]
    out = np.zeros((n, f, oh, ow))
    for i in range(n):
        for j in range(f):
            for r in range(oh):
                for q in range(ow):
                    win = xp[i, :, r * sh:r * sh + dh * (kh - 1) + 1:dh,
                             q * sw:q * sw + dw * (kw - 1) + 1:dw]
                    out[i, j, r, q] = np.sum(win * w[j]) + (0.0 if b is None else b[j])
    return out


def channel_contributions(x, w, b=0.0, stride=1, padding=0, dilation=1):
    """How one feature map comes from a multi-channel input.

    Parameters
    ----------
    x : (C, H, W) ndarray, e.g. the R, G, B planes
    w : (C, KH, KW) ndarray, one 3-D kernel

    Returns
    -------
    parts : (C, H', W') ndarray, the correlation of each channel with its kernel slice
    total : (H', W') ndarray, ``parts.sum(0) + b``
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim != 3 or w.ndim != 3:
        raise ValueError("a (C, H, W) input and a (C, KH, KW) kernel are needed.")
    if x.shape[0] != w.shape[0]:
        raise ValueError(
            f"the input has {x.shape[0]} channels but the kernel has {w.shape[0]}; they must match."
        )
    parts = np.stack([correlate2d(x[c], w[c], stride, padding, dilation) for c in range(x.shape[0])])
    return parts, parts.sum(axis=0) + float(b)
