"""Max, average and min pooling: forward and backward, fast and loop versions.

Conventions
-----------
Images are indexed by rows and columns. A pooling window of ``K`` cells moves
``S`` cells at a time (``S`` defaults to ``K``) over the input padded by ``P``
cells on each side. The output size per axis is

    ``H' = floor((H + 2P - K) / S) + 1``                (``ceil_mode=False``)
    ``H' = ceil((H + 2P - K) / S) + 1``, minus one if the last window would
    start in the bottom padding                          (``ceil_mode=True``),

exactly as PyTorch's ``MaxPool2d`` / ``AvgPool2d`` compute it (see
:func:`cnnlab.geometry.shapes.pool_output_size`).

Padding convention: **padding cells never take part**. They never win a max
or a min, and the average divides by the number of real input cells in the
window (PyTorch's ``count_include_pad=False``). The same holds for the cells
past the padded edge that a ``ceil_mode`` window reaches. Every window always
holds at least one real cell, because the padding is at most half the window
(``2P <= K``, PyTorch's rule) and ``ceil_mode`` never starts a window in the
bottom padding.

Backward: max and min pooling route each upstream gradient value to the one
input they selected (ties go to the first cell in row-major order, like
``numpy.argmax``); average pooling spreads it evenly over the real cells of
the window. Pooling has no learnable parameters.

The fast path visits the ``KH*KW`` window offsets and works on whole strided
views of the padded input at once (the same trick as im2col); ``pool2d_loop``
is the plain reference that loops over every output cell.
"""

from __future__ import annotations

import numpy as np

from ..checks import LessonError, check_finite, check_nonnegative_int, check_pair, check_positive_int
from ..geometry.shapes import pool_output_size

MODES = ("max", "avg", "min")


# --------------------------------------------------------------------------
# Argument handling
# --------------------------------------------------------------------------
def _pair(value, name, check):
    return check_pair(value, name, check)


def _settings(in_hw, kernel, stride, padding, mode, ceil_mode):
    """Validate the settings; return ``(k, s, p, out_hw)`` as (rows, cols) pairs."""
    if mode not in MODES:
        raise LessonError("bad_pool_mode", f"mode must be 'max', 'avg' or 'min', got {mode!r}.",
                          mode=str(mode))
    k = _pair(kernel, "kernel_size", check_positive_int)
    s = k if stride is None else _pair(stride, "stride", check_positive_int)
    p = _pair(padding, "padding", check_nonnegative_int)
    out = tuple(pool_output_size(i, kk, ss, pp, ceil_mode=ceil_mode)
                for i, kk, ss, pp in zip(in_hw, k, s, p))
    return k, s, p, out


def _as_nchw(x):
    x = np.asarray(x)
    if x.ndim == 2:
        squeeze = True
        x = x[None, None]
    elif x.ndim == 4:
        squeeze = False
    else:
        raise ValueError(f"the input must have shape (N, C, H, W) or (H, W), got {x.ndim} dimensions.")
    if x.size == 0:
        raise ValueError("the input is empty.")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    check_finite(x, "input")
    return x, squeeze


def _padded(x, p, k, s, out_hw, fill):
    """Pad ``x`` with ``fill`` by ``p`` on top/left and enough on bottom/right for every window."""
    h, w = x.shape[2:]
    need = [(o - 1) * ss + kk for o, ss, kk in zip(out_hw, s, k)]
    after = [max(0, n - pp - size) for n, pp, size in zip(need, p, (h, w))]
    if not any(p) and not any(after):
        return x[:, :, :need[0], :need[1]]
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], after[0]), (p[1], after[1])), constant_values=fill)
    return xp[:, :, :need[0], :need[1]]


def _view(a, r, c, s, out_hw):
    """The cells that window offset ``(r, c)`` covers, one per output cell: (N, C, H', W')."""
    oh, ow = out_hw
    return a[:, :, r:r + s[0] * (oh - 1) + 1:s[0], c:c + s[1] * (ow - 1) + 1:s[1]]


def _counts(in_len, k, s, p, out_len):
    """Number of real input cells in each window along one axis: (out_len,) ints."""
    start = np.arange(out_len) * s - p
    return np.minimum(start + k, in_len) - np.maximum(start, 0)


