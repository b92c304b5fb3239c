"""Linear classifiers: the softmax steps, cross-entropy against scipy.optimize, least squares against lstsq."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import log_softmax

from cnnlab.calculus import linear
from cnnlab.checks import LessonError


def test_softmax_steps_match_scipy_and_the_gradient_is_p_minus_y():
    s = np.array([2.0, -1.0, 0.5])
    st = linear.softmax_steps(s, 2)
    assert st.loss == pytest.approx(-log_softmax(s)[2])
    assert st.probs.sum() == pytest.approx(1.0)
    eps = 1e-6
    num = [(-log_softmax(s + eps * e)[2] + log_softmax(s - eps * e)[2]) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(st.grad, num, atol=1e-8)
    # huge scores do not overflow
    assert np.isfinite(linear.softmax_steps(np.array([1000.0, 0.0]), 1).loss)


def _flat_loss(theta, x, y, k, lam):
    w, b = theta[:2 * k].reshape(2, k), theta[2 * k:]
    loss, dw, db = linear.xent_loss_grad(w, b, x, y, lam)
    return loss


@pytest.mark.parametrize("name", ["two_blobs", "three_blobs", "three_line"])
def test_gradient_descent_reaches_the_scipy_minimum(name):
    x, y, k = linear.preset(name)
    lam = 0.05                      # makes the minimum unique
    fit = linear.train_softmax(x, y, k, lr=1.0, steps=2000, lam=lam)
    res = minimize(_flat_loss, np.zeros(3 * k), args=(x, y, k, lam), method="BFGS", options={"gtol": 1e-10})
    assert fit.losses[-1] == pytest.approx(res.fun, abs=1e-6)
    # W is unique; b only up to a constant added to every class
    np.testing.assert_allclose(fit.w, res.x[:2 * k].reshape(2, k), atol=1e-3)
    np.testing.assert_allclose(fit.b - fit.b.mean(), res.x[2 * k:] - res.x[2 * k:].mean(), atol=1e-3)


def test_analytic_gradient_matches_finite_differences():
    x, y, k = linear.preset("three_blobs")
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((2, k)), rng.standard_normal(k)
    _, dw, db = linear.xent_loss_grad(w, b, x, y, 0.1)
    eps = 1e-6
    for i in range(2):
        for j in range(k):
            wp, wm = w.copy(), w.copy()
            wp[i, j] += eps
            wm[i, j] -= eps
            num = (linear.xent_loss_grad(wp, b, x, y, 0.1)[0] - linear.xent_loss_grad(wm, b, x, y, 0.1)[0]) / (2 * eps)
            assert dw[i, j] == pytest.approx(num, abs=1e-7)


@pytest.mark.parametrize("name", linear.PRESETS)
def test_least_squares_is_the_lstsq_solution(name):
    x, y, k = linear.preset(name)
    fit = linear.fit_least_squares(x, y, k)
    a = np.hstack([x, np.ones((len(x), 1))])
    v, *_ = np.linalg.lstsq(a, np.eye(k)[y], rcond=None)
    np.testing.assert_allclose(fit.w, v[:2], atol=1e-10)
    np.testing.assert_allclose(fit.b, v[2], atol=1e-10)


def _angle(w):
    d = w[:, 0] - w[:, 1]
    return np.degrees(np.arctan2(d[1], d[0]))


def test_far_points_swing_least_squares_but_not_cross_entropy():
    x0, y0, k = linear.preset("two_blobs")
    x1, y1, _ = linear.preset("two_far")
    ls0, ls1 = linear.fit_least_squares(x0, y0, k), linear.fit_least_squares(x1, y1, k)
    ce0, ce1 = linear.train_softmax(x0, y0, k, steps=500), linear.train_softmax(x1, y1, k, steps=500)
    assert abs(_angle(ls1.w) - _angle(ls0.w)) > 30
    assert abs(_angle(ce1.w) - _angle(ce0.w)) < 10
    assert ls1.accuracy < 1.0 and ce1.accuracy == 1.0


def test_least_squares_masks_the_middle_class():
    x, y, k = linear.preset("three_line")
    ls = linear.fit_least_squares(x, y, k)
    ce = linear.train_softmax(x, y, k, steps=500)
    pred_ls = np.argmax(linear.scores(x[y == 1], ls.w, ls.b), axis=1)
    assert np.mean(pred_ls == 1) < 0.5
    assert ce.accuracy == 1.0


def test_points_in_a_link_are_parsed_strictly():
    x, y = linear.parse_points("1.5,-2,1;bad;3,4,2;__import__('os'),1,0;99,0,0;1,1,1", 2)
    np.testing.assert_allclose(x, [[1.5, -2], [10.0, 0], [1, 1]])
    assert y.tolist() == [1, 0, 1]
    assert linear.parse_points(linear.format_points(x, y), 2)[1].tolist() == [1, 0, 1]
    with pytest.raises(LessonError) as e:
        linear.fit_least_squares(np.zeros((3, 2)), np.zeros(3, int), 2)
    assert e.value.code == "lin_need_two_classes"


def test_far_points_added_by_the_button_are_on_their_own_side_and_swing_least_squares():
    x, y, k = linear.preset("two_blobs")
    fx, fy = linear.far_points(x, y, 1, seed=0)
    ce = linear.train_softmax(x, y, k, steps=500)
    assert np.all(np.argmax(linear.scores(fx, ce.w, ce.b), axis=1) == 1)      # already classified right
    xx, yy = np.vstack([x, fx]), np.concatenate([y, fy])
    ls0, ls1 = linear.fit_least_squares(x, y, k), linear.fit_least_squares(xx, yy, k)
    ce1 = linear.train_softmax(xx, yy, k, steps=500)
    assert abs(linear.boundary_angle(ls1.w) - linear.boundary_angle(ls0.w)) > 20
    assert abs(linear.boundary_angle(ce1.w) - linear.boundary_angle(ce.w)) < 5
