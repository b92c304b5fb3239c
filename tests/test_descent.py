"""Optimizer paths, divergence reports, search methods and the data-driven loss."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from cnnlab.calculus import descent
from cnnlab.calculus.optim import OPTIMIZERS
from cnnlab.calculus.surfaces import SURFACES, get_surface, quadratic, typed_surface
from cnnlab.checks import LessonError


def test_path_of_gradient_descent_is_the_closed_form():
    s = quadratic(10.0, angle=0.5)
    a, p0, lr = s.params["matrix"], np.array([-2.5, 2.0]), 0.15
    path = descent.run_optimizer(s, "sgd", p0, 30, lr)
    assert path.points.shape == (31, 2) and path.losses.shape == (31,) and path.lrs.shape == (30,)
    for k in (0, 1, 5, 30):
        np.testing.assert_allclose(path.points[k], np.linalg.matrix_power(np.eye(2) - lr * a, k) @ p0,
                                   rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(path.losses, [s.f(*p) for p in path.points])
    assert path.diverged is None and path.step is None
    np.testing.assert_array_equal(p0, [-2.5, 2.0])          # the caller's start is not moved


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_converges_on_the_convex_bowl(name):
    s = quadratic(10.0)
    tuned = descent.suggested_settings(s)
    path = descent.run_optimizer(s, name, (-2.5, 2.0), 500, tuned.lrs[name], hyper={"momentum": tuned.momentum})
    assert path.diverged is None
    assert path.losses[-1] < 1e-2 * path.losses[0], (name, path.losses[-1])


@pytest.mark.parametrize("kind", ["linear", "logistic"])
def test_bgd_converges_on_the_convex_data_loss(kind):
    data = descent.make_data(kind, 80, seed=3, l2=0.1)
    path = descent.data_descent(data, "bgd", (0.0, 0.0), 3000, 0.5 if kind == "linear" else 2.0)
    res = minimize(lambda p: float(data.objective(p[0], p[1])), np.zeros(2), method="BFGS", tol=1e-12)
    np.testing.assert_allclose(path.points[-1], res.x, atol=1e-4)
    np.testing.assert_allclose(data.minimum(), res.x, atol=1e-5)


def test_linear_minimum_is_least_squares():
    data = descent.make_data("linear", 50, seed=1)
    design = np.column_stack([data.x, np.ones_like(data.x)])
    np.testing.assert_allclose(data.minimum(), np.linalg.lstsq(design, data.y, rcond=None)[0], atol=1e-10)


# ---------------------------------------------------------------------------
# divergence: reported with the step, never raised
# ---------------------------------------------------------------------------
def test_divergence_leaves_the_box_at_the_predicted_step():
    s = quadratic(10.0, angle=0.0)              # A = diag(1, 10): y is multiplied by (1 - 10 lr) each step
    lr, p0 = 0.25, np.array([0.5, 0.5])
    path = descent.run_optimizer(s, "sgd", p0, 100, lr)
    box = s.box()
    k = next(k for k in range(1, 100) if abs(0.5 * (1 - 10 * lr) ** k) > box[3])
    assert path.diverged == "box" and path.step == k
    assert path.steps == k                       # the jump out of the box is the last point
    assert np.all(np.isfinite(path.points))


def test_overflow_without_a_box():
    path = descent.run_optimizer(quadratic(10.0), "sgd", (1.0, 1.0), 5000, 0.5, box=None)
    assert path.diverged == "overflow" and 0 < path.step < 5000
    assert np.all(np.isfinite(path.points)) and np.all(np.isfinite(path.losses))


def test_nan_reported():
    s = typed_surface("sqrt(x) + y^2")           # x < 0 is undefined
    path = descent.run_optimizer(s, "sgd", (0.5, 1.0), 50, 2.0)
    assert path.diverged == "nan" and path.step >= 1
    bad_start = descent.run_optimizer(s, "sgd", (-1.0, 1.0), 10, 0.1)
    assert bad_start.diverged == "nan" and bad_start.step == 0 and bad_start.points.shape == (0, 2)


def test_start_outside_the_box_is_step_zero():
    path = descent.run_optimizer(get_surface("beale"), "adam", (1e4, 0.0), 10, 0.1)
    assert path.diverged == "box" and path.step == 0


@pytest.mark.parametrize("name", SURFACES)
@settings(max_examples=12, deadline=None)
@given(lr=st.floats(1e-4, 1e3), opt=st.sampled_from(OPTIMIZERS), u=st.floats(0, 1), v=st.floats(0, 1))
def test_any_learning_rate_never_raises(name, lr, opt, u, v):
    s = get_surface(name)
    x0, x1, y0, y1 = s.window
    path = descent.run_optimizer(s, opt, (x0 + u * (x1 - x0), y0 + v * (y1 - y0)), 60, lr)
    assert path.diverged in (None, "box", "overflow", "nan")
    assert (path.step is None) == (path.diverged is None)
    assert np.all(np.isfinite(path.points)) and len(path.points) == len(path.losses)
    if path.diverged is None:
        assert path.steps == 60


def test_argument_errors_are_lesson_errors():
    s = quadratic()
    for kwargs, code in [({"lr": 0}, "gd_lr"), ({"lr": float("nan")}, "gd_lr"), ({"steps": 0}, "positive_int"),
                         ({"steps": 10**6}, "gd_steps"), ({"start": (1, float("inf"))}, "gd_start"),
                         ({"optimizer": "newton"}, "gd_unknown_optimizer"),
                         ({"schedule": "random"}, "gd_unknown_schedule")]:
        args = {"optimizer": "sgd", "start": (1, 1), "steps": 10, "lr": 0.1} | kwargs
        with pytest.raises(LessonError) as err:
            descent.run_optimizer(s, **args)
        assert err.value.code == code


def test_schedule_is_applied_to_the_path():
    path = descent.run_optimizer(quadratic(), "sgd", (1, 1), 40, 0.1, schedule="linear")
    np.testing.assert_allclose(path.lrs, 0.1 * (1 - np.arange(40) / 40))


def test_learning_rate_regimes_on_the_bowl():
    s = quadratic(10.0)
    lrs = descent.lr_regimes(s)
    assert lrs["right"] == pytest.approx(0.1) and lrs["large"] == pytest.approx(0.22)
    runs = {k: descent.run_optimizer(s, "sgd", s.start, 60, lr) for k, lr in lrs.items()}
    assert runs["large"].diverged == "box"
    assert runs["right"].losses[-1] < 1e-4 < 1e-2 < runs["small"].losses[-1]
    # too large: the loss rises, the steady one falls every step
    assert np.all(np.diff(runs["right"].losses) < 0) and runs["large"].losses[-1] > runs["large"].losses[0]


# ---------------------------------------------------------------------------
# search methods
# ---------------------------------------------------------------------------
def test_random_search_keeps_the_best_guess():
    s = get_surface("himmelblau")
    r = descent.random_search(s, 200, seed=4)
    values = s.f(r.tried[:, 0], r.tried[:, 1])
    assert r.evaluations == 200 and r.tried.shape == (200, 2)
    np.testing.assert_allclose(r.losses, np.minimum.accumulate(values))
    assert np.all(np.diff(r.losses) <= 0)
    again = descent.random_search(s, 200, seed=4)
    np.testing.assert_array_equal(r.points, again.points)


def test_random_local_search_only_goes_down():
    s = get_surface("quadratic")
    r = descent.random_local_search(s, (2.0, 2.0), 150, 0.2, seed=1)
    assert np.all(np.diff(r.losses) <= 0) and r.losses[-1] < r.losses[0]
    moves = np.linalg.norm(np.diff(r.points, axis=0), axis=1)
    assert np.all((moves < 1e-12) | (np.abs(moves - 0.2) < 1e-9))


def test_follow_slope_takes_fixed_steps_downhill():
    s = get_surface("himmelblau")
    r = descent.follow_slope(s, (0.0, 0.0), 80, 0.1)
    moves = np.linalg.norm(np.diff(r.points, axis=0), axis=1)
    np.testing.assert_allclose(moves, 0.1, rtol=1e-9)
    assert r.losses[-1] < 0.5 < 100 < r.losses[0] and r.evaluations == 4 * 80 + 1
    g = descent.numerical_gradient(s.f, (1.0, -1.5))
    np.testing.assert_allclose(g, s.grad(1.0, -1.5), rtol=1e-6)


# ---------------------------------------------------------------------------
# the data-driven loss
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["linear", "logistic"])
@settings(max_examples=15, deadline=None)
@given(w=st.floats(-4, 4), b=st.floats(-4, 4), l2=st.floats(0, 2), seed=st.integers(0, 50))
def test_sample_gradients_match_finite_differences(kind, w, b, l2, seed):
    data = descent.make_data(kind, 30, seed, l2)
    idx = np.random.default_rng(seed).choice(30, size=5, replace=False)

    def batch_objective(p):
        return data.sample_losses(p[0], p[1])[idx].mean() + 0.5 * l2 * p[0] ** 2

    p, h = np.array([w, b]), 1e-6
    num = [(batch_objective(p + e) - batch_objective(p - e)) / (2 * h) for e in (np.array([h, 0]), np.array([0, h]))]
    np.testing.assert_allclose(data.batch_grad(p, idx), num, rtol=1e-5, atol=1e-7)


def test_logistic_loss_is_the_cross_entropy():
    data = descent.make_data("logistic", 20, seed=2)
    w, b = 1.3, -0.4
    p = 1 / (1 + np.exp(-(w * data.x + b)))
    ce = -(data.y * np.log(p) + (1 - data.y) * np.log(1 - p))
    np.testing.assert_allclose(data.sample_losses(w, b), ce, rtol=1e-10)
    np.testing.assert_allclose(data.predict((w, b), data.x), p, rtol=1e-12)


def test_l2_moves_the_minimum_towards_zero_weight():
    w_free = descent.make_data("linear", 100, 0, 0.0).minimum()[0]
    w_reg = descent.make_data("linear", 100, 0, 1.0).minimum()[0]
    assert 0 < w_reg < w_free


def test_batch_sizes_and_samples_used():
    data = descent.make_data("linear", 40, seed=0)
    runs = {m: descent.data_descent(data, m, (0, 0), 25, 0.05, batch=8, seed=5) for m in descent.MODES}
    assert runs["bgd"].samples == 25 * 40 and runs["sgd"].samples == 25 and runs["minibatch"].samples == 25 * 8
    # mini-batch with k = N is batch gradient descent (the order inside a batch does not matter)
    full = descent.data_descent(data, "minibatch", (0, 0), 25, 0.05, batch=40, seed=5)
    np.testing.assert_allclose(full.points, runs["bgd"].points, rtol=1e-12)
    # deterministic with the seed, different with another seed
    again = descent.data_descent(data, "sgd", (0, 0), 25, 0.05, seed=5)
    other = descent.data_descent(data, "sgd", (0, 0), 25, 0.05, seed=6)
    np.testing.assert_array_equal(again.points, runs["sgd"].points)
    assert not np.allclose(other.points, runs["sgd"].points)


def test_sgd_visits_every_sample_once_per_epoch():
    data = descent.make_data("linear", 10, seed=0)
    seen = []

    class Spy(descent.RegressionData):
        def batch_grad(self, p, idx=None):
            if idx is not None:
                seen.extend(np.atleast_1d(idx).tolist())
            return super().batch_grad(p, idx)

    spy = Spy(data.kind, data.x, data.y, data.l2)
    descent.data_descent(spy, "sgd", (0, 0), 20, 0.01)
    assert sorted(seen[:10]) == list(range(10)) and sorted(seen[10:20]) == list(range(10))


def test_sgd_path_is_noisy_but_lands_near_the_minimum():
    data = descent.make_data("linear", 100, seed=0)
    sgd = descent.data_descent(data, "sgd", None, 400, 0.05, seed=0)
    bgd = descent.data_descent(data, "bgd", None, 400, 0.05)
    best = data.minimum()
    assert np.linalg.norm(sgd.points[-1] - best) < 0.5
    # BGD's objective falls monotonically; SGD's does not (real sample gradients)
    assert np.all(np.diff(bgd.losses) <= 1e-15) and np.any(np.diff(sgd.losses) > 0)


def test_data_errors():
    with pytest.raises(LessonError):
        descent.make_data("poisson")
    with pytest.raises(LessonError):
        descent.make_data("linear", l2=-1)
    with pytest.raises(LessonError):
        descent.batch_size_of("full", 10)
    assert descent.batch_size_of("minibatch", 10, 50) == 10


def test_lowest_value():
    path = descent.run_optimizer(quadratic(), "sgd", (1, 1), 5, 0.1)
    assert descent.lowest_value(np.array([[3.0, np.nan], [2.0, 5.0]]), [path], [-1.0]) == -1.0
    assert math.isfinite(descent.lowest_value(np.full((2, 2), np.nan)))


# ---------------------------------------------------------------------------
# tuned learning rates: the lesson's claims on its own defaults
# ---------------------------------------------------------------------------
def _runs(s, tuned, names=("sgd", "momentum", "nesterov", "adam"), **kw):
    return {o: descent.run_optimizer(s, o, None, tuned.steps, tuned.lrs[o], hyper={"momentum": tuned.momentum},
                                     **kw) for o in names}


@pytest.mark.parametrize("kappa", [10.0, 50.0, 100.0])
def test_momentum_beats_gradient_descent_on_the_bowl_by_sqrt_kappa(kappa):
    s = quadratic(kappa)
    tuned = descent.suggested_settings(s)
    assert tuned.basis == "quadratic" and tuned.steps == 100
    runs = _runs(s, tuned)
    assert all(p.diverged is None for p in runs.values())
    loss = {o: p.losses[-1] for o, p in runs.items()}
    # the text: momentum (and Nesterov) end far below plain gradient descent
    assert loss["momentum"] < 1e-6 * loss["sgd"]
    assert loss["nesterov"] < loss["sgd"]
    # the rate per step, measured on the path, is the textbook one: (k - 1)/(k + 1) against (sqrt k - 1)/(sqrt k + 1)
    sk = math.sqrt(kappa)
    dist = {o: np.linalg.norm(p.points, axis=1) for o, p in runs.items()}
    gd_rate = (dist["sgd"][90] / dist["sgd"][30]) ** (1 / 60)
    hb_rate = (dist["momentum"][90] / dist["momentum"][30]) ** (1 / 60)
    assert gd_rate == pytest.approx((kappa - 1) / (kappa + 1), rel=0.01)
    assert hb_rate == pytest.approx((sk - 1) / (sk + 1), rel=0.05)
    assert tuned.rho["sgd"] == pytest.approx(gd_rate, rel=0.01) and tuned.rho["momentum"] == pytest.approx(
        hb_rate, rel=0.05)
    # "damps the zig-zag": the swings across the valley (along the steepest eigenvector) die out faster
    steep = np.linalg.eigh(s.params["matrix"])[1][:, 1]
    swing = {o: np.abs(p.points @ steep).sum() for o, p in runs.items()}
    assert swing["momentum"] < swing["sgd"]
    # the texts as the picture shows it (issue 18 Major 1): gradient descent bounces back and forth across the
    # valley on every step (its position across the valley changes sign each step, shrinking slowly) ...
    across = {o: p.points @ steep for o, p in runs.items()}
    gd = across["sgd"][:40]
    assert np.all(np.sign(gd[1:]) == -np.sign(gd[:-1])) and np.all(np.diff(np.abs(gd)) < 0)
    # ... while momentum swings wider at first (the velocity carries it past the floor) ...
    assert np.abs(across["momentum"]).max() > 1.2 * np.abs(gd).max()
    # ... and reaches the bottom about sqrt(kappa) times sooner (the loss chart): steps to 1e-8 of the start loss
    def steps_to(path):
        low = np.flatnonzero(np.asarray(path.losses) < 1e-8 * path.losses[0])
        return int(low[0]) if low.size else None
    fast, slow = steps_to(runs["momentum"]), steps_to(runs["sgd"])
    assert fast is not None and fast < tuned.steps
    if slow is None:                                  # gradient descent has not arrived within the steps shown
        assert fast < tuned.steps / 1.5
    else:
        assert 0.6 * sk < slow / fast < 1.6 * sk
    # Adam as the text describes it: first steps of about lr in each coordinate, behind tuned momentum here
    first = np.abs(runs["adam"].points[1] - runs["adam"].points[0])
    np.testing.assert_allclose(first, tuned.lrs["adam"], rtol=1e-6)
    assert loss["momentum"] < loss["adam"]


def test_suggested_rates_of_a_typed_quadratic_are_the_closed_forms():
    tuned = descent.suggested_settings(typed_surface("x^2 + 3*y^2"))     # Hessian diag(2, 6), kappa 3
    assert tuned.basis == "quadratic"
    assert tuned.lrs["sgd"] == pytest.approx(2 / (2 + 6))
    assert tuned.lrs["momentum"] == pytest.approx(4 / (math.sqrt(6) + math.sqrt(2)) ** 2, rel=0.05)
    assert tuned.momentum >= ((math.sqrt(3) - 1) / (math.sqrt(3) + 1)) ** 2


def test_rosenbrock_defaults_arrive_at_one_one():
    s = get_surface("rosenbrock")
    tuned = descent.suggested_settings(s)
    assert tuned.basis == "search" and tuned.steps == 500
    # the text: the walls are ~2500 times steeper than the floor, gradient descent must stay below 2/L ~ 0.002
    lmin, lmax = sorted(np.linalg.eigvalsh([[802.0, -400.0], [-400.0, 200.0]]))      # by hand at (1, 1)
    np.testing.assert_allclose(sorted(tuned.eigenvalues), [lmin, lmax], rtol=1e-5)
    assert 2000 < lmax / lmin < 3000 and tuned.lrs["sgd"] < 2 / lmax
    runs = _runs(s, tuned)
    end = {o: np.linalg.norm(p.points[-1] - [1.0, 1.0]) for o, p in runs.items()}
    assert end["momentum"] < 0.01 and end["nesterov"] < 0.01       # momentum and Nesterov reach (1, 1)
    assert end["sgd"] > 0.1                                        # gradient descent is still on its way
    res = minimize(lambda p: s.f(*p), s.start, method="BFGS")      # an outside check of where (1, 1) is
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-3)


@pytest.mark.parametrize("name", SURFACES)
def test_suggested_settings_never_diverge_from_the_default_start(name):
    s = get_surface(name)
    tuned = descent.suggested_settings(s)
    assert 0 < tuned.momentum < 1
    for o, path in _runs(s, tuned, OPTIMIZERS).items():
        assert path.diverged is None, (name, o)
        assert path.losses[-1] < path.losses[0], (name, o)
        assert path.why is None


@pytest.mark.parametrize("text,shape", [("x", "no_minimum"), ("-(x^2+y^2)", "no_minimum"),
                                        ("x^2 - y^2", "no_minimum"), ("exp(-x) + y^2", "no_minimum"),
                                        ("3", "flat"), ("0*x + 0*y", "flat"), ("(x-5)^2 + y^2", "off_map"),
                                        ("relu(x) + y^2", None), ("x^2 + 3*y^2", None),
                                        ("x^2/4 + y^2 + 0.5*sin(3*x)", None)])
def test_surface_shape(text, shape):
    assert descent.surface_shape(typed_surface(text)) == shape


def test_surfaces_without_a_minimum_are_explained_as_such():
    for text in ("x", "-(x^2+y^2)"):
        s = typed_surface(text)
        for lr in (1e-3, 0.1, 5.0):                   # whatever the learning rate
            for o in ("sgd", "momentum", "adam"):
                path = descent.run_optimizer(s, o, None, 100, lr)
                assert path.why == "no_minimum", (text, lr, o)
    flat = descent.run_optimizer(typed_surface("3"), "sgd", None, 50, 0.5)
    assert flat.why == "flat" and flat.diverged is None
    np.testing.assert_array_equal(flat.points[-1], flat.points[0])   # no step moves on a flat surface
    too_fast = descent.run_optimizer(quadratic(10.0), "sgd", None, 100, 0.25)
    assert too_fast.diverged == "box" and too_fast.why == "lr_too_large"
    assert descent.suggested_settings(typed_surface("x")).basis == "none"


def test_every_name_of_the_lesson_is_importable_from_descent_and_each_module_is_short():
    """The module was split by concept (walk, shape, tuning, search, data): the old names still import."""
    from pathlib import Path

    from cnnlab.calculus import descent_data, descent_search, descent_shape, descent_tuning, descent_walk

    names = ["ADAPTIVE", "DATA_KINDS", "HYPER", "MAX_LR", "MAX_STEPS", "MODES", "OVERFLOW", "SHAPES",
             "DescentPath", "RegressionData", "Suggestion", "batch_size_of", "curvature", "data_descent",
             "descend", "follow_slope", "hessian", "lowest_value", "lr_regimes", "make_data",
             "numerical_gradient", "random_local_search", "random_search", "run_optimizer", "suggested_lrs",
             "suggested_settings", "surface_shape", "why"]
    assert sorted(descent.__all__) == sorted(names)
    homes = (descent_walk, descent_shape, descent_tuning, descent_search, descent_data)
    for name in names:
        assert any(getattr(m, name, None) is getattr(descent, name) for m in homes), name
    for m in (descent, *homes):
        assert len(Path(m.__file__).read_text().splitlines()) <= 400, m.__name__
