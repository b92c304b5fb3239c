"""The convolution lesson's compute module against outside oracles: SciPy's correlate2d / convolve2d,
NumPy's convolve, and published parameter counts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from app_pages.convolution import compute
from cnnlab.vision import kernels


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 2), (2, 1), (3, 0)])
def test_compare_matches_scipy(seed, stride, padding):
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, size=(7 + seed % 3, 8)).astype(float)
    k = rng.normal(size=(3, 3 + 2 * (seed % 2)))
    res = compute.compare(x, k, stride, padding)
    xp = np.pad(x, padding)
    np.testing.assert_allclose(res.corr, signal.correlate2d(xp, k, mode="valid")[::stride, ::stride])
    np.testing.assert_allclose(res.conv, signal.convolve2d(xp, k, mode="valid")[::stride, ::stride])
    np.testing.assert_array_equal(res.padded, xp)
    assert res.pad_mask.sum() == xp.size - x.size
    assert res.identity_diff < 1e-9
    assert res.max_diff == pytest.approx(float(np.abs(res.corr - res.conv).max()))
    assert not res.symmetric


def test_symmetric_kernels_give_the_same_map():
    x = kernels.grid("diagonal", 7)
    res = compute.compare(x, kernels.kernel("gaussian", 3), 1, 0)
    assert res.symmetric and res.max_diff < 1e-12
    sobel = compute.compare(x, kernels.kernel("sobel_x", 3), 1, 0)
    assert not sobel.symmetric and sobel.max_diff > 0


def test_a_kernel_larger_than_the_input_is_an_error_for_the_view():
    with pytest.raises(ValueError):
        compute.compare(np.zeros((3, 3)), np.ones((5, 5)), 1, 0)


@pytest.mark.parametrize("rate, length, t", [(0.5, 5, 7), (1.0, 2, 0), (0.1, 8, 15), (0.75, 4, 3)])
def test_one_d_matches_numpy_convolve(rate, length, t):
    res = compute.one_d(rate, length, t)
    np.testing.assert_allclose(res.y, np.convolve(res.x, res.h)[: len(res.x)])
    assert sum(p for *_, p in res.terms) == pytest.approx(res.y[t])
    assert res.used == {t - j for j in range(len(res.h)) if t - j >= 0}


@pytest.mark.parametrize("rate, length, t", [(0.5, 5, 7), (1.0, 2, 0), (0.1, 8, 15), (0.75, 4, 3), (0.5, 8, 2)])
def test_the_flipped_response_under_the_signal_is_numpys_correlation(rate, length, t):
    """Convolution is correlation with the reversed kernel (np.correlate): the bars drawn under the signal at
    t - j with heights h[j] are that reversed kernel, and their dot product with the signal is y[t]."""
    res = compute.one_d(rate, length, t)
    x, h = res.x, res.h
    y = np.correlate(np.pad(x, (len(h) - 1, 0)), h[::-1], mode="valid")
    np.testing.assert_allclose(res.y, y)
    order = np.argsort(res.flipped_at)
    positions = np.asarray(res.flipped_at)[order]
    np.testing.assert_array_equal(positions, np.arange(max(t - len(h) + 1, 0), t + 1))
    np.testing.assert_allclose(np.asarray(res.flipped)[order], h[::-1][len(h) - len(positions):])
    assert np.dot(x[positions], np.asarray(res.flipped)[order]) == pytest.approx(y[t])
    assert set(res.flipped_at) == res.used


def test_multi_channel_is_the_sum_of_per_channel_correlations():
    rng = np.random.default_rng(3)
    rgb = rng.random((9, 10, 3))
    res = compute.multi_channel(rgb, kernels.RGB_KERNELS[0], 0.3)
    expect = sum(signal.correlate2d(np.pad(rgb[:, :, c], 1), res.kernel[c], mode="valid") for c in range(3)) + 0.3
    np.testing.assert_allclose(res.total, expect)
    assert res.check < 1e-9


@pytest.mark.parametrize("k, c, f, published", [
    (5, 1, 6, 156),             # LeNet-5 C1 (LeCun et al. 1998)
    (11, 3, 96, 34_944),        # AlexNet conv1 (Krizhevsky et al. 2012), one group
    (3, 64, 128, 73_856),       # VGG-16 conv2_1 (Simonyan & Zisserman 2014)
])
def test_parameter_counts_match_published_networks(k, c, f, published):
    res = compute.params(k, c, f)
    assert res.total == published and res.one == k * k * c + 1
