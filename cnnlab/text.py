"""What a student types, made plain before it is read: full-width input from a Chinese keyboard.

A Chinese input method easily produces full-width characters: ``（x＋y）＊z``,
``５ ０；０ ５``, the ideographic space, and math signs from a symbol palette
(``×``, ``·``, ``÷``, ``−``). :func:`normalize_text` turns them into the ASCII the
readers expect, so ``（x+y）×z`` reads as ``(x+y)*z``:

1. superscript exponents become ``^`` powers (``x²`` -> ``x^2``, ``x⁻¹`` -> ``x^-1``),
   before step 2 would flatten them into plain digits (``x2``, a variable name);
2. Unicode NFKC: full-width letters, digits, brackets, operators, the comma
   ``，``, the semicolon ``；`` and the ideographic space become ASCII;
3. the signs NFKC leaves alone: ``×`` ``·`` ``⋅`` ``∙`` ``∗`` -> ``*``, ``÷`` ``⁄`` ``∕`` -> ``/``,
   ``−`` ``–`` ``﹣`` -> ``-``, the enumeration comma ``、`` -> ``,``, ``π`` -> ``pi``.

Nothing is evaluated here; the readers (:func:`cnnlab.calculus.expr.parse`, the
kernel reader) still check every character they get.
"""

from __future__ import annotations

import math
import re
import unicodedata

from .checks import LessonError

MAX_NUMBER_TEXT = 64

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺·", "0123456789-+.")
_SUPER_RUN = re.compile(r"[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_SIGNS = str.maketrans({"×": "*", "·": "*", "⋅": "*", "∙": "*", "∗": "*", "÷": "/", "⁄": "/", "∕": "/",
                        "−": "-", "–": "-", "﹣": "-", "、": ",", "π": "pi"})
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def normalize_text(text):
    """``text`` with full-width characters and math signs replaced by their ASCII forms (see the module).

    >>> normalize_text("（x＋y）×z")
    '(x+y)*z'
    >>> normalize_text("５ ０；０ ５")
    '5 0;0 5'
    >>> normalize_text("x²·y")
    'x^2*y'

    ``None`` gives ``""``; any other non-text value is returned unchanged (the
    reader then reports it).
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        return text
    text = _SUPER_RUN.sub(lambda m: "^" + m.group(0).translate(_SUPERSCRIPT), text)
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_SIGNS)


def parse_number(text, name="value"):
    """One number typed as text (full width allowed): ``"１.５"`` -> 1.5, ``"−2"`` -> -2.0, ``"1e3"`` -> 1000.0.

    Only a plain decimal or scientific number is read (never evaluated); the
    result must be finite.

    Raises
    ------
    LessonError ``bad_number`` (params ``name``, ``value``) for empty text, anything
    that is not one number, or a number too large for a float (``1e400``).
    """
    raw = "" if text is None else str(text)
    plain = normalize_text(raw[:MAX_NUMBER_TEXT * 4]).strip().replace(" ", "")
    if not plain or len(plain) > MAX_NUMBER_TEXT or not _NUMBER.fullmatch(plain):
        raise LessonError("bad_number", f"{name} must be a number such as 2, -0.5 or 1e-3, got {raw[:20]!r}.",
                          name=name, value=raw[:20])
    value = float(plain)
    if not math.isfinite(value):
        raise LessonError("bad_number", f"{name} is too large, got {raw[:20]!r}.", name=name, value=raw[:20])
    return value


BYTE_UNITS = ("B", "KB", "MB", "GB", "TB", "PB", "EB")


def byte_units(nbytes):
    """``(value, unit)`` with ``1 <= value < 1024`` (binary units, 1 KB = 1024 B) for a size in bytes.

    >>> byte_units(39_062_500 * 2 ** 30)
    (37.25290298461914, 'PB')

    Sizes below 1 KB stay in bytes; beyond the largest unit the value grows.
    """
    value = float(nbytes)
    if not math.isfinite(value) or value < 0:
        raise LessonError("bad_number", f"a size in bytes must be a finite number >= 0, got {nbytes}.",
                          name="size", value=str(nbytes))
    unit = 0
    while value >= 1024 and unit < len(BYTE_UNITS) - 1:
        value /= 1024
        unit += 1
    return value, BYTE_UNITS[unit]
