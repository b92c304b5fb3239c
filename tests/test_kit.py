"""The shared kit (ui/): behaviours every lesson gets from it, through AppTest and plain calls."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import assert_ok, run_page
from ui.i18n import catalog

CONV, POOL = "app_pages/convolution/page.py", "app_pages/pooling/page.py"


def charts(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


# ----------------------------------------------------------------------------- language switch (item 15)
@pytest.mark.parametrize("first, second", [("en", "zh"), ("zh", "en")])
def test_a_language_switch_relabels_every_option_and_hover(first, second):
    at = run_page(CONV, first)
    at.selectbox(key="conv.kernel").set_value("laplacian").run()
    at.selectbox(key="conv.grid").set_value("checkerboard").run()
    at.segmented_control(key="_lang_picker").set_value(second).run()
    assert_ok(at)
    cat = catalog(second)
    kernel = at.selectbox(key="conv.kernel")
    assert kernel.value == "laplacian"                                  # the choice is kept ...
    assert cat["conv.kernel_laplacian"] in kernel.options               # ... and named in the new language
    assert cat["conv.kernel_laplacian"] == kernel.options[kernel.index]
    grid = at.selectbox(key="conv.grid")
    assert grid.options[grid.index] == cat["conv.grid_checkerboard"]
    assert cat["conv.source_grid"] in at.segmented_control(key="conv.src").options
    hover = cat["fig.hover_cell"]
    templates = {c["data"][0].get("hovertemplate") for c in charts(at)}
    assert hover in templates, templates


def test_pooling_options_follow_the_language():
    at = run_page(POOL, "en")
    at.segmented_control(key="pool.mode").set_value("min").run()
    at.segmented_control(key="_lang_picker").set_value("zh").run()
    assert_ok(at)
    mode = at.segmented_control(key="pool.mode")
    assert mode.value == "min" and catalog("zh")["pool.mode_min"] in mode.options
    assert catalog("zh")["pool.source_grid"] in at.radio(key="pool.source").options


def test_hover_writes_9_as_9_in_both_languages():
    # d3-format (Plotly): ".4g" writes 9 as "9.000"; the "~" trims the zeros. Literal expectations.
    for lang in ("en", "zh"):
        template = catalog(lang)["fig.hover_cell"]
        assert "%{z:.4~g}" in template and "%{z:.3g}" not in template
    assert "行" in catalog("zh")["fig.hover_cell"]


# ----------------------------------------------------------------------------- number grids (item 7)
def test_pooling_grid_names_the_bad_cell_and_keeps_the_last_good_grid(lang):
    at = run_page(POOL, lang)
    title = catalog(lang)["pool.fig_input"]
    z0 = next(c["data"][0]["z"] for c in charts(at) if c["layout"]["title"]["text"].split("<br>")[0] == title)
    at.session_state["pool.grid"] = {"edited_rows": {0: {"0": "None"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert_ok(at)
    assert catalog(lang)["grid.cell_name"].format(r=0, c=0) in at.error[0].value
    z1 = next(c["data"][0]["z"] for c in charts(at) if c["layout"]["title"]["text"].split("<br>")[0] == title)
    assert z1 == z0                                    # "None" is not silently counted as 0


def test_parse_grid_keeps_exact_values_and_reads_a_true_minus():
    from ui.grid_guard import cell_text, parse_grid

    base = np.full((2, 2), 1 / 9)
    table = [[cell_text(v) for v in row] for row in base]
    table[1][1] = "−3"
    x, bad = parse_grid(table, base)
    assert not bad and x[0, 0] == 1 / 9 and x[1, 1] == -3
    assert parse_grid([["1e308", "1e6"]])[1] == [(0, 0)]


# ----------------------------------------------------------------------------- projection (item 16)
def _wcag(rgb):
    """WCAG 2 relative luminance, written from the spec (not the kit's code)."""
    def lin(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = rgb
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def _ratio(a, b):
    la, lb = sorted((_wcag(a), _wcag(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_contrast_formula_matches_published_values():
    from ui.figures import contrast

    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((0x77, 0x77, 0x77), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)   # WebAIM's #777
    assert contrast((0x44, 0x44, 0x44), (0x35, 0xB7, 0x79)) < 4.5   # Plotly's own pick on mid Viridis


@pytest.mark.parametrize("values, kwargs", [
    (np.arange(100.0).reshape(10, 10), {}),                        # Viridis, dark purple to yellow
    (np.arange(-50.0, 50.0).reshape(10, 10), {}),                  # RdBu, signed values
    (np.arange(100.0).reshape(10, 10), {"colorscale": "Blues"}),
])
def test_every_grid_number_has_aa_contrast_on_its_cell(values, kwargs):
    from plotly.colors import sample_colorscale, unlabel_rgb

    from ui import figures

    fig = figures.grid(values, numbers=True, **kwargs)
    heat, text = fig.data[0], next(d for d in fig.data if d.type == "scatter" and d.mode == "text")
    lo, hi = heat.zmin, heat.zmax
    scale = kwargs.get("colorscale", "RdBu_r" if values.min() < 0 else "Viridis")
    for x, y, colour in zip(text.x, text.y, text.textfont.color):
        cell = unlabel_rgb(sample_colorscale(scale, [(values[y, x] - lo) / (hi - lo)])[0])
        ink = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert _ratio(cell, ink) >= 4.5, (values[y, x], cell, colour)


def test_projector_mode_from_the_link_is_kept_and_makes_numbers_bigger():
    at = run_page(CONV, "en", query={"display": "projector"})
    assert_ok(at)
    assert at.toggle(key="_display_projector").value
    sizes = [d["textfont"]["size"] for c in charts(at) for d in c["data"] if d.get("mode") == "text"]
    assert sizes and min(sizes) > 16
    at.selectbox(key="conv.kernel").set_value("laplacian").run()
    assert at.query_params["display"] in ("projector", ["projector"])   # the link keeps it
    at.toggle(key="_display_projector").set_value(False).run()
    assert "display" not in at.query_params
    sizes = [d["textfont"]["size"] for c in charts(at) for d in c["data"] if d.get("mode") == "text"]
    assert min(sizes) == 16


# ----------------------------------------------------------------------------- remembered settings (item 10)
def _array(v):
    """A Plotly JSON array: a list, or a typed array ``{"dtype", "bdata", "shape"}``."""
    import base64

    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        shape = v.get("shape")
        return a.reshape([int(n) for n in str(shape).split(",")] if shape else a.shape).tolist()
    return v


def _input_z(at, lang="en"):
    title = catalog(lang)["pool.fig_input"]
    return _array(next(c["data"][0]["z"] for c in charts(at) if c["layout"]["title"]["text"].split("<br>")[0] == title))


def test_leaving_a_lesson_and_coming_back_keeps_its_settings():
    at = run_page(POOL, "en")
    at.segmented_control(key="pool.mode").set_value("avg").run()
    at.number_input(key="pool.k").set_value(3).run()
    at.number_input(key="pool.s").set_value(3).run()
    at.session_state["pool.grid"] = {"edited_rows": {0: {"0": "42"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.number_input(key="pool.r").set_value(1).run()
    at.slider(key="pool.shift").set_value(3).run()
    assert_ok(at)
    assert _input_z(at)[0][0] == 42
    link = dict(at.query_params)
    assert link["cells"] and link["r"] in ("1", ["1"])                  # the grid and the cell are in the link
    at.switch_page(CONV).run()
    at.number_input(key="conv.stride").set_value(2).run()
    at.switch_page(POOL).run()
    assert_ok(at)
    assert at.segmented_control(key="pool.mode").value == "avg"
    assert at.number_input(key="pool.k").value == 3 and at.number_input(key="pool.s").value == 3
    assert at.number_input(key="pool.r").value == 1
    assert at.slider(key="pool.shift").value == 3
    assert _input_z(at)[0][0] == 42                                      # the edited grid too
    at.switch_page(CONV).run()
    assert at.number_input(key="conv.stride").value == 2


def test_a_link_wins_over_remembered_values_and_carries_the_grid():
    from app_pages.pooling.views import DEFAULT_GRID

    grid = DEFAULT_GRID.copy()
    grid[2, 3] = 77
    text = ";".join(",".join(str(v) for v in row) for row in grid)
    at = run_page(POOL, "en", query={"cells": text, "k": "3"})
    assert_ok(at)
    assert not at.warning
    assert _input_z(at)[2][3] == 77 and at.number_input(key="pool.k").value == 3
    bad = run_page(POOL, "en", query={"cells": "1,2;3"})                 # not a 6 x 6 grid: said, not used
    assert any("`cells`" in w.value for w in bad.warning)
    assert _input_z(bad) == DEFAULT_GRID.tolist()


# ----------------------------------------------------------------------------- alt text (item 19)
def _undescribed(at):
    """Charts and pictures on the page that have no description for screen readers."""
    missing = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "?")
               for c in at.get("plotly_chart") if not c.proto.alt.strip()]
    for el in at.get("imgs"):
        missing += [f"image {i}" for i, img in enumerate(el.proto.imgs) if not img.alt.strip()]
    return missing


def _tab_pages():
    """The page prefixes of every lesson with lazy tabs: ``tabs("conv", ...)`` in its code."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "app_pages"
    return {m for p in root.glob("**/*.py") for m in re.findall(r'\btabs\("([a-z_]+)"', p.read_text())}


TAB_PAGES = _tab_pages()


def _walk_tabs(at):
    """Yield the page once per tab of its lazy tabs (ui/tabs.py): every tab is built in turn."""
    yield "first"
    pages = [page for page in TAB_PAGES if f"{page}._tab_id" in at.session_state]
    for page in pages:
        for tab in [t.label for t in at.tabs][1:]:
            at.session_state[f"{page}.tab"] = tab
            at.run()
            yield tab


@pytest.mark.parametrize("path", [lesson.path for lesson in __import__("ui.lessons").lessons.available_lessons()]
                         + ["app_pages/home/page.py"])
def test_every_chart_and_picture_has_a_description(path):
    at = run_page(path, "zh")
    walked = []
    for tab in _walk_tabs(at):
        assert_ok(at)
        assert not _undescribed(at), (path, tab, _undescribed(at))
        walked.append(tab)
    if path == CONV:
        assert len(walked) == 4                    # every tab of the lesson was built and checked


def test_descriptions_say_what_a_grid_shows():
    from ui import figures

    fig = figures.grid(np.array([[0, 9], [3, 4]]), "Input")
    assert figures.describe(fig) == "Input: a grid of 2 × 2 cells, values from 0 to 9"
    line = figures.line([0, 1], {"loss": [1, 0.5], "accuracy": [0.1, 0.9]}, title="Training")
    assert figures.describe(line) == "Training: a chart of loss, accuracy"
