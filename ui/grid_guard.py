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
"""

from __future__ import annotations

import logging

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
