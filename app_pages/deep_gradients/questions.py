"""Questions of the lesson "Why deep networks are hard to train", built from its settings (cnnlab.nn.depth)."""

from __future__ import annotations

import numpy as np

from cnnlab import quiz
from cnnlab.nn import depth

DEFAULTS = {"depth": 20, "width": 64, "act": "sigmoid", "init": "xavier", "res": False, "norm": False}
VERDICTS = ("vanishing", "alive", "exploding", "all_small")      # the order of the choices


def _flag(value):
    return str(value).lower() in ("true", "1")


def net_of(settings):
    """The :class:`~cnnlab.nn.depth.DeepNet` of the lesson's URL values (unknown values: the defaults)."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    lo, hi = depth.DEPTH_RANGE
    n = quiz.clamp_int(s["depth"], lo, hi, DEFAULTS["depth"])
    width = quiz.clamp_int(s["width"], *depth.WIDTH_RANGE, DEFAULTS["width"])
    act = s["act"] if s["act"] in depth.ACTIVATIONS else DEFAULTS["act"]
    init = s["init"] if s["init"] in depth.INITS else DEFAULTS["init"]
    return depth.DeepNet(n, width, act, init, _flag(s["res"]), _flag(s["norm"]))


def build(settings, norms=None):
    """``settings``: the lesson's URL values; ``norms``: the gradient norms at init (computed when not given)."""
    net = net_of(settings)
    if norms is None:
        norms = depth.gradients_at_init(net)
    params = sum(fi * fo + fo for fi, fo in net.shapes())            # every W and b of the stack
    std = depth.init_std(net.init, net.width, net.width)             # a hidden layer: fan_in = fan_out = width
    verdict = depth.diagnose(norms)
    common = {"n": net.depth, "w": net.width, "act": f"deep.act.{net.activation}", "init": f"deep.init.{net.init}",
              "res": "deep.q.with_res" if net.residual else "deep.q.no_res",
              "norm": "deep.q.with_norm" if net.norm else "deep.q.no_norm"}
    return [
        quiz.numeric("deep.params", "deep.q.params", params, "deep.q.params_why", hidden=net.depth - 2, **common),
        quiz.numeric("deep.std", "deep.q.std", round(std, 4), "deep.q.std_why",
                     tolerance=round(max(0.1 * std, 1e-3), 4), **common),
        quiz.choice("deep.verdict", "deep.q.verdict", tuple(f"deep.q.v.{v}" for v in VERDICTS),
                    VERDICTS.index(verdict), "deep.q.verdict_why", ratio=f"{depth.first_last_ratio(norms):.2g}",
                    big=f"{float(np.nanmax(np.where(np.isfinite(norms), norms, np.nan))):.2g}"
                    if np.isfinite(norms).any() else "inf", **common),
    ]
