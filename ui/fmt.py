"""Numbers as the lessons write them: one module, so a number reads the same on every page.

- :func:`num` - a value in a formula or a message: ``3``, ``0.50``, ``-1.25`` (two decimals unless whole).
- :func:`cell` - a value written inside a grid cell: whole numbers as integers, else two decimals
  (no decimals from 100 on, so that the number fits its cell).
- :func:`sig` - a value with a few significant digits (losses, learning rates): ``0.0123``, ``1.5e+04``;
  ``inf`` / ``nan`` spelled out.
- :func:`math_num` - a number as a student writes it in a derivation, with a true minus sign: ``−2``, ``0.7311``.
- :func:`shape` - an array shape: ``1 × 28 × 28``.
- :func:`grouped` - a whole count with thousands separators: ``73,856``.
- :func:`big` - a large count: exact below ten million, else ``10¹²`` or ``2.5 × 10⁹``.
- :func:`sci` - :func:`sig`, with a power of ten written as a student writes it: ``2.75 × 10⁻¹²``, not ``2.75e-12``.
"""

from __future__ import annotations

import math


def num(v):
    """``3`` for a whole number, else two decimals: ``0.50``."""
    v = float(v)
    return f"{v:g}" if abs(v - round(v)) < 1e-9 else f"{v:.2f}"


def cell(v):
    """A value inside a grid cell: whole numbers as integers, two decimals below 100, none above."""
    v = float(v)
    if abs(v - round(v)) < 1e-9:
        return f"{int(round(v))}"
    return f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"


def sig(v, digits=4):
    """``digits`` significant digits; non-finite values as ``inf`` / ``nan``."""
    v = float(v)
    return f"{v:.{digits}g}" if math.isfinite(v) else str(v)


def math_num(v, digits=4):
    """A number as a student would write it: −2, 0.7311, 1.2e+05 (with a true minus sign)."""
    v = float(v)
    if v == 0:
        return "0"
    if abs(v - round(v)) < 1e-9 and abs(v) < 1e6:
        return f"{int(round(v))}".replace("-", "−")
    return f"{v:.{digits}g}".replace("-", "−")


def shape(dims):
    """An array shape: ``1 × 28 × 28``."""
    return " × ".join(str(s) for s in dims)


def grouped(v):
    """A whole count with thousands separators: ``73,856``."""
    return f"{int(v):,}"


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def big(v):
    """A large count as a student reads it: exact below ten million (``3,168,400``), else a power of
    ten (``10¹²``, ``2.5 × 10⁹``)."""
    v = int(v)
    if abs(v) < 10_000_000:
        return grouped(v)
    e = len(str(abs(v))) - 1
    mant = v / 10 ** e
    power = "10" + str(e).translate(_SUPERSCRIPT)
    if abs(mant - round(mant)) < 1e-9 and round(mant) == 1:
        return power if v > 0 else "−" + power
    return f"{mant:.3g} × {power}".replace("-", "−")


def sci(v, digits=3):
    """``digits`` significant digits, a very small or large value as ``2.75 × 10⁻¹²`` (not ``2.75e-12``, which
    also wraps at its "-"); ``inf`` / ``nan`` spelled out."""
    text = sig(v, digits)
    if "e" not in text or not math.isfinite(float(v)):
        return text
    mant, exp = text.split("e")
    return f"{mant} × 10{str(int(exp)).translate(_SUPERSCRIPT)}".replace("-", "−")
