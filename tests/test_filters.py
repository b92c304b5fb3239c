"""Filter banks and the conv -> ReLU -> pooling pipeline, against SciPy and brute force."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from cnnlab.checks import LessonError
from cnnlab.ops.conv import conv2d_loop
from cnnlab.vision import filters


def image(h=23, w=31, seed=0):
    return np.random.default_rng(seed).random((h, w))


# --------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------
def line_image(angle, n=31):
    """A bright half-plane whose (soft) border is a line at ``angle`` degrees on screen (y up)."""
    rr, cc = np.mgrid[0:n, 0:n] - (n - 1) / 2
    x, y = cc, -rr
    t = np.deg2rad(angle)
    return 1 / (1 + np.exp(-(-x * np.sin(t) + y * np.cos(t)) / 1.5))


@pytest.mark.parametrize("angle", [0, 45, 90, 135])
def test_each_edge_kernel_prefers_its_own_orientation(angle):
    """Like orientation-tuned cells: the matching kernel answers most strongly to an edge."""
    img = line_image(angle)
    strength = {a: np.abs(filters.apply_bank(img, filters.EDGE_KERNELS[a][None])[0, 3:-3, 3:-3]).mean()
                for a in filters.EDGE_KERNELS}
    assert max(strength, key=strength.get) == angle
    # the edge kernels differentiate across the edge: brighter "above" the line is positive
    assert filters.apply_bank(img, filters.EDGE_KERNELS[angle][None])[0, 3:-3, 3:-3].max() > 0


@pytest.mark.parametrize("angle", [0, 45, 90, 135])
def test_gabor_bank_prefers_its_own_stripes(angle):
    n = 41
    rr, cc = np.mgrid[0:n, 0:n] - (n - 1) / 2
    t = np.deg2rad(angle)
    stripes = np.cos(2 * np.pi * (-cc * np.sin(t) - rr * np.cos(t)) / 4.0)
    energy = {a: np.abs(filters.apply_bank(stripes, filters.gabor_kernel(a)[None])[0, 8:-8, 8:-8]).mean()
              for a in (0, 45, 90, 135)}
    assert max(energy, key=energy.get) == angle


def test_named_kernels_basic_facts():
    for name in filters.FILTER_NAMES:
        k = filters.named_kernel(name)
        assert k.ndim == 2 and k.shape[0] % 2 == 1 and np.all(np.isfinite(k))
    assert filters.named_kernel("blur").sum() == pytest.approx(1.0)
    assert filters.named_kernel("box_blur").sum() == pytest.approx(1.0)
    assert filters.named_kernel("sharpen").sum() == pytest.approx(1.0)
    for name in ("laplacian", "edge_0", "edge_45", "edge_90", "edge_135", "gabor_0", "gabor_90"):
        assert filters.named_kernel(name).sum() == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_array_equal(filters.EDGE_KERNELS[90], [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    np.testing.assert_array_equal(filters.EDGE_KERNELS[0], filters.EDGE_KERNELS[90].T)
    np.testing.assert_array_equal(filters.EDGE_KERNELS[135], -np.fliplr(filters.EDGE_KERNELS[45]))
    with pytest.raises(LessonError):
        filters.named_kernel("edge_30")


def test_parse_kernel():
    np.testing.assert_array_equal(filters.parse_kernel("1 0 -1\n2 0 -2\n1 0 -1"), filters.EDGE_KERNELS[90])
    np.testing.assert_allclose(filters.parse_kernel("1/9, 1/9, 1/9; 1/9 1/9 1/9; [1/9 1/9 1/9]"),
                               np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(filters.parse_kernel(" 2.5e-1 -.5 "), [[0.25, -0.5]])
    for text, code in [("", "fm_kernel_empty"), ("  \n ; ", "fm_kernel_empty"), ("1 2\n3", "fm_kernel_ragged"),
                       ("1 x 2", "fm_kernel_number"), ("__import__('os')", "fm_kernel_number"),
                       ("1/0", "fm_kernel_number"), ("nan 1", "fm_kernel_number"), ("1e400", "fm_kernel_number"),
                       ("\n".join(["1 " * 10] * 3), "fm_kernel_size"), ("1 " * 2000, "fm_kernel_size")]:
        with pytest.raises(LessonError) as err:
            filters.parse_kernel(text)
        assert err.value.code == code, text


# --------------------------------------------------------------------------
# The bank: one batched conv2d call == one correlation per kernel == SciPy
# --------------------------------------------------------------------------
def test_bank_matches_scipy_and_the_loop():
    img = image()
    kernels = filters.stack_kernels([filters.named_kernel(n) for n in filters.DEFAULT_BANK])
    fast = filters.apply_bank(img, kernels)
    slow = filters.apply_bank_loop(img, kernels)
    ref = np.stack([signal.correlate2d(img, k, mode="same") for k in kernels])
    np.testing.assert_allclose(fast, ref, atol=1e-12)
    np.testing.assert_allclose(slow, ref, atol=1e-12)
    np.testing.assert_allclose(conv2d_loop(img[None, None], kernels[:, None], padding=3)[0], ref, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)), min_size=1, max_size=4),
       seed=st.integers(0, 1000))
def test_stacking_kernels_of_any_size_changes_no_value(sizes, seed):
    rng = np.random.default_rng(seed)
    img = rng.random((9, 12))
    ks = [rng.normal(size=s) for s in sizes]
    stack = filters.stack_kernels(ks)
    assert stack.shape[1] % 2 == 1 and stack.shape[2] % 2 == 1
    maps = filters.apply_bank(img, stack)
    for k, m in zip(ks, maps):
        from cnnlab.ops.conv import correlate2d
        np.testing.assert_allclose(m, correlate2d(img, k, padding="same"), atol=1e-12)


def test_pipeline_stages_and_sizes():
    img = image(24, 30)
    ks = filters.stack_kernels([filters.named_kernel(n) for n in ("edge_0", "edge_90", "blur")])
    out = filters.pipeline(img, ks, use_relu=True, pool=2, pool_mode="max")
    assert [n for n, _ in out["stages"]] == ["conv", "relu", "pool"]
    assert out["shapes"] == [("input", (1, 24, 30)), ("conv", (3, 24, 30)), ("relu", (3, 24, 30)),
                             ("pool", (3, 12, 15))]
    conv = out["stages"][0][1]
    relu = np.maximum(conv, 0)
    np.testing.assert_array_equal(out["stages"][1][1], relu)
    brute = relu.reshape(3, 12, 2, 15, 2).max(axis=(2, 4))
    np.testing.assert_array_equal(out["output"], brute)
    avg = filters.pipeline(img, ks, use_relu=False, pool=3, pool_mode="avg")
    assert [n for n, _ in avg["stages"]] == ["conv", "pool"]
    np.testing.assert_allclose(avg["output"], conv.reshape(3, 8, 3, 10, 3).mean(axis=(2, 4)))
    plain = filters.pipeline(img, ks, use_relu=False, pool=1)
    assert [n for n, _ in plain["stages"]] == ["conv"] and plain["output"].shape == (3, 24, 30)
    with pytest.raises(LessonError):
        filters.pipeline(np.ones((3, 3)), ks, pool=4)


@pytest.mark.parametrize("stage", ["conv", "relu", "pool"])
def test_trace_pixel_reproduces_the_map_value(stage):
    img = image(20, 26, seed=3)
    k = filters.named_kernel("edge_45")
    out = filters.pipeline(img, k[None], use_relu=stage != "conv", pool=2 if stage == "pool" else 1)
    fmap = out["output"][0]
    for row, col in [(0, 0), (5, 7), (fmap.shape[0] - 1, fmap.shape[1] - 1)]:
        tr = filters.trace_pixel(img, k, stage, row, col, pool=2, use_relu=stage != "conv")
        value = tr["terms"]["value"]
        expected = max(value, 0) if stage != "conv" else value
        assert fmap[row, col] == pytest.approx(expected, abs=1e-12)
        r0, r1, c0, c1 = tr["field"]
        size = 4 if stage == "pool" else 3      # 3x3 kernel; after 2x2 pooling 2 + 3 - 1 = 4
        if 0 < row < fmap.shape[0] - 1 and 0 < col < fmap.shape[1] - 1:
            assert (r1 - r0 + 1, c1 - c0 + 1) == (size, size)
        rr, cc = tr["conv_cell"]
        assert r0 <= rr <= r1 and c0 <= cc <= c1


def test_trace_pixel_outside_is_refused():
    with pytest.raises(LessonError) as err:
        filters.trace_pixel(image(10, 10), filters.named_kernel("blur"), "pool", 5, 0, pool=2)
    assert err.value.code == "cell_outside"


# --------------------------------------------------------------------------
# Colour: the sum of the channel contributions plus the bias is the 3-channel convolution
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", filters.RGB_KERNEL_NAMES)
def test_rgb_sum_equals_direct_computation(name):
    rgb = np.random.default_rng(5).random((14, 17, 3))
    w = filters.rgb_kernel(name)
    res = filters.rgb_feature_map(rgb, w, bias=0.25)
    direct = sum(signal.correlate2d(rgb[:, :, c], w[c], mode="same") for c in range(3)) + 0.25
    np.testing.assert_allclose(res["total"], direct, atol=1e-12)
    np.testing.assert_allclose(res["direct"], direct, atol=1e-6)   # conv2d works in float32 or better
    for c in range(3):                                             # each part is one channel's map
        np.testing.assert_allclose(res["parts"][c], signal.correlate2d(rgb[:, :, c], w[c], mode="same"),
                                   atol=1e-12)
    assert res["max_diff"] < 1e-6


def test_luminance_kernel_equals_the_gray_filter():
    rgb = np.random.default_rng(6).random((12, 12, 3))
    res = filters.rgb_feature_map(rgb, filters.rgb_kernel("luminance_edges"))
    gray = rgb @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(res["total"], filters.apply_bank(gray, filters.EDGE_KERNELS[90][None])[0],
                               atol=1e-12)


# --------------------------------------------------------------------------
# Pictures of maps
# --------------------------------------------------------------------------
def test_value_range_and_mosaic():
    maps = np.stack([np.linspace(-2, 1, 12).reshape(3, 4), np.linspace(0, 5, 12).reshape(3, 4)])
    assert filters.value_range(maps) == (-5.0, 5.0)
    np.testing.assert_array_equal(filters.value_range(maps, shared=False), [[-2, 2], [0, 5]])
    lo, hi = filters.value_range(maps[1], robust=90)
    assert 0 < lo < hi < 5
    m = filters.mosaic(maps, cols=2, gap=1, shared=False)
    assert m.shape == (3, 9) and m.min() == 0 and m.max() == 1
    np.testing.assert_array_equal(m[:, 4], 1.0)               # the white gap
    assert m[0, 5] == 0 and m[-1, -1] == 1                    # second map stretched on its own
