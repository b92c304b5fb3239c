"""The network editor of the lessons that train a CNN: a preset, an editable layer table, shapes checked.

Usage in a page (``url`` is the page's :class:`ui.state.UrlState`; give it an ``"arch": ""``
default so that the link carries the edits)::

    net = NetworkEditor(url, presets)                 # presets: name -> plain description
    description = net.editor(t, url.get("preset"))    # the table and its row tools
    model = net.build(t, description)                 # None, with the reason shown, if a shape does not fit
    if model is not None:
        net.summary_table(t, model)

The table has one row per layer and one column per setting; a setting that does not apply to a
layer type is left empty. :func:`description_from_rows` turns the table into the plain description
``cnnlab.nn.model.Model`` builds (and checks) - the editor never decides whether a shape fits.
The limits of every column (:data:`BOUNDS`) and of the number of rows (:data:`MAX_ROWS`) hold for
the table, for the row tools and for a link alike.

Links: an edited network is written to the page's link as a compact text (:func:`to_link`,
``c6k5p2_r_m2_..``: one token per layer), read back with :func:`from_link`, which refuses anything
but that grammar within the same limits; a refused value is reported by ``url.publish(t)``.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st

from cnnlab.nn.layers import LAYER_TYPES
from cnnlab.nn.model import Model
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
#: The range of every setting (the table's columns and a link's values alike).
BOUNDS = {"filters": (1, 256), "kernel": (1, 11), "size": (1, 8), "stride": (1, 8), "padding": (0, 5),
          "units": (1, 4096), "rate": (0.0, 0.9)}
NEW_LAYER = {"conv": {"filters": 8, "kernel": 3, "padding": 1}, "maxpool": {"size": 2}, "avgpool": {"size": 2},
             "dense": {"units": 64}, "dropout": {"rate": 0.5}}


# --------------------------------------------------------------------------
# The table <-> the description, and the row tools (pure)
# --------------------------------------------------------------------------
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


def with_outputs(description, units):
    """A copy whose last layer, if it is fully connected, has ``units`` outputs (one per class)."""
    desc = [dict(layer) for layer in description]
    if desc and desc[-1].get("type") == "dense":
        desc[-1]["units"] = int(units)
    return desc


# --------------------------------------------------------------------------
# The link's text: one token per layer, "_" between them
# --------------------------------------------------------------------------
#: Layer type <-> its letter in a link.
CODES = {"conv": "c", "maxpool": "m", "avgpool": "a", "relu": "r", "sigmoid": "s", "tanh": "h",
         "flatten": "f", "dropout": "o", "dense": "d"}
KINDS = {v: k for k, v in CODES.items()}
#: The setting written right after the letter, and the ones written as letter + number after it.
MAIN = {"conv": "filters", "maxpool": "size", "avgpool": "size", "dense": "units", "dropout": "rate"}
EXTRA = {"k": "kernel", "s": "stride", "p": "padding"}
MAX_LINK = 400                                      # 30 layers of "c256k11s8p5" fit
_TOKEN = re.compile(r"([a-z])(\d{1,4}(?:\.\d{1,3})?)?((?:[ksp]\d{1,2})*)", re.ASCII)
_EXTRA = re.compile(r"([ksp])(\d{1,2})", re.ASCII)


def _num(v):
    return f"{v:g}" if isinstance(v, float) else str(int(v))


def to_link(description):
    """The compact link text of a description; None if it has a layer a link cannot carry."""
    tokens = []
    for layer in description:
        kind = layer.get("type")
        if kind not in CODES:
            return None
        token = CODES[kind]
        main = MAIN.get(kind)
        if main is not None and _present(layer.get(main)):
            token += _num(layer[main])
        for letter, name in EXTRA.items():
            if name != main and name in APPLIES.get(kind, ()) and _present(layer.get(name)):
                token += letter + _num(layer[name])
        tokens.append(token)
    text = "_".join(tokens)
    return text if len(text) <= MAX_LINK else None


def _within(name, value):
    lo, hi = BOUNDS[name]
    return lo <= value <= hi


def from_link(text):
    """The description written by :func:`to_link`, or None if ``text`` is anything else.

    Refused: other characters, unknown layer letters, a setting the layer does not have, a value
    outside :data:`BOUNDS`, more than :data:`MAX_ROWS` layers or :data:`MAX_LINK` characters.
    Whether the shapes fit is the model's question (as for an edited table), not the link's.
    """
    if not isinstance(text, str) or not text or len(text) > MAX_LINK:
        return None
    tokens = text.split("_")
    if len(tokens) > MAX_ROWS:
        return None
    desc = []
    for token in tokens:
        m = _TOKEN.fullmatch(token)
        if m is None or m.group(1) not in KINDS:
            return None
        kind = KINDS[m.group(1)]
        layer = {"type": kind}
        main = MAIN.get(kind)
        if m.group(2) is not None:
            if main is None:
                return None
            value = float(m.group(2)) if main == "rate" else (int(m.group(2)) if "." not in m.group(2) else None)
            if value is None or not _within(main, value):
                return None
            layer[main] = value
        for letter, digits in _EXTRA.findall(m.group(3)):
            name = EXTRA[letter]
            if name not in APPLIES.get(kind, ()) or name == main or name in layer or not _within(name, int(digits)):
                return None
            layer[name] = int(digits)
        desc.append(layer)
    return desc


# --------------------------------------------------------------------------
# The editor on a page
# --------------------------------------------------------------------------
def table_height(n_rows):
    """Pixels for a table of ``n_rows`` rows and its header, so that no row hides behind a scroll bar."""
    return 35 * (n_rows + 1) + 3


fmt_shape = fmt.shape


class NetworkEditor:
    """The layer table of one page's network, its row tools, its link value and its checks.

    url : the page's :class:`ui.state.UrlState`; its ``page`` prefixes every widget and state key
        (``<page>.arch.<preset>``, ``<page>.row_pick``, ...), its ``preset`` names the preset shown,
        and an ``arch`` setting, if it has one, carries the edits in the link.
    presets : preset name -> description (the start of each preset's table).
    input_shape, num_classes : what :meth:`build` builds the model for.
    """

    def __init__(self, url, presets, input_shape=(1, 28, 28), num_classes=10, link="arch"):
        self.url, self.page, self.presets = url, url.page, presets
        self.input_shape, self.num_classes = tuple(input_shape), int(num_classes)
        self.link = link if link in url.defaults else None
        self._read_link()

    # state: preset -> (version, base description, edited description), kept while the tab is closed
    def _edits(self):
        return st.session_state.setdefault(f"{self.page}.editor", {})

    def _state(self, preset):
        base = self.presets[preset]
        return self._edits().get(preset, (0, base, base))

    def _read_link(self):
        """Take a link's network once: it becomes the edited network of the link's preset."""
        if self.link is None:
            return
        raw = self.url.get(self.link)
        seen = f"{self.page}._{self.link}_seen"
        if not raw or raw == st.session_state.get(seen):
            return
        preset = self.url.get("preset")
        desc = from_link(raw) if preset in self.presets else None
        if desc is None:
            self.url.ignored.append(self.link)       # named by url.publish(t); the preset is shown
            self.url.set(self.link, "")
            return
        st.session_state[seen] = raw
        version, _, current = self._state(preset)
        if desc != current:
            self._edits()[preset] = (version + 1, desc, desc)

    def _write_link(self, preset, description):
        if self.link is None:
            return
        text = "" if description == self.presets[preset] else (to_link(description) or "")
        self.url.set(self.link, text)
        st.session_state[f"{self.page}._{self.link}_seen"] = text

    def current_description(self, preset):
        """The description last edited for ``preset`` (the preset itself if never edited)."""
        return self._state(preset)[2]

    def fit_outputs(self, preset, units):
        """Make the last layer give ``units`` scores (the number of classes changed): a new table start."""
        current = self.current_description(preset)
        fitted = with_outputs(current, units)
        if fitted != current:
            self._apply(preset, lambda d: with_outputs(d, units))

    def editor(self, t, preset):
        """The editable layer table for ``preset`` and its row tools; returns the edited description.

        Only the open tab is drawn (ui/tabs.py), and Streamlit forgets the edits of a table that was
        not drawn; so the edited description is kept in plain state, and a table that was forgotten
        starts again from it (under a new key, so that its edits are not applied twice).
        """
        version, base, current = self._state(preset)
        key = f"{self.page}.arch.{preset}" + (f".{version}" if version else "")
        if key not in st.session_state and current != base:
            version, base = version + 1, current
            key = f"{self.page}.arch.{preset}.{version}"
        df = pd.DataFrame(rows_from_description(base), columns=list(COLUMNS))
        df.index = pd.RangeIndex(1, len(df) + 1)          # rows counted from 1, as the row tools and the summary
        bound_edits(key, len(df), COLUMNS, max_rows=MAX_ROWS)  # what a client may add
        edited = st.data_editor(df, column_config=self._columns(t), num_rows="dynamic", hide_index=False,
                                placeholder="—", width="stretch", key=key, height=table_height(len(df) + 1))
        description = description_from_rows(edited.to_dict("records"))
        self._edits()[preset] = (version, base, description)
        self._write_link(preset, description)
        self._row_tools(t, preset, description)
        return description

    @staticmethod
    def _columns(t):
        def num(name, step=1, help=True):
            lo, hi = BOUNDS[name]
            return st.column_config.NumberColumn(t(f"net.col_{name}"), min_value=lo, max_value=hi, step=step,
                                                 help=t(f"net.col_{name}_help") if help else None)

        return {"type": st.column_config.SelectboxColumn(t("net.col_type"), options=list(LAYER_TYPES), required=True,
                                                         help=t("net.col_type_help"),
                                                         format_func=lambda k: t(f"net.layer.{k}")),
                "filters": num("filters"), "kernel": num("kernel"), "size": num("size"),
                "stride": num("stride", help=False), "padding": num("padding", help=False), "units": num("units"),
                "rate": num("rate", step=0.05)}

    def _apply(self, preset, change):
        """A row tool's click: the changed description becomes the table's new start (a new table key)."""
        version, _, current = self._state(preset)
        new = change(current)
        self._edits()[preset] = (version + 1, new, new)

    def _row_tools(self, t, preset, description):
        """Insert a layer above or below a chosen row, move the row up or down, or delete it."""
        n = len(description)
        if n == 0:
            return
        p = self.page
        cols = st.columns([3, 2, 1, 1, 1, 1, 1], vertical_alignment="bottom")
        row = cols[0].selectbox(t("net.row_pick"), range(n), key=f"{p}.row_pick",
                                index=None if f"{p}.row_pick" in st.session_state else n - 1,
                                format_func=lambda i: t("net.row_name", i=i + 1,
                                                        kind=t(f"net.layer.{description[i].get('type')}")
                                                        if description[i].get("type") else "?"))
        if row is None or row >= n:
            row = n - 1
        kind = cols[1].selectbox(t("net.row_kind"), list(LAYER_TYPES), key=f"{p}.row_kind",
                                 format_func=lambda k: t(f"net.layer.{k}"))
        buttons = [("above", ":material/vertical_align_top:", lambda d: insert_layer(d, row, False, kind)),
                   ("below", ":material/vertical_align_bottom:", lambda d: insert_layer(d, row, True, kind)),
                   ("up", ":material/arrow_upward:", lambda d: move_layer(d, row, -1)),
                   ("down", ":material/arrow_downward:", lambda d: move_layer(d, row, 1)),
                   ("delete", ":material/delete:", lambda d: delete_layer(d, row))]
        full = n >= MAX_ROWS                                   # the same bound as rows added in the table
        disabled = {"above": full, "below": full, "up": row == 0, "down": row == n - 1, "delete": n == 1}
        for col, (name, icon, change) in zip(cols[2:], buttons):
            col.button(t(f"net.row_{name}"), icon=icon, key=f"{p}.row_{name}", help=t(f"net.row_{name}_help"),
                       disabled=disabled.get(name, False), on_click=self._apply, args=(preset, change),
                       width="stretch")

    def summary_table(self, t, model):
        """Output shape, parameters and multiply-adds of every layer, as a table with a total row."""
        # layers counted from 1 as in every lesson; thousands separators; every row shown (no scrolling box)
        rows = [{t("net.col_layer"): r["index"] + 1, t("net.col_type"): t(f"net.layer.{r['type']}"),
                 t("net.col_out"): fmt_shape(r["out_shape"]), t("net.col_params"): f"{r['params']:,}",
                 t("net.col_macs"): f"{r['macs']:,}"} for r in model.summary()]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=table_height(len(rows)),
                     placeholder="—")
        st.caption(t("net.total", params=f"{model.n_params():,}", macs=f"{model.macs:,}",
                     shape=fmt_shape(model.input_shape)))

    def build(self, t, description, init="he", seed=0):
        """Build (and so check) the model; shows the explanation and returns None if it does not fit."""
        try:
            return Model(description, input_shape=self.input_shape, num_classes=self.num_classes, init=init,
                         seed=seed)
        except ValueError as exc:
            errors.show(exc, t)
            return None
