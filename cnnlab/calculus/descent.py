"""Walks on a loss surface: optimizer paths, the search methods before gradients, and a data-driven loss.

Every walk returns its whole path as arrays (points and losses), never a
picture. The update rules are the shared ones in :mod:`cnnlab.calculus.optim`; this
module only feeds them gradients and watches for divergence.

Divergence (the learning rate too large, a surface without a bottom) is
*reported*, never raised: the path stops at the last good point and says why
(``"overflow"``, ``"nan"`` or ``"box"`` for leaving the bounded box) and at
which step (update number ``k = 1, 2, ...``; ``0`` means the start itself).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..checks import LessonError, check_positive_int
from .optim import OPTIMIZERS, SCHEDULES, make_optimizer, make_schedule

MAX_STEPS = 5000
MAX_LR = 1000.0
OVERFLOW = 1e150  # |x| or |f| beyond this counts as overflow, well before float64 gives up
# the hyper-parameters each optimizer accepts (so a shared settings dict can be passed to all)
HYPER = {"sgd": (), "momentum": ("momentum",), "nesterov": ("momentum",), "adagrad": ("eps",),
         "rmsprop": ("rho", "eps"), "adam": ("beta1", "beta2", "eps")}


@dataclass
class DescentPath:
    """The whole walk of one optimizer.

    Attributes
    ----------
    points : (K+1, 2) ndarray, the start then the point after each good update
    losses : (K+1,) ndarray, the objective at each point
    lrs : (K,) ndarray, the learning rate each update used (the schedule applied)
    diverged : None or str, ``"overflow"``, ``"nan"`` or ``"box"``
    step : None or int, the update at which divergence was detected
    label : str, the optimizer or method name
    evaluations : int, how many times f or a gradient was evaluated (search methods: f only)
    tried : (M, 2) ndarray, candidate points a search method looked at (empty for optimizers)
    samples : int, training samples used for gradients (data-driven descent)
    why : None or str, the lesson's explanation (:func:`why`): ``"lr_too_large"``, ``"no_minimum"``,
        ``"flat"``; set by :func:`run_optimizer`
    """

    points: np.ndarray
    losses: np.ndarray
    lrs: np.ndarray
    diverged: str | None = None
    step: int | None = None
    label: str = ""
    evaluations: int = 0
    tried: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    samples: int = 0
    why: str | None = None

    @property
    def steps(self):
        """Number of updates drawn (0 when even the start was no good)."""
        return max(len(self.points) - 1, 0)


def _check_lr(lr):
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) \
            or not math.isfinite(lr) or not 0 < lr <= MAX_LR:
        raise LessonError("gd_lr", f"the learning rate must be a number above 0 and at most {MAX_LR:g}, "
                          f"got {lr}.", value=f"{lr}", limit=f"{MAX_LR:g}")
    return float(lr)


def _check_steps(steps):
    steps = check_positive_int(steps, "steps")
    if steps > MAX_STEPS:
        raise LessonError("gd_steps", f"at most {MAX_STEPS} steps, got {steps}.", value=steps,
                          limit=MAX_STEPS)
    return steps


def _check_start(start):
    p = np.array(start, dtype=float).reshape(-1)  # a copy: the walk updates it in place
    if p.shape != (2,) or not np.all(np.isfinite(p)):
        raise LessonError("gd_start", f"the start must be two finite numbers (x, y), got {start}.",
                          value=str(start))
    return p


def _bad(p, f, box):
    """Why a point is no good (``None`` if it is fine)."""
    x, y = float(p[0]), float(p[1])          # plain floats: NumPy's reductions cost more on two numbers
    if math.isnan(x) or math.isnan(y) or math.isnan(f):
        return "nan"
    if not (abs(x) <= OVERFLOW and abs(y) <= OVERFLOW and abs(f) <= OVERFLOW):   # also catches inf
        return "overflow"
    if box is not None and not (box[0] <= p[0] <= box[1] and box[2] <= p[1] <= box[3]):
        return "box"
    return None


def descend(value, grad, start, steps=100, optimizer="sgd", lr=0.01, schedule="constant", box=None,
            hyper=None, label=None):
    """Run one optimizer of :mod:`cnnlab.calculus.optim` from ``start`` and return its whole path.

    Parameters
    ----------
    value : callable ``p -> float``, the objective at a point ``p : (2,)``
    grad : callable ``(p, k) -> (2,) ndarray``, the gradient used by update ``k`` (k = 1, 2, ...);
        exact for a surface, a sample gradient for stochastic descent
    start : (2,) array-like
    steps : int, number of updates (1 .. 5000)
    optimizer : str, one of ``optim.OPTIMIZERS``
    lr : float, base learning rate; ``schedule`` (one of ``optim.SCHEDULES``) scales it per step
    box : (xmin, xmax, ymin, ymax) or None, leaving it counts as divergence
    hyper : dict, optimizer hyper-parameters (only those the optimizer takes are used)

    Returns
    -------
    DescentPath
    """
    steps, lr = _check_steps(steps), _check_lr(lr)
    p = _check_start(start)
    if optimizer not in OPTIMIZERS:
        raise LessonError("gd_unknown_optimizer", f"unknown optimizer '{optimizer}'.", name=str(optimizer))
    if schedule not in SCHEDULES:
        raise LessonError("gd_unknown_schedule", f"unknown schedule '{schedule}'.", name=str(schedule))
    kw = {k: float(v) for k, v in (hyper or {}).items() if k in HYPER[optimizer]}
    opt = make_optimizer(optimizer, lr=lr, schedule=make_schedule(schedule, steps), **kw)
    points, losses, lrs = [], [], []
    diverged, at = None, None
    with np.errstate(all="ignore"):
        f = float(value(p))
        diverged = _bad(p, f, box)
        if diverged:
            at = 0
        else:
            points.append(p.copy())
            losses.append(f)
        for k in range(1, steps + 1):
            if diverged:
                break
            g = np.asarray(grad(p, k), dtype=float)
            if not np.all(np.isfinite(g)):
                diverged, at = ("nan" if np.any(np.isnan(g)) else "overflow"), k
                break
            lrs.append(opt.current_lr())
            opt.step([p], [g])
            f = float(value(p))
            diverged = _bad(p, f, box)
            if diverged:
                at = k
                if diverged == "box":  # show the jump out of the box, then stop
                    points.append(p.copy())
                    losses.append(f)
                else:
                    lrs.pop()
                break
            points.append(p.copy())
            losses.append(f)
    return DescentPath(np.array(points).reshape(-1, 2), np.array(losses), np.array(lrs), diverged, at,
                       label or optimizer, evaluations=2 * len(lrs) + 1)


def run_optimizer(surface, optimizer="sgd", start=None, steps=100, lr=0.01, schedule="constant",
                  hyper=None, box="auto", shape="auto"):
    """The path of ``optimizer`` on a :class:`~cnnlab.calculus.surfaces.Surface` (exact gradients).

    ``box="auto"`` uses ``surface.box()``; ``None`` turns the box off (then only
    overflow and NaN stop the walk). ``shape`` is the surface's
    :func:`surface_shape` (``"auto"`` works it out) and sets ``path.why``.
    """
    start = surface.start if start is None else start
    bounds = surface.box() if box == "auto" else box
    path = descend(lambda p: surface.f(p[0], p[1]), lambda p, k: np.array(surface.grad(p[0], p[1]), float),
                   start, steps, optimizer, lr, schedule, bounds, hyper)
    path.why = why(path, surface_shape(surface) if shape == "auto" else shape)
    return path


def hessian(surface, point, h=1e-4):
    """The 2 x 2 Hessian at ``point`` by central differences of the exact gradient (symmetrized).

    NaN entries when the gradient is undefined or overflows next to ``point``.
    """
    p = np.asarray(point, dtype=float)
    hess = np.zeros((2, 2))
    with np.errstate(all="ignore"):
        for j in range(2):
            e = np.zeros(2)
            e[j] = h
            gp = np.array(surface.grad(*(p + e)), float)
            gm = np.array(surface.grad(*(p - e)), float)
            hess[:, j] = (gp - gm) / (2 * h)
    return 0.5 * (hess + hess.T)


def curvature(surface, point, h=1e-4):
    """Largest eigenvalue of the Hessian at ``point`` by central differences of the exact gradient."""
    hess = hessian(surface, point, h)
    if not np.all(np.isfinite(hess)):
        return float("nan")
    return float(np.linalg.eigvalsh(hess).max())


def lr_regimes(surface):
    """Three learning rates for the lesson: too small, about right, too large.

    With ``L`` the largest curvature (Hessian eigenvalue) at the global minimum
    (at the start point if no minimum is known), gradient descent near the
    minimum is stable for ``lr < 2 / L``: we return ``0.05/L``, ``1/L`` and ``2.2/L``.
    """
    point = surface.minima[0] if surface.minima else surface.start
    big = curvature(surface, point)
    if not (math.isfinite(big) and big > 1e-9):
        big = 1.0
    return {"small": 0.05 / big, "right": 1.0 / big, "large": 2.2 / big}


# ---------------------------------------------------------------------------
# what kind of surface: has it a minimum at all?
# ---------------------------------------------------------------------------
SHAPES = ("flat", "no_minimum", "off_map")


def _lowest(surface, window, n=41):
    """``(lowest finite value, on_edge, highest)`` of ``surface`` on an ``n x n`` grid over ``window``."""
    from .surfaces import surface_grid

    _, _, z = surface_grid(surface, n, window)
    z = np.where(np.isfinite(z), z, np.nan)
    if np.all(np.isnan(z)):
        return math.nan, False, math.nan
    i, j = np.unravel_index(int(np.nanargmin(z)), z.shape)
    return float(z[i, j]), bool(i in (0, n - 1) or j in (0, n - 1)), float(np.nanmax(z))


def surface_shape(surface):
    """Whether the surface has a minimum to walk to: ``None`` (it has), or why not.

    - ``"flat"``: the value is the same everywhere on the map, the gradient is
      zero, no optimizer moves;
    - ``"no_minimum"``: the lowest point of the map is on its edge and the
      surface keeps falling beyond it (on the box four times as large), as for
      ``x`` or ``-(x^2 + y^2)``: every walk goes downhill for ever, whatever the
      learning rate;
    - ``"off_map"``: the lowest point of the map is on its edge but the larger
      box has a lower point inside it: the minimum is just off the map.

    Surfaces with known minima (all the named ones) return ``None`` at once.
    """
    if surface.minima:
        return None
    low, edge, high = _lowest(surface, surface.window)
    if not math.isfinite(low):
        return None
    if high - low <= 1e-12 * (1.0 + abs(high)):
        return "flat"
    if not edge:
        return None
    big_low, big_edge, _ = _lowest(surface, surface.box(), 81)
    if not big_low < low - 1e-9 * (1.0 + abs(low)):
        return None            # as low as it gets (a flat floor reaching the edge, like relu(x))
    return "no_minimum" if big_edge else "off_map"


def why(path, shape):
    """The lesson's explanation of a path on a surface of :func:`surface_shape` ``shape``.

    ``"flat"`` or ``"no_minimum"`` when the surface is to blame (whatever the
    learning rate), ``"lr_too_large"`` when a path left the box or overflowed on
    a surface that has a minimum, ``None`` otherwise.
    """
    if shape in ("flat", "no_minimum"):
        return shape
    if path.diverged in ("box", "overflow") and path.step:
        return "lr_too_large"
    return None


# ---------------------------------------------------------------------------
# learning rates tuned for the surface
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    """Settings that show each optimizer at its best on one surface, from its default start.

    Attributes
    ----------
    lrs : dict optimizer -> learning rate (three significant digits)
    momentum : float, the ``mu`` shared by momentum and Nesterov (two decimals)
    steps : int, iterations that tell the surface's story
    rho : dict optimizer -> predicted per-step factor of the distance to the
        minimum (closed forms; only on a quadratic, and only sgd, momentum, nesterov)
    basis : ``"quadratic"`` (closed forms of :func:`optim.quadratic_tuning`),
        ``"search"`` (measured: the lowest final loss over a grid of rates) or
        ``"none"`` (the surface has no minimum, see :func:`surface_shape`)
    eigenvalues : (2,) the Hessian's eigenvalues used (at the minimum, else at the start)
    """

    lrs: dict
    momentum: float
    steps: int
    rho: dict
    basis: str
    eigenvalues: tuple = ()


def _round(v, digits=3):
    return float(f"{v:.{digits}g}")


def _constant_hessian(surface, hess, tol=1e-6):
    """Whether the Hessian at a few points of the map equals ``hess`` (then ``f`` is a quadratic)."""
    x0, x1, y0, y1 = surface.window
    for u, v in ((0.2, 0.3), (0.7, 0.8), (0.5, 0.5)):
        other = hessian(surface, (x0 + u * (x1 - x0), y0 + v * (y1 - y0)))
        if not np.all(np.isfinite(other)) or np.max(np.abs(other - hess)) > tol * (1 + np.max(np.abs(hess))):
            return False
    return True


def _final_score(path, window):
    """Lower is better: a path that diverged is out; one that leaves the map comes after all that stay."""
    if path.diverged or not len(path.losses) or not math.isfinite(path.losses[-1]):
        return None
    x0, x1, y0, y1 = window
    pts = path.points
    inside = bool(np.all((pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)))
    return (0 if inside else 1, float(path.losses[-1]))


def _search(surface, optimizer, lrs, mus, steps):
    """The (lr, mu) of the grid (rounded to three digits, as shown) whose path ends lowest, ``None`` if all diverge."""
    best = None
    for mu in mus:
        for lr in sorted({_round(float(v)) for v in lrs}):
            path = run_optimizer(surface, optimizer, None, steps, lr, hyper={"momentum": mu}, shape=None)
            score = _final_score(path, surface.window)
            if score is not None and (best is None or score < best[0]):
                best = (score, float(lr), mu)
    return None if best is None else best[1:]


ADAPTIVE = ("adagrad", "rmsprop", "adam")


def suggested_settings(surface, steps=None):
    """A learning rate per optimizer (and the momentum ``mu``) tuned for ``surface`` from its start.

    - A quadratic (the bowl, or a typed formula whose Hessian is the same
      everywhere) with curvatures ``lmin..lmax``: the closed forms of
      :func:`optim.quadratic_tuning`: gradient descent ``2 / (lmin + lmax)``,
      heavy-ball momentum ``4 / (sqrt lmax + sqrt lmin)^2`` with
      ``mu = ((sqrt k - 1) / (sqrt k + 1))^2``; Nesterov gets the rate that is
      best for that same ``mu`` (the page has one ``mu`` for both).
    - Any other surface: a measured search. With ``L`` the largest eigenvalue
      of the Hessian at the minimum (at the start if no minimum is known),
      gradient descent tries ``2^k / L`` (k = -6 .. 0) and ``1.9 / L`` (beyond
      ``2 / L`` it is unstable at the minimum); momentum ``2^k / 2L``
      (k = -4 .. 2) with ``mu`` in 0.5, 0.8, 0.9, 0.95 and the closed-form one;
      Nesterov ``2^k / 2L`` (k = -6 .. 2) with momentum's ``mu``; the adaptive
      methods ``2^k / 100`` of the map's width (k = -3 .. 4). The run whose
      final loss is lowest, among those that stay on the map, wins. A typed
      formula, ten times slower to evaluate, tries every other grid value.
    - The adaptive methods are always measured (their steps do not follow a
      linear recurrence).
    - A surface without a minimum (:func:`surface_shape`) gets the old rule of
      thumb (``1.6 / L``, a tenth of it for momentum with ``mu = 0.9``): no
      learning rate helps there.
    """
    from .optim import best_nesterov_lr, contraction, quadratic_tuning

    steps = _check_steps(steps or getattr(surface, "steps", 100))
    point = surface.minima[0] if surface.minima else surface.start
    hess = hessian(surface, point)
    eig = np.linalg.eigvalsh(hess) if np.all(np.isfinite(hess)) else np.array([math.nan, math.nan])
    width = surface.window[1] - surface.window[0]
    # a typed formula costs ~10x more per step (the expression reader and autograd): every other grid point
    coarse = 2 if surface.name == "typed" else 1
    adaptive_lrs = width / 100 * 2.0 ** np.arange(-3, 5, coarse)
    shape = surface_shape(surface)
    lrs, rho = {}, {}
    if shape in ("flat", "no_minimum") or not np.all(np.isfinite(eig)) or eig.max() <= 1e-9:
        big = eig.max() if np.all(np.isfinite(eig)) and eig.max() > 1e-9 else 1.0
        lrs = {"sgd": 1.6 / big, "momentum": 0.16 / big, "nesterov": 0.16 / big, "adagrad": 0.1 * width,
               "rmsprop": 0.01 * width, "adam": 0.02 * width}
        return Suggestion({k: _round(v) for k, v in lrs.items()}, 0.9, steps, {}, "none", tuple(eig))
    quadratic = eig.min() > 1e-9 and _constant_hessian(surface, hess)
    if quadratic:
        lmin, lmax = float(eig.min()), float(eig.max())
        tune = quadratic_tuning(lmin, lmax)
        # mu rounded UP to two decimals keeps both directions' roots complex, |z| = sqrt(mu), for every
        # rate between (1 - sqrt mu)^2 / lmin and (1 + sqrt mu)^2 / lmax: take the middle of that range
        # (if the rounded rate falls outside, take the next mu: the range widens as mu grows)
        mu = math.ceil(tune["momentum_mu"] * 100 - 1e-9) / 100
        while True:
            low, high = (1 - math.sqrt(mu)) ** 2 / lmin, (1 + math.sqrt(mu)) ** 2 / lmax
            if low <= _round((low + high) / 2) <= high or mu >= 0.99:
                break
            mu = round(mu + 0.01, 2)
        lrs = {"sgd": _round(tune["sgd_lr"]), "momentum": _round((low + high) / 2)}
        lrs["nesterov"] = _round(best_nesterov_lr(mu, eig)[0])
        rho = {o: contraction(o, lrs[o], eig, mu) for o in ("sgd", "momentum", "nesterov")}
        basis = "quadratic"
    else:
        big = float(eig.max())
        base = 2.0 ** np.arange(-6, 3, coarse) / big
        mus = [0.5, 0.8, 0.9, 0.95][::coarse]
        if eig.min() > 1e-9:
            mus.append(math.ceil(quadratic_tuning(float(eig.min()), big)["momentum_mu"] * 100 - 1e-9) / 100)
        # gradient descent: below 2 / L, or it would end oscillating ever wider around the minimum
        found = _search(surface, "sgd", np.append(base[base < 1.5 / big], 1.9 / big), [0.0], steps)
        lrs["sgd"] = found[0] if found else _round(1.0 / big)
        found = _search(surface, "momentum", base[2:] / 2, sorted(set(mus)), steps)
        lrs["momentum"], mu = found if found else (_round(0.1 / big), 0.9)
        found = _search(surface, "nesterov", base / 2, [mu], steps)
        lrs["nesterov"] = found[0] if found else lrs["momentum"]
        basis = "search"
    for o in ADAPTIVE:
        found = _search(surface, o, adaptive_lrs, [0.0], steps)
        lrs[o] = found[0] if found else _round(0.01 * width)
    return Suggestion(lrs, float(mu), steps, rho, basis, tuple(float(e) for e in eig))


def suggested_lrs(surface):
    """``suggested_settings(surface).lrs``: a learning rate per optimizer."""
    return suggested_settings(surface).lrs


# ---------------------------------------------------------------------------
# before gradients: random search, random local search, following the slope
# ---------------------------------------------------------------------------
def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def random_search(surface, tries=100, seed=0):
    """Guess ``tries`` points uniformly in the window; the path is the best point found so far.

    Returns a :class:`DescentPath` whose ``points[k]`` is the best of the first
    ``k+1`` guesses and ``tried`` holds every guess.
    """
    tries = _check_steps(tries)
    rng = _rng(seed)
    x0, x1, y0, y1 = surface.window
    tried = np.column_stack([rng.uniform(x0, x1, tries), rng.uniform(y0, y1, tries)])
    with np.errstate(all="ignore"):
        vals = np.asarray(surface.f(tried[:, 0], tried[:, 1]), dtype=float) * np.ones(tries)
    vals = np.where(np.isfinite(vals), vals, np.inf)
    best = np.zeros(tries, dtype=int)
    for k in range(1, tries):
        best[k] = k if vals[k] < vals[best[k - 1]] else best[k - 1]
    return DescentPath(tried[best], vals[best], np.zeros(tries - 1), label="random_search",
                       evaluations=tries, tried=tried)


def random_local_search(surface, start=None, steps=100, radius=0.3, seed=0):
    """From ``start``, try one random step of length ``radius``; keep it only if f goes down."""
    steps = _check_steps(steps)
    p = _check_start(surface.start if start is None else start)
    if not (math.isfinite(radius) and radius > 0):
        raise LessonError("gd_radius", f"the step length must be above 0, got {radius}.", value=f"{radius}")
    rng = _rng(seed)
    angles = rng.uniform(0, 2 * math.pi, steps)
    points, losses, tried = [p.copy()], [float(surface.f(*p))], []
    with np.errstate(all="ignore"):
        for a in angles:
            q = p + radius * np.array([math.cos(a), math.sin(a)])
            tried.append(q)
            fq = float(surface.f(*q))
            if math.isfinite(fq) and fq < losses[-1]:
                p = q
            points.append(p.copy())
            losses.append(float(surface.f(*p)))
    return DescentPath(np.array(points), np.array(losses), np.zeros(steps), label="random_local",
                       evaluations=steps + 1, tried=np.array(tried))


def numerical_gradient(f, p, h=1e-5):
    """Central differences ``(f(p + h e_j) - f(p - h e_j)) / 2h``: four evaluations of ``f``."""
    p = np.asarray(p, dtype=float)
    g = np.zeros(2)
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        g[j] = (float(f(*(p + e))) - float(f(*(p - e)))) / (2 * h)
    return g


def follow_slope(surface, start=None, steps=100, step_size=0.1):
    """Measure the slope with finite differences and take a step of fixed length straight downhill.

    Unlike gradient descent the step does not shrink where the surface flattens,
    so the walk ends up pacing back and forth around the minimum.
    """
    steps = _check_steps(steps)
    p = _check_start(surface.start if start is None else start)
    if not (math.isfinite(step_size) and step_size > 0):
        raise LessonError("gd_radius", f"the step length must be above 0, got {step_size}.",
                          value=f"{step_size}")
    points, losses = [p.copy()], [float(surface.f(*p))]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            g = numerical_gradient(surface.f, p)
            norm = float(np.hypot(*g))
            if not math.isfinite(norm) or norm < 1e-12:
                break
            p = p - step_size * g / norm
            points.append(p.copy())
            losses.append(float(surface.f(*p)))
    n = len(points) - 1
    return DescentPath(np.array(points), np.array(losses), np.full(n, step_size), label="follow_slope",
                       evaluations=4 * n + 1)


# ---------------------------------------------------------------------------
# a data-driven loss: regression with two parameters (w, b) on generated data
# ---------------------------------------------------------------------------
DATA_KINDS = ("linear", "logistic")
MODES = ("bgd", "sgd", "minibatch")


@dataclass(frozen=True)
class RegressionData:
    """``n`` samples ``(x_i, y_i)`` and the model ``z = w x + b`` with parameters ``p = (w, b)``.

    Loss of one sample (``linear``): ``l_i = 1/2 (w x_i + b - y_i)^2``;
    (``logistic``): ``l_i = -[y_i log s(z_i) + (1 - y_i) log(1 - s(z_i))] = softplus(z_i) - y_i z_i``.
    Cost: ``J = mean_i l_i``. Objective: ``J + l2/2 w^2`` (the bias is not penalized).
    """

    kind: str
    x: np.ndarray
    y: np.ndarray
    l2: float = 0.0

    def sample_losses(self, w, b):
        """``(..., N)`` losses of every sample for parameters ``w, b`` of any shape ``(...)``."""
        z = np.asarray(w)[..., None] * self.x + np.asarray(b)[..., None]
        if self.kind == "linear":
            return 0.5 * (z - self.y) ** 2
        return np.logaddexp(0.0, z) - self.y * z

    def objective(self, w, b):
        """Cost plus the L2 term, element-wise over arrays ``w, b``."""
        return self.sample_losses(w, b).mean(axis=-1) + 0.5 * self.l2 * np.asarray(w) ** 2

    def batch_grad(self, p, idx=None):
        """Gradient of the objective on the samples ``idx`` (all when None): ``mean_i dl_i/dp + (l2 w, 0)``.

        dl_i/dz = ``z - y_i`` (linear) or ``s(z) - y_i`` (logistic); dz/dw = ``x_i``, dz/db = 1.
        """
        x = self.x if idx is None else self.x[idx]
        y = self.y if idx is None else self.y[idx]
        z = p[0] * x + p[1]
        r = z - y if self.kind == "linear" else 0.5 * (1 + np.tanh(0.5 * z)) - y
        return np.array([np.mean(r * x) + self.l2 * p[0], np.mean(r)])

    def predict(self, p, x):
        """The model's output at inputs ``x``: ``w x + b`` (linear) or ``s(w x + b)`` (logistic)."""
        z = p[0] * np.asarray(x, dtype=float) + p[1]
        return z if self.kind == "linear" else 0.5 * (1 + np.tanh(0.5 * z))

    def minimum(self):
        """The minimizer of the objective by Newton's method (closed form for linear + L2)."""
        p = np.zeros(2)
        for _ in range(1 if self.kind == "linear" else 50):
            z = p[0] * self.x + p[1]
            s = np.ones_like(z) if self.kind == "linear" else 0.25 / np.cosh(0.5 * z) ** 2
            h = np.array([[np.mean(s * self.x * self.x) + self.l2, np.mean(s * self.x)],
                          [np.mean(s * self.x), np.mean(s)]])
            p = p - np.linalg.solve(h, self.batch_grad(p))
        return p

    def surface(self):
        """The objective as a :class:`~cnnlab.calculus.surfaces.Surface` over (w, b) with the full-batch gradient."""
        from .surfaces import Surface

        w0, b0 = self.minimum()
        window = (round(w0) - 3.0, round(w0) + 3.0, round(b0) - 3.0, round(b0) + 3.0)

        def grad(w, b):
            g = self.batch_grad(np.array([w, b], float))
            return g[0], g[1]

        return Surface("data", self.objective, grad, window, (window[0] + 0.5, window[3] - 0.5),
                       ((float(w0), float(b0)),), params={"kind": self.kind, "l2": self.l2})


