"""Pooling: fast against the loop reference, backward against finite differences, the conventions."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnlab.checks import LessonError
from cnnlab.geometry.shapes import pool_output_size
from cnnlab.ops.pooling import pool2d, pool2d_backward, pool2d_forward, pool2d_loop, pool2d_selected, pool_window

MODES = ["max", "avg", "min"]


@st.composite
def pool_settings(draw):
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    if kh > h + 2 * ph or kw > w + 2 * pw:
        kh, kw, ph, pw = 1, 1, 0, 0
    mode = draw(st.sampled_from(MODES))
    ceil = draw(st.booleans())
    return (h, w), dict(kernel=(kh, kw), stride=(sh, sw), padding=(ph, pw), mode=mode, ceil_mode=ceil)


def distinct(rng, shape):
    """Values at least 0.1 apart, so finite differences never cross a tie."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 - 1.0).astype(np.float64)


@settings(max_examples=120, deadline=None)
@given(pool_settings(), st.integers(0, 10 ** 6))
def test_fast_matches_loop_and_shape_formula(setup, seed):
    (h, w), kw = setup
    x = np.random.default_rng(seed).normal(size=(2, 3, h, w))
    out = pool2d(x, **kw)
    np.testing.assert_allclose(out, pool2d_loop(x, **kw), atol=1e-12)
    k, s, p = kw["kernel"], kw["stride"], kw["padding"]
    assert out.shape[2:] == tuple(pool_output_size(i, kk, ss, pp, ceil_mode=kw["ceil_mode"])
                                  for i, kk, ss, pp in zip((h, w), k, s, p))


@settings(max_examples=40, deadline=None)
@given(pool_settings(), st.integers(0, 10 ** 6))
def test_backward_matches_finite_differences(setup, seed):
    (h, w), kw = setup
    rng = np.random.default_rng(seed)
    x = distinct(rng, (1, 2, h, w))
    out, cache = pool2d_forward(x, **kw)
    g = rng.normal(size=out.shape)
    dx = pool2d_backward(g, cache)
    eps = 1e-4
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        num[idx] = ((pool2d(xp, **kw) - pool2d(xm, **kw)) * g).sum() / (2 * eps)
    np.testing.assert_allclose(dx, num, atol=1e-7)


def test_worked_example_and_2d_input():
    x = np.array([[1, 3, 2, 1], [4, 2, 0, 1], [5, 6, 1, 2], [0, 2, 3, 4]], dtype=float)
    np.testing.assert_array_equal(pool2d(x, 2), [[4, 2], [6, 4]])
    np.testing.assert_array_equal(pool2d(x, 2, mode="min"), [[1, 0], [0, 1]])
    np.testing.assert_allclose(pool2d(x, 2, mode="avg"), [[2.5, 1.0], [3.25, 2.5]])
    rows, cols = pool2d_selected(x, 2)
    np.testing.assert_array_equal(rows, [[1, 0], [2, 3]])
    np.testing.assert_array_equal(cols, [[0, 2], [1, 3]])
    out, cache = pool2d_forward(x, 2)
    dx = pool2d_backward(np.array([[1.0, 2.0], [3.0, 4.0]]), cache)
    expect = np.zeros((4, 4))
    expect[1, 0], expect[0, 2], expect[2, 1], expect[3, 3] = 1, 2, 3, 4
    np.testing.assert_array_equal(dx, expect)
    _, cache = pool2d_forward(x, 2, mode="avg")
    np.testing.assert_allclose(pool2d_backward(np.ones((2, 2)), cache), np.full((4, 4), 0.25))


def test_ties_go_to_first_in_row_major_order():
    x = np.zeros((1, 1, 2, 2))       # e.g. a window that ReLU made all zero
    out, cache = pool2d_forward(x, 2)
    dx = pool2d_backward(np.ones((1, 1, 1, 1)), cache)
    np.testing.assert_array_equal(dx[0, 0], [[1, 0], [0, 0]])
    x = np.array([[0.0, 5.0], [5.0, 1.0]])
    assert tuple(int(v[0, 0]) for v in pool2d_selected(x, 2)) == (0, 1)


def test_padding_never_wins_and_is_not_averaged():
    x = -np.ones((3, 3))
    np.testing.assert_array_equal(pool2d(x, 2, stride=2, padding=1), -np.ones((2, 2)))
    x = np.ones((3, 3))
    np.testing.assert_array_equal(pool2d(x, 2, stride=2, padding=1, mode="min"), np.ones((2, 2)))
    np.testing.assert_array_equal(pool2d(x, 2, stride=2, padding=1, mode="avg"), np.ones((2, 2)))
    rows, cols = pool2d_selected(np.arange(9.0).reshape(3, 3), 2, padding=1)
    assert rows.min() >= 0 and cols.min() >= 0


def test_ceil_mode_keeps_the_edge():
    x = np.arange(25.0).reshape(5, 5)
    assert pool2d(x, 2).shape == (2, 2)
    out = pool2d(x, 2, ceil_mode=True)
    assert out.shape == (3, 3) and out[2, 2] == 24
    assert pool2d(x, 2, ceil_mode=True, mode="avg")[2, 2] == 24


