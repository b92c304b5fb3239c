"""Argument checks shared by the core: fail early with a sentence a student understands."""

from __future__ import annotations

import numbers

import numpy as np


class LessonError(ValueError):
    """A ``ValueError`` that also carries a ``code`` and ``params`` for translation.

    The English message is for Python users; the app shows the catalog entry
    ``error.<code>`` filled with ``params`` (string params that name a term,
    such as ``"stride"``, are translated through ``term.<name>``).
    """

    def __init__(self, code, message, **params):
        super().__init__(message)
        self.code = code
        self.params = params


def _check_int(value, name, lowest, code, wanted):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise LessonError(code, f"{name} must be {wanted}, got {value!r}.", name=name, value=str(value))
    if not np.isfinite(value) or float(value) != int(value) or value < lowest:
        raise LessonError(code, f"{name} must be {wanted}, got {value}.", name=name, value=f"{value:g}")
    return int(value)


def check_positive_int(value, name):
    """Return ``value`` as an int, or raise ``ValueError`` unless it is a whole number >= 1."""
    return _check_int(value, name, 1, "positive_int", "a positive integer")


def check_nonnegative_int(value, name):
    """Return ``value`` as an int, or raise ``ValueError`` unless it is a whole number >= 0."""
    return _check_int(value, name, 0, "nonnegative_int", "a whole number >= 0")


def check_finite(a, name):
    """Raise ``ValueError`` if the array holds NaN or infinity."""
    if not np.all(np.isfinite(a)):
        raise LessonError("not_finite",
                          f"{name} contains values that are not finite numbers (NaN or infinity).",
                          name=name)
    return a


def check_pair(value, name, check=check_positive_int):
    """One number or a ``(rows, cols)`` pair -> a pair, each value validated by ``check``."""
    if np.isscalar(value):
        value = (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise LessonError("bad_pair", f"{name} must be one number or a (rows, cols) pair.", name=name)
    return tuple(check(v, name) for v in value)
