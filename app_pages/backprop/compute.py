"""The backpropagation lesson's arithmetic: pure functions of its settings, cached, returning frozen results.

Every number comes from ``cnnlab.calculus.autograd``; this module only bundles the answers. Settings are plain
hashable values: the expression text and the variables' values as ``((name, value), ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnlab.calculus import autograd

KINKED = ("relu", "max", "min", "abs")   # operations whose derivative jumps (central differences may miss it)


@dataclass(frozen=True)
class Trace:
    value: float           # f at the given values
    grads: tuple           # ((name, df/dname), ...) in the expression's variable order
    graph: dict            # cnnlab.calculus.autograd.trace: nodes, edges, forward, backward steps, root


@dataclass(frozen=True)
class Row:
    name: str
    analytic: float
    numerical: float
    rel_error: float


@dataclass(frozen=True)
class Check:
    rows: tuple            # one Row per variable
    worst: float           # the largest relative error (0.0 without variables)
    kinked: bool           # the graph holds a relu / max / min / abs


def _values(values) -> dict:
    return {str(k): float(v) for k, v in (values.items() if isinstance(values, dict) else values)}


@st.cache_data(max_entries=64, show_spinner=False)
def trace(text: str, values: tuple) -> Trace:
    """Forward and backward pass of ``text`` at ``values``; raises ``LessonError`` for unusable input."""
    vals = _values(values)
    graph = autograd.expression_trace(text, vals)
    f, grads = autograd.gradients(text, vals)
    return Trace(float(f), tuple((k, float(v)) for k, v in grads.items()), graph)


@st.cache_data(max_entries=64, show_spinner=False)
def gradient_check(text: str, values: tuple, h: float) -> Check:
    """Backprop's gradients against central differences with step ``h``."""
    vals = _values(values)
    rows = tuple(Row(r["name"], float(r["analytic"]), float(r["numerical"]), float(r["rel_error"]))
                 for r in autograd.gradient_check(text, vals, h=h))
    graph = autograd.expression_trace(text, vals)
    return Check(rows, max((r.rel_error for r in rows), default=0.0),
                 any(n["op"] in KINKED for n in graph["nodes"]))
