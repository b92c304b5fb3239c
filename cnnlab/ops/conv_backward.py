"""Backward pass of a convolution layer and of pooling, with small numbers to follow by hand.

For a stride-1 convolution layer without padding,

    out[f] = sum_c  x[c] (*) w[f, c]  + b[f]        ((*) = cross-correlation)

and an output error ``dout = dL/dout``, the chain rule gives

    dL/dw[f, c] = x[c] (*) dout[f]                             (cross-correlation, 'valid')
    dL/dx[c]    = sum_f  full_convolution(dout[f], w[f, c])
                = sum_f  pad_full(dout[f]) (*) rotate180(w[f, c])
    dL/db[f]    = sum of dout[f]

The four cases of the lesson are one or ``D`` input channels and one or ``N``
filters. Each case here is computed three ways: the layer's own backward
(:func:`cnnlab.ops.conv.conv2d_backward`, im2col), the two formulas above written
with :func:`cnnlab.ops.conv.correlate2d` / :func:`cnnlab.ops.conv.convolve2d`, and
central finite differences of the loss ``L = sum(out * dout)`` (whose
gradient with respect to ``out`` is exactly ``dout``).
"""

from __future__ import annotations

import numpy as np

from ..calculus.gradcheck import numerical_gradient
from ..checks import check_positive_int
from .conv import conv2d_backward, conv2d_forward, convolve2d, correlate2d
from .pooling import pool2d_backward, pool2d_forward

CASES = ((1, 1), ("D", 1), (1, "N"), ("D", "N"))


def _finite_differences(loss, a, h=1e-3):
    return numerical_gradient(loss, a, h)


def conv_backward_case(channels=1, filters=1, size=4, kernel=2, seed=0):
    """One case of the convolution-layer backward lesson, with small integers.

    Parameters
    ----------
    channels : int, input channels C (1 or D)
    filters : int, number of filters F (1 or N)
    size : int, the input is (C, size, size)
    kernel : int, each kernel is (C, kernel, kernel)
    seed : int, for the small random integers

    Returns
    -------
    dict with
      ``x`` : (C, H, W), ``w`` : (F, C, KH, KW), ``b`` : (F,), ``out`` : (F, H', W'),
      ``dout`` : (F, H', W') the output error;
      ``dx``, ``dw``, ``db`` : the layer's backward (im2col);
      ``dx_formula`` : (C, H, W), sum over f of the full convolution of dout[f] with w[f, c];
      ``dx_terms`` : (F, C, H, W), each filter's share of it;
      ``dw_formula`` : (F, C, KH, KW), the cross-correlation of x[c] with dout[f];
      ``dx_numeric``, ``dw_numeric``, ``db_numeric`` : central finite differences of
          ``L = sum(out * dout)``;
      ``max_error`` : largest absolute difference among the three ways.
    """
    c = check_positive_int(channels, "channels")
    f = check_positive_int(filters, "filters")
    n = check_positive_int(size, "size")
    k = check_positive_int(kernel, "kernel size")
    if k > n:
        raise ValueError("The kernel must not be larger than the input.")
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=(c, n, n)).astype(np.float64)
    w = rng.choice([-2.0, -1.0, 1.0, 2.0], size=(f, c, k, k))  # no zero weights: every path counts
    b = np.zeros(f)
    out, cache = conv2d_forward(x[None], w, b)
    dout = rng.integers(-2, 3, size=out.shape[1:]).astype(np.float64)
    dx, dw, db = conv2d_backward(dout[None], cache)

    dx_terms = np.stack([np.stack([convolve2d(dout[i], w[i, j], padding="full")
                                   for j in range(c)]) for i in range(f)])
    dx_formula = dx_terms.sum(axis=0)
    dw_formula = np.stack([np.stack([correlate2d(x[j], dout[i]) for j in range(c)])
                           for i in range(f)])

    def loss():
        return float(np.sum(conv2d_forward(x[None], w, b)[0][0] * dout))

    dx_numeric = _finite_differences(loss, x)
    dw_numeric = _finite_differences(loss, w)
    db_numeric = _finite_differences(loss, b)
    result = {"x": x, "w": w, "b": b, "out": out[0], "dout": dout,
              "dx": dx[0], "dw": dw, "db": db, "dx_formula": dx_formula, "dx_terms": dx_terms,
              "dw_formula": dw_formula, "dx_numeric": dx_numeric, "dw_numeric": dw_numeric,
              "db_numeric": db_numeric}
    result["max_error"] = float(max(
        np.abs(result["dx"] - dx_formula).max(), np.abs(result["dx"] - dx_numeric).max(),
        np.abs(dw - dw_formula).max(), np.abs(dw - dw_numeric).max(),
        np.abs(db - db_numeric).max()))
    return result


