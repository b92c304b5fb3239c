"""Keep a data editor's edits inside its table, whatever a client sends.

The browser sends a data editor's edits as JSON (``edited_rows``, ``added_rows``,
``deleted_rows``), and Streamlit applies them inside ``st.data_editor`` before the
lesson sees the table. A client that is not our page can send edits no grid has:
3,000 added rows cost 14-17 s of server CPU and ~140 MB on a 7 x 7 grid (more
than 60 s on the layer tables), and an edited row or column outside the table
made ``st.data_editor`` itself raise (IndexError / KeyError) - a traceback box.

:func:`bound_edits`, called right before ``st.data_editor(key=key)``, trims the
pending edits of that key in place to the table's rows and columns and to at
most ``max_rows`` rows in all (no added rows for a fixed grid), so the editor
never applies more than the lesson allows. Everything a real student can do in
the grid (edit a cell, add or delete rows up to the limit) is left as it is.

:func:`number_grid` is the one editable number grid of the lessons (convolution, pooling): it names
every bad cell and keeps the last good grid.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import streamlit as st

logger = logging.getLogger(__name__)
INDEX = "_index"  # the column name Streamlit uses for the index in edits


def bound_edits(key, n_rows, columns, max_rows=None):
    """Trim the pending edits of the data editor ``key``; returns how many edits were dropped.

    ``n_rows`` and ``columns`` describe the table passed to the editor; ``max_rows`` is
    the most rows the edited table may have (``None``: as many as it has, no additions).
    """
    try:
        state = st.session_state[key]
    except KeyError:  # first run of this editor: nothing pending
        return 0
    if not isinstance(state, dict):
        return 0
    # Streamlit's DataEditorState is a read-only view; the dicts and lists inside it are the
    # ones st.data_editor applies next, so they are trimmed in place through dict's own get.
    edited = dict.get(state, "edited_rows") or {}
    added = dict.get(state, "added_rows")
    deleted = dict.get(state, "deleted_rows")
    names = {str(c) for c in columns} | {INDEX}
    max_rows = n_rows if max_rows is None else max_rows
    dropped = 0
    for row in list(edited):
        if not (isinstance(row, int) and 0 <= row < n_rows) or not isinstance(edited[row], dict):
            del edited[row]
            dropped += 1
            continue
        for col in [c for c in edited[row] if str(c) not in names]:
            del edited[row][col]
            dropped += 1
    if isinstance(deleted, list):
        keep = sorted({r for r in deleted if isinstance(r, int) and 0 <= r < n_rows})
        dropped += len(deleted) - len(keep)
        deleted[:] = keep
    if isinstance(added, list):
        room = max(0, max_rows - (n_rows - len(deleted or [])))
        dropped += max(0, len(added) - room)
        del added[room:]
        for i, row in enumerate(added):
            if not isinstance(row, dict):
                added[i] = {}
                dropped += 1
                continue
            for col in [c for c in row if str(c) not in names or c == INDEX]:
                del row[col]
                dropped += 1
    if dropped:
        logger.warning("data editor %s: ignored %d edits outside its table", key, dropped)
    return dropped


# ----------------------------------------------------------------------------- editable number grids
#: A grid cell beyond this is a typing slip (``1e308``), not a lesson value.
GRID_LIMIT = 1e6
#: Widths in pixels of a grid's row-number column and of its narrowest number column. The lesson sizes
#: its columns with :func:`grid_width`, so that the whole grid shows (issue 16: at 1280 px a 9 x 9 input
#: showed columns 0-6 and a 5 x 5 kernel hid column 4).
INDEX_PX = 34
COLUMN_PX = 40


def cell_text(v):
    """A grid value as its cell shows it: ``3``, ``-1``, ``0.0625``, ``0.1111``."""
    v = float(v)
    return f"{int(round(v))}" if abs(v - round(v)) < 1e-9 and abs(v) < 1e15 else f"{v:.4g}"


def column_px(values):
    """The width of one column of the grid ``values``: room for its longest number."""
    longest = max((len(cell_text(v)) for v in np.asarray(values, dtype=float).ravel()), default=1)
    return max(COLUMN_PX, 9 * longest + 14)


def grid_width(values):
    """The width in pixels of the editable grid of ``values`` (row numbers, columns, border)."""
    values = np.asarray(values, dtype=float)
    return INDEX_PX + values.shape[1] * column_px(values) + 2


def parse_grid(table, original=None):
    """The edited grid as floats and the ``(row, column)`` of every empty, non-numeric or huge cell.

    ``table`` holds text (or numbers); ``original`` (the grid the editor was given) keeps the exact value
    of every cell whose text was not changed (a box blur's 1/9 stays 1/9, not 0.111111)."""
    rows, bad = [], []
    base = None if original is None else np.asarray(original, dtype=float)
    for i, row in enumerate(np.asarray(table, dtype=object)):
        vals = []
        for j, v in enumerate(row):
            if base is not None and isinstance(v, str) and v == cell_text(base[i, j]):
                vals.append(float(base[i, j]))
                continue
            try:
                f = float(v.strip().replace("−", "-")) if isinstance(v, str) else float(v)
            except (TypeError, ValueError, AttributeError):
                f = float("nan")
            if not (np.isfinite(f) and abs(f) <= GRID_LIMIT):
                bad.append((i, j))
                f = 0.0
            vals.append(f)
        rows.append(vals)
    return np.array(rows, dtype=float), bad


def number_grid(t, values, key, caption=None):
    """An editable grid of numbers; returns the grid as floats, or the last good grid of ``key``.

    One behaviour for every lesson (issue 16): the cells are text, so that what the student typed
    reaches the page as typed (a number cell of the browser grid turns ``1e308`` into ``1308`` on its
    own); a cell that is empty, not a number or beyond ±``GRID_LIMIT`` is named in a translated
    message, and the page keeps the last complete grid. A client cannot add rows or columns
    (:func:`bound_edits`). The grid's hover toolbar (search, download, full screen: no use on a 5 x 5
    grid) is hidden, so that it does not cover the control above it.
    """
    values = np.asarray(values, dtype=float)
    n_rows, n_cols = values.shape
    names = [str(j) for j in range(n_cols)]
    table = pd.DataFrame([[cell_text(v) for v in row] for row in values], columns=names)
    bound_edits(key, n_rows, names)
    col_px = column_px(values)
    config = {c: st.column_config.TextColumn(c, width=col_px, alignment="right") for c in names}
    config["_index"] = st.column_config.Column(width=INDEX_PX)
    box = "cnnlab_grid_" + re.sub(r"[^A-Za-z0-9_-]", "_", key)
    # the grid's own width (numbers of ours only): its column keeps it and wraps below its neighbour
    px = grid_width(values)
    # (not on a phone, where the columns stack and a grid wider than the screen scrolls inside itself)
    st.html(f"<style>@media (min-width: 641px) {{ .st-key-{box} {{ min-width: {px}px; }} "
            f"[data-testid='stColumn']:has(.st-key-{box}) {{ min-width: {px}px !important; }} }}</style>")
    with st.container(key=box):
        edited = st.data_editor(table, key=key, column_config=config, width="content",
                                alt=t("grid.alt", rows=n_rows, cols=n_cols))
        if caption:
            st.caption(caption)
    x, bad = parse_grid(edited, values)
    good = f"{key}._last_good"
    if not bad:
        st.session_state[good] = x
        return x
    cells = ", ".join(t("grid.cell_name", r=r, c=c) for r, c in bad[:6]) + (" …" if len(bad) > 6 else "")
    st.error(t("grid.bad_cells", cells=cells, limit=f"{GRID_LIMIT:,.0f}"), icon=":material/error:")
    return st.session_state.get(good, values)
