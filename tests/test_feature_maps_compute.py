"""The feature-maps lesson's compute module (pixel inspector, colour, frequency, learned features) against
outside oracles: SciPy's ndimage / signal, NumPy's FFT, a direct DFT and brute-force loops."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage, signal

from app_pages.feature_maps import compute
from cnnlab.nn.model import Model
from cnnlab.vision import filters


def robust(a, pct=compute.ROBUST):
    """The colour limits the lesson promises: the percentiles, made symmetric about 0 for signed values."""
    lo, hi = np.percentile(a, [100 - pct, pct])
    if lo < 0 < hi:
        return -max(-lo, hi), max(-lo, hi)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def test_the_module_imports_no_streamlit():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(compute.__file__).read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.split(".")[0] == "streamlit"]


# ----------------------------------------------------------------------------- pixel inspector
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("row, col", [(0, 0), (4, 7), (11, 9)])
def test_a_convolution_pixel_is_the_brute_force_multiply_add(seed, row, col):
    rng = np.random.default_rng(seed)
    gray = rng.random((12, 10))
    k = rng.normal(size=(3, 3))
    conv = ndimage.correlate(gray, k, mode="constant", cval=0.0)
    px = compute.pixel(gray, k, conv, "conv", row, col, pool=1, use_relu=False)
    padded = np.pad(gray, 1)
    window = padded[row:row + 3, col:col + 3]                   # brute force: the cells under the kernel
    np.testing.assert_allclose(px.window, window)
    np.testing.assert_allclose(px.products, window * k)
    assert px.total == pytest.approx(conv[row, col]) and px.value == pytest.approx(conv[row, col])
    assert px.relu == pytest.approx(max(conv[row, col], 0.0))
    assert px.conv_cell == (row, col)
    assert px.window_box == (row - 1, row + 1, col - 1, col + 1)
    assert px.field == (max(row - 1, 0), min(row + 1, 11), max(col - 1, 0), min(col + 1, 9))
    np.testing.assert_allclose(px.map_limits, robust(conv))
    assert not px.window.flags.writeable                         # shared through the cache


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_a_pooled_pixel_names_its_cell_and_the_whole_field(mode):
    rng = np.random.default_rng(7)
    gray = rng.random((12, 12))
    k = filters.named_kernel("edge_0")
    relu = np.maximum(ndimage.correlate(gray, k, mode="constant", cval=0.0), 0)
    blocks = relu.reshape(6, 2, 6, 2)
    pooled = blocks.max(axis=(1, 3)) if mode == "max" else blocks.mean(axis=(1, 3))
    row, col = 2, 4
    px = compute.pixel(gray, k, pooled, "pool", row, col, pool=2, mode=mode, use_relu=True)
    assert px.value == pytest.approx(pooled[row, col])
    r, c = px.conv_cell
    if mode == "max":                    # the cell the window selected holds the window's maximum
        assert (r // 2, c // 2) == (row, col) and relu[r, c] == pytest.approx(pooled[row, col])
    assert px.relu == pytest.approx(relu[r, c])
    # brute force: the input pixels whose change moves the pooled value's window of convolution cells
    touched = np.zeros_like(gray, dtype=bool)
    for i in range(2 * row, 2 * row + 2):
        for j in range(2 * col, 2 * col + 2):
            touched[max(i - 1, 0):i + 2, max(j - 1, 0):j + 2] = True
    rows, cols = np.nonzero(touched)
    assert px.field == (rows.min(), rows.max(), cols.min(), cols.max())


def test_a_pixel_outside_the_pooled_map_is_an_error():
    with pytest.raises(ValueError):
        compute.pixel(np.zeros((8, 8)), np.ones((3, 3)), np.zeros((4, 4)), "pool", 4, 0, pool=2)


# ----------------------------------------------------------------------------- colour
@pytest.mark.parametrize("name", filters.RGB_KERNEL_NAMES)
@pytest.mark.parametrize("bias", [0.0, -0.35])
def test_colour_is_the_sum_of_scipy_correlations_plus_the_bias(name, bias):
    rng = np.random.default_rng(5)
    image = rng.random((9, 11, 3))
    res = compute.colour(image, name, bias)
    assert res.kernel.shape[0] == 3
    for ch in range(3):
        np.testing.assert_array_equal(res.planes[ch], image[:, :, ch])
        np.testing.assert_allclose(res.parts[ch], ndimage.correlate(image[:, :, ch], res.kernel[ch],
                                                                     mode="constant", cval=0.0), atol=1e-12)
    # the colour map of one 3-D kernel is SciPy's 3-D correlation at the middle channel, plus the bias
    full = ndimage.correlate(image, res.kernel.transpose(1, 2, 0), mode="constant", cval=0.0)[:, :, 1]
    np.testing.assert_allclose(res.total, full + bias, atol=1e-12)
    np.testing.assert_allclose(res.parts_limits, robust(res.parts))
    np.testing.assert_allclose(res.total_limits, robust(res.total))
    assert res.max_diff < 1e-12


# ----------------------------------------------------------------------------- frequency
def direct_dft_gain(k, n=64, bins=16):
    """|F(k)| at every frequency of an n x n grid by the DFT's definition, averaged in radius bands."""
    kh, kw = k.shape
    f = np.arange(n)
    fr = np.where(f < n / 2, f, f - n) / n
    rr, cc = np.arange(kh), np.arange(kw)
    sums, counts = np.zeros(bins), np.zeros(bins)
    for u in range(n):
        for v in range(n):
            radius = np.hypot(fr[u], fr[v])
            if radius > 0.5:
                continue
            phase = np.exp(-2j * np.pi * (np.outer(rr, np.ones(kw)) * u + np.outer(np.ones(kh), cc) * v) / n)
            b = min(int(radius / (0.5 / bins)), bins - 1)
            sums[b] += abs((k * phase).sum())
            counts[b] += 1
    return sums / np.maximum(counts, 1)


