"""Sections of the receptive-field lesson: the editable layer stack, the table, growth, the picture."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.receptive_field import compute as rf_compute
from cnnlab.geometry import receptive
from ui import errors, figures, shape_figures
from ui.fmt import num
from ui.grid_guard import bound_edits
from ui.image_source import image_source
from ui.number_box import number, show_clamped
from ui.state import UrlState
from ui.style import PLOT

PRESETS = list(receptive.PRESETS) + ["custom"]
LIMITS = {"kernel": (1, 15), "stride": (1, 8), "padding": (0, 20), "dilation": (1, 16)}
#: The most layers the table may have (the same limit as a stack in the URL); more are ignored.
MAX_LAYERS = 30
NEW_LAYER = {"type": "conv", "kernel": 3, "stride": 1, "padding": 0, "dilation": 1}


def url_state():
    """The link: preset, input size, the stack, and the chosen unit (layer 0 = the last layer)."""
    return UrlState("rf", {"preset": "three_3x3", "size": 16, "stack": "", "layer": 0, "ur": 0, "uc": 0},
                    choices={"preset": PRESETS},
                    bounds={"size": (1, 512), "layer": (0, MAX_LAYERS), "ur": (0, 511), "uc": (0, 511)})


def _load(url):
    """Initial stack: the link's stack if it parses, else the preset."""
    if "rf.layers" in st.session_state:
        return
    try:
        layers = receptive.parse_stack(url.get("stack"))
    except ValueError:
        layers = _preset_layers(url.get("preset"))
    st.session_state["rf.layers"] = layers
    st.session_state.setdefault("rf.version", 0)


def _preset_layers(name):
    layers = receptive.PRESETS.get(name, receptive.PRESETS["three_3x3"])
    return [{k: v for k, v in layer.items() if k in NEW_LAYER or k == "name"} for layer in layers]


def _bump():
    st.session_state["rf.version"] = st.session_state.get("rf.version", 0) + 1


def _choose_preset(url):
    name = st.session_state[url.key("preset")]
    if name in receptive.PRESETS:
        st.session_state["rf.layers"] = _preset_layers(name)
        st.session_state[url.key("size")] = receptive.PRESET_INPUT[name]
        st.session_state["rf.layer"] = len(st.session_state["rf.layers"])
        _bump()


def _clean_layer(row, n=0, clamped=None):
    """A table row as a layer; a number out of its range is set to the nearest limit and, with
    ``clamped``, listed there as ``(layer n, column, typed, lo, hi, used)``."""
    layer = {"type": row.get("type") if row.get("type") in ("conv", "pool") else "conv"}
    for key, (lo, hi) in LIMITS.items():
        try:
            typed = float(row.get(key))
            v = int(typed) if typed == typed and abs(typed) < 1e9 else NEW_LAYER[key]
        except (TypeError, ValueError, OverflowError):
            typed, v = None, NEW_LAYER[key]
        layer[key] = min(max(v, lo), hi)
        if clamped is not None and typed is not None and layer[key] != typed:
            clamped.append((n, key, typed, lo, hi, layer[key]))
    if row.get("name"):
        layer["name"] = str(row["name"])[:24]
    return layer


def _same_stack(a, b):
    """Two stacks with the same layers (names aside)."""
    try:
        return receptive.format_stack(a) == receptive.format_stack(b)
    except ValueError:
        return False


