"""Walks on a loss surface: one optimizer from a start, its whole path, divergence reported, never raised.

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
from .descent_shape import surface_shape, why
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
