"""The frequency view: the convolution theorem with exact padding, against direct computation and SciPy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from cnnlab.ops.conv import rotate180
from cnnlab.vision import filters, spectrum


def test_numpy_fft_matches_the_loop_dft():
    x = np.random.default_rng(0).random((5, 7))
    np.testing.assert_allclose(spectrum.spectrum(x), spectrum.dft2_loop(x), atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), kh=st.integers(1, 5), kw=st.integers(1, 5),
       seed=st.integers(0, 10_000))
def test_padded_product_of_spectra_is_the_full_convolution(h, w, kh, kw, seed):
    rng = np.random.default_rng(seed)
    x, k = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    direct = signal.convolve2d(x, k, mode="full")           # outside oracle, in space
    np.testing.assert_allclose(spectrum.fft_convolve(x, k), direct, atol=1e-9)
    res = spectrum.convolution_theorem(x, k)
    assert res["shape"] == (h + kh - 1, w + kw - 1)
    np.testing.assert_allclose(res["direct"], direct, atol=1e-12)
    assert res["max_diff"] < 1e-9 and res["spectrum_diff"] < 1e-12
    if kh % 2 and kw % 2:
        np.testing.assert_allclose(res["same"], signal.convolve2d(x, k, mode="same"), atol=1e-12)


def test_without_padding_the_values_wrap_around():
    x = np.zeros((8, 8))
    x[:, -1] = 1.0                                           # a bright last column
    k = np.array([[1.0, -1.0]])
    res = spectrum.convolution_theorem(x, k)
    assert res["max_diff"] < 1e-12
    assert res["circular_diff"] == pytest.approx(1.0)        # the last column leaks into the first
    circular = res["circular"]
    np.testing.assert_allclose(circular[:, 0], -1.0)         # wrap-around: x[:, -1] * k[0, 1]
    np.testing.assert_allclose(circular[:, 1:], res["direct"][:8, 1:8], atol=1e-12)  # elsewhere exact


def test_correlation_has_the_same_magnitude_spectrum():
    """Cross-correlation = convolution with the 180-degree rotated kernel: same |F|, other phase."""
    k = filters.named_kernel("edge_45")
    shape = (16, 16)
    mag = np.abs(spectrum.spectrum(k, shape))
    mag_rot = np.abs(spectrum.spectrum(rotate180(k), shape))
    np.testing.assert_allclose(mag, mag_rot, atol=1e-12)


def test_magnitude_is_centred_and_log():
    x = np.ones((6, 6))
    m = spectrum.magnitude(x, log=False)
    assert m[3, 3] == pytest.approx(36.0) and np.count_nonzero(m > 1e-9) == 1
    np.testing.assert_allclose(spectrum.magnitude(x), np.log1p(m))


def test_low_pass_blurs_high_pass_keeps_edges():
    freqs, blur = spectrum.radial_gain(filters.named_kernel("blur"))
    _, lap = spectrum.radial_gain(filters.named_kernel("laplacian"))
    assert freqs[0] > 0 and freqs[-1] < 0.5
    assert np.all(np.diff(blur[:8]) < 0) and blur[0] > 0.9
    assert lap[0] < 0.1 and lap[-1] > 10 * lap[0]
    assert spectrum.pass_type(filters.named_kernel("blur")) == "low"
    assert spectrum.pass_type(filters.named_kernel("box_blur")) == "low"
    assert spectrum.pass_type(filters.named_kernel("laplacian")) == "high"
    assert spectrum.pass_type(filters.named_kernel("edge_90")) == "high"
    assert spectrum.pass_type(filters.named_kernel("sharpen")) == "boost"
    # on a real signal: blur removes most high-frequency energy, the Laplacian most low-frequency energy
    x = np.random.default_rng(1).random((32, 32))
    fx = np.abs(np.fft.fft2(x))
    for name, keeps_low in (("blur", True), ("laplacian", False)):
        fy = np.abs(np.fft.fft2(signal.convolve2d(x, filters.named_kernel(name), mode="same", boundary="wrap")))
        r = np.hypot(*np.meshgrid(np.fft.fftfreq(32), np.fft.fftfreq(32)))
        low, high = r < 0.1, r > 0.35
        ratio_low = fy[low].sum() / fx[low].sum()
        ratio_high = fy[high].sum() / fx[high].sum()
        assert (ratio_low > ratio_high) == keeps_low


def test_bad_input():
    with pytest.raises(ValueError):
        spectrum.convolution_theorem(np.ones(5), np.ones((3, 3)))
    with pytest.raises(ValueError):
        spectrum.magnitude(np.array([[np.nan]]))
