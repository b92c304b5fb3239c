"""Full-width input from a Chinese keyboard, and the words the core's messages name."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from cnnlab.calculus.expr import SYNTAX_TERMS, parse
from cnnlab.checks import LessonError
from cnnlab.text import normalize_text, parse_number
from cnnlab.vision.filters import parse_kernel

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("typed, plain", [
    ("（x+y）*z", "(x+y)*z"), ("x＋y", "x+y"), ("x×y", "x*y"), ("x·y", "x*y"), ("x÷y", "x/y"),
    ("x − y", "x - y"), ("５ ０；０ ５", "5 0;0 5"), ("１，２、３", "1,2,3"), ("x²+y³", "x^2+y^3"),
    ("x⁻¹", "x^-1"), ("２π", "2pi"), ("ｓｉｎ（ｘ）", "sin(x)"), ("x\u3000+\u3000y", "x + y"), ("", ""),
])
def test_normalize_text(typed, plain):
    assert normalize_text(typed) == plain
    assert normalize_text(plain) == plain            # ASCII is left alone


def test_full_width_expressions_read_like_ascii():
    for typed, ascii_text in [("（x+y）*z", "(x+y)*z"), ("x＋y", "x+y"), ("x×y·z", "x*y*z"), ("x÷y", "x/y"),
                              ("x²", "x^2"), ("max（x，y）", "max(x, y)")]:
        values = {"x": 1.5, "y": -2.0, "z": 3.0}
        assert parse(typed).evaluate(values) == pytest.approx(parse(ascii_text).evaluate(values)), typed
    assert parse("（x＋y）×z").variables == ("x", "y", "z")
    with pytest.raises(LessonError) as err:                 # still a whitelist after normalising
        parse("x＝y")
    assert err.value.code == "expr_bad_char"


def test_full_width_kernel():
    np.testing.assert_array_equal(parse_kernel(normalize_text("５ ０；０ ５")), [[5, 0], [0, 5]])
    np.testing.assert_array_equal(parse_kernel(normalize_text("１，－１；－１，１")), [[1, -1], [-1, 1]])


def test_parse_number():
    assert parse_number("１.５") == 1.5 and parse_number("−2") == -2.0 and parse_number(" 1e3 ") == 1000.0
    assert parse_number("１ｅ－３") == pytest.approx(1e-3)
    for bad in ("", None, "1e400", "1,5", "2x", "1/2", "inf", "nan", "1" * 100):
        with pytest.raises(LessonError) as err:
            parse_number(bad, "learning rate")
        assert err.value.code == "bad_number" and err.value.params["name"] == "learning rate"


@pytest.mark.parametrize("text, term", [("x.real", "syntax_attribute"), ("x if y else z", "syntax_if"),
                                        ("x, y", "syntax_collection"), ("x // y", "syntax_operator"),
                                        ("max(*x)", "syntax_keyword"), ("True", "syntax_other"),
                                        ("2j", "syntax_complex"), ("not x", "syntax_logic"),
                                        ("x and y", "syntax_logic")])
def test_refused_syntax_is_named_in_words_not_python_class_names(text, term):
    with pytest.raises(LessonError) as err:
        parse(text)
    assert err.value.code == "expr_unsupported" and err.value.params["what"] == term
    assert not re.search(r"\b(Attribute|IfExp|Tuple|FloorDiv|Starred|Constant|NoneType|BoolOp)\b", str(err.value))


def _core_terms():
    """Every name the core passes as a message parameter that the app translates through ``term.*``."""
    names = set(SYNTAX_TERMS.values()) | {"syntax_other", "None"}
    for path in (ROOT / "cnnlab").rglob("*.py"):
        src = path.read_text("utf-8")
        names |= set(re.findall(r'check_(?:positive_int|nonnegative_int|finite|pair)\([^\n]*?,\s*"([^"]+)"\)', src))
        names |= set(re.findall(r'_int_setting\([^,\n]+,\s*"([^"]+)"', src))
        names |= set(re.findall(r'\b(?:name|setting|what)="([^"]+)"', src))
    from cnnlab.geometry.cost import LIMITS  # the layer settings a network description may get wrong

    names |= {name for settings in LIMITS.values() for name in settings}
    return {n for n in names if not re.fullmatch(r"[A-Z]\d+|conv\d+|pool\d+", n)}   # layer names stay as they are


def test_every_term_the_core_names_is_in_both_catalogs():
    terms = _core_terms()
    assert {"steps", "units", "batch size", "syntax_attribute"} <= terms      # the scan finds them
    for lang in ("en", "zh"):
        cat = json.loads((ROOT / "assets" / "i18n" / f"{lang}.json").read_text("utf-8"))
        missing = sorted(n for n in terms if f"term.{n}" not in cat)
        assert not missing, (lang, missing)
    zh = json.loads((ROOT / "assets" / "i18n" / "zh.json").read_text("utf-8"))
    assert zh["term.None"] != "None"           # an empty cell is not shown as Python's None


def test_byte_units():
    from cnnlab.text import byte_units

    assert byte_units(0) == (0.0, "B") and byte_units(1023) == (1023.0, "B") and byte_units(1024) == (1.0, "KB")
    assert byte_units(4 * 4096 ** 2) == (64.0, "MB")                       # the 4096 x 4096 float32 Jacobian
    value, unit = byte_units(4 * (100_000 * 1024) ** 2)                    # the largest the lesson allows
    assert unit == "PB" and value == pytest.approx(4 * (100_000 * 1024) ** 2 / 2 ** 50) and 1 <= value < 1024
    with pytest.raises(LessonError):
        byte_units(float("nan"))


def test_an_empty_setting_is_not_shown_as_python_none():
    from ui.errors import message
    from ui.i18n import Translator

    exc = LessonError("train_bad_setting", "layer 2 (conv): filters must be a whole number from 1 to 256, "
                      "got None.", layer=2, setting="filters", lo=1, hi=256, value="None")
    for lang in ("en", "zh"):
        text = message(exc, Translator(lang))
        assert "None" not in text and ("empty" in text or "空" in text), text
    assert "卷积核个数必须" in message(exc, Translator("zh"))              # no stray space before 必须