def stack_editor(t, url):
    """Preset, input size and the editable stack. Returns ``(layers, size)``.

    The preset box is filled after the table (into its column drawn first), so that an edited stack
    shows "My own stack" in the box and ``preset=custom`` in the link on the same run."""
    _load(url)
    c1, c2 = st.columns([3, 1])
    size = number(c2, t, "rf.input_size", url.key("size"), 1, 512, help=t("rf.input_size_help"))
    st.caption(t("rf.editor_help"))
    layers = st.session_state["rf.layers"]
    table = [{"name": layer.get("name", ""), **{k: layer.get(k, NEW_LAYER[k]) for k in NEW_LAYER}}
             for layer in layers]
    key = f"rf.editor.{st.session_state.get('rf.version', 0)}"
    bound_edits(key, len(table), ["name", *NEW_LAYER], max_rows=MAX_LAYERS)
    edited = st.data_editor(
        table, key=key, num_rows="dynamic", width="stretch",
        column_config={
            "name": st.column_config.TextColumn(t("rf.col_name"), max_chars=24, width=72),
            "type": st.column_config.SelectboxColumn(t("rf.col_type"), options=["conv", "pool"], required=True,
                                                     default="conv", format_func=lambda v: t(f"rf.type_{v}"),
                                                     width=100),      # "convolution" whole, not "convolutio"
            # no min/max: the grid would clamp silently; _clean_layer clamps and the page says so
            **{k: st.column_config.NumberColumn(t(f"rf.col_{k}"), step=1, default=NEW_LAYER[k], required=True, width=80,
                                                help=t("rf.col_range", lo=lo, hi=hi))
               for k, (lo, hi) in LIMITS.items()}})
    clamped = []
    layers = [_clean_layer(dict(row), n, clamped) for n, row in enumerate(edited, start=1)]
    if clamped:
        # show the clamped numbers in the table itself: a fresh editor on the cleaned stack
        st.session_state["rf.layers"] = layers
        st.session_state["rf._clamped"] = clamped
        _bump()
        st.rerun()
    for n, col, typed, lo, hi, used in st.session_state.pop("rf._clamped", []):
        st.warning(t("rf.clamped", layer=n, column=t(f"rf.col_{col}"), value=f"{typed:g}", lo=lo, hi=hi, used=used),
                   icon=":material/straighten:")
    show_clamped(t, [url.key("size")], "rf.clamped_box")
    preset = st.session_state.get(url.key("preset"))
    if preset in receptive.PRESETS and not _same_stack(layers, _preset_layers(preset)):
        st.session_state[url.key("preset")] = "custom"          # edited: it is not the preset any more
    c1.selectbox(t("rf.preset"), PRESETS, key=url.key("preset"), format_func=lambda p: t(f"rf.preset_{p}"),
                 on_change=_choose_preset, args=(url,))
    if layers:
        _reorder(t, layers)
    url.set("stack", receptive.format_stack(layers) if layers else "")
    return layers, int(size)


def _reorder(t, layers):
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    n = c1.selectbox(t("rf.move_layer"), list(range(1, len(layers) + 1)), key="rf.move_n",
                     format_func=lambda i: f"{i}: {layers[i - 1].get('name') or t('rf.type_' + layers[i - 1]['type'])}")

    def move(delta):
        i = n - 1
        j = i + delta
        if 0 <= j < len(layers):
            layers[i], layers[j] = layers[j], layers[i]
            st.session_state["rf.layers"] = layers
            st.session_state["rf.move_n"] = j + 1
            _bump()

    c2.button(t("rf.move_up"), on_click=move, args=(-1,), key="rf.up", icon=":material/arrow_upward:",
              disabled=n == 1)
    c3.button(t("rf.move_down"), on_click=move, args=(1,), key="rf.down", icon=":material/arrow_downward:",
              disabled=n == len(layers))


def compute(t, layers, size):
    """The per-layer rows with output sizes, or without them (and an explanation) if a layer does not fit."""
    if not layers:
        st.warning(t("rf.empty"))
        return None, False
    res = rf_compute.stack(tuple(tuple(sorted(lay.items())) for lay in layers), size)
    if res.error is not None:
        exc = res.error.error()
        if res.error.code == "stack_layer_invalid":
            st.error(t("rf.layer_invalid", layer=exc.params["layer"], name=errors.plain(exc.params["name"]),
                       reason=errors.message(res.cause.error(), t)), icon=":material/error:")
        else:
            errors.show(exc, t)
    return (list(res.rows) or None), res.with_out


def table(t, rows, with_out):
    data = []
    for n, r in enumerate(rows, start=1):
        item = {t("rf.col_layer"): f"{n}. {r.name}", t("rf.col_type"): t(f"rf.type_{r.type}"),
                t("rf.col_setting"): f"{r.kernel}/{r.stride}/{r.layer_padding}/{r.dilation}",
                t("rf.col_size"): r.size, t("rf.col_jump"): r.jump, t("rf.col_eff_padding"): r.padding,
                t("rf.col_start"): num(r.start)}
        if with_out:
            item[t("rf.col_out")] = f"{r.out}×{r.out}"         # compact, as the architectures table
        data.append(item)
    # a static table (as the architectures lesson's): its headers wrap, so no column is cut at 1024 px
    st.table(data, border="horizontal")
    st.caption(t("rf.table_caption"))


