"""Numerical gradients of array functions: the outside check for every backward pass.

Central differences, ``dL/da[i] ~ (L(a + h e_i) - L(a - h e_i)) / 2h``: slow and
approximate, but so simple that it is hard to get wrong, which is why every
analytic gradient in ``cnnlab`` is compared with it.
"""

from __future__ import annotations

import numpy as np


def numerical_gradient(loss, a, h=1e-6):
    """Central differences of ``loss()`` with respect to every entry of ``a``.

    Parameters
    ----------
    loss : callable with no arguments returning a float; it must read ``a``
    a : ndarray, changed in place one entry at a time and restored

    Returns
    -------
    ndarray of ``a.shape``
    """
    grad = np.zeros_like(a, dtype=np.float64)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + h
        up = loss()
        a[idx] = old - h
        down = loss()
        a[idx] = old
        grad[idx] = (up - down) / (2.0 * h)
    return grad


def relative_error(analytic, numeric):
    """``|a - n| / max(|a|, |n|)``, and 0 where both are 0: the one gradient-check measure.

    The denominator is the larger magnitude (not ``|a| + |n|``), so the value reads
    as "the fraction by which the two disagree": 0.5 means one is half the other.
    For arrays it is the largest elementwise error, a float.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    scale = np.maximum(np.abs(a), np.abs(n))
    err = np.divide(np.abs(a - n), scale, out=np.zeros(np.broadcast(a, n).shape), where=scale > 0)
    return float(np.max(err)) if err.size else 0.0
