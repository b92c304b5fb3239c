"""Convolution-layer and pooling backward: the layer, the formulas, finite differences, SciPy."""

import numpy as np
import pytest
from scipy import signal

from cnnlab.ops.conv_backward import (
    conv_backward_case,
    elementwise_jacobian,
    input_gradient_terms,
    jacobian_sizes,
    kernel_gradient_terms,
    pool_backward_case,
)


@pytest.mark.parametrize("channels, filters", [(1, 1), (3, 1), (1, 2), (3, 2)])
@pytest.mark.parametrize("seed", [0, 1])
def test_four_cases_agree_three_ways(channels, filters, seed):
    r = conv_backward_case(channels, filters, size=5, kernel=3, seed=seed)
    assert r["x"].shape == (channels, 5, 5)
    assert r["dout"].shape == (filters, 3, 3)
    np.testing.assert_allclose(r["dx"], r["dx_formula"], atol=1e-12)
    np.testing.assert_allclose(r["dx"], r["dx_numeric"], atol=1e-6)
    np.testing.assert_allclose(r["dw"], r["dw_formula"], atol=1e-12)
    np.testing.assert_allclose(r["dw"], r["dw_numeric"], atol=1e-6)
    np.testing.assert_allclose(r["db"], r["dout"].sum(axis=(1, 2)))
    assert r["max_error"] < 1e-6


def test_formulas_against_scipy():
    r = conv_backward_case(2, 2, size=4, kernel=2, seed=3)
    for c in range(2):
        full = sum(signal.convolve2d(r["dout"][f], r["w"][f, c], mode="full") for f in range(2))
        np.testing.assert_allclose(r["dx"][c], full)
        for f in range(2):
            np.testing.assert_allclose(r["dw"][f, c],
                                       signal.correlate2d(r["x"][c], r["dout"][f], mode="valid"))
            # the full convolution is the correlation with the kernel rotated by 180 degrees
            np.testing.assert_allclose(
                r["dx_terms"][f, c],
                signal.correlate2d(np.pad(r["dout"][f], 1), r["w"][f, c][::-1, ::-1], mode="valid"))


def test_small_integers_for_reading_by_hand():
    r = conv_backward_case(1, 1, seed=0)
    for key in ("x", "w", "dout", "dx", "dw"):
        assert np.array_equal(r[key], np.round(r[key])), key
    assert np.abs(r["x"]).max() <= 2


def test_bad_sizes():
    with pytest.raises(ValueError):
        conv_backward_case(0, 1)
    with pytest.raises(ValueError):
        conv_backward_case(1, 1, size=2, kernel=3)


def test_pooling_backward():
    r = pool_backward_case("max", seed=2)
    assert r["max_error"] < 1e-6
    # exactly one cell per 2x2 window receives its error: the window's largest input
    for i in range(2):
        for j in range(2):
            win = r["x"][2 * i:2 * i + 2, 2 * j:2 * j + 2]
            got = r["dx"][2 * i:2 * i + 2, 2 * j:2 * j + 2]
            assert np.count_nonzero(got) == 1
            assert got[np.unravel_index(win.argmax(), win.shape)] == r["dout"][i, j]
    r = pool_backward_case("avg", seed=2)
    assert r["max_error"] < 1e-6
    np.testing.assert_allclose(r["dx"], np.kron(r["dout"] / 4, np.ones((2, 2))))


def test_jacobian_numbers():
    j = jacobian_sizes(4096)
    assert j["entries"] == 16_777_216
    assert j["megabytes"] == 64.0
    assert j["diagonal_entries"] == 4096
    # CS231n: a minibatch of 100 makes it 409,600 x 409,600
    assert jacobian_sizes(4096, batch=100)["entries"] == 409_600 ** 2
    jac = elementwise_jacobian([1.0, -2.0, 3.0])
    np.testing.assert_array_equal(jac, np.diag([1.0, 0.0, 1.0]))
    dout = np.array([5.0, 6.0, 7.0])
    np.testing.assert_array_equal(jac.T @ dout, dout * (np.array([1.0, -2.0, 3.0]) > 0))


def test_written_out_sums_match_every_cell():
    r = conv_backward_case(2, 2, size=4, kernel=2, seed=5)
    for c in range(2):
        for row in range(4):
            for col in range(4):
                terms, total = input_gradient_terms(r, c, row, col)
                assert total == r["dx"][c, row, col]
                # a corner is covered by one window per filter, the centre by four
                assert len(terms) == 2 * (1 + (0 < row < 3)) * (1 + (0 < col < 3))
        for f in range(2):
            for a in range(2):
                for b in range(2):
                    terms, total = kernel_gradient_terms(r, f, c, a, b)
                    assert len(terms) == 9
                    assert total == pytest.approx(r["dw"][f, c, a, b])
