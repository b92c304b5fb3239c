"""Questions of the training lesson, built from the chosen network (cnnlab.nn.model counts its layers)."""

from __future__ import annotations

import math

from cnnlab import quiz
from cnnlab.nn.model import PRESETS, Model

DEFAULTS = {"preset": "lenet5", "init": "he", "seed": 0}


def build(settings):
    """``settings``: the lesson's URL values (``preset`` ...) -> list of Questions about that network."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    preset = s["preset"] if s["preset"] in PRESETS else "lenet5"
    model = Model(PRESETS[preset], input_shape=(1, 28, 28), num_classes=10, seed=0)
    rows = model.summary()
    common = {"net": f"train.preset_{preset}"}
    first = rows[0]
    out = [
        quiz.numeric("train.params", "train.q.params", model.n_params(), "train.q.params_why", **common),
        quiz.numeric("train.first_out", "train.q.first_out", math.prod(first["out_shape"]), "train.q.first_out_why",
                     kind=first["type"], shape=" × ".join(map(str, first["out_shape"])), **common),
    ]
    with_params = [r for r in rows if r["params"] > 0]
    if len(with_params) >= 2:
        labels = [f"{r['index'] + 1}: {r['type']}" for r in with_params]
        best = max(range(len(with_params)), key=lambda i: with_params[i]["params"])
        out.append(quiz.choice("train.most_params", "train.q.most_params", labels, best, "train.q.most_params_why",
                               most=f"{with_params[best]['params']:,}", **common))
    return out
