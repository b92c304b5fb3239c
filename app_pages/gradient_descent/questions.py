"""Questions of the gradient-descent lesson, built from its settings (cnnlab.calculus.descent walks the paths)."""

from __future__ import annotations

import math
from functools import lru_cache

from cnnlab import quiz
from cnnlab.calculus import descent, surfaces
from cnnlab.calculus.optim import OPTIMIZERS

DEFAULTS = {"surface": "quadratic", "kappa": 10.0, "formula": "x^2/4 + y^2 + 0.5*sin(3*x)",
            "opts": "sgd,momentum,adam", "steps": 100, "sched": "constant", "x0": None, "y0": None,
            **{f"lr_{o}": None for o in OPTIMIZERS}}


def _surface(s):
    try:
        if s["surface"] == "typed":
            return surfaces.typed_surface(str(s["formula"]))
        if s["surface"] in surfaces.SURFACES:
            kw = {"kappa": min(max(float(s["kappa"]), 1.0), 100.0)} if s["surface"] == "quadratic" else {}
            return surfaces.get_surface(s["surface"], **kw)
    except ValueError:
        pass
    return surfaces.quadratic()


def _number(value, default, limit=100.0):
    """``value`` as a float within the page's bounds (``-limit..limit``), else ``default``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return default
    return v if math.isfinite(v) and abs(v) <= limit else default


@lru_cache(maxsize=32)
def _suggested(params):
    """The tuned rates of a surface (a measured search on most surfaces: ~30 ms, so once per surface)."""
    return descent.suggested_lrs(_surface(dict(params)))


def build(settings):
    """``settings``: the lesson's URL values -> list of Questions about the optimizers on this surface.

    Cached on the settings (the page builds them on every rerun; they walk every chosen optimizer)."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    try:
        key = tuple(sorted(s.items()))
        hash(key)
    except TypeError:                  # a value that cannot be a key (not from a URL): no cache
        return _build(s)
    return list(_cached(key))


@lru_cache(maxsize=64)
def _cached(key):
    return tuple(_build(dict(key)))


def _build(s):
    surf = _surface(s)
    suggested = _suggested(tuple((k, s[k]) for k in ("surface", "kappa", "formula")))
    start = (_number(s["x0"], float(surf.start[0])), _number(s["y0"], float(surf.start[1])))
    steps = quiz.clamp_int(s["steps"], 1, 500, 100)
    opts = [o for o in str(s["opts"]).split(",") if o in OPTIMIZERS]
    if len(opts) < 2:
        opts = ["sgd", "momentum", "adam"]
    lrs = {o: min(max(_number(s[f"lr_{o}"], suggested[o], 10.0), 1e-5), 10.0) for o in opts}
    sched = s["sched"] if s["sched"] in ("constant", "step", "linear", "cosine", "cyclic") else "constant"
    finals = []
    for o in opts:
        path = descent.run_optimizer(surf, o, start, steps, lrs[o], sched)
        finals.append(math.inf if path.diverged or not len(path.losses) else float(path.losses[-1]))
    best = min(range(len(opts)), key=lambda i: finals[i])
    one = descent.run_optimizer(surf, "sgd", start, 1, lrs.get("sgd", suggested["sgd"]), "constant", box=None)
    common = {"x0": round(start[0], 3), "y0": round(start[1], 3), "surface": f"gd.q.surface_{surf.name}"}
    f0 = float(surf.f(*start))
    out = [
        quiz.choice("gd.lowest", "gd.q.lowest", [f"gd.opt.{o}" for o in opts], best, "gd.q.lowest_why",
                    steps=steps, **common),
        quiz.numeric("gd.start_loss", "gd.q.start_loss", round(f0, 4), "gd.q.start_loss_why",
                     tolerance=max(0.02 * abs(f0), 0.01), **common),
    ]
    if len(one.points) > 1:
        lr = lrs.get("sgd", suggested["sgd"])
        gx = float(surf.grad(*start)[0])
        out.append(quiz.numeric("gd.one_step", "gd.q.one_step", round(float(one.points[1][0]), 4),
                                "gd.q.one_step_why", tolerance=max(0.01 * abs(float(one.points[1][0])), 0.01),
                                lr=f"{lr:g}", gx=round(gx, 4), **common))
    return out
