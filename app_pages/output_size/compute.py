"""The output-size lesson's arithmetic: pure functions of its settings, cached, returning frozen results.

Every number comes from ``cnnlab.geometry.shapes``; this module only bundles the answers per axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnlab.checks import LessonError
from cnnlab.geometry import shapes


@dataclass(frozen=True)
class Sizes:
    outs: tuple | None         # (rows, cols) output size, or None when an axis fails
    axis: int | None           # the first axis that fails (0 rows, 1 cols)
    code: str | None           # its LessonError code (None for a plain ValueError)
    message: str               # the English message
    params: tuple              # the error's params as sorted (name, value) pairs
    fixes: tuple               # the fixes cnnlab suggests for that axis

    def error(self):
        """The failing axis's error, rebuilt (exceptions do not go through the cache)."""
        if self.code is None:
            return ValueError(self.message)
        return LessonError(self.code, self.message, **dict(self.params))


@st.cache_data(max_entries=256, show_spinner=False)
def sizes(mode: str, axes: tuple, ceil: bool, op: int) -> Sizes:
    """``axes`` is ``((i, k, p, s, d) rows, (i, k, p, s, d) cols)``."""
    outs = []
    for n, (i, k, p, s, d) in enumerate(axes):
        try:
            outs.append(shapes.output_size(mode, i, k, s, p, d, ceil, op))
        except ValueError as exc:
            fixes = tuple(tuple(f) for f in shapes.suggest_fixes(i, k, s, p, d, mode, op))
            code = getattr(exc, "code", None)
            params = tuple(sorted(getattr(exc, "params", {}).items()))
            return Sizes(None, n, code, str(exc), params, fixes)
    return Sizes(tuple(outs), None, None, "", (), ())
