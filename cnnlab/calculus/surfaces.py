"""Two-dimensional loss surfaces with exact gradients, for the gradient-descent lesson.

Every surface is a :class:`Surface`: a value ``f(x, y)`` and its gradient
``(df/dx, df/dy)`` written out by hand right under it (forward and backward
together), a plotting window, a default start point and the known minima.
Both functions work element-wise on NumPy arrays, so the same code draws the
contour grid and takes one optimizer step.

=============  ==============================================================  ============
name           f(x, y)                                                         minimum
=============  ==============================================================  ============
quadratic      1/2 p^T A p,  A = R(angle) diag(1, kappa) R(angle)^T             (0, 0)
rosenbrock     (1 - x)^2 + 100 (y - x^2)^2                                     (1, 1)
himmelblau     (x^2 + y - 11)^2 + (x + y^2 - 7)^2                              four, f = 0
saddle         x^2 - y^2 + y^4 / 4                                             (0, +-sqrt 2)
beale          (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2   (3, 0.5)
plateau        1 - e^(-|p - a|^2 / 0.5) - 0.5 e^(-|p - b|^2 / 0.3) + 0.01 |p|^2  near a; local near b
=============  ==============================================================  ============

A surface the student types is built by :func:`typed_surface` from the safe
expression reader (``cnnlab.calculus.expr``) and the autograd engine (``cnnlab.calculus.autograd``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..checks import LessonError

SURFACES = ("quadratic", "rosenbrock", "himmelblau", "saddle", "beale", "plateau")


@dataclass(frozen=True)
class Surface:
    """A 2-D surface ``f(x, y)`` with its exact gradient.

    Attributes
    ----------
    name : str, one of :data:`SURFACES` or ``"typed"`` / ``"data"``
    f : callable ``(x, y) -> z``, element-wise on arrays of one shape
    grad : callable ``(x, y) -> (dz/dx, dz/dy)``, same shapes as ``x``
    window : (xmin, xmax, ymin, ymax), the plotting window
    start : (x0, y0), a start point that tells the surface's story
    minima : tuple of (x, y), the known minima (global first), may be empty
    log_levels : bool, whether contour levels should be log-spaced (values span decades)
    params : dict, the parameters the surface was made with
    steps : int, the number of iterations that tells the surface's story with tuned learning rates
        (see :func:`cnnlab.calculus.descent.suggested_settings`)
    """

    name: str
    f: object
    grad: object
    window: tuple
    start: tuple
    minima: tuple = ()
    log_levels: bool = False
    params: dict = field(default_factory=dict)
    steps: int = 100

    def value_and_grad(self, p):
        """``(f, (gx, gy))`` at a point ``p = (x, y)`` as Python floats."""
        x, y = float(p[0]), float(p[1])
        gx, gy = self.grad(x, y)
        return float(self.f(x, y)), np.array([float(gx), float(gy)])

    def box(self, factor=4.0):
        """The bounded box beyond which a path counts as diverged: the window grown ``factor`` times."""
        x0, x1, y0, y1 = self.window
        cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        return (cx - factor * hx, cx + factor * hx, cy - factor * hy, cy + factor * hy)


def surface_grid(surface, n=121, window=None):
    """Evaluate ``surface`` on an ``n x n`` grid over its window.

    Returns
    -------
    xs : (n,) ndarray, ys : (n,) ndarray, z : (n, n) ndarray with ``z[i, j] = f(xs[j], ys[i])``
    """
    x0, x1, y0, y1 = window or surface.window
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    xx, yy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        z = np.asarray(surface.f(xx, yy), dtype=float) * np.ones_like(xx)
    return xs, ys, z


# ---------------------------------------------------------------------------
# the named surfaces: value, then its gradient by hand
# ---------------------------------------------------------------------------
def quadratic(kappa=10.0, angle=0.5):
    """Ill-conditioned bowl ``f = 1/2 p^T A p`` with eigenvalues 1 and ``kappa`` (the condition number).

    ``A = R diag(1, kappa) R^T`` with ``R`` the rotation by ``angle`` radians;
    the gradient is ``A p``. Plain gradient descent converges only for
    ``lr < 2 / kappa`` and zig-zags across the narrow valley as ``kappa`` grows.
    """
    if not (isinstance(kappa, (int, float)) and math.isfinite(kappa) and 1 <= kappa <= 1000):
        raise LessonError("gd_kappa", f"the condition number must be between 1 and 1000, got {kappa}.",
                          value=f"{kappa}")
    c, s = math.cos(angle), math.sin(angle)
    a11 = c * c + kappa * s * s
    a22 = s * s + kappa * c * c
    a12 = (1 - kappa) * c * s
    matrix = np.array([[a11, a12], [a12, a22]])

    def f(x, y):
        return 0.5 * (a11 * x * x + 2 * a12 * x * y + a22 * y * y)

    def grad(x, y):
        return a11 * x + a12 * y, a12 * x + a22 * y

    return Surface("quadratic", f, grad, (-3.0, 3.0, -3.0, 3.0), (-2.5, 2.0), ((0.0, 0.0),),
                   log_levels=kappa >= 20, params={"kappa": float(kappa), "angle": float(angle),
                                                    "matrix": matrix})


def rosenbrock():
    """Rosenbrock's banana valley: easy to find, hard to follow to its minimum at (1, 1).

    At the minimum the Hessian is ``[[802, -400], [-400, 200]]``: curvatures
    about 1002 and 0.4, a condition number near 2500. Gradient descent must
    keep ``lr < 2/1002`` for the steep walls and then crawls along the flat
    floor; in 100 steps no tuned optimizer reaches (1, 1), in 500 momentum
    does, so the surface's story takes 500 steps.
    """
    def f(x, y):
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    def grad(x, y):
        return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)

    return Surface("rosenbrock", f, grad, (-2.0, 2.0, -1.0, 3.0), (-1.5, 2.0), ((1.0, 1.0),),
                   log_levels=True, steps=500)


HIMMELBLAU_MINIMA = ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126))


def himmelblau():
    """Himmelblau's function: four minima of equal height 0; the start decides which one is found."""
    def f(x, y):
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(x, y):
        a, b = x * x + y - 11, x + y * y - 7
        return 4 * x * a + 2 * b, 2 * a + 4 * y * b

    return Surface("himmelblau", f, grad, (-5.0, 5.0, -5.0, 5.0), (0.0, -0.5), HIMMELBLAU_MINIMA,
                   log_levels=True)


