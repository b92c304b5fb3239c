"""Optimizers and schedules of cnnlab.calculus.optim against closed forms and textbook update rules.

The quadratic bowl ``f = 1/2 p^T A p`` (gradient ``A p``) makes gradient descent,
momentum and Nesterov *linear* recurrences, so their k-th iterate is a matrix
power applied to the start. The adaptive methods are checked step by step
against the textbook formulas written out here in plain scalar arithmetic.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.calculus.optim import (
    OPTIMIZERS,
    best_nesterov_lr,
    contraction,
    cosine_schedule,
    cyclic_schedule,
    linear_schedule,
    make_optimizer,
    make_schedule,
    quadratic_tuning,
    schedule_values,
    step_schedule,
)

A = np.array([[3.0, 1.0], [1.0, 2.0]])   # symmetric positive definite, eigenvalues 1.38 and 3.62
P0 = np.array([1.5, -2.0])
I2 = np.eye(2)


def run(name, lr, steps, **hyper):
    p = P0.copy()
    opt = make_optimizer(name, lr=lr, **hyper)
    out = [p.copy()]
    for _ in range(steps):
        opt.step([p], [A @ p])
        out.append(p.copy())
    return np.array(out)


def test_gradient_descent_is_a_matrix_power():
    lr = 0.2
    path = run("sgd", lr, 6)
    for k in range(7):
        np.testing.assert_allclose(path[k], np.linalg.matrix_power(I2 - lr * A, k) @ P0, rtol=1e-12)


def test_momentum_closed_form():
    lr, mu = 0.1, 0.8
    # [p; v]_{k+1} = M [p; v]_k  with  v' = mu v - lr A p,  p' = p + v'
    m = np.block([[I2 - lr * A, mu * I2], [-lr * A, mu * I2]])
    path = run("momentum", lr, 6, momentum=mu)
    state0 = np.concatenate([P0, np.zeros(2)])
    for k in range(7):
        np.testing.assert_allclose(path[k], (np.linalg.matrix_power(m, k) @ state0)[:2], rtol=1e-12)


def test_nesterov_matches_sutskever_look_ahead_form():
    """The stored point is the look-ahead theta + mu v of the textbook form (Bengio et al. 2012)."""
    lr, mu = 0.1, 0.9
    path = run("nesterov", lr, 8, momentum=mu)
    theta, v = P0.copy(), np.zeros(2)
    for k in range(1, 9):
        v = mu * v - lr * A @ (theta + mu * v)     # gradient at the look-ahead point
        theta = theta + v
        np.testing.assert_allclose(path[k], theta + mu * v, rtol=1e-12, atol=1e-14)


def test_nesterov_closed_form():
    lr, mu = 0.05, 0.9
    m = np.block([[I2 - lr * (1 + mu) * A, mu * mu * I2], [-lr * A, mu * I2]])
    path = run("nesterov", lr, 5, momentum=mu)
    state0 = np.concatenate([P0, np.zeros(2)])
    for k in range(6):
        np.testing.assert_allclose(path[k], (np.linalg.matrix_power(m, k) @ state0)[:2], rtol=1e-12)


def scalar_path(rule, lr, steps, a=2.0, x=1.0):
    """1-D bowl f = a x^2 / 2 (gradient a x), iterated with a textbook update written for floats."""
    xs, state = [x], {}
    for t in range(1, steps + 1):
        x = rule(x, a * x, lr, t, state)
        xs.append(x)
    return xs


def adagrad_rule(x, g, lr, t, s, eps=1e-8):
    s["G"] = s.get("G", 0.0) + g * g
    return x - lr * g / (math.sqrt(s["G"]) + eps)


def rmsprop_rule(x, g, lr, t, s, rho=0.9, eps=1e-8):
    s["E"] = rho * s.get("E", 0.0) + (1 - rho) * g * g
    return x - lr * g / (math.sqrt(s["E"]) + eps)


def adam_rule(x, g, lr, t, s, b1=0.9, b2=0.999, eps=1e-8):
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    m_hat, v_hat = s["m"] / (1 - b1 ** t), s["v"] / (1 - b2 ** t)
    return x - lr * m_hat / (math.sqrt(v_hat) + eps)


@pytest.mark.parametrize("name, rule, lr", [("adagrad", adagrad_rule, 0.1), ("rmsprop", rmsprop_rule, 0.01),
                                            ("adam", adam_rule, 0.05)])
def test_adaptive_methods_follow_the_textbook(name, rule, lr):
    x = np.array([1.0])
    opt = make_optimizer(name, lr=lr)
    expected = scalar_path(rule, lr, 6)
    for k in range(1, 7):
        opt.step([x], [2.0 * x])
        assert x[0] == pytest.approx(expected[k], rel=1e-12)


def test_first_steps_by_hand():
    """Numbers worked out on paper for f = x^2 (g = 2x), x0 = 1."""
    # AdaGrad lr 0.1: G = 4, x1 = 1 - 0.1 * 2/2 = 0.9; G = 4 + 3.24 = 7.24, x2 = 0.9 - 0.1*1.8/sqrt(7.24)
    x = np.array([1.0])
    opt = make_optimizer("adagrad", lr=0.1)
    opt.step([x], [2 * x])
    assert x[0] == pytest.approx(0.9)
    opt.step([x], [2 * x])
    assert x[0] == pytest.approx(0.9 - 0.18 / math.sqrt(7.24))
    # Adam: the first step has length lr whatever the gradient (bias correction)
    for g_scale in (1e-3, 1.0, 1e3):
        x = np.array([1.0])
        make_optimizer("adam", lr=0.05).step([x], [g_scale * x])
        assert x[0] == pytest.approx(0.95, rel=1e-6)
    # RMSProp rho 0.9: E = 0.1 g^2, step = lr / sqrt(0.1)
    x = np.array([1.0])
    make_optimizer("rmsprop", lr=0.01, rho=0.9).step([x], [2 * x])
    assert x[0] == pytest.approx(1 - 0.01 / math.sqrt(0.1))


def test_each_parameter_keeps_its_own_state():
    a, b = np.array([1.0, 2.0]), np.array([[3.0]])
    opt = make_optimizer("adam", lr=0.1)
    for _ in range(3):
        opt.step([a, b], [2 * a, 2 * b])
    a2, b2 = np.array([1.0, 2.0]), np.array([[3.0]])
    oa, ob = make_optimizer("adam", lr=0.1), make_optimizer("adam", lr=0.1)
    for _ in range(3):
        oa.step([a2], [2 * a2])
        ob.step([b2], [2 * b2])
    np.testing.assert_allclose(a, a2)
    np.testing.assert_allclose(b, b2)


def test_schedule_scales_each_step():
    lr, steps = 0.3, 10
    sched = make_schedule("linear", steps)
    opt = make_optimizer("sgd", lr=lr, schedule=sched)
    x = np.array([1.0])
    expected = 1.0
    for t in range(steps):
        assert opt.current_lr() == pytest.approx(lr * (1 - t / steps))
        opt.step([x], [2 * x])
        expected -= lr * (1 - t / steps) * 2 * expected
        assert x[0] == pytest.approx(expected)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_converges_on_the_bowl(name):
    lr = {"sgd": 0.2, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05}[name]
    path = run(name, lr, 400)
    assert np.linalg.norm(path[-1]) < 0.05 * np.linalg.norm(P0)


def test_bad_arguments():
    for lr in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            make_optimizer("sgd", lr=lr)
    with pytest.raises(ValueError):
        make_optimizer("newton")
    with pytest.raises(ValueError):
        make_schedule("exponential")


# ---------------------------------------------------------------------------
# schedules against their formulas
# ---------------------------------------------------------------------------
def smith_triangular(t, half, low):
    """Smith (2017), eq. for the triangular policy: cycle = floor(1 + t / 2s), x = |t/s - 2 cycle + 1|."""
    cycle = math.floor(1 + t / (2 * half))
    x = abs(t / half - 2 * cycle + 1)
    return low + (1 - low) * max(0.0, 1 - x)


@settings(max_examples=40, deadline=None)
@given(t=st.integers(0, 1000), total=st.integers(1, 300), half=st.integers(1, 60),
       gamma=st.floats(0.05, 1.0), low=st.floats(0.0, 0.9), end=st.floats(0.0, 0.5))
def test_schedules_match_their_formulas(t, total, half, gamma, low, end):
    assert step_schedule(half, gamma)(t) == pytest.approx(gamma ** math.floor(t / half))
    frac = min(t, total) / total
    assert linear_schedule(total, end)(t) == pytest.approx(1 + (end - 1) * frac)
    assert cosine_schedule(total, end)(t) == pytest.approx(end + (1 - end) * (1 + math.cos(math.pi * frac)) / 2)
    assert cyclic_schedule(half, low)(t) == pytest.approx(smith_triangular(t, half, low), abs=1e-12)


def test_schedule_landmarks():
    values = schedule_values(make_schedule("cyclic", 100), 101)   # half cycle 25, low 0.1
    assert values[0] == pytest.approx(0.1) and values[25] == pytest.approx(1.0)
    assert values[50] == pytest.approx(0.1) and values[75] == pytest.approx(1.0)
    cos = schedule_values(make_schedule("cosine", 100), 101)
    assert cos[0] == 1 and cos[50] == pytest.approx(0.5) and cos[100] == pytest.approx(0.0, abs=1e-12)
    step = schedule_values(make_schedule("step", 90), 90)          # step size 30, gamma 0.5
    assert set(step[:30]) == {1.0} and set(step[30:60]) == {0.5} and set(step[60:]) == {0.25}
    assert set(schedule_values(make_schedule("constant"), 20)) == {1.0}


# ---------------------------------------------------------------------------
# closed forms on a quadratic: the per-step contraction and the optimal settings
# ---------------------------------------------------------------------------
def iteration_matrix(name, lr, a, mu=0.0):
    """The linear map (e_k, e_{k-1}) -> (e_{k+1}, e_k) of a method on f = 1/2 e^T A e, built from A here."""
    n = len(a)
    eye, zero = np.eye(n), np.zeros((n, n))
    if name == "sgd":
        return eye - lr * a
    if name == "momentum":       # e+ = e - lr A e + mu (e - e-)
        return np.block([[(1 + mu) * eye - lr * a, -mu * eye], [eye, zero]])
    step = eye - lr * a          # nesterov: e+ = (I - lr A)(e + mu (e - e-))
    return np.block([[(1 + mu) * step, -mu * step], [eye, zero]])


def radius(m):
    return float(np.abs(np.linalg.eigvals(m)).max())


@pytest.mark.parametrize("name,lr,mu", [("sgd", 0.2, 0.0), ("sgd", 0.5, 0.0), ("momentum", 0.1, 0.5),
                                        ("momentum", 0.3, 0.2), ("nesterov", 0.1, 0.6), ("nesterov", 0.4, 0.3)])
def test_contraction_is_the_spectral_radius_and_the_measured_rate(name, lr, mu):
    eig = np.linalg.eigvalsh(A)
    rho = contraction(name, lr, eig, mu)
    assert rho == pytest.approx(radius(iteration_matrix(name, lr, A, mu)), rel=1e-9)
    path = run(name, lr, 400, **({"momentum": mu} if mu else {}))
    err = np.linalg.norm(path, axis=1)
    measured = (err[300] / err[100]) ** (1 / 200)
    assert measured == pytest.approx(rho, rel=0.02)


@pytest.mark.parametrize("kappa", [2.0, 10.0, 50.0, 100.0])
def test_quadratic_tuning_is_optimal_by_brute_force(kappa):
    a = np.diag([1.0, kappa])
    tune = quadratic_tuning(1.0, kappa)
    lrs = np.linspace(1e-3, 2.0 / kappa * 1.2, 601)
    best_gd = min(radius(iteration_matrix("sgd", lr, a)) for lr in lrs)
    assert tune["sgd_rho"] == pytest.approx(best_gd, abs=2e-3)
    assert radius(iteration_matrix("sgd", tune["sgd_lr"], a)) == pytest.approx(tune["sgd_rho"], rel=1e-9)
    grid = [(lr, mu) for lr in np.linspace(1e-3, 4.0 / kappa, 120) for mu in np.linspace(0, 0.95, 96)]
    best_hb = min(radius(iteration_matrix("momentum", lr, a, mu)) for lr, mu in grid)
    assert best_hb >= tune["momentum_rho"] - 1e-3          # nothing on the grid beats the closed form
    at = radius(iteration_matrix("momentum", tune["momentum_lr"], a, tune["momentum_mu"]))
    assert at == pytest.approx(tune["momentum_rho"], abs=1e-4)   # double root: eigvals are sensitive
    lr, rho = best_nesterov_lr(tune["momentum_mu"], (1.0, kappa))
    assert rho == pytest.approx(radius(iteration_matrix("nesterov", lr, a, tune["momentum_mu"])), abs=1e-6)
    assert rho <= min(radius(iteration_matrix("nesterov", v, a, tune["momentum_mu"])) for v in lrs) + 1e-6


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_momentum_needs_about_sqrt_kappa_times_fewer_steps(kappa):
    tune = quadratic_tuning(1.0, kappa)
    steps_gd, steps_hb = -1 / math.log(tune["sgd_rho"]), -1 / math.log(tune["momentum_rho"])
    assert steps_gd / steps_hb == pytest.approx(math.sqrt(kappa), rel=0.05)


def test_tuning_and_closed_form_errors():
    with pytest.raises(ValueError):
        quadratic_tuning(0.0, 1.0)
    with pytest.raises(ValueError):
        contraction("adam", 0.1, (1.0,))
