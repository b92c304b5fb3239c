"""Learning rates tuned for a surface: closed forms on a quadratic, a measured search elsewhere."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .descent_shape import hessian, surface_shape
from .descent_walk import _check_steps, run_optimizer


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
