"""Layers: every backward pass against central finite differences (float64 copies), plus the loss."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnlab.calculus.gradcheck import numerical_gradient
from cnnlab.checks import LessonError
from cnnlab.nn.layers import (
    LAYER_TYPES,
    init_weights,
    make_layer,
    softmax,
    softmax_cross_entropy,
)


def _to64(layer):
    for k in layer.params:
        layer.params[k] = layer.params[k].astype(np.float64)


def check_layer(cfg, in_shape, n=2, seed=0, positive=False):
    rng = np.random.default_rng(seed)
    layer = make_layer(cfg, 1)          # index 1: not the first layer, so it returns dx
    layer.build(in_shape, rng, "he")
    _to64(layer)
    x = rng.standard_normal((n,) + tuple(in_shape))
    if positive:
        x = np.abs(x) + 0.1
    # distinct values avoid ties in max pooling and kinks of ReLU at 0
    x += 1e-3 * np.arange(x.size).reshape(x.shape) / x.size
    out, cache = layer.forward(x, train=True, rng=np.random.default_rng(7))
    dout = rng.standard_normal(out.shape)
    dx, grads = layer.backward(dout, cache)
    assert set(grads) == set(layer.params)

    def loss():   # the same seed each time: dropout draws the same mask
        return float(np.sum(layer.forward(x, train=True, rng=np.random.default_rng(7))[0] * dout))

    np.testing.assert_allclose(dx, numerical_gradient(loss, x), rtol=1e-5, atol=1e-6)
    for name, p in layer.params.items():
        np.testing.assert_allclose(grads[name], numerical_gradient(loss, p), rtol=1e-5, atol=1e-6, err_msg=name)
    return layer


GRAD_CASES = [
    ({"type": "conv", "filters": 3, "kernel": 3}, (2, 6, 6)),
    ({"type": "conv", "filters": 2, "kernel": 3, "stride": 2, "padding": 1}, (3, 7, 7)),
    ({"type": "maxpool", "size": 2}, (2, 6, 6)),
    ({"type": "avgpool", "size": 2}, (2, 6, 6)),
    ({"type": "maxpool", "size": 3, "stride": 2}, (1, 7, 7)),
    ({"type": "relu"}, (3, 4, 4)),
    ({"type": "sigmoid"}, (5,)),
    ({"type": "tanh"}, (2, 3, 3)),
    ({"type": "flatten"}, (2, 3, 3)),
    ({"type": "dense", "units": 4}, (7,)),
    ({"type": "dropout", "rate": 0.5}, (6,)),
]


@pytest.mark.parametrize("cfg,in_shape", GRAD_CASES)
def test_backward_matches_finite_differences(cfg, in_shape):
    check_layer(cfg, in_shape)


def test_conv_layer_out_shape_and_params():
    layer = make_layer({"type": "conv", "filters": 6, "kernel": 5, "padding": 2}, 0)
    assert layer.build((1, 28, 28), np.random.default_rng(0), "he") == (6, 28, 28)
    assert layer.n_params() == 6 * 25 + 6          # (k*k*C_in + 1) * C_out
    assert layer.params["w"].dtype == np.float32


def test_softmax_cross_entropy_gradient_and_value():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((4, 5))
    y = np.array([0, 3, 4, 1])
    loss, d, p = softmax_cross_entropy(z, y)
    np.testing.assert_allclose(p.sum(1), 1)
    expected = -np.mean(np.log(np.exp(z[np.arange(4), y]) / np.exp(z).sum(1)))
    assert loss == pytest.approx(expected)
    num = numerical_gradient(lambda: softmax_cross_entropy(z, y)[0], z)
    np.testing.assert_allclose(d, num, rtol=1e-5, atol=1e-7)


def test_softmax_is_stable_for_large_scores():
    p = softmax(np.array([[1000.0, 0.0], [-1000.0, 0.0]], dtype=np.float32))
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, [[1, 0], [0, 1]], atol=1e-6)


def test_sigmoid_matches_formula_without_overflow():
    layer = make_layer({"type": "sigmoid"})
    x = np.array([[-200.0, -1.0, 0.0, 2.0, 200.0]], dtype=np.float32)
    with np.errstate(all="raise"):
        out, _ = layer.forward(x)
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-x.astype(np.float64))), atol=1e-6)


def test_dropout_is_identity_at_test_time_and_keeps_the_mean():
    layer = make_layer({"type": "dropout", "rate": 0.3})
    layer.build((1000,), np.random.default_rng(0), "he")
    x = np.ones((20, 1000), np.float32)
    assert layer.forward(x, train=False)[0] is x
    out, mask = layer.forward(x, train=True, rng=np.random.default_rng(0))
    assert abs(out.mean() - 1) < 0.03
    assert 0.25 < np.mean(out == 0) < 0.35
    np.testing.assert_array_equal(layer.forward(x, train=True, rng=np.random.default_rng(0))[1], mask)
    with pytest.raises(ValueError):
        layer.forward(x, train=True)            # no generator: no hidden randomness


@pytest.mark.parametrize("init,fan_in,fan_out", [("he", 400, 120), ("xavier", 150, 50)])
def test_init_scale(init, fan_in, fan_out):
    w = init_weights((fan_in, fan_out), fan_in, fan_out, init, np.random.default_rng(0))
    expected = np.sqrt(2 / fan_in) if init == "he" else np.sqrt(2 / (fan_in + fan_out))
    assert w.dtype == np.float32
    assert w.std() == pytest.approx(expected, rel=0.05)


def test_unknown_layer_and_bad_settings_are_explained():
    with pytest.raises(LessonError) as e:
        make_layer({"type": "lstm"}, 3)
    assert e.value.code == "train_unknown_layer" and e.value.params["layer"] == 3
    with pytest.raises(LessonError) as e:
        make_layer({"type": "conv", "filters": 0, "kernel": 3}).build((1, 8, 8), None, "he")
    assert e.value.code == "train_bad_setting"
    with pytest.raises(LessonError) as e:
        make_layer({"type": "dense", "units": 4}, 2).build((3, 4, 4), np.random.default_rng(0), "he")
    assert e.value.code == "train_needs_flat"
    with pytest.raises(LessonError) as e:
        make_layer({"type": "conv", "filters": 2, "kernel": 9}).build((1, 5, 5), np.random.default_rng(0), "he")
    assert e.value.code == "train_kernel_too_large"


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 4), h=st.integers(4, 12), k=st.integers(1, 5), pad=st.integers(0, 2),
       stride=st.integers(1, 3))
def test_built_shapes_match_forward(size, h, k, pad, stride):
    assume(k <= h + 2 * pad)
    rng = np.random.default_rng(0)
    x = rng.random((2, 2, h, h), dtype=np.float32)
    conv = make_layer({"type": "conv", "filters": 3, "kernel": k, "padding": pad, "stride": stride})
    shape = conv.build((2, h, h), rng, "he")
    out, _ = conv.forward(x)
    # brute force: count the window positions that fit in the padded input
    starts = len(range(0, h + 2 * pad - k + 1, stride))
    assert out.shape[1:] == shape == (3, starts, starts) and out.dtype == np.float32
    assume(size <= shape[1])
    pool = make_layer({"type": "maxpool", "size": size})
    pooled_shape = pool.build(shape, rng, "he")
    pooled, _ = pool.forward(out)
    assert pooled.shape[1:] == pooled_shape == (3,) + (len(range(0, starts - size + 1, size)),) * 2


@pytest.mark.parametrize("k,h,pad", [(9, 5, 0), (6, 2, 1), (11, 4, 3)])
def test_kernel_that_does_not_fit_is_refused(k, h, pad):
    conv = make_layer({"type": "conv", "filters": 3, "kernel": k, "padding": pad}, 4)
    with pytest.raises(LessonError) as e:
        conv.build((2, h, h), np.random.default_rng(0), "he")
    assert e.value.code == "train_kernel_too_large" and e.value.params["layer"] == 4


def test_every_layer_type_has_a_gradient_check():
    assert {cfg["type"] for cfg, _ in GRAD_CASES} == set(LAYER_TYPES)