def growth(t, rows, size, with_out):
    xs = list(range(len(rows) + 1))
    series = {t("rf.series_size"): [1] + [r.size for r in rows]}
    if with_out:
        series[t("rf.series_input")] = [size] * len(xs)
    fig = figures.line(xs, series, t("rf.growth_title"), t("rf.growth_x"), t("rf.growth_y"), markers=True)
    fig.update_xaxes(dtick=1 if len(xs) <= 20 else 2)
    figures.chart(st, fig, **PLOT, key="rf.fig_growth")
    big = next((n for n, r in enumerate(rows, start=1) if r.exceeds), None)
    if big:
        st.warning(t("rf.exceeds", layer=big, size=rows[big - 1].size, input=size), icon=":material/warning:")


def _picked(chart_key, out):
    """Click on a unit in the picture: copy it into the unit inputs (runs before the next rerun)."""
    sel = st.session_state.get(chart_key) or {}
    try:
        points = sel["selection"]["points"]
    except (KeyError, TypeError):
        return
    for p in points or []:
        data = p.get("customdata")
        if data is not None and len(data) == 2:
            st.session_state["rf.ur"], st.session_state["rf.uc"] = int(data[0]), int(data[1])
            return
        if p.get("curve_number") == 2 and p.get("point_index") is not None:     # the dots (after the field)
            st.session_state["rf.ur"], st.session_state["rf.uc"] = divmod(int(p["point_index"]), out)
            return


def unit_picture(t, rows, size, layers):
    """Choose a layer and a unit (inputs or a click); draw its receptive field on the image."""
    c1, c2, c3 = st.columns([2, 1, 1])
    names = [f"{n}. {r.name}" for n, r in enumerate(rows, start=1)]
    if not 1 <= st.session_state.get("rf.layer", 0) <= len(rows):      # 0 (the link's default): the last
        st.session_state["rf.layer"] = len(rows)
    layer = c1.selectbox(t("rf.pick_layer"), list(range(1, len(rows) + 1)), key="rf.layer",
                         format_func=lambda i: names[i - 1])
    prefix = rows[:layer]
    out = prefix[-1].out
    for key in ("rf.ur", "rf.uc"):
        if st.session_state.get(key, 0) > out - 1:
            st.session_state[key] = out - 1
    ur = number(c2, t, "rf.unit_row", "rf.ur", 0, out - 1)
    uc = number(c3, t, "rf.unit_col", "rf.uc", 0, out - 1)
    show_clamped(t, ["rf.ur", "rf.uc"], "rf.clamped_box")
    img, _ = image_source(t, "rf.image", gray=False, max_side=160, default_sample="cat")
    reg = rf_compute.region(tuple(tuple(sorted(lay.items())) for lay in layers), layer, int(ur), int(uc), size)
    units = None
    if out <= 40:
        centres = prefix[-1].start + prefix[-1].jump * np.arange(out)
        units = (centres, centres)
    fig = shape_figures.rf_picture(t, img, size, (reg.rows, reg.cols),
                                   units, (ur, uc), t("rf.fig_title", layer=names[layer - 1], r=ur, c=uc))
    chart_key = "rf.fig_unit"
    figures.chart(st, fig, **PLOT, key=chart_key, on_select=lambda: _picked(chart_key, out),
                    selection_mode="points")
    if units is not None:
        st.caption(t("rf.click_hint"))
    st.markdown(t("rf.region", r0=reg.rows[0], r1=reg.rows[1], c0=reg.cols[0], c1=reg.cols[1],
                  size=prefix[-1].size, cr=f"{reg.centre[0]:g}", cc=f"{reg.centre[1]:g}"))
    if reg.in_padding:
        st.info(t("rf.clipped", r0=reg.rows_clip[0], r1=reg.rows_clip[1], c0=reg.cols_clip[0], c1=reg.cols_clip[1]),
                icon=":material/crop:")
