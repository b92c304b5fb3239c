"""Loss surfaces: exact gradients against finite differences and SciPy, known minima, typed formulas."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime, minimize, rosen, rosen_der

from cnnlab.calculus.descent import curvature
from cnnlab.calculus.surfaces import SURFACES, get_surface, quadratic, surface_grid, typed_surface
from cnnlab.checks import LessonError

unit = st.floats(0.02, 0.98)


def fd_grad(surface, x, y, h=1e-6):
    return approx_fprime(np.array([x, y]), lambda p: float(surface.f(p[0], p[1])), h)


@pytest.mark.parametrize("name", SURFACES)
@settings(max_examples=25, deadline=None)
@given(u=unit, v=unit)
def test_gradient_matches_finite_differences(name, u, v):
    s = get_surface(name)
    x0, x1, y0, y1 = s.window
    x, y = x0 + u * (x1 - x0), y0 + v * (y1 - y0)
    exact = np.array(s.grad(x, y), dtype=float)
    # central differences, step scaled to the point
    h = 1e-6 * max(1.0, abs(x), abs(y))
    num = np.array([(s.f(x + h, y) - s.f(x - h, y)) / (2 * h), (s.f(x, y + h) - s.f(x, y - h)) / (2 * h)])
    np.testing.assert_allclose(exact, num, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(exact).max())))


@settings(max_examples=30, deadline=None)
@given(x=st.floats(-2, 2), y=st.floats(-1, 3))
def test_rosenbrock_matches_scipy(x, y):
    s = get_surface("rosenbrock")
    assert s.f(x, y) == pytest.approx(rosen(np.array([x, y])), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(s.grad(x, y), rosen_der(np.array([x, y])), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("name", SURFACES)
def test_listed_minima_are_stationary_and_found_by_scipy(name):
    s = get_surface(name)
    for m in s.minima:
        g = np.array(s.grad(*m), dtype=float)
        assert np.linalg.norm(g) < 1e-4, (name, m, g)
        # SciPy's BFGS started next to the minimum stays there (an outside check of "minimum")
        res = minimize(lambda p: s.f(p[0], p[1]), np.array(m) + 0.05, method="BFGS")
        np.testing.assert_allclose(res.x, m, atol=1e-3)
    assert s.minima, name


def test_known_minimum_values():
    assert get_surface("rosenbrock").f(1.0, 1.0) == 0
    assert get_surface("beale").f(3.0, 0.5) == 0
    h = get_surface("himmelblau")
    assert len(h.minima) == 4
    for m in h.minima:
        assert h.f(*m) == pytest.approx(0.0, abs=1e-9)
    s = get_surface("saddle")
    assert s.f(0.0, math.sqrt(2)) == pytest.approx(-1.0)
    assert s.grad(0.0, 0.0) == (0.0, 0.0)                     # the saddle point itself
    p = get_surface("plateau")
    assert p.f(*p.minima[0]) < p.f(*p.minima[1]) < p.f(3.0, -3.0)  # global, then local, then plateau


@pytest.mark.parametrize("kappa", [1.0, 4.0, 10.0, 100.0])
def test_quadratic_condition_number(kappa):
    s = quadratic(kappa, angle=0.7)
    eig = np.linalg.eigvalsh(s.params["matrix"])
    np.testing.assert_allclose(eig, [1.0, kappa])
    assert curvature(s, (0.3, -0.2)) == pytest.approx(kappa, rel=1e-6)
    p = np.array([0.4, -1.1])
    assert s.f(*p) == pytest.approx(0.5 * p @ s.params["matrix"] @ p)


def test_quadratic_rejects_bad_kappa():
    for kappa in (0.5, float("nan"), 1e6):
        with pytest.raises(LessonError) as err:
            quadratic(kappa)
        assert err.value.code == "gd_kappa"
    with pytest.raises(LessonError):
        get_surface("volcano")


def test_grid_orientation():
    s = get_surface("beale")
    xs, ys, z = surface_grid(s, n=7)
    assert z.shape == (7, 7)
    assert z[2, 5] == pytest.approx(s.f(xs[5], ys[2]))
    assert xs[0] == s.window[0] and ys[-1] == s.window[3]


def test_log_levels_where_values_span_decades():
    assert get_surface("rosenbrock").log_levels and get_surface("beale").log_levels
    assert not get_surface("saddle").log_levels


# ---------------------------------------------------------------------------
# a typed surface: the safe reader + the autograd engine
# ---------------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(x=st.floats(-2.5, 2.5), y=st.floats(-2.5, 2.5))
def test_typed_surface_gradient(x, y):
    s = typed_surface("x^2/4 + y^2 + 0.5*sin(3*x) + x*y*exp(-y^2)")
    exact = np.array(s.grad(x, y))
    np.testing.assert_allclose(exact, fd_grad(s, x, y, 1e-7), rtol=1e-4, atol=1e-5)
    assert s.f(x, y) == pytest.approx(x * x / 4 + y * y + 0.5 * math.sin(3 * x) + x * y * math.exp(-y * y))


def test_typed_surface_on_a_grid_and_with_one_variable():
    s = typed_surface("3*x^2")
    xs, ys, z = surface_grid(s, n=5)
    np.testing.assert_allclose(z, 3 * np.meshgrid(xs, ys)[0] ** 2)
    assert s.grad(1.0, 2.0) == (6.0, 0.0)                   # y unused: its slope is 0


def test_typed_surface_undefined_points_give_nan_not_errors():
    s = typed_surface("log(x) + y^2")
    assert math.isnan(s.f(-1.0, 0.0))
    assert all(math.isnan(g) for g in s.grad(-1.0, 0.0))


@pytest.mark.parametrize("text, code", [
    ("x^^2", "expr_syntax"), ("x + z", "expr_unknown_name"), ("", "expr_empty"),
    ("__import__('os')", "expr_bad_char"), ("x" + "+x" * 150, "gd_formula_too_long"),
    ("log(-1 - x^2 - y^2)", "gd_formula_undefined"),
])
def test_typed_surface_errors(text, code):
    with pytest.raises(LessonError) as err:
        typed_surface(text)
    assert err.value.code == code


@pytest.mark.parametrize("text", ["x^2/4 + y^2 + 0.5*sin(3*x)", "(x-1)^2 + (y+0.5)^2", "x^2 + 3*y^2 + x*y - y",
                                  "exp(x^2/4) + (y - 1)^2"])
def test_typed_surface_marks_its_lowest_point(text):
    s = typed_surface(text)
    assert len(s.minima) == 1
    # outside oracle: brute force on a fine grid, then SciPy from the best grid point
    xs = np.linspace(-3, 3, 601)
    xx, yy = np.meshgrid(xs, xs)
    z = s.f(xx, yy)
    i, j = np.unravel_index(np.argmin(z), z.shape)
    res = minimize(lambda p: float(s.f(p[0], p[1])), [xx[i, j], yy[i, j]], method="Nelder-Mead",
                   options={"xatol": 1e-9, "fatol": 1e-12})
    np.testing.assert_allclose(s.minima[0], res.x, atol=1e-4)


@pytest.mark.parametrize("text", ["x", "-(x^2+y^2)", "3", "(x-5)^2 + y^2"])
def test_typed_surface_without_a_minimum_on_the_map_marks_none(text):
    assert typed_surface(text).minima == ()
