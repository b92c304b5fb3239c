"""The autograd engine against finite differences, the lesson's published numbers, reuse and reset."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cnnlab
from cnnlab.calculus.autograd import (
    Value,
    expression_trace,
    gradient_check,
    gradients,
    numerical_gradients,
    relative_error,
    trace,
)
from cnnlab.checks import LessonError


def test_public_api_preset_numbers_exactly():
    value, grads = cnnlab.gradients("(x + y) * z", {"x": -2, "y": 5, "z": -4})
    assert value == -12.0
    assert grads == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_sigmoid_neuron_cs231n_numbers():
    # CS231n "Backpropagation, Intuitions": w = [2, -3, -3], x = [-1, -2] -> 0.73,
    # dx = [0.39, -0.59], dw = [-0.2, -0.39, 0.2]
    value, g = gradients("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
                         {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    assert value == pytest.approx(0.7310585786)
    s = value
    assert g["w2"] == pytest.approx(s * (1 - s))
    assert [round(g[k], 2) for k in ("x0", "x1", "w0", "w1", "w2")] == [0.39, -0.59, -0.2, -0.39, 0.2]


def test_reused_node_gradients_add():
    # x feeds both the product and the sum: dx = y + 1
    value, g = gradients("x * y + x", {"x": 3, "y": -2})
    assert (value, g["x"], g["y"]) == (-3.0, -1.0, 3.0)
    tr = expression_trace("x * y + x", {"x": 3, "y": -2})
    x_id = next(n["id"] for n in tr["nodes"] if n["label"] == "x")
    into_x = [s for s in tr["backward"] if s["child"] == x_id]
    assert len(into_x) == 2
    assert sorted(s["product"] for s in into_x) == [-2.0, 1.0]
    assert into_x[-1]["grad_after"] == -1.0


def test_relu_off_stops_the_gradient():
    value, g = gradients("relu(w * x + b) * 3", {"w": 2, "x": -1, "b": 0.5})
    assert value == 0.0
    assert g == {"b": 0.0, "w": 0.0, "x": 0.0}


def test_gate_patterns():
    _, g = gradients("x + y", {"x": 2, "y": 7})
    assert g == {"x": 1.0, "y": 1.0}                    # add distributes
    _, g = gradients("x * y", {"x": 2, "y": 7})
    assert g == {"x": 7.0, "y": 2.0}                    # multiply swaps
    _, g = gradients("max(x, y)", {"x": 2, "y": 7})
    assert g == {"x": 0.0, "y": 1.0}                    # max routes to the larger


def test_repeated_backward_does_not_double():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = x * y + x
    f.backward()
    first = (x.grad, y.grad)
    f.backward()
    f.backward()
    assert (x.grad, y.grad) == first == (4.0, 2.0)
    tr1, tr2 = trace(f), trace(f)
    assert tr1 == tr2


def test_trace_structure():
    tr = expression_trace("(x + y) * z", {"x": -2, "y": 5, "z": -4})
    nodes = {n["id"]: n for n in tr["nodes"]}
    assert nodes[tr["root"]]["value"] == -12.0
    assert nodes[tr["root"]]["grad"] == 1.0
    q = next(n for n in tr["nodes"] if n["op"] == "add")
    assert (q["value"], q["grad"]) == (3.0, -4.0)
    # forward order is topological: every edge goes from an earlier to a later node
    pos = {i: k for k, i in enumerate(tr["forward"])}
    assert all(pos[c] < pos[p] for c, p, _ in tr["edges"])
    # backward steps by hand (CS231n's worked example): f = q z, q = x + y;
    # df/dq = z = -4, df/dz = q = 3, then q passes -4 * 1 to x and to y
    label = {n["id"]: n["label"] for n in tr["nodes"]}
    steps = [(label[s["node"]], label[s["child"]], s["upstream"], s["local"], s["product"]) for s in tr["backward"]]
    assert steps == [("mul", "add", 1.0, -4.0, -4.0), ("mul", "z", 1.0, 3.0, 3.0),
                     ("add", "x", -4.0, 1.0, -4.0), ("add", "y", -4.0, 1.0, -4.0)]


def test_errors_are_value_errors():
    for bad in ("__import__('os')", "x.y", "9**9**9", "(" * 10_000 + ")" * 10_000, "foo(x)"):
        with pytest.raises(ValueError):
            gradients(bad, {"x": 1.0})
    with pytest.raises(ValueError):
        gradients("log(x)", {"x": -1.0})
    with pytest.raises(ValueError):
        gradients("x / y", {"x": 1.0, "y": 0.0})
    with pytest.raises(ValueError):
        gradients("exp(x)", {"x": 1e4})
    with pytest.raises(ValueError):
        gradients("x + y", {"x": 1.0})
    with pytest.raises(ValueError):
        gradients("x", [1.0])
    with pytest.raises(ValueError):
        gradients(None, {"x": 1.0})
    with pytest.raises(ValueError):
        gradients("x * 2", {"x": np.array([1.0, 2.0])})


def test_extra_values_get_zero_gradient():
    _, g = gradients("2 * x", {"x": 1.0, "unused": 5.0})
    assert g == {"x": 2.0, "unused": 0.0}


def test_relative_error():
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1.0, 1.0) == 0.0
    assert relative_error(1.0, 0.5) == 0.5


EXPRESSIONS = [
    "x*y + z", "x / y - z**3", "exp(x) * tanh(y) + sigmoid(z)", "log(abs(x) + 1) * y",
    "max(x, y) * z + min(y, z)", "sqrt(x*x + y*y + 1)", "sin(x) * cos(y * z)",
    "1 / (1 + exp(-(x*y + z)))", "(x + y) * (x - y) / (z*z + 2)", "relu(x) + relu(-y) * z",
    "-x^2 + 2^0.5 * y", "tanh(tanh(x * y) + z) * x",
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(EXPRESSIONS), st.floats(-2, 2), st.floats(-2, 2), st.floats(-2, 2))
def test_engine_matches_finite_differences(text, x, y, z):
    values = {"x": x, "y": y, "z": z}
    # stay away from kinks (relu, max, min, abs) and poles, where differences are not gradients
    assume(min(abs(x), abs(y), abs(z), abs(x - y), abs(y - z)) >= 1e-2 and abs(y) >= 0.1)
    for row in gradient_check(text, values):
        assert row["analytic"] == pytest.approx(row["numerical"], rel=1e-5, abs=1e-6), (text, row)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_value_against_numpy_sigmoid_neuron(ws):
    xs = np.array([0.5, -1.5])
    _, g = gradients("sigmoid(w0*x0 + w1*x1 + w2)",
                     {"w0": ws[0], "w1": ws[1], "w2": ws[2], "x0": xs[0], "x1": xs[1]})
    s = 1 / (1 + math.exp(-(ws[0] * xs[0] + ws[1] * xs[1] + ws[2])))
    assert g["w0"] == pytest.approx(s * (1 - s) * xs[0])
    assert g["x1"] == pytest.approx(s * (1 - s) * ws[1])


def test_numerical_gradient_is_approximate_but_close():
    num = numerical_gradients("x**3", {"x": 2.0})
    assert num["x"] == pytest.approx(12.0, rel=1e-8)
    assert gradients("x**3", {"x": 2.0})[1]["x"] == 12.0


def test_power_errors():
    with pytest.raises(LessonError):
        gradients("x**0.5", {"x": -4.0})
    with pytest.raises(LessonError):
        gradients("x**-1", {"x": 0.0})
    with pytest.raises(LessonError):
        Value(2.0) ** Value(3.0)


def _smooth_expressions():
    """Random expressions built from smooth operations only (no kinks, no poles)."""
    leaf = st.one_of(st.sampled_from(["x", "y", "z"]),
                     st.floats(0.1, 3, allow_nan=False).map(lambda v: f"{v:.3g}"))

    def extend(children):
        return st.one_of(
            st.tuples(children, st.sampled_from("+-*"), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["tanh", "sigmoid", "sin", "cos"]), children)
              .map(lambda t: f"{t[0]}({t[1]})"),
            children.map(lambda c: f"exp(tanh({c}))"),
            children.map(lambda c: f"-{c}"),
            children.map(lambda c: f"({c})^2"),
            children.map(lambda c: f"log(1 + ({c})^2)"),
            children.map(lambda c: f"1 / (2 + sin({c}))"),
        )

    return st.recursive(leaf, extend, max_leaves=10)


@settings(max_examples=80, deadline=None)
@given(_smooth_expressions(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_random_expressions_match_finite_differences(text, x, y, z):
    values = {"x": x, "y": y, "z": z}
    try:
        rows = gradient_check(text, values)
    except LessonError as exc:           # only overflow may stop a smooth expression
        assert exc.code == "expr_overflow"
        return
    value, grads = gradients(text, values)
    assert math.isfinite(value)
    for row in rows:
        scale = max(1.0, abs(value))
        assert row["analytic"] == pytest.approx(row["numerical"], rel=1e-4, abs=1e-6 * scale), (text, row)


def test_backward_is_reverse_topological():
    """A node passes its gradient down only after every contribution to it has arrived."""
    tr = expression_trace("1 / (1 + exp(-(w0*x0 + w1*x1 + w2))) + w0 * x0",
                          {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    last_in = {}
    for k, s in enumerate(tr["backward"]):
        last_in[s["child"]] = k
    for k, s in enumerate(tr["backward"]):
        assert last_in.get(s["node"], -1) < k
    # what reached the inputs agrees with central differences (an outside check)
    values = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
    numeric = numerical_gradients("1 / (1 + exp(-(w0*x0 + w1*x1 + w2))) + w0 * x0", values)
    leaves = {n["label"]: n["grad"] for n in tr["nodes"] if n["kind"] == "input"}
    for name, g in numeric.items():
        assert leaves[name] == pytest.approx(g, rel=1e-6, abs=1e-9)
