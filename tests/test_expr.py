"""The safe expression reader: whitelist, limits, hostile input, vectorised evaluation."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnlab.calculus.expr import MAX_LENGTH, parse, to_text
from cnnlab.checks import LessonError

VARS = ("x", "y", "z")


def test_parses_the_lesson_expressions():
    assert parse("(x + y) * z").variables == ("x", "y", "z")
    e = parse("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))")
    assert e.variables == ("w0", "w1", "w2", "x0", "x1")
    assert parse("max(x, y) * z").evaluate({"x": 1, "y": 3, "z": 2}) == 6.0
    assert parse("(x + y) * z").evaluate({"x": -2, "y": 5, "z": -4}) == -12.0


def test_arithmetic_matches_python_math():
    cases = {
        "x^2 + y**2": 3.0 ** 2 + 0.5 ** 2, "-x**2": -9.0, "x / y - 1": 3 / 0.5 - 1,
        "sigmoid(y)": 1 / (1 + math.exp(-0.5)), "relu(-x) + relu(x)": 3.0,
        "log(x) + exp(y) + tanh(x) + sqrt(x) + abs(-y)":
            math.log(3) + math.exp(0.5) + math.tanh(3) + math.sqrt(3) + 0.5,
        "sin(pi * y) + cos(0) + e": 1 + 1 + math.e, "min(x, y, 7)": 0.5,
        "max(x, y, 7)": 7.0, "x**-1 + x**0.5": 1 / 3 + math.sqrt(3),
    }
    for text, expected in cases.items():
        assert parse(text).evaluate({"x": 3.0, "y": 0.5}) == pytest.approx(expected), text


def test_vectorised_evaluation_on_a_grid():
    e = parse("x**2 + 3*y", variables=("x", "y"))
    xs, ys = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 1, 4))
    out = e.evaluate({"x": xs, "y": ys})
    assert out.shape == (4, 5)
    np.testing.assert_allclose(out, xs ** 2 + 3 * ys)
    # a constant expression still gives the grid's shape
    assert parse("2", variables=("x", "y")).evaluate({"x": xs, "y": ys}).shape == (4, 5)
    # undefined points become NaN/inf in arrays, an error for scalars
    out = parse("log(x)").evaluate({"x": np.array([-1.0, 1.0])})
    assert np.isnan(out[0]) and out[1] == 0
    with pytest.raises(LessonError) as err:
        parse("log(x)").evaluate({"x": -1.0})
    assert err.value.code == "expr_domain"
    with pytest.raises(LessonError) as err:
        parse("exp(x)").evaluate({"x": 1000.0})
    assert err.value.code == "expr_overflow"


def test_allowed_variables():
    parse("x + y", variables=("x", "y"))
    with pytest.raises(LessonError) as err:
        parse("x + w", variables=("x", "y"))
    assert err.value.code == "expr_unknown_name"
    assert "w" in str(err.value)


@pytest.mark.parametrize("text, code", [
    ("__import__('os')", "expr_bad_char"),
    ("__import__(x)", "expr_unknown_function"),
    ("__builtins__", "expr_bad_name"),
    ("x.real", "expr_unsupported"),
    ("x.__class__.__bases__", "expr_unsupported"),
    ("lambda x: x", "expr_bad_char"),
    ("(lambda x, y: x)(1, 2)", "expr_bad_char"),
    ("[x for x in y]", "expr_bad_char"),
    ("max(x for x in y)", "expr_unsupported"),
    ("9**9**9", "expr_exponent"),
    ("2**999", "expr_exponent"),
    ("x**y", "expr_exponent"),
    ("x ** (2 ** 10)", "expr_exponent"),
    ("1e400", "expr_overflow"),
    ("9" * 400, "expr_overflow"),
    ("(" * 10_000 + "x" + ")" * 10_000, "expr_too_long"),
    ("(" * 200 + "x" + ")" * 200, "expr_too_deep"),
    ("-" * 450 + "x", "expr_too_deep"),
    ("x +", "expr_syntax"),
    ("x y", "expr_syntax"),
    ("", "expr_empty"),
    ("   ", "expr_empty"),
    ("x, y", "expr_unsupported"),
    ("x < y", "expr_bad_char"),
    ("x % y", "expr_bad_char"),
    ("x // y", "expr_unsupported"),
    ("foo(x)", "expr_unknown_function"),
    ("exp", "expr_function_needs_call"),
    ("exp(x, y)", "expr_arity"),
    ("max(x)", "expr_arity_many"),
    ("exp(x=1)", "expr_bad_char"),
    ("max(*x)", "expr_unsupported"),
    ("a" * 17, "expr_bad_name"),
    ("x_", None),
    ("True", "expr_unsupported"),
    ("None", "expr_unsupported"),
    ("a+b+c+d+e1+f+g+h+i+j+k+l+m+n", "expr_too_many_variables"),
])
def test_hostile_and_invalid_input_is_rejected_with_a_message(text, code):
    if code is None:
        parse(text)
        return
    with pytest.raises(LessonError) as err:
        parse(text)
    assert err.value.code == code, (text, err.value.code, str(err.value))
    assert len(str(err.value)) > 10


def test_every_error_code_has_a_translation():
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    codes = set(re.findall(r'"(expr_[a-z_]+)"', (root / "cnnlab" / "calculus" / "expr.py").read_text()))
    codes |= set(re.findall(r'"(expr_[a-z_]+)"', (root / "cnnlab" / "calculus" / "autograd.py").read_text()))
    for lang in ("en", "zh"):
        cat = json.loads((root / "assets" / "i18n" / f"{lang}.json").read_text("utf-8"))
        missing = {c for c in codes if f"error.{c}" not in cat}
        assert not missing, (lang, missing)


def test_non_string_input():
    with pytest.raises(LessonError):
        parse(42)
    with pytest.raises(LessonError):
        parse(None)


def test_missing_and_bad_values():
    e = parse("x + y")
    with pytest.raises(LessonError) as err:
        e.evaluate({"x": 1.0})
    assert err.value.code == "expr_missing_value"
    for bad in (float("nan"), float("inf"), "3", True, None):
        with pytest.raises(LessonError) as err:
            e.evaluate({"x": 1.0, "y": bad})
        assert err.value.code == "expr_bad_value"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_random_text_never_crashes(text):
    """Any text is either read or rejected with a LessonError - nothing else escapes."""
    try:
        e = parse(text)
    except LessonError as exc:
        assert exc.code.startswith("expr_")
        return
    values = {name: 0.7 for name in e.variables}
    try:
        value = e.evaluate(values)
    except LessonError as exc:
        assert exc.code in ("expr_overflow", "expr_domain")
        return
    assert math.isfinite(value)


ALPHABET = "xyz0123456789.+-*/^()e, pi exp log max relu sigmoid"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_random_expression_like_text_never_crashes(text):
    try:
        parse(text)
    except LessonError as exc:
        assert exc.code.startswith("expr_")


def _expressions():
    leaf = st.one_of(st.sampled_from(VARS),
                     st.floats(0.1, 5, allow_nan=False).map(lambda v: f"{v:.3g}"))

    def extend(children):
        return st.one_of(
            st.tuples(children, st.sampled_from("+-*"), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["exp", "tanh", "sigmoid", "relu", "sin", "cos", "abs"]),
                      children).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["max", "min"]), children, children)
              .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            children.map(lambda c: f"-{c}"),
            children.map(lambda c: f"({c})^2"),
        )

    return st.recursive(leaf, extend, max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(_expressions(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_random_valid_expressions_agree_with_python(text, x, y, z):
    """Valid expressions parse, print back to the same tree, and evaluate like Python would."""
    e = parse(text)
    assert parse(to_text(e.tree)).tree == e.tree
    values = {"x": x, "y": y, "z": z}
    env = {"exp": math.exp, "tanh": math.tanh, "relu": lambda a: max(a, 0.0),
           "sigmoid": lambda a: 1 / (1 + math.exp(-a)), "sin": math.sin, "cos": math.cos,
           "abs": abs, "max": max, "min": min, **values}
    # The oracle: the same text run by Python itself on trusted, generated input only.
    expected = eval(text.replace("^", "**"), {"__builtins__": {}}, env)  # noqa: S307
    try:
        got = e.evaluate({k: values[k] for k in e.variables})
    except LessonError:
        assert not math.isfinite(expected) or abs(expected) > 1e300
        return
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_length_limit_is_checked_first():
    with pytest.raises(LessonError) as err:
        parse("x+" * MAX_LENGTH + "x")
    assert err.value.code == "expr_too_long"