@pytest.mark.parametrize("name, kind", [("blur", "low"), ("edge_0", "high"), ("laplacian", "high"),
                                        ("sharpen", "boost")])
def test_frequency_against_scipy_and_numpy_fft(name, kind):
    rng = np.random.default_rng(11)
    gray = rng.random((14, 12))
    k = filters.named_kernel(name)
    res = compute.frequency(gray, k)
    full = signal.convolve2d(gray, k, mode="full")
    assert res.shape == full.shape
    np.testing.assert_allclose(res.output, signal.convolve2d(gray, k, mode="same"), atol=1e-12)
    np.testing.assert_allclose(res.output_limits, robust(res.output))
    expect = [np.fft.fftshift(np.log1p(np.abs(np.fft.fft2(a, s=full.shape)))) for a in (gray, k, full)]
    for got, want in zip(res.magnitudes, expect):
        np.testing.assert_allclose(got, want, atol=1e-9)
    np.testing.assert_allclose(res.gain, direct_dft_gain(k), atol=1e-9)
    assert res.freqs[0] == pytest.approx(0.5 / 32) and res.freqs[-1] == pytest.approx(0.5 - 0.5 / 32)
    assert res.max_diff < 1e-9
    wrapped = np.real(np.fft.ifft2(np.fft.fft2(gray) * np.fft.fft2(k, s=gray.shape)))
    assert res.circular_diff == pytest.approx(np.abs(wrapped - full[:14, :12]).max())
    assert res.kind == kind


# ----------------------------------------------------------------------------- learned features
NET = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1}, {"type": "relu"}, {"type": "maxpool", "size": 2},
       {"type": "dropout", "rate": 0.5}, {"type": "flatten"}, {"type": "dense", "units": 10}]


def test_learned_layers_against_scipy_and_a_brute_force_forward():
    from cnnlab.nn.digits import preprocess_digit

    rng = np.random.default_rng(2)
    gray = rng.random((40, 36))
    model = Model(NET, seed=4)
    res = compute.learned(model, gray)
    digit = np.asarray(preprocess_digit(gray), dtype=float)
    np.testing.assert_allclose(res.digit, digit)
    assert [(layer.index, layer.kind) for layer in res.layers] == [(0, "conv"), (1, "relu"), (2, "maxpool"),
                                                                 (4, "flatten")]     # no dropout
    w = np.asarray(model.layers[0].params["w"], dtype=float)
    b = np.asarray(model.layers[0].params["b"], dtype=float)
    conv = np.stack([signal.correlate2d(np.pad(digit, 1), w[f, 0], mode="valid") + b[f] for f in range(4)])
    relu = np.maximum(conv, 0)
    pooled = relu.reshape(4, 14, 2, 14, 2).max(axis=(2, 4))
    for layer, want in zip(res.layers, (conv, relu, pooled, pooled.ravel())):
        np.testing.assert_allclose(layer.values, want, atol=1e-4)    # the network computes in float32
    dense_w = np.asarray(model.layers[5].params["w"], dtype=float)
    scores = pooled.ravel() @ dense_w + np.asarray(model.layers[5].params["b"], dtype=float)
    probs = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    np.testing.assert_allclose(res.probs, probs, atol=1e-5)
    assert res.guess == int(np.argmax(probs))
    first = res.layers[0]
    np.testing.assert_allclose(first.filters, w[:, 0])
    assert first.in_channels == 1 and first.filter_limits == robust(w[:, 0], 100)
    for c in range(4):
        np.testing.assert_allclose(first.limits[c], robust(conv[c]), atol=1e-5)
    assert res.layers[3].limits is None and not res.layers[3].is_maps and res.layers[2].is_maps
    assert res.layers[1].filters is None and res.layers[1].in_channels == 0


def test_learned_shows_at_most_sixteen_maps_and_filters():
    model = Model([{"type": "conv", "filters": 20, "kernel": 3}, {"type": "flatten"},
                   {"type": "dense", "units": 10}], seed=0)
    res = compute.learned(model, np.random.default_rng(0).random((28, 28)))
    conv = res.layers[0]
    assert conv.values.shape == (20, 26, 26)
    assert conv.limits.shape == (compute.MAX_MAPS, 2) and conv.filters.shape == (compute.MAX_MAPS, 3, 3)
