"""The receptive-field lesson's unit region (app_pages/receptive_field/compute.py) against brute force."""

import pytest

from app_pages.receptive_field import compute


def layers(*specs):
    return tuple(tuple(sorted({"kernel": k, "stride": s, "padding": p, "dilation": d}.items()))
                 for k, s, p, d in specs)


def brute(specs, unit):
    """Walk back layer by layer: the set of input indices (padded coordinates shifted back) the unit reads."""
    cells = {unit}
    for k, s, p, d in reversed(specs):
        cells = {c * s - p + d * j for c in cells for j in range(k)}
    return min(cells), max(cells)


@pytest.mark.parametrize("specs", [((3, 1, 0, 1), (3, 1, 0, 1)), ((3, 2, 1, 1), (3, 1, 1, 1)),
                                   ((5, 2, 2, 1), (3, 2, 1, 1), (3, 1, 1, 2))])
def test_region_matches_walking_back(specs):
    for unit in (0, 1, 2):
        res = compute.region(layers(*specs), len(specs), unit, unit, 32)
        assert res.rows == brute(specs, unit) and res.cols == res.rows


def test_two_3x3_see_5x5():
    res = compute.region(layers((3, 1, 0, 1), (3, 1, 0, 1)), 2, 1, 0, 16)
    assert res.rows == (1, 5) and res.cols == (0, 4) and not res.in_padding
    padded = compute.region(layers((3, 1, 1, 1),), 1, 0, 0, 16)
    assert padded.rows == (-1, 1) and padded.rows_clip == (0, 1) and padded.in_padding


def test_stack_rows_match_walking_back_and_counting_windows():
    specs = ((3, 2, 1, 1), (3, 1, 1, 2), (2, 2, 0, 1))
    res = compute.stack(layers(*specs), 32)
    assert res.with_out and res.error is None
    n = 32
    for depth, row in enumerate(res.rows, start=1):
        lo, hi = brute(specs[:depth], 0)
        assert row.size == hi - lo + 1 and row.padding == -lo
        k, s, p, d = specs[depth - 1]
        n = sum(1 for start in range(0, n + 2 * p, s) if start + d * (k - 1) < n + 2 * p)   # windows that fit
        assert row.out == n


def test_a_stack_too_deep_for_its_input_keeps_its_fields_without_output_sizes():
    res = compute.stack(layers((5, 1, 0, 1), (5, 1, 0, 1)), 6)        # 6 -> 2, then a 5-wide kernel on 2 cells
    assert not res.with_out and res.error.code == "stack_layer_invalid"
    assert dict(res.error.params)["layer"] == 2 and res.cause.code == "kernel_too_large"
    assert [r.size for r in res.rows] == [5, 9] and all(r.out is None for r in res.rows)