def test_float32_stays_float32_and_overlapping_windows_add_gradients():
    x = np.random.default_rng(0).normal(size=(4, 2, 7, 7)).astype(np.float32)
    out, cache = pool2d_forward(x, 3, stride=2)
    assert out.dtype == np.float32 and pool2d_backward(out, cache).dtype == np.float32
    x = np.zeros((3, 3))
    x[1, 1] = 1.0                       # the centre is the max of all four 2x2 windows
    _, cache = pool2d_forward(x, 2, stride=1)
    assert pool2d_backward(np.ones((2, 2)), cache)[1, 1] == 4


def test_window_cells():
    win = pool_window(0, 0, (3, 3), 2, padding=1)
    assert list(win["rows"]) == [-1, 0] and list(win["valid_rows"]) == [0]


@pytest.mark.parametrize("kwargs,code", [
    (dict(kernel=2, stride=0), "positive_int"),
    (dict(kernel=5), "kernel_too_large"),
    (dict(kernel=2, padding=2), "pool_padding_too_large"),
    (dict(kernel=2, mode="median"), "bad_pool_mode"),
])
def test_invalid_settings_explain_themselves(kwargs, code):
    with pytest.raises(LessonError) as err:
        pool2d(np.ones((3, 3)), **kwargs)
    assert err.value.code == code


def test_selected_not_defined_for_average():
    with pytest.raises(ValueError):
        pool2d_selected(np.ones((2, 2)), 2, mode="avg")


# --------------------------------------------------------------------------
# Outside oracles: SciPy's ndimage filters (stride 1, then subsampled) and PyTorch where installed
# --------------------------------------------------------------------------
def _scipy_pool(x, k, s, p, mode):
    """Pooling from scipy.ndimage: the stride-1 filter, cropped to the windows, every s-th kept.

    The input is first surrounded by ``k`` cells that never take part (-inf for max, +inf
    for min, uncounted for the average), so every window's centre lies inside the array.
    """
    from scipy import ndimage
    size = (1, 1) + k
    margin = ((0, 0), (0, 0), (k[0], k[0]), (k[1], k[1]))
    if mode == "avg":
        ones = np.pad(np.ones_like(x), margin)
        total = ndimage.uniform_filter(np.pad(x, margin), size, mode="constant")
        with np.errstate(divide="ignore", invalid="ignore"):      # far margin cells: no window uses them
            full = total / ndimage.uniform_filter(ones, size, mode="constant")   # padding is not counted
    else:
        f = ndimage.maximum_filter if mode == "max" else ndimage.minimum_filter
        cval = -np.inf if mode == "max" else np.inf
        full = f(np.pad(x, margin, constant_values=cval), size, mode="constant", cval=cval)
    # the window that starts at padded cell i is centred (scipy's origin 0) on input cell i - p + k // 2
    rows = np.arange(0, x.shape[2] + 2 * p[0] - k[0] + 1, s[0]) - p[0] + k[0] // 2 + k[0]
    cols = np.arange(0, x.shape[3] + 2 * p[1] - k[1] + 1, s[1]) - p[1] + k[1] // 2 + k[1]
    return full[:, :, rows][:, :, :, cols]


@settings(max_examples=80, deadline=None)
@given(kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
       ph=st.integers(0, 2), pw=st.integers(0, 2), h=st.integers(1, 9), w=st.integers(1, 9),
       mode=st.sampled_from(["max", "avg", "min"]), seed=st.integers(0, 10 ** 6))
def test_pooling_matches_scipy_ndimage(kh, kw, sh, sw, ph, pw, h, w, mode, seed):
    assume(2 * ph <= kh and 2 * pw <= kw and kh <= h + 2 * ph and kw <= w + 2 * pw)
    x = np.random.default_rng(seed).standard_normal((2, 3, h, w))
    ours = pool2d(x, (kh, kw), (sh, sw), (ph, pw), mode)
    np.testing.assert_allclose(ours, _scipy_pool(x, (kh, kw), (sh, sw), (ph, pw), mode), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode,kernel,stride,padding,ceil", [
    ("max", 2, 2, 0, False), ("max", 3, 2, 1, True), ("avg", 3, 2, 1, False), ("avg", 2, 1, 1, True),
    ("max", (3, 2), (1, 2), (1, 0), False)])
def test_pooling_and_its_gradient_match_pytorch(mode, kernel, stride, padding, ceil):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((2, 3, 9, 8))
    out, cache = pool2d_forward(x, kernel, stride, padding, mode, ceil)
    dout = np.random.default_rng(4).standard_normal(out.shape)
    tx = torch.tensor(x, requires_grad=True)
    if mode == "max":
        tout = torch.nn.functional.max_pool2d(tx, kernel, stride, padding, ceil_mode=ceil)
    else:
        tout = torch.nn.functional.avg_pool2d(tx, kernel, stride, padding, ceil_mode=ceil, count_include_pad=False)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(pool2d_backward(dout, cache), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
