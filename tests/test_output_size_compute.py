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