def input_gradient_terms(case, channel, row, col):
    """The sum behind one cell of ``dx``, written out (stride 1, no padding).

    ``dx[c, row, col] = sum over f, and over output cells (i, j) whose window covers
    (row, col), of dout[f, i, j] * w[f, c, row - i, col - j]``.

    Returns
    -------
    terms : list of dicts ``{f, i, j, a, b, dout, w, product}`` (``a, b`` = kernel tap)
    total : float, equal to ``case["dx"][channel, row, col]``
    """
    w, dout = case["w"], case["dout"]
    f_count, _, kh, kw = w.shape
    _, oh, ow = dout.shape
    terms = []
    for f in range(f_count):
        for i in range(oh):
            for j in range(ow):
                a, b = row - i, col - j
                if 0 <= a < kh and 0 <= b < kw:
                    terms.append({"f": f, "i": i, "j": j, "a": a, "b": b, "dout": dout[f, i, j],
                                  "w": w[f, channel, a, b],
                                  "product": dout[f, i, j] * w[f, channel, a, b]})
    return terms, float(sum(t["product"] for t in terms))


def kernel_gradient_terms(case, f, channel, a, b):
    """The sum behind one kernel weight's gradient: ``dw[f, c, a, b] = sum_ij x[c, i+a, j+b] * dout[f, i, j]``.

    Returns ``(terms, total)`` with terms ``{i, j, x, dout, product}``.
    """
    x, dout = case["x"], case["dout"]
    _, oh, ow = dout.shape
    terms = [{"i": i, "j": j, "x": x[channel, i + a, j + b], "dout": dout[f, i, j],
              "product": x[channel, i + a, j + b] * dout[f, i, j]}
             for i in range(oh) for j in range(ow)]
    return terms, float(sum(t["product"] for t in terms))


def pool_backward_case(mode="max", size=4, kernel=2, seed=0):
    """Pooling backward on a small input with distinct values (so max has no ties).

    Returns
    -------
    dict with ``x`` : (H, W), ``out`` : (H', W'), ``dout`` : (H', W'),
    ``dx`` : (H, W) from :func:`cnnlab.ops.pooling.pool2d_backward`,
    ``dx_numeric`` : (H, W) central finite differences of ``sum(out * dout)``,
    ``max_error`` : their largest absolute difference.
    Max pooling sends each error to the largest input of its window; average
    pooling spreads it evenly (each cell gets ``dout / (K*K)``).
    """
    n = check_positive_int(size, "size")
    k = check_positive_int(kernel, "kernel size")
    rng = np.random.default_rng(seed)
    x = rng.permutation(n * n).reshape(n, n).astype(np.float64) - n * n // 2
    out, cache = pool2d_forward(x, k, mode=mode)
    dout = rng.integers(1, 5, size=out.shape).astype(np.float64) * (1 if mode == "max" else 4)
    dx = pool2d_backward(dout, cache)

    def loss():
        return float(np.sum(pool2d_forward(x, k, mode=mode)[0] * dout))

    dx_numeric = _finite_differences(loss, x, h=1e-3)
    return {"x": x, "out": out, "dout": dout, "dx": dx, "dx_numeric": dx_numeric,
            "max_error": float(np.abs(dx - dx_numeric).max())}


def jacobian_sizes(n=4096, batch=1, bytes_per_number=4):
    """Why frameworks never build the Jacobian of a layer with ``n`` inputs and outputs.

    Returns
    -------
    dict with ``entries`` ((n*batch)^2, the full Jacobian of a layer applied to a
    batch), ``megabytes`` to store it as float32, ``diagonal_entries`` (n*batch:
    all that an elementwise operation such as ReLU needs, since its Jacobian is
    diagonal) and ``nonzero_fraction`` (1 / (n*batch)).
    """
    n = check_positive_int(n, "size")
    batch = check_positive_int(batch, "batch size")
    m = n * batch
    entries = m * m
    return {"n": n, "batch": batch, "entries": entries,
            "megabytes": entries * bytes_per_number / 2**20, "diagonal_entries": m,
            "nonzero_fraction": 1.0 / m}


def elementwise_jacobian(x):
    """Full Jacobian of ``relu`` at a small vector ``x`` (n,): an (n, n) diagonal matrix.

    Shown next to the vector-Jacobian product ``dout * (x > 0)`` that frameworks compute.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    return np.diag((x > 0).astype(np.float64))
