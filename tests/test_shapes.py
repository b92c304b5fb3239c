"""Shape arithmetic against brute force: the shape of real cnnlab outputs, and hand-checked numbers."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnlab import conv_output_size
from cnnlab.checks import LessonError
from cnnlab.geometry.shapes import (
    connectivity_comparison,
    conv_macs,
    conv_params,
    explain,
    fc_params,
    feature_count,
    pool_output_size,
    same_padding,
    suggest_fixes,
    transposed_output_size,
)
from cnnlab.ops.conv import conv2d
from cnnlab.ops.pooling import pool2d


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
def test_conv_formula_matches_a_real_convolution(i, k, s, p, d):
    keff = d * (k - 1) + 1
    if keff > i + 2 * p:
        with pytest.raises(LessonError):
            conv_output_size(i, k, s, p, d)
        return
    out = conv2d(np.ones((1, 1, i, 3)), np.ones((1, 1, k, 1)), stride=(s, 1), padding=(p, 0),
                 dilation=(d, 1))
    assert conv_output_size(i, k, s, p, d) == out.shape[2]
    assert isinstance(conv_output_size(i, k, s, p, d), int)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.booleans())
def test_pool_formula_matches_pooling_and_brute_force(i, k, s, p, ceil):
    if 2 * p > k or k > i + 2 * p:
        with pytest.raises(LessonError):
            pool_output_size(i, k, s, p, ceil_mode=ceil)
        return
    o = pool_output_size(i, k, s, p, ceil_mode=ceil)
    assert pool2d(np.ones((i, 2)), (k, 1), (s, 1), (p, 0), ceil_mode=ceil).shape[0] == o
    # brute force: windows at 0, s, 2s, ... that fit; ceil mode also keeps one that sticks out
    # past the padded edge (less than a stride) as long as it starts inside input + left padding
    expect = len([t for t in range(0, i + 2 * p, s)
                  if t + k <= i + 2 * p or (ceil and t + k < i + 2 * p + s and t < i + p)])
    assert o == expect


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
def test_transposed_inverts_the_convolution_shape(i, k, s, p, d):
    """Every input size a convolution maps to ``o`` comes back from ``o`` with some output padding."""
    keff = d * (k - 1) + 1
    assume(keff <= i + 2 * p)
    o = conv_output_size(i, k, s, p, d)
    lo, hi = explain(i, k, s, p, d)["same_inputs"]
    assert lo <= i <= hi
    for n in range(lo, hi + 1):
        assert conv_output_size(n, k, s, p, d) == o
        op = n - ((o - 1) * s - 2 * p + keff)
        assert op >= 0
        if op < max(s, d):
            assert transposed_output_size(o, k, s, p, d, op) == n
    if lo > 1 and keff <= lo - 1 + 2 * p:
        assert conv_output_size(lo - 1, k, s, p, d) != o
    assert conv_output_size(hi + 1, k, s, p, d) != o


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
def test_never_reached_cells_brute_force(i, k, s, p, d):
    keff = d * (k - 1) + 1
    assume(keff <= i + 2 * p)
    x = np.zeros((1, 1, i, 1))
    info = explain(i, k, s, p, d)
    for r in range(i):                       # a cell matters iff changing it changes the output
        x[0, 0, r] = 1.0
        moved = np.abs(conv2d(x, np.ones((1, 1, k, 1)), stride=(s, 1), padding=(p, 0),
                              dilation=(d, 1))).sum() > 0
        x[0, 0, r] = 0.0
        assert moved == (r not in info["never_input"])
    # what the floor drops: the padded cells after the last window
    assert info["remainder"] == info["padded"] - ((info["out"] - 1) * s + info["keff"])
    assert info["tail"] == max(0, info["remainder"] - p)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(1, 2))
def test_suggested_fixes_work(i, k, s, p, d):
    for setting, value in suggest_fixes(i, k, s, p, d):
        kw = dict(i=i, k=k, s=s, p=p, d=d)
        kw[{"input": "i", "padding": "p", "kernel_size": "k", "stride": "s"}[setting]] = value
        info = explain(**kw)             # the fix is valid (explain raises otherwise) ...
        keff = d * (kw["k"] - 1) + 1      # ... and divides evenly where any padding can
        assert info["even"] or (setting == "padding" and all(
            (i + 2 * q - keff) % s for q in range(value, value + s))) or (setting == "kernel_size" and all(
            (i + 2 * p - d * (q - 1) - 1) % s for q in range(1, value + 1))), (setting, value)


def test_worked_examples_from_the_syllabus():
    assert conv_output_size(5, 3, s=2, p=1) == 3
    assert conv_output_size(32, 5, 1, 2) == 32
    assert conv_params(5, 3, 1) == 76 and conv_params(5, 3, 10) == 760
    assert conv_params(2, 4, 2, bias=False) == 32
    assert conv_params(3, 16, 32) == 4640              # (3*3*16 + 1) * 32
    assert feature_count() == (89, 3_168_400)
    assert connectivity_comparison() == {"fc": 10 ** 12, "local": 10 ** 8, "conv": 100}
    assert fc_params(9216, 4096) == 37_752_832
    assert conv_macs((55, 55), 11, 3, 96) == 105_415_200
    assert same_padding(3) == (1, 1) and same_padding(4) == (1, 2) and same_padding(3, d=2) == (2, 2)
    assert transposed_output_size(3, 3, 2, 1) == 5 and transposed_output_size(3, 3, 2, 1, output_padding=1) == 6


def test_explain_what_the_floor_throws_away():
    info = explain(6, 3, 2)                   # windows at 0, 2: row 5 is never read
    assert info["out"] == 2 and info["remainder"] == 1 and list(info["never_input"]) == [5]
    assert info["same_inputs"] == (5, 6)
    assert ("padding", 0) not in suggest_fixes(6, 3, 2)
    assert ("input", 5) in suggest_fixes(6, 3, 2) and ("input", 7) in suggest_fixes(6, 3, 2)
    assert ("padding", 1) in suggest_fixes(6, 2, 2, 0) or ("input", 6) in suggest_fixes(7, 2, 2)


@pytest.mark.parametrize("call,code", [
    (lambda: conv_output_size(5, 3, s=0), "positive_int"),
    (lambda: conv_output_size(3, 5), "kernel_too_large"),
    (lambda: conv_output_size(5, 3, p=-1), "nonnegative_int"),
    (lambda: transposed_output_size(3, 3, 2, 1, output_padding=2), "output_padding_too_large"),
    (lambda: transposed_output_size(1, 1, 1, 2), "transposed_too_small"),
    (lambda: pool_output_size(4, 2, 2, 2), "pool_padding_too_large"),
    (lambda: same_padding(3, s=2), "same_needs_stride1"),
])
def test_invalid_settings_raise_with_a_code(call, code):
    with pytest.raises(ValueError) as err:
        call()
    assert err.value.code == code


def test_fixes_for_impossible_settings():
    assert suggest_fixes(5, 3, 0) == [("stride", 1)]
    fixes = dict(suggest_fixes(3, 5))
    assert fixes["input"] == 5 and fixes["padding"] == 1 and fixes["kernel_size"] == 3
    assert suggest_fixes(3, 3, 2, 1, mode="transposed", output_padding=2) == [("output_padding", 1)]
    assert suggest_fixes(4, 2, 2, 2, mode="pool") == [("padding", 1)]
