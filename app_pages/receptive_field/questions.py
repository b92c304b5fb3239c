"""Questions of the receptive-field lesson, built from its stack (cnnlab.geometry.receptive computes the answers)."""

from __future__ import annotations

from cnnlab import quiz
from cnnlab.geometry import receptive

DEFAULTS = {"preset": "three_3x3", "size": 16, "stack": ""}
ONE_MORE = {"type": "conv", "kernel": 3, "stride": 1, "padding": 0, "dilation": 1}


def _layers(s):
    try:
        layers = receptive.parse_stack(s["stack"]) if s["stack"] else None
    except ValueError:
        layers = None
    return layers or receptive.PRESETS.get(s["preset"], receptive.PRESETS["three_3x3"])


def describe(layers):
    """``conv 3×3 → pool 2×2 s2 → …``: the stack as a reader sees it (stride, padding, dilation when not 1/0/1)."""
    parts = []
    for layer in layers:
        k = layer["kernel"]
        text = f"{layer['type']} {k}×{k}"
        stride = layer.get("stride") or (k if layer["type"] == "pool" else 1)
        if stride != 1:
            text += f" s{stride}"
        if layer.get("padding"):
            text += f" p{layer['padding']}"
        if layer.get("dilation", 1) != 1:
            text += f" d{layer['dilation']}"
        parts.append(text)
    return " → ".join(parts)


def build(settings):
    """``settings``: the lesson's URL values (``preset, size, stack``) -> list of Questions about the last unit."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    layers = _layers(s)
    rows = receptive.receptive_field(layers, None)
    last = rows[-1]
    more = receptive.receptive_field(list(layers) + [ONE_MORE], None)[-1]
    common = {"layers": len(rows), "stack": describe(layers)}
    return [
        quiz.numeric("rf.size", "rf.q.size", last["size"], "rf.q.size_why", **common),
        quiz.numeric("rf.jump", "rf.q.jump", last["jump"], "rf.q.jump_why", **common),
        quiz.numeric("rf.one_more", "rf.q.one_more", more["size"], "rf.q.one_more_why", now=last["size"],
                     jump=last["jump"], **common),
    ]
