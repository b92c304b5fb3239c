"""Shape arithmetic of CNN layers: output sizes, what the floor throws away, parameter counts.

Every size here is per axis (rows and columns separately). The effective
size of a kernel ``k`` with dilation ``d`` is ``d(k - 1) + 1``.

==================  ==========================================================
convolution         ``o = floor((i + 2p - d(k - 1) - 1) / s) + 1``
pooling             the same, or rounded up with ``ceil_mode`` (PyTorch rule)
transposed conv.    ``o = (i - 1)s - 2p + d(k - 1) + output_padding + 1``
"same" padding      ``d(k - 1)`` cells in total, stride 1 only
==================  ==========================================================

Invalid settings raise :class:`cnnlab.checks.LessonError` (a ``ValueError``)
with a sentence that says what is wrong; :func:`suggest_fixes` proposes
settings that work.
"""

from __future__ import annotations

import numpy as np

from ..checks import LessonError, check_nonnegative_int, check_positive_int


def effective_kernel(k, d=1):
    """The span of a dilated kernel: ``d(k - 1) + 1`` cells."""
    return check_positive_int(d, "dilation") * (check_positive_int(k, "kernel_size") - 1) + 1


def _check(i, k, s, p, d):
    i = check_positive_int(i, "input")
    k = check_positive_int(k, "kernel_size")
    s = check_positive_int(s, "stride")
    p = check_nonnegative_int(p, "padding")
    d = check_positive_int(d, "dilation")
    return i, k, s, p, d


def _check_fits(i, k, p, d, p_after=None):
    keff = d * (k - 1) + 1
    padded = i + p + (p if p_after is None else p_after)
    if keff > padded:
        raise LessonError(
            "kernel_too_large",
            f"the kernel spans {keff} cells but the padded input has only {padded}; "
            "use a smaller kernel, less dilation or more padding.",
            kernel=keff, padded=padded)
    return keff


def conv_output_size(i, k, s=1, p=0, d=1):
    """Output size of a convolution along one axis: the one formula every layer and lesson uses.

    ``o = floor((i + 2p - d(k - 1) - 1) / s) + 1``

    Parameters
    ----------
    i : int, input size; k : int, kernel size; s : int, stride;
    p : int, padding on each side, or ``(before, after)`` (then ``2p`` is their sum);
    d : int, dilation

    Returns
    -------
    int

    Examples
    --------
    >>> conv_output_size(5, 3, s=2, p=1)
    3
    """
    if np.ndim(p) == 1 and len(p) == 2:
        before, after = p
        i, k, s, before, d = _check(i, k, s, before, d)
        after = check_nonnegative_int(after, "padding")
    else:
        i, k, s, before, d = _check(i, k, s, p, d)
        after = before
    keff = _check_fits(i, k, before, d, after)
    return (i + before + after - keff) // s + 1


