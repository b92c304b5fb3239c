"""The output-size lesson's arithmetic (app_pages/output_size/compute.py) against brute-force window counts."""

import itertools

import pytest

from app_pages.output_size import compute
from cnnlab.checks import LessonError


def windows(i, k, p, s, d):
    """Count the start positions whose dilated window fits inside the padded input, one by one."""
    return sum(1 for start in range(0, i + 2 * p, s) if start + d * (k - 1) < i + 2 * p)


def scatter_length(i, k, p, s, d, op):
    """Transposed convolution by scattering: the last output cell any input cell writes, minus the cropping."""
    last = max(a * s + d * b for a in range(i) for b in range(k))
    return last + 1 - 2 * p + op


@pytest.mark.parametrize("i, k, p, s, d", [c for c in itertools.product((5, 7, 8), (1, 3), (0, 1), (1, 2, 3), (1, 2))
                                           if c[0] + 2 * c[2] >= c[4] * (c[1] - 1) + 1])
def test_conv_sizes_match_window_enumeration(i, k, p, s, d):
    res = compute.sizes("conv", ((i, k, p, s, d), (i + 1, k, p, s, d)), False, 0)
    assert res.outs == (windows(i, k, p, s, d), windows(i + 1, k, p, s, d))
    assert res.axis is None


def test_transposed_matches_scatter():
    for i, k, p, s, d, op in [(3, 3, 0, 2, 1, 0), (4, 3, 1, 2, 1, 1), (5, 2, 0, 2, 2, 0)]:
        res = compute.sizes("transposed", ((i, k, p, s, d), (i, k, p, s, d)), False, op)
        assert res.outs[0] == scatter_length(i, k, p, s, d, op)


def test_pool_round_up_literals():
    # 6 cells, window 3, stride 2: floor(3/2)+1 = 2; rounded up ceil(3/2)+1 = 3
    assert compute.sizes("pool", ((6, 3, 0, 2, 1), (6, 3, 0, 2, 1)), False, 0).outs == (2, 2)
    assert compute.sizes("pool", ((6, 3, 0, 2, 1), (6, 3, 0, 2, 1)), True, 0).outs == (3, 3)


def test_a_kernel_larger_than_the_input_fails_on_its_axis_with_fixes():
    res = compute.sizes("conv", ((5, 3, 0, 1, 1), (2, 5, 0, 1, 1)), False, 0)
    assert res.outs is None and res.axis == 1
    assert isinstance(res.error(), ValueError)
    assert res.fixes                                     # cnnlab proposes at least one working setting
    exc = res.error()
    if isinstance(exc, LessonError):
        assert exc.code == res.code


def reads(i, k, p, s, d):
    """Brute force: the real input cells (counted from 0) that some window reads, and how often each padded
    cell is read, walking every window start that fits."""
    counts = [0] * (i + 2 * p)
    for start in range(0, i + 2 * p, s):
        if start + d * (k - 1) < i + 2 * p:
            for j in range(k):
                counts[start + d * j] += 1
    return {c - p for c, n in enumerate(counts) if n and p <= c < p + i}, counts


@pytest.mark.parametrize("i, k, p, s, d", [(8, 3, 0, 3, 2), (9, 3, 0, 2, 2), (8, 3, 0, 2, 1), (7, 2, 1, 3, 1),
                                           (10, 3, 1, 2, 3), (5, 3, 1, 2, 1)])
def test_explanation_matches_walking_every_window(i, k, p, s, d):
    res = compute.explain("conv", (i, k, p, s, d), False)
    read, _ = reads(i, k, p, s, d)
    assert set(res.never) == set(range(i)) - read
    assert res.out == windows(i, k, p, s, d)
    assert res.even == ((i + 2 * p - d * (k - 1) - 1) % s == 0)
    same = [n for n in range(1, 60) if n + 2 * p >= d * (k - 1) + 1 and windows(n, k, p, s, d) == res.out]
    assert res.same_inputs == (min(same), max(same))


def test_dilation_leaves_gaps_even_when_the_stride_divides():
    # issue 16 item 17: 8 cells, kernel 3, dilation 2, stride 3: 3 is a multiple of 3, yet cells 1 and 6 are
    # never read (between the taps 0, 2, 4 and 3, 5, 7), so "nothing is left over" must not be said alone
    res = compute.explain("conv", (8, 3, 0, 3, 2), False)
    assert res.even and res.never == (1, 6) and res.gaps
    plain = compute.explain("conv", (8, 3, 0, 1, 1), False)
    assert plain.even and plain.never == () and not plain.gaps
    cut = compute.explain("conv", (8, 3, 0, 2, 1), False)        # 5 is not a multiple of 2: cell 7 is cut off
    assert not cut.even and cut.never == (7,) and not cut.gaps


@pytest.mark.parametrize("i, k, p, s, d", [(5, 3, 1, 2, 1), (8, 3, 0, 3, 2), (6, 2, 2, 1, 1)])
def test_picture_counts_every_read_and_marks_the_padding(i, k, p, s, d):
    o = windows(i, k, p, s, d)
    pic = compute.axis_picture("conv", (i, k, p, s, d), o, 0)
    _, counts = reads(i, k, p, s, d)
    assert list(pic.counts[:len(counts)]) == counts and sum(pic.counts) == o * k
    assert [n for n, pad in enumerate(pic.pad) if not pad] == list(range(p, p + i))


def test_transposed_picture_marks_the_inserted_zeros():
    # 3 cells, stride 2, kernel 3, padding 0: stretched to 1 0 1 0 1 with 2 zeros each side -> 9 cells
    pic = compute.axis_picture("transposed", (3, 3, 0, 2, 1), 7, 0)
    assert len(pic.pad) == 9 and [n for n, pad in enumerate(pic.pad) if not pad] == [2, 4, 6]
    assert compute.axis_picture("transposed", (3, 3, 3, 2, 1), 1, 0) is None       # it would crop


def test_layer_parameters_match_the_syllabus():
    # SYLLABUS "Output size and parameters": 5·5·3 + 1 = 76; ten on 32×32×3, stride 1, padding 2: 760,
    # output 32×32×10; 4 channels to 2 with 2×2 kernels: 32 weights
    res = compute.layer_params(32, 5, 3, 10, 2, 1, True)
    assert (res.out, res.per_filter, res.total, res.weights) == (32, 76, 760, 750)
    four_two = compute.layer_params(8, 2, 4, 2, 0, 1, False)
    assert four_two.total == four_two.weights == 32 and four_two.per_filter == 16
    assert compute.layer_params(8, 2, 4, 2, 0, 1, True).total == 34
    with pytest.raises(ValueError):
        compute.layer_params(3, 5, 3, 10, 0, 1, True)            # the kernel does not fit


def test_feature_count_and_connectivity_match_the_syllabus():
    # 96×96 with 400 learned 8×8 features: 89×89 = 7,921 per map, 3,168,400 in all
    res = compute.feature_count(96, 8, 400)
    assert (res.out, res.per_map, res.total) == (89, 7_921, 3_168_400)
    # 1000×1000 image to 10⁶ units: 10¹² (fully connected), 10⁸ (10×10 windows), 100 (one shared kernel)
    c = compute.connectivity(1000, 10 ** 6, 10)
    assert (c.fc, c.local, c.conv) == (10 ** 12, 10 ** 8, 100)
