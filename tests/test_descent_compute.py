"""The gradient-descent lesson's arithmetic (app_pages/gradient_descent/compute.py) against closed forms:
plain gradient descent on f = 1/2 p^T A p walks p_k = (I - lr A)^k p_0, built here from A's eigenvalues."""

import math

import numpy as np
import pytest

from app_pages.gradient_descent import compute

KAPPA, ANGLE, START = 10.0, 0.5, (-2.5, 2.0)       # cnnlab.calculus.surfaces.quadratic's defaults


def _matrix():
    r = np.array([[math.cos(ANGLE), -math.sin(ANGLE)], [math.sin(ANGLE), math.cos(ANGLE)]])
    return r @ np.diag([1.0, KAPPA]) @ r.T


def test_surface_grid_and_floor():
    s = compute.surface_data("quadratic", KAPPA, "")
    assert s.z.shape == (compute.GRID, compute.GRID)
    a = _matrix()
    i, j = 7, 80                                       # one grid cell, by the formula
    p = np.array([s.xs[j], s.ys[i]]) if s.xs.ndim == 1 else np.array([s.xs[i, j], s.ys[i, j]])
    assert s.z[i, j] == pytest.approx(0.5 * p @ a @ p)
    assert s.minima == ((0.0, 0.0),) and s.minima_f == (0.0,) and s.floor == 0.0


def test_plain_descent_follows_the_closed_form():
    lr, steps = 0.05, 30
    res = compute.optimizer_paths("quadratic", KAPPA, "", ("sgd",), (lr,), steps, "constant", START, 0.9)
    path = res.paths["sgd"]
    step = np.eye(2) - lr * _matrix()
    want = np.array([np.linalg.matrix_power(step, k) @ np.array(START) for k in range(steps + 1)])
    np.testing.assert_allclose(path.points, want, rtol=1e-9, atol=1e-12)
    a = _matrix()
    np.testing.assert_allclose(path.losses, [0.5 * p @ a @ p for p in want], rtol=1e-9, atol=1e-12)
    assert res.floor == 0.0


def test_learning_rate_regimes_straddle_two_over_kappa():
    reg = compute.regime_paths("quadratic", KAPPA, "", START)
    # the largest curvature is kappa: 0.05/kappa, 1/kappa, 2.2/kappa
    assert reg.lrs["small"] == pytest.approx(0.005, rel=1e-3)
    assert reg.lrs["right"] == pytest.approx(0.1, rel=1e-3)
    assert reg.lrs["large"] == pytest.approx(0.22, rel=1e-3)
    assert reg.paths["right"].losses[-1] < reg.paths["small"].losses[-1] < reg.paths["small"].losses[0]
    # |1 - 2.2| > 1 along the steep direction: the large rate grows the loss
    large = reg.paths["large"]
    assert large.diverged is not None or large.losses[-1] > large.losses[0]


def test_data_run_is_a_least_squares_fit():
    run = compute.data_run("linear", 0.0, 8, 0.3, 200, 0)
    # the full-batch path ends at the least-squares line through the samples (numpy's lstsq)
    design = np.stack([np.asarray(run.x), np.ones_like(run.x)], axis=1)
    coef = np.linalg.lstsq(design, np.asarray(run.y), rcond=None)[0]
    grid, fitted = run.curves["bgd"]
    np.testing.assert_allclose(fitted, coef[0] * grid + coef[1], atol=1e-2)
    assert run.floor <= min(float(np.min(p.losses)) for p in run.paths.values())