def make_data(kind="linear", n=60, seed=0, l2=0.0):
    """Generate ``n`` samples with x ~ N(1, 1): linear ``y = 2x - 1 + 0.5 noise``;
    logistic ``y ~ Bernoulli(s(3x - 1))``."""
    if kind not in DATA_KINDS:
        raise LessonError("gd_unknown_data", f"unknown data kind '{kind}'.", name=str(kind))
    n = check_positive_int(n, "samples")
    if n < 2 or n > 2000:
        raise LessonError("gd_samples", f"between 2 and 2000 samples, got {n}.", value=n)
    if not (math.isfinite(l2) and 0 <= l2 <= 100):
        raise LessonError("gd_l2", f"the L2 weight must be between 0 and 100, got {l2}.", value=f"{l2}")
    rng = np.random.default_rng(seed)
    x = 1.0 + rng.standard_normal(n)  # not centred: w and b are coupled, the bowl is tilted
    if kind == "linear":
        y = 2.0 * x - 1.0 + 0.5 * rng.standard_normal(n)
    else:
        y = (rng.random(n) < 1 / (1 + np.exp(-(3.0 * x - 1.0)))).astype(float)
    return RegressionData(kind, x, y, float(l2))


def batch_size_of(mode, n, batch=8):
    """Samples per update: all ``n`` for BGD, 1 for SGD, ``batch`` for mini-batch."""
    if mode not in MODES:
        raise LessonError("gd_unknown_mode", f"unknown mode '{mode}'.", name=str(mode))
    if mode == "bgd":
        return n
    if mode == "sgd":
        return 1
    batch = check_positive_int(batch, "batch size")
    return min(batch, n)