def saddle():
    """A saddle point at the origin between two valleys at ``(0, +-sqrt 2)``, ``f = -1`` there.

    A path started exactly on the ridge ``y = 0`` stays on it and stops at the
    saddle, where the gradient is zero; a tiny offset lets it escape.
    """
    r2 = math.sqrt(2.0)

    def f(x, y):
        return x * x - y * y + 0.25 * y ** 4

    def grad(x, y):
        return 2 * x, -2 * y + y ** 3

    return Surface("saddle", f, grad, (-2.5, 2.5, -2.5, 2.5), (2.0, 0.05), ((0.0, r2), (0.0, -r2)))


def beale():
    """Beale's function: flat wings and sharp ridges; minimum 0 at (3, 0.5)."""
    def f(x, y):
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2

    def grad(x, y):
        a = 1.5 - x + x * y
        b = 2.25 - x + x * y * y
        c = 2.625 - x + x * y ** 3
        gx = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y ** 3 - 1)
        gy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y * y
        return gx, gy

    return Surface("beale", f, grad, (-4.5, 4.5, -4.5, 4.5), (1.0, 1.5), ((3.0, 0.5),), log_levels=True)


PLATEAU_A, PLATEAU_B = (1.5, 1.0), (-1.5, -1.0)


def plateau():
    """A broad plateau with a deep well near ``a = (1.5, 1)`` and a shallower local minimum near ``b``.

    On the plateau the gradient almost vanishes, so plain gradient descent
    crawls; a start on the wrong side rolls into the local minimum and stays.
    """
    (ax, ay), (bx, by) = PLATEAU_A, PLATEAU_B

    def f(x, y):
        ea = np.exp(-((x - ax) ** 2 + (y - ay) ** 2) / 0.5)
        eb = np.exp(-((x - bx) ** 2 + (y - by) ** 2) / 0.3)
        return 1 - ea - 0.5 * eb + 0.01 * (x * x + y * y)

    def grad(x, y):
        ea = np.exp(-((x - ax) ** 2 + (y - ay) ** 2) / 0.5)
        eb = np.exp(-((x - bx) ** 2 + (y - by) ** 2) / 0.3)
        gx = ea * 2 * (x - ax) / 0.5 + 0.5 * eb * 2 * (x - bx) / 0.3 + 0.02 * x
        gy = ea * 2 * (y - ay) / 0.5 + 0.5 * eb * 2 * (y - by) / 0.3 + 0.02 * y
        return gx, gy

    return Surface("plateau", f, grad, (-3.5, 3.5, -3.5, 3.5), (-3.0, 0.5),
                   (_polish(f, grad, PLATEAU_A), _polish(f, grad, PLATEAU_B)))


def _polish(f, grad, p, steps=200, lr=0.05):
    """Refine a minimum's position with plain gradient steps (used once, for the marker)."""
    x, y = p
    for _ in range(steps):
        gx, gy = grad(x, y)
        x, y = x - lr * gx, y - lr * gy
    return (round(float(x), 6), round(float(y), 6))


_MAKERS = {"quadratic": quadratic, "rosenbrock": rosenbrock, "himmelblau": himmelblau,
           "saddle": saddle, "beale": beale, "plateau": plateau}