# --------------------------------------------------------------------------
# Forward and backward
# --------------------------------------------------------------------------
def pool2d_forward(x, kernel, stride=None, padding=0, mode="max", ceil_mode=False):
    """Forward pass of max / average / min pooling, with a cache for backward.

    Parameters
    ----------
    x : (N, C, H, W) or (H, W) ndarray
    kernel : int or (KH, KW), the window
    stride : int or (SH, SW), default: the window (non-overlapping)
    padding : int or (PH, PW), cells added on each side; at most half the window
    mode : "max", "avg" or "min"
    ceil_mode : bool, round the output size up (PyTorch's ``ceil_mode``)

    Returns
    -------
    out : (N, C, H', W') or (H', W') ndarray, ``H' = floor((H + 2P - KH) / SH) + 1``;
        ``out[n, c, i, j]`` = max / mean / min of the real input cells in window ``(i, j)``.
    cache : tuple for :func:`pool2d_backward`

    Padding cells never win a max or min and are not counted in the average.
    """
    x, squeeze = _as_nchw(x)
    k, s, p, out_hw = _settings(x.shape[2:], kernel, stride, padding, mode, ceil_mode)
    n, c = x.shape[:2]
    if mode == "avg":
        xp = _padded(x, p, k, s, out_hw, 0.0)
        total = np.zeros((n, c) + out_hw, dtype=x.dtype)
        for r in range(k[0]):
            for q in range(k[1]):
                total += _view(xp, r, q, s, out_hw)
        count = np.outer(_counts(x.shape[2], k[0], s[0], p[0], out_hw[0]),
                         _counts(x.shape[3], k[1], s[1], p[1], out_hw[1])).astype(x.dtype)
        out = total / count
        aux = count
    else:
        sign = 1.0 if mode == "max" else -1.0
        xp = _padded(x, p, k, s, out_hw, -sign * np.inf)
        best = _view(xp, 0, 0, s, out_hw).copy()
        idx = np.zeros((n, c) + out_hw, dtype=np.int32)
        for r in range(k[0]):
            for q in range(k[1]):
                if r == q == 0:
                    continue
                v = _view(xp, r, q, s, out_hw)
                better = v > best if mode == "max" else v < best  # strict: the first one wins ties
                (np.maximum if mode == "max" else np.minimum)(best, v, out=best)
                idx += better * (r * k[1] + q - idx)
        out = best
        aux = idx
    cache = (x.shape, x.dtype, k, s, p, out_hw, mode, aux, squeeze)
    return (out[0, 0] if squeeze else out), cache


def pool2d_backward(dout, cache):
    """Backward pass of :func:`pool2d_forward`.

    Parameters
    ----------
    dout : (N, C, H', W') or (H', W') ndarray, upstream gradient

    Returns
    -------
    dx : (N, C, H, W) or (H, W) ndarray. Max / min: each ``dout`` value goes to
        the input its window selected (all other inputs of the window get 0);
        average: each value is split evenly over the window's real cells.
        Overlapping windows add up their contributions.
    """
    x_shape, dtype, k, s, p, out_hw, mode, aux, squeeze = cache
    dout = np.asarray(dout, dtype=dtype)
    if squeeze:
        dout = dout[None, None]
    if dout.shape != x_shape[:2] + out_hw:
        raise ValueError(f"dout must have shape {x_shape[:2] + out_hw}, got {dout.shape}.")
    n, c, h, w = x_shape
    need = [(o - 1) * ss + kk for o, ss, kk in zip(out_hw, s, k)]
    dxp = np.zeros((n, c, max(need[0], h + p[0]), max(need[1], w + p[1])), dtype=dtype)
    share = dout / aux if mode == "avg" else None
    for r in range(k[0]):
        for q in range(k[1]):
            view = _view(dxp, r, q, s, out_hw)
            if mode == "avg":
                view += share
            else:
                view += (aux == r * k[1] + q) * dout
    dx = dxp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
    dx = np.ascontiguousarray(dx)
    return dx[0, 0] if squeeze else dx


def pool2d(x, kernel, stride=None, padding=0, mode="max", ceil_mode=False):
    """Pooling without the cache: see :func:`pool2d_forward`."""
    return pool2d_forward(x, kernel, stride, padding, mode, ceil_mode)[0]