def data_descent(data, mode="sgd", start=None, steps=100, lr=0.1, batch=8, seed=0, optimizer="sgd",
                 schedule="constant", hyper=None):
    """Descent on the data's objective with real sample gradients.

    Each epoch shuffles the samples (a seeded permutation) and cuts them into
    batches of :func:`batch_size_of` samples; update ``k`` uses batch ``k``.
    The recorded losses are the full objective, so the noisy SGD path can be
    drawn on the contours of the whole cost.
    """
    n = len(data.x)
    size = batch_size_of(mode, n, batch)
    steps = _check_steps(steps)
    rng = np.random.default_rng(seed)
    per_epoch = -(-n // size)
    order = []  # batches, generated epoch by epoch as needed
    while len(order) < steps:
        perm = rng.permutation(n)
        order += [perm[i * size:(i + 1) * size] for i in range(per_epoch)]
    surf = data.surface()
    path = descend(lambda p: float(data.objective(p[0], p[1])), lambda p, k: data.batch_grad(p, order[k - 1]),
                   surf.start if start is None else start, steps, optimizer, lr, schedule,
                   surf.box(), hyper, label=mode)
    path.samples = sum(len(order[k]) for k in range(len(path.lrs)))
    return path


def lowest_value(z, paths=(), minima_values=()):
    """``f*``: the lowest finite value among a grid ``z``, the paths' losses and the known minima.

    Loss curves are drawn as ``f - f*`` on a log scale, which works for
    surfaces whose minimum is negative or unknown.
    """
    values = [np.asarray(z, dtype=float).ravel()] + [np.asarray(p.losses, float) for p in paths]
    values.append(np.asarray(minima_values, dtype=float).ravel())
    allv = np.concatenate(values)
    allv = allv[np.isfinite(allv)]
    return float(allv.min()) if allv.size else 0.0