def get_surface(name, **params):
    """The named surface (one of :data:`SURFACES`); ``params`` go to its maker (``kappa`` for the bowl)."""
    if name not in _MAKERS:
        raise LessonError("gd_unknown_surface", f"unknown surface '{name}'; choose one of "
                          f"{', '.join(SURFACES)}.", name=str(name))
    if name == "quadratic":
        return quadratic(**params)
    return _MAKERS[name]()


# ---------------------------------------------------------------------------
# a surface the student types
# ---------------------------------------------------------------------------
MAX_TYPED_LENGTH = 200


def typed_surface(text, window=(-3.0, 3.0, -3.0, 3.0)):
    """A surface from the student's formula in ``x`` and ``y`` (for example ``x^2 + 3*y^2``).

    The formula is read by the safe expression reader (no ``eval``) and
    differentiated by the autograd engine, so the gradient is exact. Where
    the formula is undefined or overflows, ``f`` and the gradient are NaN or
    infinite (a walk that gets there is reported as diverged, nothing raises).

    Raises
    ------
    LessonError
        for an empty or too long text, a syntax error, or a name other than x and y
        (codes ``gd_formula_too_long`` and the ``expr_*`` codes of :mod:`cnnlab.calculus.expr`).
    """
    from .autograd import gradients
    from .expr import parse

    text = str(text or "").strip()
    if len(text) > MAX_TYPED_LENGTH:
        raise LessonError("gd_formula_too_long", f"the formula is longer than {MAX_TYPED_LENGTH} characters.",
                          limit=MAX_TYPED_LENGTH)
    expression = parse(text, variables=("x", "y"))

    def f(x, y):
        try:
            return expression.evaluate({"x": x, "y": y})
        except LessonError as exc:  # scalar input: undefined or overflowing here
            return math.inf if exc.code == "expr_overflow" else math.nan

    def grad(x, y):
        try:
            _, grads = gradients(expression, {"x": float(x), "y": float(y)})
        except LessonError as exc:
            bad = math.inf if exc.code == "expr_overflow" else math.nan
            return bad, bad
        return grads.get("x", 0.0), grads.get("y", 0.0)

    draft = Surface("typed", f, grad, window, (0.0, 0.0))
    xs, ys, z = surface_grid(draft, n=41)
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        raise LessonError("gd_formula_undefined", "the formula has no finite value anywhere in the window.")
    log_levels = bool(finite.max() - finite.min() > 1e3)
    found = _typed_minimum(draft, xs, ys, z)
    return Surface("typed", f, grad, window, (-2.0, 2.5), (found,) if found else (), log_levels=log_levels,
                   params={"text": text})


def _typed_minimum(surface, xs, ys, z, iterations=60):
    """The lowest point of a typed surface inside its window, or ``None`` when there is none to mark.

    Start at the lowest grid point; if that lies on the window's edge (the
    surface falls on beyond it, or is flat) there is no minimum on the map. Else
    refine it with Newton steps on the exact gradient (Hessian by central
    differences), falling back to a halved gradient step when Newton does not
    lower ``f``. Kept only if it stays in the window with a vanishing gradient.
    """
    zz = np.where(np.isfinite(z), z, np.inf)
    i, j = np.unravel_index(int(np.argmin(zz)), zz.shape)
    n = len(xs)
    if i in (0, n - 1) or j in (0, n - 1) or not np.isfinite(zz[i, j]) or np.ptp(z[np.isfinite(z)]) <= 1e-12:
        return None
    p = np.array([xs[j], ys[i]], dtype=float)
    h = 1e-5
    with np.errstate(all="ignore"):
        fp = float(surface.f(*p))
        for _ in range(iterations):
            g = np.array(surface.grad(*p), dtype=float)
            if not np.all(np.isfinite(g)) or np.max(np.abs(g)) < 1e-12:
                break
            hess = np.array([(np.array(surface.grad(*(p + e)), float) - np.array(surface.grad(*(p - e)), float))
                             / (2 * h) for e in (np.array([h, 0.0]), np.array([0.0, h]))]).T
            step = None
            if np.all(np.isfinite(hess)) and np.all(np.linalg.eigvalsh(0.5 * (hess + hess.T)) > 1e-12):
                step = -np.linalg.solve(0.5 * (hess + hess.T), g)
            moved = False
            for candidate in ([step] if step is not None else []) + [-g * 0.5 ** k for k in range(0, 30, 2)]:
                q = p + candidate
                fq = float(surface.f(*q))
                if math.isfinite(fq) and fq <= fp:
                    p, fp, moved = q, fq, True
                    break
            if not moved:
                break
        g = np.array(surface.grad(*p), dtype=float)
    x0, x1, y0, y1 = surface.window
    if not (x0 <= p[0] <= x1 and y0 <= p[1] <= y1) or not np.all(np.isfinite(g)) or np.max(np.abs(g)) > 1e-6:
        return None
    return (round(float(p[0]), 6), round(float(p[1]), 6))
