"""The pooling lesson's arithmetic (app_pages/pooling/compute.py) against SciPy and hand-worked numbers."""

import numpy as np
import pytest
from scipy import ndimage

from app_pages.pooling import compute
from ui.grid_guard import parse_grid

GRID = np.random.default_rng(3).integers(0, 10, size=(6, 6)).astype(float)


@pytest.mark.parametrize("mode, scipy_filter", [("max", ndimage.maximum_filter), ("min", ndimage.minimum_filter),
                                                ("avg", ndimage.uniform_filter)])
def test_stride_one_matches_scipy(mode, scipy_filter):
    res = compute.forward(GRID, compute.PoolSettings(mode, 3, 1, 0, False))
    want = scipy_filter(GRID, size=3)[1:-1, 1:-1]        # centred 3x3 filter, valid part
    np.testing.assert_allclose(res.out, want)
    if mode != "avg":                                    # each window's chosen cell holds its max / min
        np.testing.assert_allclose(GRID[list(res.sel_rows), list(res.sel_cols)], want.ravel())


def test_reduction_respects_round_up():
    # 6 x 6, window 3, stride 2: floor((6-3)/2)+1 = 2, rounded up ceil(3/2)+1 = 3
    floor = compute.reduction((6, 6), compute.PoolSettings("max", 3, 2, 0, False))
    ceil = compute.reduction((6, 6), compute.PoolSettings("max", 3, 2, 0, True))
    assert (floor.oh, floor.ow, floor.ratio, floor.after) == (2, 2, 9.0, 4 * 10 + 10)
    assert (ceil.oh, ceil.ow, ceil.ratio, ceil.after) == (3, 3, 4.0, 9 * 10 + 10)
    assert ceil.before == 36 * 10 + 10
    shifted = compute.shift(None, (6, 6), compute.PoolSettings("max", 3, 2, 0, True), 1)
    assert shifted.pooled.shape == (3, 3)                # the comparison uses the same rounding


def test_a_dot_moving_inside_its_window_leaves_max_pooling_unchanged():
    ps = compute.PoolSettings("max", 2, 2, 0, False)
    inside = compute.shift(None, (6, 6), ps, 1)
    # the dot starts at the first column of the second window (columns 2-3), row 2
    assert inside.dot == (2, 2) and inside.window_cols == (2, 3)
    assert inside.original[2, 2] == 9 and inside.original.sum() == 9
    assert inside.shifted[2, 3] == 9 and inside.shifted.sum() == 9
    assert inside.changed_input == pytest.approx(2 / 36)  # two cells changed: where it was, where it is
    assert inside.changed_pooled == 0
    outside = compute.shift(None, (6, 6), ps, 2)         # column 4: the next window
    assert outside.changed_pooled == pytest.approx(2 / 9)


@pytest.mark.parametrize("mode", ["avg", "min"])
def test_the_dot_shows_in_every_pooling_and_stays_put_inside_its_window(mode):
    ps = compute.PoolSettings(mode, 2, 2, 0, False)
    inside = compute.shift(None, (6, 6), ps, 1)
    r, c = inside.dot
    background = 9 if mode == "min" else 0              # min pooling: a dark dot on a bright grid
    assert inside.original[r, c] == 9 - background and (inside.original == background).sum() == 35
    assert inside.changed_pooled == 0
    # the dot is seen: its window's pooled value differs from the others (a bright dot vanished in min pooling)
    assert len(np.unique(inside.pooled)) == 2
    outside = compute.shift(None, (6, 6), ps, 2)
    assert outside.changed_pooled == pytest.approx(2 / 9)


def test_backward_routes_to_the_max():
    x = np.array([[1.0, 5.0], [3.0, 2.0]])
    dx = compute.backward(x, compute.PoolSettings("max", 2, 2, 0, False), np.array([[7.0]])).dx
    np.testing.assert_array_equal(dx, [[0, 7], [0, 0]])
    dx = compute.backward(x, compute.PoolSettings("avg", 2, 2, 0, False), np.array([[8.0]])).dx
    np.testing.assert_array_equal(dx, [[2, 2], [2, 2]])


def test_parse_grid_names_bad_cells():
    x, bad = parse_grid([[1, None], ["1e308", "x"], ["2.5", float("nan")]])
    assert bad == [(0, 1), (1, 0), (1, 1), (2, 1)]
    assert x[0, 0] == 1 and x[2, 0] == 2.5
    assert parse_grid([[1, 2]])[1] == []
