"""The shape of a loss surface as the descent lesson needs it: curvature (the Hessian), the learning-rate
regimes it implies, and whether the surface has a minimum to walk to at all (and so why a walk failed)."""

from __future__ import annotations

import math

import numpy as np


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
