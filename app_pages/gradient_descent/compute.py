"""The gradient-descent lesson's arithmetic: pure functions of its settings, cached, returning frozen results.

Every number comes from ``cnnlab.calculus`` (``surfaces``, ``descent``); this module only builds the chosen
surface and bundles the answers. Settings are plain values (names, numbers, tuples), so moving the animation or
switching language never recomputes a path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnlab.calculus import descent, surfaces

GRID = 101


@dataclass(frozen=True)
class Surface:
    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray              # (GRID, GRID) values of f on the window
    log: bool                  # contour levels on a log scale
    minima: tuple
    window: tuple
    start: tuple
    minima_f: tuple            # f at each minimum
    shape: str | None          # descent.surface_shape: a note on the surface's kind, or None
    floor: float               # the loss plots' floor with no path drawn (descent.lowest_value)


@dataclass(frozen=True)
class Paths:
    paths: dict                # name -> descent.DescentPath
    floor: float               # the lowest value drawn (descent.lowest_value): the loss plots' floor


@dataclass(frozen=True)
class Regimes:
    lrs: dict                  # "small" / "good" / "large" -> learning rate
    paths: dict
    floor: float


@dataclass(frozen=True)
class DataRun:
    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray
    minimum: tuple
    start: tuple
    paths: dict                # "bgd" / "sgd" / "minibatch" -> DescentPath
    x: np.ndarray
    y: np.ndarray
    curves: dict               # mode -> (grid, fitted values)
    floor: float


def build_surface(name, kappa, formula):
    """The surface chosen on the page (raises LessonError for a bad formula)."""
    if name == "typed":
        return surfaces.typed_surface(formula)
    return surfaces.get_surface(name, **({"kappa": kappa} if name == "quadratic" else {}))


@st.cache_data(max_entries=64, show_spinner=False)
def surface_data(name, kappa, formula) -> Surface:
    surf = build_surface(name, kappa, formula)
    xs, ys, z = surfaces.surface_grid(surf, GRID)
    minima_f = [float(surf.f(*m)) for m in surf.minima]
    return Surface(xs, ys, z, surf.log_levels, tuple(surf.minima), tuple(surf.window), tuple(surf.start),
                   tuple(minima_f), descent.surface_shape(surf), descent.lowest_value(z, [], minima_f))


def _floor(name, kappa, formula, paths):
    s = surface_data(name, kappa, formula)
    return descent.lowest_value(s.z, paths.values(), list(s.minima_f))


@st.cache_data(max_entries=128, show_spinner=False)
def optimizer_paths(name, kappa, formula, opts, lrs, steps, sched, start, mom) -> Paths:
    """Every chosen optimizer from the same start."""
    surf = build_surface(name, kappa, formula)
    paths = {o: descent.run_optimizer(surf, o, start, steps, lr, sched, hyper={"momentum": mom})
             for o, lr in zip(opts, lrs)}
    return Paths(paths, _floor(name, kappa, formula, paths))


@st.cache_data(max_entries=64, show_spinner=False)
def regime_paths(name, kappa, formula, start, steps=60) -> Regimes:
    """Plain gradient descent with a too small, a good and a too large learning rate."""
    surf = build_surface(name, kappa, formula)
    lrs = descent.lr_regimes(surf)
    paths = {k: descent.run_optimizer(surf, "sgd", start, steps, lr) for k, lr in lrs.items()}
    return Regimes(lrs, paths, _floor(name, kappa, formula, paths))


@st.cache_data(max_entries=64, show_spinner=False)
def search_paths(name, kappa, formula, start, tries, radius, seed, lr) -> Paths:
    surf = build_surface(name, kappa, formula)
    paths = {"random_search": descent.random_search(surf, tries, seed),
             "random_local": descent.random_local_search(surf, start, tries, radius, seed),
             "follow_slope": descent.follow_slope(surf, start, tries, radius),
             "sgd": descent.run_optimizer(surf, "sgd", start, tries, lr)}
    return Paths(paths, _floor(name, kappa, formula, paths))


@st.cache_data(max_entries=64, show_spinner=False)
def data_run(kind, l2, batch, lr, steps, seed) -> DataRun:
    """Grid of the full objective, BGD / SGD / mini-batch paths and the fitted curves."""
    data = descent.make_data(kind, 100, seed, l2)
    surf = data.surface()
    xs, ys, z = surfaces.surface_grid(surf, GRID)
    paths = {m: descent.data_descent(data, m, None, steps, lr, batch, seed) for m in descent.MODES}
    grid = np.linspace(data.x.min() - 0.3, data.x.max() + 0.3, 80)
    curves = {m: (grid, data.predict(p.points[-1], grid)) for m, p in paths.items()}
    return DataRun(xs, ys, z, tuple(surf.minima[0]), tuple(surf.start), paths, data.x, data.y, curves,
                   descent.lowest_value(z, paths.values(), [surf.f(*surf.minima[0])]))
