"""The receptive-field lesson's unit arithmetic: a pure function of its settings, cached, returning a frozen result.

Every number comes from ``cnnlab.geometry.receptive``; this module only bundles the answers for both axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnlab.checks import LessonError
from cnnlab.geometry import receptive


@dataclass(frozen=True)
class Region:
    rows: tuple                # (u, v) inclusive input rows the unit sees (may reach into the padding)
    cols: tuple
    rows_clip: tuple           # the same, clipped to the image
    cols_clip: tuple
    centre: tuple              # (row, col) centre of the region
    in_padding: bool


@st.cache_data(max_entries=256, show_spinner=False)
def region(layers: tuple, layer: int, ur: int, uc: int, size: int) -> Region:
    """``layers`` is a tuple of sorted ``(name, value)`` item tuples, one per layer; ``layer`` counts from 1."""
    rows = receptive.receptive_field([dict(lay) for lay in layers], size)[:layer]
    r, c = receptive.unit_region(rows, ur, size), receptive.unit_region(rows, uc, size)
    return Region((r["u"], r["v"]), (c["u"], c["v"]), (r["u_clip"], r["v_clip"]), (c["u_clip"], c["v_clip"]),
                  (r["centre"], c["centre"]), bool(r["in_padding"] or c["in_padding"]))


@dataclass(frozen=True)
class Row:
    """One layer of the table (``receptive.receptive_field``)."""
    name: str
    type: str                  # "conv" or "pool"
    kernel: int
    stride: int
    layer_padding: int         # the layer's own padding p
    dilation: int
    size: int                  # receptive field r
    jump: int                  # j, the product of the strides so far
    padding: int               # effective padding P
    start: float               # centre of unit 0 on the input
    out: int | None            # this layer's output size (None when the stack does not fit the input)
    exceeds: bool              # the field is larger than the input


@dataclass(frozen=True)
class Failure:
    """A LessonError as plain data (exceptions do not go through the cache)."""
    code: str | None
    message: str
    params: tuple              # sorted (name, value) pairs

    @classmethod
    def of(cls, exc):
        return cls(getattr(exc, "code", None), str(exc), tuple(sorted(getattr(exc, "params", {}).items())))

    def error(self):
        return ValueError(self.message) if self.code is None else LessonError(self.code, self.message,
                                                                               **dict(self.params))


@dataclass(frozen=True)
class Stack:
    """The table of a stack on an input: ``rows`` (empty when nothing can be computed), whether they carry
    output sizes, and why not (``error``: the stack does not fit; ``cause``: the layer's own reason)."""
    rows: tuple
    with_out: bool
    error: Failure | None
    cause: Failure | None


def _rows(raw, with_out):
    return tuple(Row(r["name"], r["type"], r["kernel"], r["stride"], r["layer_padding"], r["dilation"], r["size"],
                     r["jump"], r["padding"], float(r["start"]), r["out"] if with_out else None,
                     bool(r.get("exceeds", False))) for r in raw)


@st.cache_data(max_entries=256, show_spinner=False)
def stack(layers: tuple, size: int) -> Stack:
    """``layers`` as for :func:`region`; the rows with output sizes, or without them if a layer does not fit."""
    dicts = [dict(lay) for lay in layers]
    try:
        return Stack(_rows(receptive.receptive_field(dicts, size), True), True, None, None)
    except ValueError as exc:
        error = Failure.of(exc)
        cause = Failure.of(exc.__cause__) if exc.__cause__ is not None else error
    try:
        rows = _rows(receptive.receptive_field(dicts), False)
    except ValueError:
        rows = ()
    return Stack(rows, False, error, cause)
