"""Questions of the linear-classifier lesson, built from its settings (cnnlab.calculus.linear computes the answers)."""

from __future__ import annotations

import numpy as np

from cnnlab import quiz
from cnnlab.calculus import linear

DEFAULTS = {"preset": "two_blobs", "added": "", "steps": 200, "lr": 0.5}


def data_of(settings):
    """``(x, y, k, lr, steps)`` of the lesson's URL values (unknown values: the defaults)."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    preset = s["preset"] if s["preset"] in linear.PRESETS else DEFAULTS["preset"]
    x0, y0, k = linear.preset(preset)
    try:
        xa, ya = linear.parse_points(s["added"], k)
    except ValueError:                     # a hand-edited link: ask about the preset alone
        xa, ya = x0[:0], y0[:0]
    x, y = np.vstack([x0, xa]), np.concatenate([y0, ya])
    try:
        lr = float(s["lr"])
    except (TypeError, ValueError):
        lr = DEFAULTS["lr"]
    if not 0 < lr <= 20:
        lr = DEFAULTS["lr"]
    steps = quiz.clamp_int(s["steps"], 1, linear.MAX_STEPS, DEFAULTS["steps"])
    return x, y, k, lr, steps


def build(settings):
    """``settings``: the lesson's URL values (``preset, added, lr, steps``)."""
    x, y, k, lr, steps = data_of(settings)
    untrained = linear.train_softmax(x, y, k, lr=lr, steps=1)       # losses[0]: W = 0, b = 0
    fit = linear.train_softmax(x, y, k, lr=lr, steps=steps)
    # the point the trained classifier finds hardest (the largest loss): the question is about the picture's
    # most interesting point, whichever point the softmax table shows
    losses = [linear.softmax_steps(s, int(c)).loss for s, c in zip(linear.scores(x, fit.w, fit.b), y)]
    i = int(np.argmax(losses))
    sm = linear.softmax_steps(linear.scores(x[i:i + 1], fit.w, fit.b)[0], int(y[i]))
    c = sm.label
    common = {"k": k, "i": i + 1, "c": c + 1, "steps": steps}
    return [
        quiz.numeric("lin.start_loss", "lin.q.start_loss", round(float(untrained.losses[0]), 4), "lin.q.start_loss_why",
                     tolerance=0.01, **common),
        quiz.numeric("lin.point_loss", "lin.q.point_loss", round(sm.loss, 4), "lin.q.point_loss_why", tolerance=0.01,
                     p=f"{sm.probs[c]:.4f}", **common),
        quiz.numeric("lin.grad", "lin.q.grad", round(float(sm.grad[c]), 4), "lin.q.grad_why", tolerance=0.01,
                     p=f"{sm.probs[c]:.4f}", **common),
    ]
