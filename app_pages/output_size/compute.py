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


@dataclass(frozen=True)
class AxisExplanation:
    """What the floor does on one axis of a convolution or pooling (``shapes.explain``)."""
    out: int
    numerator: int             # i + 2p - d(k - 1) - 1
    remainder: int             # what the floor drops
    even: bool                 # the stride divides the numerator
    extra: int                 # cells past the padded edge that ceil-mode windows reach
    never: tuple               # input cells (counted from 0) no window reads
    gaps: bool                 # some of them lie between a dilated window's taps, not at the end
    same_inputs: tuple         # (lo, hi): every input size giving the same output size
    fixes: tuple               # ((setting, value), ...) that make the stride divide evenly


@st.cache_data(max_entries=256, show_spinner=False)
def explain(mode: str, axis: tuple, ceil: bool) -> AxisExplanation:
    """``axis`` is ``(i, k, p, s, d)`` of a valid convolution (``mode`` "conv") or pooling ("pool")."""
    i, k, p, s, d = axis
    kind = "pool" if mode == "pool" else "conv"
    info = shapes.explain(i, k, s, p, d, ceil, kind)
    never = tuple(int(v) for v in info["never_input"])
    tail = set(range(i - info["tail"], i)) if info["tail"] else set()
    fixes = tuple(tuple(f) for f in shapes.suggest_fixes(i, k, s, p, d, kind))
    return AxisExplanation(int(info["out"]), int(info["numerator"]), int(info["remainder"]), bool(info["even"]),
                           int(info["extra"]), never, any(v not in tail for v in never),
                           tuple(int(v) for v in info["same_inputs"]), fixes)


@dataclass(frozen=True)
class AxisPicture:
    """One axis of the window picture: visits per padded cell, which cells are padding (or inserted zeros)."""
    counts: tuple              # how many windows read each cell of the padded axis
    pad: tuple                 # True where the cell is padding / an inserted zero
    stride: int                # the stride the windows move by in this picture


@st.cache_data(max_entries=256, show_spinner=False)
def axis_picture(mode: str, axis: tuple, out: int, op: int) -> AxisPicture | None:
    """``axis`` is ``(i, k, p, s, d)``; ``None`` for a transposed convolution whose picture would crop."""
    i, k, p, s, d = axis
    if mode == "transposed":
        tc = shapes.transposed_as_conv(i, k, s, p, d, op)
        if tc["before"] < 0 or tc["after"] < 0:
            return None
        counts = shapes.visits(out, k, 1, d, tc["length"])
        real = set(int(c) for c in tc["cells"])
        return AxisPicture(tuple(int(c) for c in counts), tuple(n not in real for n in range(len(counts))), 1)
    counts = shapes.visits(out, k, s, d, i + 2 * p)
    return AxisPicture(tuple(int(c) for c in counts), tuple(not (p <= n < p + i) for n in range(len(counts))), s)


@dataclass(frozen=True)
class LayerParams:
    """A convolution layer's output shape and learnable parameters (``shapes``)."""
    out: int                   # output rows = columns
    per_filter: int            # k·k·C_in (+ 1 with a bias)
    weights: int               # k·k·C_in·C_out
    total: int                 # per_filter · C_out


@st.cache_data(max_entries=256, show_spinner=False)
def layer_params(size: int, k: int, c_in: int, c_out: int, p: int, s: int, bias: bool) -> LayerParams:
    """A ``size x size x c_in`` input, ``c_out`` filters of ``k x k``, padding ``p``, stride ``s``.

    Raises ``ValueError`` (a :class:`LessonError`) when the kernel does not fit the padded input."""
    out = shapes.conv_output_size(size, k, s, p)
    total = shapes.conv_params(k, c_in, c_out, bias=bias)
    return LayerParams(out, total // c_out, shapes.conv_params(k, c_in, c_out, bias=False), total)


@dataclass(frozen=True)
class FeatureCount:
    """Values a bank of learned features produces on one image (``shapes.feature_count``)."""
    out: int                   # side of each feature map
    per_map: int               # out · out
    total: int                 # per_map · features


@st.cache_data(max_entries=256, show_spinner=False)
def feature_count(size: int, k: int, features: int) -> FeatureCount:
    o, total = shapes.feature_count(size, k, features)
    return FeatureCount(o, o * o, total)


@dataclass(frozen=True)
class Connectivity:
    """Weights (no biases) to connect an image to hidden units three ways (``shapes.connectivity_comparison``)."""
    fc: int                    # every unit sees every pixel
    local: int                 # every unit sees its own window
    conv: int                  # all units share one window's weights


@st.cache_data(max_entries=64, show_spinner=False)
def connectivity(image: int, hidden: int, window: int) -> Connectivity:
    comp = shapes.connectivity_comparison(image, hidden, window)
    return Connectivity(comp["fc"], comp["local"], comp["conv"])
