"""The architecture editor of the training lesson: a preset, an editable layer table, shapes checked.

The table has one row per layer and one column per setting; a setting that
does not apply to a layer type is left empty. ``description_from_rows``
turns the table into the plain description ``cnnlab.nn.model.Model`` builds
(and checks) - the UI never decides whether a shape fits.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from cnnlab.nn.layers import LAYER_TYPES
from cnnlab.nn.model import PRESETS, Model
from ui import errors, fmt
from ui.grid_guard import bound_edits

#: The most layers the table may have (LeNet-5 has 12); rows a client adds beyond it are ignored.
MAX_ROWS = 30
COLUMNS = ("type", "filters", "kernel", "size", "stride", "padding", "units", "rate")
APPLIES = {
    "conv": ("filters", "kernel", "stride", "padding"),
    "maxpool": ("size", "stride"), "avgpool": ("size", "stride"),
    "dense": ("units",), "dropout": ("rate",),
}


def rows_from_description(description):
    """Table rows (dicts over :data:`COLUMNS`, ``None`` where a setting does not apply)."""
    rows = []
    for layer in description:
        row = dict.fromkeys(COLUMNS)
        row["type"] = layer["type"]
        for key in APPLIES.get(layer["type"], ()):
            row[key] = layer.get(key)
        rows.append(row)
    return rows


def _present(v):
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def description_from_rows(rows):
    """The plain description from table rows; empty cells fall back to the layer's defaults."""
    desc = []
    for row in rows:
        kind = row.get("type")
        if not _present(kind):
            kind = None
        layer = {"type": kind}
        for key in APPLIES.get(kind, ()):
            v = row.get(key)
            if _present(v):
                layer[key] = float(v) if key == "rate" else (int(v) if float(v) == int(v) else float(v))
        desc.append(layer)
    return desc


NEW_LAYER = {"conv": {"filters": 8, "kernel": 3, "padding": 1}, "maxpool": {"size": 2}, "avgpool": {"size": 2},
             "dense": {"units": 64}, "dropout": {"rate": 0.5}}


def insert_layer(description, row, below, kind):
    """A copy of ``description`` with a new ``kind`` layer just above (or below) layer ``row`` (0-based)."""
    desc = [dict(layer) for layer in description]
    at = min(max(0, row + (1 if below else 0)), len(desc))
    desc.insert(at, {"type": kind, **NEW_LAYER.get(kind, {})})
    return desc


def move_layer(description, row, step):
    """A copy with layer ``row`` moved ``step`` places (-1 up, +1 down); unchanged at either end."""
    desc = [dict(layer) for layer in description]
    to = row + step
    if 0 <= row < len(desc) and 0 <= to < len(desc):
        desc[row], desc[to] = desc[to], desc[row]
    return desc


def delete_layer(description, row):
    """A copy without layer ``row``."""
    return [dict(layer) for i, layer in enumerate(description) if i != row]


def _edits():
    """preset -> (version, base description, edited description), kept while the tab is closed."""
    return st.session_state.setdefault("train.editor", {})


def current_description(preset):
    """The description last edited for ``preset`` (the preset itself if never edited)."""
    return _edits().get(preset, (0, PRESETS[preset], PRESETS[preset]))[2]


def editor(t, preset):
    """The editable layer table for ``preset``; returns the edited description.

    Only the open tab is drawn (ui/tabs.py), and Streamlit forgets the edits of a table that was
    not drawn; so the edited description is kept in plain state, and a table that was forgotten
    starts again from it (under a new key, so that its edits are not applied twice).
    """
    version, base, current = _edits().get(preset, (0, PRESETS[preset], PRESETS[preset]))
    key = f"train.arch.{preset}" + (f".{version}" if version else "")
    if key not in st.session_state and current != base:
        version, base = version + 1, current
        key = f"train.arch.{preset}.{version}"
    df = pd.DataFrame(rows_from_description(base), columns=list(COLUMNS))
    df.index = pd.RangeIndex(1, len(df) + 1)          # rows counted from 1, as the row tools and the summary
    num = st.column_config.NumberColumn
    config = {
        "type": st.column_config.SelectboxColumn(t("train.col_type"), options=list(LAYER_TYPES),
                                                 required=True, help=t("train.col_type_help")),
        "filters": num(t("train.col_filters"), min_value=1, max_value=256, step=1, help=t("train.col_filters_help")),
        "kernel": num(t("train.col_kernel"), min_value=1, max_value=11, step=1, help=t("train.col_kernel_help")),
        "size": num(t("train.col_size"), min_value=1, max_value=8, step=1, help=t("train.col_size_help")),
        "stride": num(t("train.col_stride"), min_value=1, max_value=8, step=1),
        "padding": num(t("train.col_padding"), min_value=0, max_value=5, step=1),
        "units": num(t("train.col_units"), min_value=1, max_value=4096, step=1, help=t("train.col_units_help")),
        "rate": num(t("train.col_rate"), min_value=0.0, max_value=0.9, step=0.05, help=t("train.col_rate_help")),
    }
    bound_edits(key, len(df), COLUMNS, max_rows=MAX_ROWS)  # what a client may add
    edited = st.data_editor(df, column_config=config, num_rows="dynamic", hide_index=False, placeholder="—",
                            width="stretch", key=key, height=table_height(len(df) + 1))
    description = description_from_rows(edited.to_dict("records"))
    _edits()[preset] = (version, base, description)
    row_tools(t, preset, description)
    return description


