"""Questions of the backpropagation lesson, built from its expression (cnnlab.calculus.autograd computes them)."""

from __future__ import annotations

from cnnlab import quiz
from cnnlab.calculus import autograd

PRESET = ("(x + y) * z", {"x": -2.0, "y": 5.0, "z": -4.0})
DEFAULTS = {"expr": PRESET[0], "vals": "x=-2,y=5,z=-4"}


def _values(text):
    out = {}
    for part in str(text).split(",")[:20]:
        name, _, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            continue
    return out


def build(settings):
    """``settings``: the lesson's URL values (``expr``, ``vals`` as ``x=-2,y=5``) -> list of Questions."""
    s = quiz.settings_with_defaults(settings, DEFAULTS)
    expr, values = str(s["expr"]), _values(s["vals"])
    try:
        f, grads = autograd.gradients(expr, values)
    except ValueError:
        grads = {}
    if not grads:            # a broken or constant expression: ask about the preset instead
        expr, values = PRESET
        f, grads = autograd.gradients(expr, values)
    names = list(grads)
    first = names[0]
    vals_text = ", ".join(f"{n} = {values[n]:g}" for n in names)
    common = {"expr": expr, "vals": vals_text}
    out = [
        quiz.numeric("bp.value", "bp.q.value", round(f, 4), "bp.q.value_why", tolerance=0.01, **common),
        quiz.numeric("bp.grad", "bp.q.grad", round(grads[first], 4), "bp.q.grad_why", tolerance=0.01, var=first,
                     **common),
    ]
    sizes = sorted((abs(g) for g in grads.values()), reverse=True)
    if len(names) >= 2 and sizes[0] - sizes[1] > 1e-6:      # one clear largest, else the question is unfair
        best = max(range(len(names)), key=lambda i: abs(grads[names[i]]))
        out.append(quiz.choice("bp.largest", "bp.q.largest", names, best, "bp.q.largest_why",
                               grad=round(grads[names[best]], 4), **common))
    else:
        out.append(quiz.numeric("bp.nudge", "bp.q.nudge", round(0.01 * grads[first], 6), "bp.q.nudge_why",
                                tolerance=0.001, var=first, **common))
    return out