def pool_output_size(i, k, s=None, p=0, d=1, ceil_mode=False):
    """Output size of a pooling layer along one axis (PyTorch's rule).

    ``o = floor((i + 2p - d(k - 1) - 1) / s) + 1``; with ``ceil_mode`` the
    division rounds up, but a last window that would start inside the bottom
    padding is dropped. The stride defaults to the window. The padding may be
    at most half the window.
    """
    s = k if s is None else s
    i, k, s, p, d = _check(i, k, s, p, d)
    keff = d * (k - 1) + 1
    if 2 * p > keff:
        raise LessonError(
            "pool_padding_too_large",
            f"pooling padding may be at most half the window ({keff // 2}), got {p}.",
            padding=p, kernel=keff, max=keff // 2)
    _check_fits(i, k, p, d)
    span = i + 2 * p - keff
    o = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= i + p:
        o -= 1
    return o


def transposed_output_size(i, k, s=1, p=0, d=1, output_padding=0):
    """Output size of a transposed convolution along one axis.

    ``o = (i - 1)s - 2p + d(k - 1) + output_padding + 1``. It undoes the
    shape change of a convolution with the same ``k, s, p, d``; because that
    convolution's floor maps ``s`` input sizes to one output, ``output_padding``
    (less than the stride or the dilation) picks which one.
    """
    i, k, s, p, d = _check(i, k, s, p, d)
    op = check_nonnegative_int(output_padding, "output_padding")
    if op >= max(s, d):
        raise LessonError(
            "output_padding_too_large",
            f"output padding must be smaller than the stride or the dilation (< {max(s, d)}), got {op}.",
            output_padding=op, limit=max(s, d))
    o = (i - 1) * s - 2 * p + d * (k - 1) + op + 1
    if o < 1:
        raise LessonError(
            "transposed_too_small",
            f"these settings give an output of {o} cells; reduce the padding.",
            size=o)
    return o


def same_padding(k, d=1, s=1):
    """Padding ``(before, after)`` that keeps ``o = i`` for stride 1.

    The total is ``d(k - 1)``; it splits evenly only when that is even (odd
    kernels). For an even kernel the extra cell goes after (TensorFlow's rule).
    """
    if check_positive_int(s, "stride") != 1:
        raise LessonError("same_needs_stride1",
                          "padding 'same' only keeps the size with stride 1.")
    total = effective_kernel(k, d) - 1
    return total // 2, total - total // 2


def output_size(mode, i, k, s=1, p=0, d=1, ceil_mode=False, output_padding=0):
    """One entry point for the three modes: ``"conv"``, ``"pool"``, ``"transposed"``."""
    if mode == "conv":
        return conv_output_size(i, k, s, p, d)
    if mode == "pool":
        return pool_output_size(i, k, s, p, d, ceil_mode)
    if mode == "transposed":
        return transposed_output_size(i, k, s, p, d, output_padding)
    raise ValueError(f"mode must be 'conv', 'pool' or 'transposed', got {mode!r}.")


# --------------------------------------------------------------------------
# What the floor throws away, and how to fix it
# --------------------------------------------------------------------------
def window_starts(o, s):
    """Where each of ``o`` windows starts in the padded input: ``0, s, 2s, ...``."""
    return np.arange(o) * s


def explain(i, k, s=1, p=0, d=1, ceil_mode=False, mode="conv"):
    """Everything a student may ask about one axis of a convolution or pooling.

    Returns
    -------
    dict with
        ``out`` : the output size; ``keff`` : the kernel's span; ``padded`` : ``i + 2p``;
        ``numerator`` : ``i + 2p - keff``; ``remainder`` : ``numerator % s`` (what the floor drops);
        ``even`` : True when the stride divides evenly;
        ``covered`` : (padded + extra,) bool, padded cells some window reads (dilation
        taps only); ``extra`` : cells past the padded edge that ceil-mode windows reach;
        ``never_input`` : input indices (unpadded) no window reads;
        ``tail`` : real input cells at the end that the last window does not reach;
        ``same_inputs`` : (lo, hi), every input size giving the same output.
    """
    if mode == "pool":
        o = pool_output_size(i, k, s, p, d, ceil_mode)
    else:
        o = conv_output_size(i, k, s, p, d)
    keff = d * (k - 1) + 1
    padded = i + 2 * p
    numerator = padded - keff
    reach = (o - 1) * s + keff
    covered = np.zeros(max(padded, reach), dtype=bool)
    for start in window_starts(o, s):
        covered[start:start + keff:d] = True
    real = covered[p:p + i]
    lo = max(1, (o - 1) * s + keff - 2 * p)
    hi = (o - 1) * s + keff - 2 * p + s - 1
    if mode == "pool" and ceil_mode:
        same = [n for n in range(max(1, keff - 2 * p), hi + s + 1)
                if _pool_ok(n, k, s, p, d) and pool_output_size(n, k, s, p, d, True) == o]
        lo, hi = min(same), max(same)
    return {
        "out": o, "keff": keff, "padded": padded, "numerator": numerator,
        "remainder": numerator % s, "even": numerator % s == 0,
        "covered": covered, "extra": max(0, reach - padded),
        "never_input": np.flatnonzero(~real), "tail": max(0, p + i - reach),
        "same_inputs": (lo, hi),
    }


def _pool_ok(i, k, s, p, d):
    try:
        pool_output_size(i, k, s, p, d)
        return True
    except ValueError:
        return False


def suggest_fixes(i, k, s=1, p=0, d=1, mode="conv", output_padding=0):
    """Settings close to the given ones that work and divide evenly.

    Works on invalid settings too. Returns a list of ``(setting, value)`` pairs,
    e.g. ``[("padding", 1), ("input", 6)]``; empty when nothing needs fixing.
    """
    fixes = []
    if s < 1:
        return [("stride", 1)]
    if d < 1 or k < 1 or i < 1 or p < 0:
        return [(name, 1 if name != "padding" else 0)
                for name, v in (("dilation", d), ("kernel_size", k), ("input", i), ("padding", p))
                if (v < 1 if name != "padding" else v < 0)]
    keff = d * (k - 1) + 1
    if mode == "transposed":
        if output_padding >= max(s, d):
            fixes.append(("output_padding", max(s, d) - 1))
        elif (i - 1) * s - 2 * p + keff + output_padding < 1:
            fixes.append(("padding", ((i - 1) * s + keff - 1 + output_padding) // 2))
        return fixes
    if mode == "pool" and 2 * p > keff:
        fixes.append(("padding", keff // 2))
        return fixes
    if keff > i + 2 * p:
        fixes.append(("input", keff - 2 * p))
        if mode == "conv":
            p_min = -(-(keff - i) // 2)
            even = [q for q in range(p_min, p_min + s) if (i + 2 * q - keff) % s == 0]
            fixes.append(("padding", even[0] if even else p_min))
        k_max = (i + 2 * p - 1) // d + 1
        even = [q for q in range(k_max, 0, -1) if (i + 2 * p - d * (q - 1) - 1) % s == 0]
        fixes.append(("kernel_size", even[0] if even else k_max))
        return fixes
    r = (i + 2 * p - keff) % s
    if r == 0:
        return fixes
    for p2 in range(p + 1, p + s + 1):
        if (i + 2 * p2 - keff) % s == 0 and (mode != "pool" or 2 * p2 <= keff):
            fixes.append(("padding", p2))
            break
    fixes.append(("input", i + s - r))
    if i - r >= max(1, keff - 2 * p):
        fixes.append(("input", i - r))
    if r % d == 0:
        fixes.append(("kernel_size", k + r // d))
    return fixes


# --------------------------------------------------------------------------
# Parameters and multiply-adds
# --------------------------------------------------------------------------
def _kpair(k):
    kh, kw = (k, k) if np.isscalar(k) else tuple(k)
    return check_positive_int(kh, "kernel_size"), check_positive_int(kw, "kernel_size")


def conv_params(k, c_in, c_out, bias=True, groups=1):
    """Learnable parameters of a convolution: ``(KH*KW*C_in/groups + 1) * C_out``."""
    kh, kw = _kpair(k)
    c_in, c_out = check_positive_int(c_in, "in_channels"), check_positive_int(c_out, "filters")
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups ({groups}) must divide the input and output channels.")
    return (kh * kw * (c_in // groups) + (1 if bias else 0)) * c_out


def conv_param_count(kernel, in_channels, filters, bias=True):
    """Learnable parameters of a convolution layer: ``(KH*KW*C_in + 1) * C_out`` (public name of
    :func:`conv_params`, ``cnnlab.conv_param_count``)."""
    return conv_params(kernel, in_channels, filters, bias)


def conv_macs(out_hw, k, c_in, c_out, groups=1):
    """Multiply-adds of a convolution: one per weight per output position, ``H'W' * KH*KW*C_in/g * C_out``."""
    kh, kw = _kpair(k)
    oh, ow = (out_hw, out_hw) if np.isscalar(out_hw) else out_hw
    return int(oh) * int(ow) * kh * kw * (c_in // groups) * c_out


def fc_params(n_in, n_out, bias=True):
    """Learnable parameters of a fully connected layer: ``(n_in + 1) * n_out``."""
    return (check_positive_int(n_in, "inputs") + (1 if bias else 0)) * check_positive_int(n_out, "outputs")


def fc_macs(n_in, n_out):
    """Multiply-adds of a fully connected layer: ``n_in * n_out``."""
    return int(n_in) * int(n_out)


def connectivity_comparison(image=1000, hidden=10 ** 6, window=10):
    """Weights (no biases) to connect an ``image x image`` picture to ``hidden`` units.

    Returns ``{"fc": image² · hidden, "local": hidden · window², "conv": window²}``:
    a fully connected layer, a locally connected one (each unit sees a
    ``window x window`` patch) and a convolution (all units share one kernel).
    The defaults give 10¹², 10⁸ and 100.
    """
    image, hidden, window = (check_positive_int(v, n) for v, n in
                             ((image, "input"), (hidden, "outputs"), (window, "kernel_size")))
    return {"fc": image * image * hidden, "local": hidden * window * window, "conv": window * window}


def feature_count(i=96, k=8, features=400, s=1):
    """Values a bank of ``features`` learned ``k x k`` filters produces on an ``i x i`` image.

    Returns ``(o, o * o * features)``; the defaults give ``(89, 3168400)``.
    """
    o = conv_output_size(i, k, s)
    return o, o * o * check_positive_int(features, "filters")


# --------------------------------------------------------------------------
# Pictures of the sliding window (data for the lesson's grids)
# --------------------------------------------------------------------------
def visits(o, k, s=1, d=1, length=None):
    """How many of the ``o`` windows read each cell of the padded axis: (length,) ints.

    Window ``t`` reads cells ``t*s + d*j`` for ``j = 0..k-1``; ``length``
    defaults to the cells the last window reaches.
    """
    keff = d * (k - 1) + 1
    n = (o - 1) * s + keff if length is None else max(length, (o - 1) * s + keff)
    counts = np.zeros(n, dtype=int)
    for start in window_starts(o, s):
        counts[start:start + keff:d] += 1
    return counts


def window_taps(index, k, s=1, d=1):
    """The padded cells window ``index`` reads along one axis: ``index*s + d*arange(k)``."""
    return index * s + d * np.arange(k)


def transposed_as_conv(i, k, s=1, p=0, d=1, output_padding=0):
    """A transposed convolution as an ordinary stride-1 convolution on a stretched input.

    Put ``s - 1`` zeros between the input cells, pad ``d(k - 1) - p`` cells
    before and ``d(k - 1) - p + output_padding`` after, and slide the kernel
    with stride 1 (Dumoulin & Visin, "A guide to convolution arithmetic").

    Returns
    -------
    dict with ``out``, ``stretched`` (``(i - 1)s + 1``), ``before``, ``after`` (may be
    negative: then that many cells are cropped), ``length`` (the padded length) and
    ``cells`` (positions of the real input cells in it).
    """
    o = transposed_output_size(i, k, s, p, d, output_padding)
    keff = d * (k - 1) + 1
    before, after = keff - 1 - p, keff - 1 - p + output_padding
    stretched = (i - 1) * s + 1
    return {"out": o, "stretched": stretched, "before": before, "after": after,
            "length": stretched + before + after, "cells": before + s * np.arange(i)}
