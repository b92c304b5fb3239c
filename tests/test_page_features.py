"""The feature-maps lesson through AppTest, in both languages, with good and bad uploads."""

import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from tests.conftest import LANGS, assert_ok, open_tab, run_page
from ui.i18n import catalog

PAGE = "app_pages/feature_maps/page.py"
SMALL = {"size": "64"}


def png(w=300, h=200):
    rr, cc = np.mgrid[0:h, 0:w]
    a = np.stack([rr * 255 // h, cc * 255 // w, np.full((h, w), 90)], axis=2).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def texts(at):
    return [m.value for m in at.markdown]


def shapes_line(at):
    return next(m for m in texts(at) if "`1 ×" in m)


def images(at):
    """Every st.image element's pictures as (caption, url) lists, in page order."""
    found = []

    def walk(node):
        for c in getattr(node, "children", {}).values():
            if getattr(c, "type", None) == "image":
                found.append([(i.caption, i.url) for i in c.proto.imgs])
            walk(c)
    walk(at._tree)
    return found


def bank_captions(at):
    """The captions under the feature-map pictures of the bank tab (the first gallery of 2+ pictures)."""
    return next([c for c, _ in group] for group in images(at) if len(group) >= 2)


def chart(at, key):
    return json.loads(at.get("plotly_chart")[[c.proto.id for c in at.get("plotly_chart")].index(
        next(c.proto.id for c in at.get("plotly_chart") if key in c.proto.id))].proto.spec)


@pytest.mark.parametrize("lang", LANGS)
def test_renders_every_tab_in_both_languages(lang):
    at = run_page(PAGE, lang, query=SMALL)
    assert_ok(at)
    cat = catalog(lang)
    assert at.title[0].value == cat["fm.title"]
    assert not at.error
    line = shapes_line(at)
    assert cat["fm.stage_conv"] in line and "8 × 43 × 64" in line and "8 × 21 × 32" in line
    # the RGB sum and the frequency identity are checked on the page
    open_tab(at, "fm", "rgb", lang)
    assert_ok(at)
    assert any(cat["fm.rgb_check"].split("{")[0] in s.value for s in at.success)
    open_tab(at, "fm", "freq", lang)
    assert_ok(at)
    checks = dict(m.split("  \n**") for m in texts(at) if "  \n**" in m)
    padded = next(v for k, v in checks.items() if k.startswith(cat["fm.check_padded"].split("{")[0]))
    assert float(padded.strip("*")) < 1e-9
    assert float(checks[cat["fm.check_circular"]].strip("*")) > 1e-3
    # learned features: the pretrained LeNet-5 reads the image; every layer can be shown
    open_tab(at, "fm", "learned", lang)
    assert_ok(at)
    layers = at.button_group(key="fm.layers")
    assert len(layers.options) >= 10 and len(layers.value) == 5    # C1, S2, C3, S4, C5 at first
    layer_head = cat["fm.layer_title"].split("{")[0]
    shown = [m for m in texts(at) if m.startswith("**" + layer_head) and cat["fm.kind.conv"] in m]
    assert len(shown) == 3


def test_relu_and_pooling_toggle_step_by_step():
    at = run_page(PAGE, "en", query=SMALL)
    assert shapes_line(at).count("→") == 3
    at.toggle(key="fm.pool_on").set_value(False).run()
    assert_ok(at)
    line = shapes_line(at)
    assert line.count("→") == 2 and "pooling" not in line
    at.toggle(key="fm.relu").set_value(False).run()
    line = shapes_line(at)
    assert line.count("→") == 1 and "ReLU" not in line
    # without ReLU some values of the edge maps are negative: a diverging scale, named under the maps
    cat = catalog("en")
    assert any(c.value.startswith(cat["fm.scale_bar_diverging"].split("{")[0]) for c in at.caption)
    at.toggle(key="fm.relu").set_value(True).run()
    assert any(c.value.startswith(cat["fm.scale_bar_sequential"].split("{")[0]) for c in at.caption)
    at.toggle(key="fm.pool_on").set_value(True).run()
    at.selectbox(key="fm.pool").set_value(4).run()
    assert "8 × 10 × 16" in shapes_line(at)


def test_shared_or_per_map_colour_scale():
    at = run_page(PAGE, "en", query=SMALL)
    cat = catalog("en")
    names = [cat[f"fm.filter.{n}"] for n in ("edge_0", "edge_45", "edge_90", "edge_135", "gabor_45", "blur",
                                             "sharpen", "laplacian")]
    assert bank_captions(at) == names                         # one scale: its bar and its caption
    assert any(c.value.startswith("Colour scale of all maps") for c in at.caption)
    at.radio(key="fm.scale").set_value("per_map").run()
    per_map = bank_captions(at)
    assert [c.split(" · ")[0] for c in per_map] == names
    ranges = {c.split(" · ")[1] for c in per_map}
    assert len(ranges) > 1 and all(" … " in r for r in ranges)   # each map's own range, as a hover gave
    assert not any(c.value.startswith("Colour scale of all maps") for c in at.caption)
    assert at.query_params["scale"] == ["per_map"] or at.query_params["scale"] == "per_map"


def test_the_pictures_show_the_maps_values_in_the_colours_of_their_scale():
    """The picture of a map is its values through the colour map, a block of pixels per value."""
    from matplotlib import colormaps

    from app_pages.feature_maps import figures as ff

    m = np.array([[-2.0, 0.0], [1.0, 2.0]])
    pic = ff.picture(m, -2.0, 2.0, px=10)
    assert pic.shape == (10, 10, 3) and pic.dtype == np.uint8
    rdbu = colormaps["RdBu_r"]
    for (r, c), u in {(0, 0): 0.0, (0, 1): 0.5, (1, 0): 0.75, (1, 1): 1.0}.items():
        # matplotlib's 256-entry table: within one step of the exact colour
        np.testing.assert_allclose(pic[r * 5 + 2, c * 5 + 2], np.array(rdbu(u)[:3]) * 255, atol=1.5, err_msg=str(u))
    gray = ff.picture(np.array([[0.0, 1.0]]), 0.0, 1.0, px=4, kind="gray")
    assert (gray[..., 0] == gray[..., 1]).all() and gray[0, 0, 0] == 0 and gray[0, -1, 0] == 255
    assert ff.kind_of(0.0, 3.0) == "sequential" and ff.kind_of(-1.0, 1.0) == "diverging"


def test_bank_result_against_scipy_and_the_colour_limits():
    """compute.bank: SciPy's correlate, ReLU, a brute-force max pool, and the percentile limits."""
    from scipy.ndimage import correlate

    from app_pages.feature_maps import compute
    from cnnlab.vision import filters

    rng = np.random.default_rng(3)
    gray = rng.random((12, 10))
    names = ("edge_0", "blur")
    kernels = [filters.named_kernel(n) for n in names]
    res = compute.bank(gray, names, kernels, True, 2, "max")
    assert [s for s, _ in res.stages] == ["conv", "relu", "pool"] and res.stage == "pool"
    for f, k in enumerate(kernels):
        conv = correlate(gray, k, mode="constant", cval=0.0)
        np.testing.assert_allclose(res.stages[0][1][f], conv, atol=1e-12)
        relu = np.maximum(conv, 0)
        pooled = np.array([[relu[2 * i:2 * i + 2, 2 * j:2 * j + 2].max() for j in range(5)] for i in range(6)])
        np.testing.assert_allclose(res.maps[f], pooled, atol=1e-12)
        lo, hi = np.percentile(pooled, [0.5, 99.5])
        np.testing.assert_allclose(res.limits[f], (lo, hi) if not lo < 0 < hi else (-max(-lo, hi), max(-lo, hi)))
    np.testing.assert_allclose(compute.limits_of(res, True), [res.shared] * 2)


@pytest.mark.parametrize(("h", "w"), [(1, 128), (128, 1), (1, 1)])
def test_an_image_too_thin_for_the_pooling_window_is_named_so(h, w):
    from app_pages.feature_maps import compute
    from cnnlab.checks import LessonError
    from cnnlab.vision import filters

    with pytest.raises(LessonError) as err:
        compute.bank(np.ones((h, w)), ("blur",), [filters.named_kernel("blur")], True, 2, "max")
    assert err.value.code == "fm_image_too_small" and err.value.params == {"h": h, "w": w, "pool": 2}
    res = compute.bank(np.ones((h, w)), ("blur",), [filters.named_kernel("blur")], True, 1, "max")
    assert res.maps.shape == (1, h, w)                        # without pooling it works


@pytest.mark.parametrize("lang", LANGS)
def test_thin_and_tiny_uploads_say_the_image_is_too_small(lang):
    cat = catalog(lang)
    at = run_page(PAGE, lang, query=SMALL)
    at.radio(key="fm.img.source").set_value("upload").run()
    for size, shape in (((5000, 10), (1, 64)), ((1, 1), (1, 1))):
        at.get("file_uploader")[0].set_value(("thin.png", png(*size), "image/png")).run()
        assert_ok(at)
        errors = [e.value for e in at.error]
        assert errors == [cat["error.fm_image_too_small"].format(h=shape[0], w=shape[1], pool=2)], errors
        assert "kernel" not in errors[0] and "卷积核" not in errors[0]
    at.toggle(key="fm.pool_on").set_value(False).run()
    assert_ok(at)
    assert not at.error


def test_row_and_column_out_of_the_map_say_so_and_keep_the_pixel():
    at = run_page(PAGE, "en", query=SMALL)
    at.number_input(key="fm.row").set_value(3).run()
    before = [m for m in texts(at) if m.startswith("Sum of the 9 products")]
    at.number_input(key="fm.row").set_value(500).run()
    assert_ok(at)
    assert [e.value for e in at.error] == [catalog("en")["fm.cell_out_of_range"].format(
        name="Row", hi=20, value="500", old=3)]
    assert [m for m in texts(at) if m.startswith("Sum of the 9 products")] == before
    at.number_input(key="fm.row").set_value(-1).run()
    assert len(at.error) == 1 and "-1" in at.error[0].value
    at.number_input(key="fm.row").set_value(4).run()
    assert not at.error


def test_url_restores_settings():
    at = run_page(PAGE, "en", query={"size": "64", "relu": "0", "pool_on": "0", "scale": "per_map",
                                     "bank": "edge_0,laplacian,nonsense", "rgb": "red_minus_green"})
    assert_ok(at)
    assert at.toggle(key="fm.relu").value is False and at.radio(key="fm.scale").value == "per_map"
    assert at.button_group(key="fm.bank_list").value == ["edge_0", "laplacian"]
    assert "2 × 43 × 64" in shapes_line(at)
    open_tab(at, "fm", "rgb")
    assert at.selectbox(key="fm.rgb").value == "red_minus_green"
    open_tab(at, "fm", "bank")                        # the closed tab's setting stayed in the link
    assert at.query_params["rgb"] in ("red_minus_green", ["red_minus_green"])


def test_clicked_pixel_changes_the_multiply_add():
    at = run_page(PAGE, "en", query=SMALL)
    before = [m for m in texts(at) if m.startswith("Sum of the 9 products")]
    assert before
    at.number_input(key="fm.row").set_value(3).run()
    at.number_input(key="fm.col").set_value(5).run()
    after = [m for m in texts(at) if m.startswith("Sum of the 9 products")]
    assert after and after != before


def test_a_click_event_names_the_cell():
    """The chart's on_select callback reads the clicked point (the browser test clicks for real)."""
    from app_pages.feature_maps.sections import clicked_cell

    assert clicked_cell({"selection": {"points": [{"x": 7, "y": 3.0, "curve_number": 1}]}}) == (3, 7)
    assert clicked_cell({"selection": {"points": []}}) is None
    assert clicked_cell(None) is None
    assert clicked_cell({"selection": {"points": [{"x": "a"}]}}) is None


def test_custom_kernel_good_and_bad():
    at = run_page(PAGE, "en", query={"size": "64", "custom": "1"})
    assert_ok(at)
    assert "9 × 43 × 64" in shapes_line(at)
    at.text_area(key="fm.kernel").set_value("1 2\n3").run()
    assert_ok(at)
    assert catalog("en")["error.fm_kernel_ragged"].format(counts="2, 1") in [e.value for e in at.error]
    assert "8 × 43 × 64" in shapes_line(at)          # the bank keeps working without it
    at.text_area(key="fm.kernel").set_value("__import__('os')").run()
    assert any("is not a number" in e.value for e in at.error)
    at.text_area(key="fm.kernel").set_value("1/9 1/9 1/9\n1/9 1/9 1/9\n1/9 1/9 1/9").run()
    assert not at.error and "9 × 43 × 64" in shapes_line(at)


@pytest.mark.parametrize("lang", LANGS)
def test_uploads_good_and_bad(lang):
    cat = catalog(lang)
    at = run_page(PAGE, lang, query=SMALL)
    at.radio(key="fm.img.source").set_value("upload").run()
    assert_ok(at)
    at.get("file_uploader")[0].set_value(("photo.png", png(), "image/png")).run()
    assert_ok(at)
    assert not at.error
    captions = [c.value for c in at.caption]
    assert cat["image.scaled_note"].format(orig_h=200, orig_w=300, h=43, w=64) in captions
    assert "8 × 43 × 64" in shapes_line(at)
    data = png()
    for name, bad, code in (("cut.png", data[: len(data) // 2], "image_truncated"),
                            ("empty.png", b"", "image_empty"),
                            ("noise.png", np.random.default_rng(0).bytes(3000), "image_not_image")):
        at.get("file_uploader")[0].set_value((name, bad, "image/png")).run()
        assert_ok(at)
        assert [e.value for e in at.error] == [cat["image.bad_upload"].format(name=name,
                                                                          message=cat[f"error.{code}"])], name
        assert cat["image.using_last"].format(name="photo.png") in [c.value for c in at.caption]
        assert "8 × 43 × 64" in shapes_line(at)
    at.get("file_uploader")[0].set_value(("small.png", png(40, 30), "image/png")).run()
    assert not at.error and "8 × 30 × 40" in shapes_line(at)


def test_session_model_is_offered_beside_the_pretrained_one():
    from cnnlab.nn.model import LENET5, Model
    from services.session_models import TrainedModel

    def setup(at):
        at.session_state["session_models.trained"] = TrainedModel(Model(LENET5, seed=1), "digits", (1, 28, 28),
                                                                  tuple("0123456789"))

    at = run_page(PAGE, "en", query={**SMALL, "tab": "learned"}, setup=setup)
    assert_ok(at)
    radio = at.radio(key="fm.model_source")
    assert radio.options == [catalog("en")["fm.model_pretrained"], catalog("en")["fm.model_session"]]
    radio.set_value("session").run()
    assert_ok(at)
    layers = at.button_group(key="fm.layers")
    layers.set_value(layers.value + [9]).run()      # add the fully connected F6
    assert_ok(at)
    assert any(catalog("en")["fm.kind.dense"] in m for m in texts(at))


def _param(at, name):
    v = at.query_params.get(name)
    return v[0] if isinstance(v, list) else v


def test_every_sample_image_is_part_of_the_link():
    """Issue 18 Major 4: choose a sample, the link names it, and the link opens that sample again."""
    from ui.image_source import sample_names
    for name in sample_names():
        at = run_page(PAGE, "en", query=SMALL)
        at.selectbox(key="fm.img.sample").set_value(name).run()
        assert_ok(at)
        assert _param(at, "img.sample") == name
        again = run_page(PAGE, "en", query={**SMALL, "img.sample": name})
        assert_ok(again)
        assert again.selectbox(key="fm.img.sample").value == name
        assert not again.warning                      # no "default value and Session State" warning
    bad = run_page(PAGE, "en", query={**SMALL, "img.sample": "../etc/passwd"})
    assert_ok(bad)
    assert bad.selectbox(key="fm.img.sample").value == "cat"


def test_frequency_tab_draws_the_gray_image_in_gray():
    at = run_page(PAGE, "en", query={**SMALL, "tab": "freq"})
    assert_ok(at)
    cat = catalog("en")
    pictures = next(group for group in images(at) if group and group[0][0] == cat["fm.freq_input"])
    assert len(pictures) == 2 and pictures[1][0].startswith(cat["fm.freq_output"] + " · ")


def _charts(at):
    """The Plotly figures on the page, as dicts (their JSON spec)."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


@pytest.mark.parametrize("lang", LANGS)
def test_inspector_titles_are_captions_that_wrap_and_hover_numbers_drop_zeros(lang):
    """Issue 18: the inspector's Plotly titles were cut at 1024 px ("... click a p", "Window × kernel, cell by
    ce"); they are captions above the charts now (a caption wraps), and the charts carry no title. The hover
    numbers drop trailing zeros (9, not 9.00), as the kit's grid hover does (issue 16)."""
    cat = catalog(lang)
    at = run_page(PAGE, lang, query=SMALL)
    assert_ok(at)
    captions = [c.value for c in at.caption]
    click = cat["fm.click_title"].format(name=cat["fm.filter.edge_90"], stage=cat["fm.stage_pool"])
    for text in (click, cat["fm.field_title"], cat["fm.window"], cat["fm.kernel"], cat["fm.products"]):
        assert text in captions, text
    charts = _charts(at)
    assert len(charts) == 5
    assert all(not fig["layout"].get("title", {}).get("text") for fig in charts)
    hovers = [tr.get("hovertemplate", "") for fig in charts for tr in fig["data"]]
    formats = [f for h in hovers for f in re.findall(r"%\{[a-z]+:([^}]*)\}", h)]
    assert formats and all("~" in f for f in formats), formats
    open_tab(at, "fm", "freq", lang)
    assert cat["fm.gain_title"] in [c.value for c in at.caption]
    assert all(not fig["layout"].get("title", {}).get("text") for fig in _charts(at))


def test_every_hover_number_format_of_these_lessons_drops_trailing_zeros():
    """d3's ``.3g`` writes 9 as 9.00; ``.3~g`` writes 9 (the kit's formatter, ui/fmt.py). Every hover format in
    the feature-maps and convolution texts and figures uses ``~``."""
    from pathlib import Path

    found = []
    for lang in LANGS:
        found += [(k, f) for k, v in catalog(lang).items() if k.startswith(("fm.", "conv.", "fig."))
                  for f in re.findall(r"%\{[a-z]+:([^}]*)\}", v)]
    root = Path(__file__).resolve().parent.parent / "app_pages"
    for path in [*(root / "feature_maps").glob("*.py"), *(root / "convolution").glob("*.py")]:
        found += [(path.name, f) for f in re.findall(r"%\{[a-z]+:([^}]*)\}", path.read_text(encoding="utf-8"))]
    assert found
    assert [(k, f) for k, f in found if "~" not in f] == []