def _apply(preset, change):
    """A row tool's click: the changed description becomes the table's new start (a new table key)."""
    version, _, current = _edits().get(preset, (0, PRESETS[preset], PRESETS[preset]))
    new = change(current)
    _edits()[preset] = (version + 1, new, new)


def row_tools(t, preset, description):
    """Insert a layer above or below a chosen row, move the row up or down, or delete it."""
    n = len(description)
    if n == 0:
        return
    cols = st.columns([3, 2, 1, 1, 1, 1, 1], vertical_alignment="bottom")
    row = cols[0].selectbox(t("train.row_pick"), range(n), key="train.row_pick",
                            index=None if "train.row_pick" in st.session_state else n - 1,
                            format_func=lambda i: t("train.row_name", i=i + 1,
                                                    kind=t(f"train.layer.{description[i].get('type')}")
                                                    if description[i].get("type") else "?"))
    if row is None or row >= n:
        row = n - 1
    kind = cols[1].selectbox(t("train.row_kind"), list(LAYER_TYPES), key="train.row_kind",
                             format_func=lambda k: t(f"train.layer.{k}"))
    buttons = [("above", ":material/vertical_align_top:", lambda d: insert_layer(d, row, False, kind)),
               ("below", ":material/vertical_align_bottom:", lambda d: insert_layer(d, row, True, kind)),
               ("up", ":material/arrow_upward:", lambda d: move_layer(d, row, -1)),
               ("down", ":material/arrow_downward:", lambda d: move_layer(d, row, 1)),
               ("delete", ":material/delete:", lambda d: delete_layer(d, row))]
    full = n >= MAX_ROWS                                   # the same bound as rows added in the table
    disabled = {"above": full, "below": full, "up": row == 0, "down": row == n - 1, "delete": n == 1}
    for col, (name, icon, change) in zip(cols[2:], buttons):
        col.button(t(f"train.row_{name}"), icon=icon, key=f"train.row_{name}", help=t(f"train.row_{name}_help"),
                   disabled=disabled.get(name, False), on_click=_apply, args=(preset, change), width="stretch")


fmt_shape = fmt.shape


def table_height(n_rows):
    """Pixels for a table of ``n_rows`` rows and its header, so that no row hides behind a scroll bar."""
    return 35 * (n_rows + 1) + 3


def summary_table(t, model):
    """Output shape, parameters and multiply-adds of every layer, as a table with a total row."""
    # layers counted from 1 as in every lesson; thousands separators; every row shown (no scrolling box)
    rows = [{t("train.col_layer"): r["index"] + 1, t("train.col_type"): t(f"train.layer.{r['type']}"),
             t("train.col_out"): fmt_shape(r["out_shape"]), t("train.col_params"): f"{r['params']:,}",
             t("train.col_macs"): f"{r['macs']:,}"} for r in model.summary()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=table_height(len(rows)),
                 placeholder="—")
    st.caption(t("train.total", params=f"{model.n_params():,}", macs=f"{model.macs:,}",
                 shape=fmt_shape(model.input_shape)))


def build(t, description, init, seed):
    """Build (and so check) the model; shows the explanation and returns None if it does not fit."""
    try:
        return Model(description, init=init, seed=seed)
    except ValueError as exc:
        errors.show(exc, t)
        return None
