"""Questions of the "Your own classes" lesson, built from its settings (cnnlab counts and splits).

The network is the one in the lesson's link (the edited table, or its preset); the numbers of
pictures are those of the bundled starter set (3 classes x 60), since a student's own pictures
are never part of a link.
"""

from __future__ import annotations

import math

import numpy as np

from app_pages.own_classes.presets import PRESETS, preset
from cnnlab import quiz
from cnnlab.nn.data import stratified_split
from cnnlab.nn.model import Model
from cnnlab.vision.saliency import occlusion_cost
from ui.network_editor import from_link, with_outputs

SIZE = 32                      # services/own_data.LIMITS.working_size
STARTER = (60, 60, 60)         # pictures per class of the bundled starter set
VAL_FRACTION = 0.2             # app_pages/own_classes/prepare.VAL_FRACTION
PATCH = 8                      # the occlusion patch the page starts with (stride: half of it)
DEFAULTS = {"preset": "small", "arch": "", "gray": True, "batch": 16}


def _preset(name, classes):
    return preset(name if name in PRESETS else "small", classes)


def network(settings, classes=3):
    """The link's network for ``classes`` classes (its preset if the edited one is unreadable or does not fit)."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    gray = str(s["gray"]).lower() in ("true", "1")
    shape = (1 if gray else 3, SIZE, SIZE)
    edited = from_link(s["arch"]) if isinstance(s["arch"], str) and s["arch"] else None
    for desc in ([with_outputs(edited, classes)] if edited else []) + [_preset(s["preset"], classes)]:
        try:
            return Model(desc, input_shape=shape, num_classes=classes, seed=0), gray
        except ValueError:
            continue
    return Model(_preset("small", classes), input_shape=shape, num_classes=classes, seed=0), gray


def build(settings, classes=3):
    """``settings``: the lesson's URL values -> a list of Questions about that network and the starter set."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    classes = quiz.clamp_int(classes, 2, 6, len(STARTER))
    model, gray = network(settings, classes)
    batch = quiz.clamp_int(s["batch"], 1, 64, 16)
    common = {"size": SIZE, "mode": "own.mode_gray" if gray else "own.mode_rgb", "k": classes}
    labels = np.repeat(np.arange(len(STARTER)), STARTER)
    train, val, _ = stratified_split(labels, (1 - VAL_FRACTION, VAL_FRACTION, 0.0), 0)
    out = [
        quiz.numeric("own.params", "own.q.params", model.n_params(), "own.q.params_why", **common),
        quiz.numeric("own.steps", "own.q.steps", math.ceil(train.size / batch), "own.q.steps_why",
                     batch=batch, total=int(labels.size), train=int(train.size), val=int(val.size)),
        quiz.numeric("own.occlusion", "own.q.occlusion", occlusion_cost(model.input_shape, PATCH, PATCH // 2),
                     "own.q.occlusion_why", patch=PATCH, stride=PATCH // 2, size=SIZE),
    ]
    convs = [r for r in model.summary() if r["type"] == "conv"]
    if convs:
        last = convs[-1]
        out.append(quiz.numeric("own.cam_side", "own.q.cam_side", int(last["out_shape"][1]), "own.q.cam_side_why",
                                layer=last["index"] + 1, size=SIZE))
    return out
