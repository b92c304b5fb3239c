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


def relative_error(analytic, numeric, floor=1e-12):
    """``max |a - n| / max(|a| + |n|, floor)``, elementwise, the usual gradient-check measure."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)))