def pool2d_selected(x, kernel, stride=None, padding=0, mode="max", ceil_mode=False):
    """Which input each output of max / min pooling selected.

    Returns
    -------
    rows, cols : two int ndarrays shaped like the output, (N, C, H', W') or
        (H', W'): the input row and column (unpadded coordinates) whose value
        the output cell took. Ties: the first cell in row-major order.
    """
    if mode == "avg":
        raise LessonError("avg_no_selection",
                          "average pooling uses every cell of the window; no single input is selected.")
    _, cache = pool2d_forward(x, kernel, stride, padding, mode, ceil_mode)
    _, _, k, s, p, out_hw, _, idx, squeeze = cache
    oi = np.arange(out_hw[0]).reshape(-1, 1)
    oj = np.arange(out_hw[1]).reshape(1, -1)
    rows = oi * s[0] - p[0] + idx // k[1]
    cols = oj * s[1] - p[1] + idx % k[1]
    if squeeze:
        return rows[0, 0], cols[0, 0]
    return rows, cols


def pool_window(row, col, in_hw, kernel, stride=None, padding=0, ceil_mode=False):
    """The input cells window ``(row, col)`` covers.

    Returns
    -------
    dict with ``rows``, ``cols`` : (KH,), (KW,) int arrays of input coordinates
        (negative or ``>= H`` where the window lies in the padding), and
        ``valid_rows``, ``valid_cols`` : the same clipped to the real input.
    """
    k, s, p, out_hw = _settings(in_hw, kernel, stride, padding, "max", ceil_mode)
    if not (0 <= row < out_hw[0] and 0 <= col < out_hw[1]):
        raise LessonError("cell_outside",
                          f"output cell ({row}, {col}) is outside the {out_hw[0]}x{out_hw[1]} output.",
                          row=row, col=col, rows=out_hw[0], cols=out_hw[1])
    rows = row * s[0] - p[0] + np.arange(k[0])
    cols = col * s[1] - p[1] + np.arange(k[1])
    return {"rows": rows, "cols": cols,
            "valid_rows": rows[(rows >= 0) & (rows < in_hw[0])],
            "valid_cols": cols[(cols >= 0) & (cols < in_hw[1])]}


# --------------------------------------------------------------------------
# The slow, obvious reference
# --------------------------------------------------------------------------
def pool2d_loop(x, kernel, stride=None, padding=0, mode="max", ceil_mode=False):
    """Reference pooling: loop over every output cell, clip its window to the real input.

    Same arguments and result as :func:`pool2d`.
    """
    x, squeeze = _as_nchw(x)
    x = x.astype(np.float64)
    k, s, p, (oh, ow) = _settings(x.shape[2:], kernel, stride, padding, mode, ceil_mode)
    n, c, h, w = x.shape
    reduce = {"max": np.max, "avg": np.mean, "min": np.min}[mode]
    out = np.zeros((n, c, oh, ow))
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    r0, c0 = i * s[0] - p[0], j * s[1] - p[1]
                    window = x[b, ch, max(r0, 0):min(r0 + k[0], h), max(c0, 0):min(c0 + k[1], w)]
                    out[b, ch, i, j] = reduce(window)
    return out[0, 0] if squeeze else out


def shift_comparison(x, kernel, stride=None, padding=0, mode="max", shift=1, ceil_mode=False):
    """Why pool: compare the pooled outputs of an image and of the image shifted by ``shift`` columns.

    Parameters
    ----------
    x : (H, W) ndarray
    shift : int, columns to move the content right (the first columns repeat the edge)
    ceil_mode : bool, round the pooled size up, as in :func:`pool2d`

    Returns
    -------
    dict with ``shifted`` (H, W), ``pooled`` and ``pooled_shifted`` (H', W'), and
    ``changed_input`` / ``changed_pooled``: the fraction of cells whose value changed, and
    ``mean_change_input`` / ``mean_change_pooled``: the mean absolute change.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("a 2-D input (rows x columns) is needed.")
    shift = check_nonnegative_int(shift, "shift")
    shifted = x.copy()
    if 0 < shift < x.shape[1]:
        shifted[:, shift:] = x[:, :-shift]
        shifted[:, :shift] = x[:, :1]
    a = pool2d(x, kernel, stride, padding, mode, ceil_mode)
    b = pool2d(shifted, kernel, stride, padding, mode, ceil_mode)
    tol = 1e-9 * max(1.0, float(np.abs(x).max()))
    return {"shifted": shifted, "pooled": a, "pooled_shifted": b,
            "changed_input": float(np.mean(np.abs(x - shifted) > tol)),
            "changed_pooled": float(np.mean(np.abs(a - b) > tol)),
            "mean_change_input": float(np.mean(np.abs(x - shifted))),
            "mean_change_pooled": float(np.mean(np.abs(a - b)))}
