"""Before gradients: random search, random local search and following a measured slope."""

from __future__ import annotations

import math

import numpy as np

from ..checks import LessonError
from .descent_walk import DescentPath, _check_start, _check_steps


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
