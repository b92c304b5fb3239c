"""The parts of the feature-maps lesson: filter bank, pixel inspector, colour, spectra (learned: learned.py).

Each function draws one tab (or part of one) from the frozen results of ``compute.py`` (kept here in
``st.cache_data`` / ``st.cache_resource``): the numbers come from there, this module turns them into
widgets, pictures and text.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.feature_maps import compute
from app_pages.feature_maps import figures as ff
from cnnlab.text import normalize_text
from cnnlab.vision import filters
from cnnlab.vision.images import to_png_bytes
from ui import errors, figures
from ui.fmt import math_num
from ui.i18n import current_text
from ui.style import PLOT

STAGE_KEYS = {"conv": "fm.stage_conv", "relu": "fm.stage_relu", "pool": "fm.stage_pool"}
CHART = PLOT
#: the side of one feature-map picture in pixels: 4 in a row at 1024 px, 2 on a 390 px phone
MAP_PX = 170


@st.cache_resource(show_spinner=False, max_entries=16)
def _bank_fields(gray, names, kernels, use_relu, pool, mode):
    """The fields of ``compute.bank``: tuples and read-only arrays, shared between reruns and sessions with
    no copy (tests/test_isolation.py checks that nothing in it can be changed). A LessonError is raised
    again, never cached."""
    r = compute.bank(gray, names, kernels, use_relu, pool, mode)
    return r.names, r.stages, r.shapes, r.limits, r.shared


def bank_result(gray, names, kernels, use_relu, pool, mode):
    return compute.Bank(*_bank_fields(gray, names, kernels, use_relu, pool, mode))


@st.cache_data(show_spinner=False, max_entries=16)
def bank_pictures(gray, names, kernels, use_relu, pool, mode, shared, px):
    """The last stage's maps as PNG bytes (one per map), their colour limits, the colour bar and the
    downloadable grid, kept per settings."""
    result = compute.bank(gray, names, kernels, use_relu, pool, mode)
    limits = compute.limits_of(result, shared)
    pngs, width = ff.png_list(ff.pictures(result.maps, limits, px))
    bar = to_png_bytes(ff.colour_bar(*limits[0]) / 255.0)
    grid = to_png_bytes(filters.mosaic(result.maps, 4, shared, robust=compute.ROBUST))
    return pngs, width, limits, bar, grid


_BUILDERS = {"clickable": ff.clickable_map, "field": ff.image_with_field, "grid": figures.grid}


@st.cache_resource(show_spinner=False, max_entries=64)
def figure(kind, *args, **kwargs):
    """A Plotly figure of the inspector, built once per inputs and shared read-only (Streamlit copies it
    with ``to_dict`` before sending): building the figures was most of a rerun (issue 15)."""
    return _BUILDERS[kind](*args, **kwargs)


@st.cache_data(show_spinner=False, max_entries=64)
def pixel_result(gray, kernel, fmap, stage, row, col, pool, mode, use_relu):
    return compute.pixel(gray, kernel, fmap, stage, row, col, pool, mode, use_relu)


def _alt(fig, title):
    """The kit's description of ``fig`` (drawn without a title: the title is a caption above it, which wraps
    in a narrow column where a Plotly title was cut, issue 18) with ``title`` as its subject."""
    text, untitled = figures.describe(fig), current_text("fig.alt_untitled")
    return title + text[len(untitled):] if text.startswith(untitled) else text


def bank(t, url, image, gray, chosen, settings):
    """The filter-bank tab: every chosen filter -> ReLU -> pooling, and the pixel inspector."""
    if not chosen:
        st.warning(t("fm.no_filters"), icon=":material/warning:")
        return
    names = tuple(name for name, _ in chosen)
    kernels = [k for _, k in chosen]
    args = (gray, names, kernels, settings["relu"], settings["pool"], settings["mode"])
    try:
        result = bank_result(*args)
    except ValueError as exc:
        errors.show(exc, t)
        return
    shapes_line(t, result, settings)
    bank_grid(t, result, args, settings)
    st.markdown(t("fm.bank_explain"))
    inspector(t, image, gray, kernels, names, result, settings, url)


def filter_label(t, name):
    return t(f"fm.filter.{name}")


def chosen_kernels(t, url):
    """The bank widgets; returns ``[(name, kernel)]`` (the student's own kernel last, if valid)."""
    names = [n for n in url.get("bank").split(",") if n in filters.FILTER_NAMES]
    if "fm.bank_list" not in st.session_state:
        st.session_state["fm.bank_list"] = names or list(filters.DEFAULT_BANK)
    # pills, not a multiselect: every filter is visible and they wrap (a multiselect showed 2½ of 8 at 1024 px)
    picked = st.pills(t("fm.bank"), filters.FILTER_NAMES, selection_mode="multi", key="fm.bank_list",
                      format_func=lambda n: filter_label(t, n), help=t("fm.bank_help")) or []
    url.set("bank", ",".join(picked))
    chosen = [(n, filters.named_kernel(n)) for n in picked]
    if st.toggle(t("fm.custom"), key=url.key("custom")):
        text = st.text_area(t("fm.custom_text"), key=url.key("kernel"), height=100, max_chars=400,
                            help=t("fm.custom_help"))
        try:
            chosen.append(("custom", filters.parse_kernel(normalize_text(text))))   # ５ ０；０ ５ reads as 5 0; 0 5
        except ValueError as exc:
            errors.show(exc, t)
    return chosen


def pipeline_controls(t, url):
    """ReLU and pooling toggles and the colour-scale choice; returns a dict of settings."""
    # wrapping rows sized to their content (four columns cut the toggles to "R." and "P." at 1024 px)
    toggles = st.container(horizontal=True, gap="medium")
    use_relu = toggles.toggle(t("fm.relu"), key=url.key("relu"), help=t("fm.relu_help"), width="content")
    use_pool = toggles.toggle(t("fm.pool"), key=url.key("pool_on"), help=t("fm.pool_help"), width="content")
    pooling = st.container(horizontal=True, gap="small", vertical_alignment="bottom")
    size = pooling.selectbox(t("fm.pool_size"), [2, 3, 4], key=url.key("pool"), disabled=not use_pool,
                             width=140)
    mode = pooling.selectbox(t("fm.pool_mode"), ["max", "avg"], key=url.key("mode"), disabled=not use_pool,
                             format_func=lambda m: t(f"fm.pool_mode_{m}"), width=180)
    scale = st.radio(t("fm.scale"), ["shared", "per_map"], key=url.key("scale"), horizontal=True,
                     format_func=lambda s: t(f"fm.scale_{s}"), help=t("fm.scale_help"))
    return {"relu": use_relu, "pool": size if use_pool else 1, "mode": mode, "shared": scale == "shared"}


def shapes_line(t, result, settings):
    """``input 1x128x128 -> convolution 8x128x128 -> ...``: the size after every step."""
    parts = []
    for name, shape in result.shapes:
        label = t("fm.stage_input") if name == "input" else t(STAGE_KEYS[name])
        if name == "pool":
            label = t("fm.stage_pool_k", mode=t(f"fm.pool_mode_{settings['mode']}"), k=settings["pool"])
        parts.append(f"**{label}** `{' × '.join(str(s) for s in shape)}`")
    st.markdown(" → ".join(parts))


def range_text(lo, hi):
    return f"{math_num(lo, 3)} … {math_num(hi, 3)}"


def bank_grid(t, result, args, settings):
    """The last stage's maps as pictures that wrap to the screen (about 170 px each, also on a phone),
    their colour scale, and the download of the whole grid. A picture has no hover value: the caption
    gives each map's range and the pixel inspector below gives any pixel's exact value."""
    shared = settings["shared"]
    pngs, width, limits, bar, grid_png = bank_pictures(*args, shared, MAP_PX)
    stage = t(STAGE_KEYS[result.stage])
    titles = [filter_label(t, n) for n in result.names]
    captions = titles if shared else [f"{name} · {range_text(lo, hi)}" for name, (lo, hi) in zip(titles, limits)]
    figures.picture(st, pngs, caption=captions, width=width, output_format="PNG")
    if shared:
        lo, hi = limits[0]
        c1, c2 = st.columns([2, 3], vertical_alignment="center")
        figures.picture(c1, bar, width="stretch")
        c2.caption(t(f"fm.scale_bar_{ff.kind_of(lo, hi)}", lo=math_num(lo, 3), hi=math_num(hi, 3)))
    st.caption(t("fm.grid_caption_pictures", stage=stage))
    st.download_button(t("fm.download_grid"), grid_png,
                       file_name="feature_maps.png", mime="image/png", icon=":material/download:",
                       key="fm.download_grid")


def clicked_cell(event):
    """``(row, col)`` of the first point of a Plotly selection event (object or dict), or None."""
    selection = getattr(event, "selection", None)
    if selection is None and isinstance(event, dict):
        selection = event.get("selection")
    points = getattr(selection, "points", None)
    if points is None and isinstance(selection, dict):
        points = selection.get("points")
    if not points:
        return None
    p = points[0]
    try:
        return int(round(float(p["y"]))), int(round(float(p["x"])))
    except (KeyError, TypeError, ValueError):
        return None


def _pick_pixel(chart_key):
    """on_select callback: copy the clicked pixel into the row/column inputs."""
    cell = clicked_cell(st.session_state.get(chart_key))
    if cell is not None:
        st.session_state["fm.row"], st.session_state["fm.col"] = cell


def cell_text(v):
    if isinstance(v, (int, float)) and np.isfinite(v):
        return f"{int(v):,}" if float(v) == int(v) and abs(v) < 1e7 else f"{v:g}"
    return "—"


def inspector(t, image, gray, kernels, names, result, settings, url):
    """Click a pixel of one map: the multiply-add behind it and its receptive field on the input."""
    st.subheader(t("fm.inspect_title"))
    st.markdown(t("fm.inspect_intro"))
    index = {n: i for i, n in enumerate(names)}
    if st.session_state.get(url.key("inspect")) not in index:
        st.session_state[url.key("inspect")] = names[0]
    name = st.selectbox(t("fm.inspect_map"), names, key=url.key("inspect"),
                        format_func=lambda n: filter_label(t, n))
    stage, maps = result.stage, result.maps
    fmap = maps[index[name]]
    h, w = fmap.shape
    cells = {}
    for k, top in (("fm.row", h), ("fm.col", w)):
        good = compute.checked_cell(st.session_state.get(f"{k}.good", top // 2), top)
        cells[k] = top // 2 if good is None else good
        if k not in st.session_state or st.session_state.get(f"{k}.top") != top:   # a new map size
            st.session_state[k] = cells[k]
            st.session_state[f"{k}.top"] = top
    c1, c2, c3 = st.columns([1, 1, 2])
    # no min/max (Streamlit's own range message is English): a number outside the map is explained below
    c1.number_input(t("fm.row"), None, None, key="fm.row", step=1)
    c2.number_input(t("fm.col"), None, None, key="fm.col", step=1)
    for k, top in (("fm.row", h), ("fm.col", w)):
        typed = st.session_state.get(k)
        if compute.checked_cell(typed, top) is None:
            st.error(t("fm.cell_out_of_range", name=t(k), hi=top - 1, value=cell_text(typed), old=cells[k]),
                     icon=":material/error:")
        else:
            cells[k] = int(typed)
        st.session_state[f"{k}.good"] = cells[k]
    row, col = cells["fm.row"], cells["fm.col"]
    kernel = kernels[index[name]]
    try:
        px = pixel_result(gray, kernel, fmap, stage, row, col, settings["pool"], settings["mode"],
                          settings["relu"])
    except ValueError as exc:
        errors.show(exc, t)
        return
    png = to_png_bytes(filters.normalize(fmap, *px.map_limits))
    c3.download_button(t("fm.download_map"), png,
                       file_name=f"feature_map_{name}.png", mime="image/png", icon=":material/download:",
                       key="fm.download_map")
    left, right = st.columns(2)
    with left:
        title = t("fm.click_title", name=filter_label(t, name), stage=t(STAGE_KEYS[stage]))
        st.caption(title)
        fig = figure("clickable", fmap, "", cell=(row, col), hover=t("fm.hover_click"), limits=px.map_limits)
        figures.chart(st, fig, alt=_alt(fig, title), key="fm.inspect_chart", selection_mode="points",
                      on_select=lambda: _pick_pixel("fm.inspect_chart"), **CHART)
    with right:
        st.caption(t("fm.field_title"))
        fig = figure("field", image, px.field, "", window=px.window_box)
        figures.chart(st, fig, alt=_alt(fig, t("fm.field_title")), key="fm.field_chart", **CHART)
        f0, f1, g0, g1 = px.field
        st.caption(t("fm.field_caption", r0=f0, r1=f1, c0=g0, c1=g1, rows=f1 - f0 + 1, cols=g1 - g0 + 1)
                   + (" " + t("fm.field_caption_pool") if stage == "pool" else ""))
    numbers = kernel.size <= 49
    for box, values, title, key in zip(st.columns(3), (px.window, kernel, px.products),
                                       (t("fm.window"), t("fm.kernel"), t("fm.products")),
                                       ("fm.window_chart", "fm.kernel_chart", "fm.products_chart")):
        box.caption(title)                 # above the chart: a narrow column wraps it (a Plotly title is cut)
        fig = figure("grid", values, "", numbers=numbers)
        figures.chart(box, fig, alt=_alt(fig, title), **CHART, key=key)
    steps = [t("fm.sum_line", n=kernel.size, value=f"{px.total:.4f}")]
    if settings["relu"]:
        steps.append(t("fm.relu_line", value=f"{px.relu:.4f}"))
    if stage == "pool":
        steps.append(t(f"fm.pool_line_{settings['mode']}", r=px.conv_cell[0], c=px.conv_cell[1],
                       value=f"{px.value:.4f}"))
    st.markdown("  \n".join(steps))


RGB_PX = 170                   # three pictures in a row at 1024 px, two on a phone


def _pictures(maps, limits, px, kind=None):
    """Maps with one pair of colour limits: ``st.image`` keyword arguments (PNGs at their own width)."""
    pngs, width = ff.png_list(ff.pictures(maps, [limits] * len(maps), px,
                                          None if kind is None else [kind] * len(maps)))
    return {"image": pngs, "width": width, "output_format": "PNG"}


@st.cache_data(show_spinner=False, max_entries=16)
def colour_result(image, name, bias):
    return compute.colour(image, name, bias)


@st.cache_data(show_spinner=False, max_entries=16)
def frequency_result(gray, kernel):
    return compute.frequency(gray, kernel)


def colour(t, url, image):
    """One 3-D kernel on R, G, B: each channel's contribution, their sum, plus the bias."""
    st.markdown(t("fm.rgb_intro"))
    c1, c2 = st.columns(2)
    name = c1.selectbox(t("fm.rgb_kernel"), filters.RGB_KERNEL_NAMES, key=url.key("rgb"),
                        format_func=lambda n: t(f"fm.rgb.{n}"))
    bias = c2.slider(t("fm.bias"), -1.0, 1.0, step=0.05, key=url.key("bias"), help=t("fm.bias_help"))
    res = colour_result(image, name, float(bias))
    channels = [t("fm.channel_r"), t("fm.channel_g"), t("fm.channel_b")]
    figures.picture(st, **_pictures(res.planes, (0.0, 1.0), RGB_PX, "gray"), caption=channels)
    cols = st.columns(3)
    for i, col in enumerate(cols):
        title = t("fm.kernel_slice", channel=channels[i])
        col.caption(title)                 # above the chart: it wraps in a third of the page (a title was cut)
        fig = figures.grid(res.kernel[i], "", height=200)
        figures.chart(col, fig, alt=_alt(fig, title), key=f"fm.rgb_k{i}", **CHART)
    lo, hi = res.parts_limits                          # one scale: the parts add up
    figures.picture(st, **_pictures(res.parts, (lo, hi), RGB_PX),
                    caption=[t("fm.contribution", channel=ch) for ch in channels])
    tlo, thi = res.total_limits
    figures.picture(st, **_pictures(res.total[None], (tlo, thi), 2 * RGB_PX),
                    caption=[f"{t('fm.rgb_total', bias=f'{bias:+.2f}')} · {range_text(tlo, thi)}"])
    st.caption(t("fm.rgb_pictures_caption", lo=math_num(lo, 3), hi=math_num(hi, 3)))
    st.success(t("fm.rgb_check", diff=f"{res.max_diff:.1e}"), icon=":material/check_circle:")


def frequency(t, url, gray, custom):
    """Spectra of image, kernel and result, the gain by frequency, and the theorem checked."""
    st.markdown(t("fm.freq_intro"))
    options = list(filters.FILTER_NAMES) + (["custom"] if custom is not None else [])
    if st.session_state.get(url.key("freq")) not in options:
        st.session_state[url.key("freq")] = "blur"
    name = st.selectbox(t("fm.freq_kernel"), options, key=url.key("freq"),
                        format_func=lambda n: filter_label(t, n))
    k = custom if name == "custom" else filters.named_kernel(name)
    res = frequency_result(gray, k)
    titles = [t("fm.spec_image"), t("fm.spec_kernel"), t("fm.spec_result")]
    pngs, width = ff.png_list([ff.framed(ff.picture(m, float(m.min()), float(m.max()), RGB_PX, "sequential"))
                               for m in res.magnitudes])
    figures.picture(st, pngs, caption=titles, width=width, output_format="PNG")
    st.caption(t("fm.spec_caption"))
    olo, ohi = res.output_limits
    pngs, width = ff.png_list([ff.framed(ff.picture(gray, 0.0, 1.0, 260, "gray")),
                               ff.framed(ff.picture(res.output, olo, ohi, 260))])
    figures.picture(st, pngs, caption=[t("fm.freq_input"), f"{t('fm.freq_output')} · {range_text(olo, ohi)}"],
                    width=width, output_format="PNG")
    left, right = st.columns([3, 2])
    left.caption(t("fm.gain_title"))       # above the chart: it wraps in this column (a Plotly title was cut)
    fig = figures.line(res.freqs, {filter_label(t, name): res.gain}, "", t("fm.gain_x"), t("fm.gain_y"),
                       markers=True)
    figures.chart(left, fig, alt=_alt(fig, t("fm.gain_title")), key="fm.gain", **CHART)
    with right:
        st.info(t(f"fm.pass_{res.kind}"), icon=":material/tune:")
        ph, pw = res.shape
        # label and value as text (a metric's label is cut to one line in this narrow column: issue 18)
        st.markdown(f"{t('fm.check_padded', h=ph, w=pw)}  \n**{res.max_diff:.1e}**")
        st.markdown(f"{t('fm.check_circular')}  \n**{res.circular_diff:.3g}**")
        st.caption(t("fm.check_caption"))
    return res
