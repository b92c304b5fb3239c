"""The convolution core against SciPy, the loop reference, and its own algebra."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

import cnnlab
from cnnlab.calculus.gradcheck import numerical_gradient as numerical_grad
from cnnlab.checks import LessonError
from cnnlab.ops.conv import conv2d_backward, conv2d_forward, conv2d_loop, normalize_padding

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("kshape", [(3, 3), (2, 4), (1, 5), (4, 1)])
def test_matches_scipy(mode, kshape):
    x = RNG.normal(size=(7, 9))
    k = RNG.normal(size=kshape)
    np.testing.assert_allclose(cnnlab.correlate2d(x, k, padding=mode), signal.correlate2d(x, k, mode))
    np.testing.assert_allclose(cnnlab.convolve2d(x, k, padding=mode), signal.convolve2d(x, k, mode))


def test_stride_and_padding_match_scipy_subsampled():
    x = RNG.normal(size=(8, 8))
    k = RNG.normal(size=(3, 3))
    full = signal.correlate2d(np.pad(x, 1), k, "valid")
    np.testing.assert_allclose(cnnlab.correlate2d(x, k, stride=2, padding=1), full[::2, ::2])
    np.testing.assert_allclose(cnnlab.correlate2d(x, k, stride=(1, 3), padding=(1, 1)), full[:, ::3])


def test_dilation_equals_a_kernel_with_holes():
    x = RNG.normal(size=(9, 9))
    k = RNG.normal(size=(3, 3))
    holes = np.zeros((5, 5))
    holes[::2, ::2] = k
    np.testing.assert_allclose(cnnlab.correlate2d(x, k, dilation=2), signal.correlate2d(x, holes, "valid"))


def test_per_side_padding():
    x = RNG.normal(size=(5, 5))
    k = RNG.normal(size=(2, 2))
    out = cnnlab.correlate2d(x, k, padding=((1, 0), (0, 2)))
    expected = signal.correlate2d(np.pad(x, ((1, 0), (0, 2))), k, "valid")
    np.testing.assert_allclose(out, expected)


def test_worked_example_from_the_syllabus():
    # n = 5, k = 3, p = 1, s = 2 gives (5 - 3 + 2) / 2 + 1 = 3
    assert cnnlab.correlate2d(np.ones((5, 5)), np.ones((3, 3)), stride=2, padding=1).shape == (3, 3)


def test_one_dimensional_matches_numpy():
    x = RNG.normal(size=12)
    k = np.array([1.0, 0.5, 0.25])
    np.testing.assert_allclose(cnnlab.convolve1d(x, k, padding="full"), np.convolve(x, k))
    np.testing.assert_allclose(cnnlab.correlate1d(x, k), np.correlate(x, k, "valid"))


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), ((1, 2), (2, 0), (2, 1)), (3, 2, 2)])
def test_im2col_matches_loop_and_scipy(stride, padding, dilation):
    x = RNG.normal(size=(2, 3, 10, 9))
    w = RNG.normal(size=(4, 3, 3, 2))
    b = RNG.normal(size=4)
    fast = cnnlab.conv2d(x, w, b, stride, padding, dilation)
    slow = conv2d_loop(x, w, b, stride, padding, dilation)
    np.testing.assert_allclose(fast, slow, atol=1e-10)
    if stride == 1 and dilation == 1:
        p = padding
        ref = np.stack([np.stack([sum(signal.correlate2d(np.pad(x[n, c], p), w[f, c], "valid")
                                      for c in range(3)) + b[f] for f in range(4)]) for n in range(2)])
        np.testing.assert_allclose(fast, ref, atol=1e-10)


def test_float32_stays_float32():
    x = RNG.normal(size=(2, 1, 8, 8)).astype(np.float32)
    w = RNG.normal(size=(3, 1, 3, 3)).astype(np.float32)
    assert cnnlab.conv2d(x, w).dtype == np.float32


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 1, 2)])
def test_conv2d_backward_against_finite_differences(stride, padding, dilation):
    x = RNG.normal(size=(2, 2, 6, 7))
    w = RNG.normal(size=(3, 2, 3, 3))
    b = RNG.normal(size=3)
    out, cache = conv2d_forward(x, w, b, stride, padding, dilation)
    dout = RNG.normal(size=out.shape)
    dx, dw, db = conv2d_backward(dout, cache)

    def loss():
        return float(np.sum(conv2d_forward(x, w, b, stride, padding, dilation)[0] * dout))

    np.testing.assert_allclose(dx, numerical_grad(loss, x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dw, numerical_grad(loss, w), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(db, numerical_grad(loss, b), rtol=1e-5, atol=1e-7)


def test_input_gradient_is_full_convolution_with_the_kernel():
    # One channel, one filter, stride 1: dL/dx = full convolution of dout with w
    # (= full cross-correlation with w rotated by 180 degrees).
    x = RNG.normal(size=(1, 1, 6, 6))
    w = RNG.normal(size=(1, 1, 3, 3))
    out, cache = conv2d_forward(x, w)
    dout = RNG.normal(size=out.shape)
    dx, dw, _ = conv2d_backward(dout, cache)
    np.testing.assert_allclose(dx[0, 0], cnnlab.convolve2d(dout[0, 0], w[0, 0], padding="full"))
    np.testing.assert_allclose(dx[0, 0], cnnlab.correlate2d(dout[0, 0], cnnlab.rotate180(w[0, 0]),
                                                            padding="full"))
    np.testing.assert_allclose(dw[0, 0], cnnlab.correlate2d(x[0, 0], dout[0, 0]))


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs,code", [
    ({"stride": 0}, "positive_int"),
    ({"dilation": 0}, "positive_int"),
    ({"stride": 1.5}, "positive_int"),
    ({"padding": -1}, "nonnegative_int"),
    ({"padding": "sideways"}, "bad_padding"),
    ({"padding": "same", "stride": 2}, "same_needs_stride1"),
])
def test_bad_settings_raise_meaningful_errors(kwargs, code):
    with pytest.raises(ValueError) as exc:
        cnnlab.correlate2d(np.ones((5, 5)), np.ones((3, 3)), **kwargs)
    assert exc.value.code == code
    assert str(exc.value)


def test_kernel_larger_than_input():
    with pytest.raises(LessonError) as exc:
        cnnlab.correlate2d(np.ones((3, 3)), np.ones((5, 5)))
    assert exc.value.code == "kernel_too_large" and exc.value.params == {"kernel": 5, "padded": 3}
    # ... but fine once padded enough
    assert cnnlab.correlate2d(np.ones((3, 3)), np.ones((5, 5)), padding=1).shape == (1, 1)


def test_wrong_dimensions_channels_and_nan():
    with pytest.raises(ValueError, match="2-D"):
        cnnlab.correlate2d(np.ones(5), np.ones((3, 3)))
    with pytest.raises(ValueError, match="channels"):
        cnnlab.conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 1, 3, 3)))
    with pytest.raises(ValueError, match="not finite"):
        cnnlab.correlate2d(np.array([[1.0, np.nan], [0, 1]]), np.ones((1, 1)))


# ----------------------------------------------------------------------------- properties
shapes = st.tuples(st.integers(1, 9), st.integers(1, 9))


@settings(max_examples=60, deadline=None)
@given(n=shapes, k=shapes, s=st.integers(1, 3), p=st.integers(0, 3), d=st.integers(1, 3))
def test_output_shape_formula(n, k, s, p, d):
    x = np.ones(n)
    kern = np.ones(k)
    fits = all(d * (kk - 1) + 1 <= nn + 2 * p for nn, kk in zip(n, k))
    if not fits:
        with pytest.raises(ValueError):
            cnnlab.correlate2d(x, kern, s, p, d)
        return
    out = cnnlab.correlate2d(x, kern, s, p, d)
    assert out.shape == tuple((nn + 2 * p - d * (kk - 1) - 1) // s + 1 for nn, kk in zip(n, k))


arrays = st.integers(3, 8).flatmap(lambda n: st.lists(
    st.floats(-5, 5, allow_nan=False), min_size=n * n, max_size=n * n).map(
        lambda v: np.array(v).reshape(int(len(v) ** 0.5), -1)))


@settings(max_examples=40, deadline=None)
@given(x=arrays, y=arrays, a=st.floats(-3, 3), seed=st.integers(0, 1000))
def test_linearity_and_the_180_degree_identity(x, y, a, seed):
    k = np.random.default_rng(seed).normal(size=(3, 3))
    if x.shape != y.shape:
        y = np.resize(y, x.shape)
    lhs = cnnlab.correlate2d(a * x + y, k, padding=1)
    rhs = a * cnnlab.correlate2d(x, k, padding=1) + cnnlab.correlate2d(y, k, padding=1)
    np.testing.assert_allclose(lhs, rhs, atol=1e-9)
    np.testing.assert_allclose(cnnlab.convolve2d(x, k, padding=1),
                               cnnlab.correlate2d(x, cnnlab.rotate180(k), padding=1), atol=1e-12)
    sym = k + cnnlab.rotate180(k)  # 180-degree symmetric: the two operations agree
    np.testing.assert_allclose(cnnlab.convolve2d(x, sym, padding=1), cnnlab.correlate2d(x, sym, padding=1),
                               atol=1e-9)


def test_window_terms_reproduce_the_output():
    x = RNG.integers(-3, 4, size=(6, 6)).astype(float)
    k = RNG.integers(-2, 3, size=(3, 3)).astype(float)
    out = cnnlab.correlate2d(x, k, stride=2, padding=1)
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            terms = cnnlab.window_terms(x, k, r, c, stride=2, padding=1)
            assert terms["value"] == pytest.approx(out[r, c])


def test_channel_contributions_sum_to_conv2d():
    x = RNG.normal(size=(3, 6, 6))
    w = RNG.normal(size=(3, 3, 3))
    parts, total = cnnlab.channel_contributions(x, w, b=0.5, padding=1)
    np.testing.assert_allclose(total, cnnlab.conv2d(x[None], w[None], np.array([0.5]), padding=1)[0, 0])
    np.testing.assert_allclose(parts.sum(0) + 0.5, total)


def test_parameter_count():
    assert cnnlab.conv_param_count(5, 3, 1) == 76
    assert cnnlab.conv_param_count(5, 3, 10) == 760
    assert cnnlab.conv_param_count(2, 4, 2, bias=False) == 32


def test_normalize_padding_forms():
    assert normalize_padding(2, (3, 3)) == ((2, 2), (2, 2))
    assert normalize_padding((1, 0), (3, 3)) == ((1, 1), (0, 0))
    assert normalize_padding("full", (3, 2)) == ((2, 2), (1, 1))
    assert normalize_padding("same", (4, 4)) == ((1, 2), (1, 2))
