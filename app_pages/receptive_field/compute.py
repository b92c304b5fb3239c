"""The receptive-field lesson's unit arithmetic: a pure function of its settings, cached, returning a frozen result.

Every number comes from ``cnnlab.geometry.receptive``; this module only bundles the answers for both axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

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
