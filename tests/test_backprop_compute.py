"""The backpropagation lesson's arithmetic (app_pages/backprop/compute.py) against hand-worked numbers
(the syllabus's (x + y) z example) and finite differences computed here, independently of cnnlab."""

import math

import pytest

from app_pages.backprop import compute
from cnnlab.checks import LessonError


def test_syllabus_example():
    # q = x + y = 3, f = q z = -12; df/dx = df/dy = z = -4, df/dz = q = 3
    res = compute.trace("(x + y) * z", (("x", -2.0), ("y", 5.0), ("z", -4.0)))
    assert res.value == -12.0
    assert dict(res.grads) == {"x": -4.0, "y": -4.0, "z": 3.0}
    root = res.graph["nodes"][res.graph["root"]]
    assert root["value"] == -12.0 and root["grad"] == 1.0
    # the backward steps reach each input with the products summing to its gradient
    for name, want in (("x", -4.0), ("y", -4.0), ("z", 3.0)):
        node = next(n["id"] for n in res.graph["nodes"] if n["label"] == name)
        assert sum(s["product"] for s in res.graph["backward"] if s["child"] == node) == pytest.approx(want)


def test_neuron_against_central_differences():
    vals = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}

    def f(v):
        return 1.0 / (1.0 + math.exp(-(v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"])))

    res = compute.trace("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", tuple(vals.items()))
    assert res.value == pytest.approx(f(vals))          # 1 / (1 + e^-1) = 0.7311
    assert res.value == pytest.approx(0.7310585786)
    h = 1e-6
    for name, grad in res.grads:
        up, down = dict(vals, **{name: vals[name] + h}), dict(vals, **{name: vals[name] - h})
        assert grad == pytest.approx((f(up) - f(down)) / (2 * h), rel=1e-6)


def test_reused_variable_adds_its_paths():
    # f = x y + x: df/dx = y + 1 = -1, df/dy = x = 3
    res = compute.trace("x * y + x", (("x", 3.0), ("y", -2.0)))
    assert (res.value, dict(res.grads)) == (-3.0, {"x": -1.0, "y": 3.0})


def test_gradient_check_agrees_and_flags_kinks():
    smooth = compute.gradient_check("(x + y) * z", (("x", -2.0), ("y", 5.0), ("z", -4.0)), 1e-5)
    assert [r.name for r in smooth.rows] == ["x", "y", "z"]
    assert [r.analytic for r in smooth.rows] == [-4.0, -4.0, 3.0]
    assert all(abs(r.numerical - r.analytic) < 1e-8 for r in smooth.rows)
    assert smooth.worst < 1e-8 and not smooth.kinked
    # relu at exactly 0: backprop takes 0, central differences see the average slope 1/2
    kink = compute.gradient_check("relu(x)", (("x", 0.0),), 1e-3)
    assert kink.kinked
    assert kink.rows[0].analytic == 0.0 and kink.rows[0].numerical == pytest.approx(0.5)
    assert kink.worst > 0.1


def test_bad_expression_raises_lesson_error():
    with pytest.raises(LessonError):
        compute.trace("1 / x", (("x", 0.0),))
