"""The feature-maps lesson through AppTest, in both languages, with good and bad uploads."""

import io
import json

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
    metrics = {m.label: m.value for m in at.metric}
    padded = next(v for k, v in metrics.items() if k.startswith(cat["fm.check_padded"].split("{")[0]))
    assert float(padded) < 1e-9
    assert float(metrics[cat["fm.check_circular"]]) > 1e-3
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
    # without ReLU some values of the edge maps are negative: a diverging scale
    assert chart(at, "fm.grid_chart")["data"][0]["zmin"] < 0
    at.toggle(key="fm.relu").set_value(True).run()
    assert chart(at, "fm.grid_chart")["data"][0]["zmin"] >= 0
    at.toggle(key="fm.pool_on").set_value(True).run()
    at.selectbox(key="fm.pool").set_value(4).run()
    assert "8 × 10 × 16" in shapes_line(at)


def test_shared_or_per_map_colour_scale():
    at = run_page(PAGE, "en", query=SMALL)
    shared = chart(at, "fm.grid_chart")["data"]
    assert len({(d["zmin"], d["zmax"]) for d in shared}) == 1 and sum(d["showscale"] for d in shared) == 1
    at.radio(key="fm.scale").set_value("per_map").run()
    per_map = chart(at, "fm.grid_chart")["data"]
    assert len({(d["zmin"], d["zmax"]) for d in per_map}) > 1 and not any(d["showscale"] for d in per_map)
    assert at.query_params["scale"] == ["per_map"] or at.query_params["scale"] == "per_map"


def test_url_restores_settings():
    at = run_page(PAGE, "en", query={"size": "64", "relu": "0", "pool_on": "0", "scale": "per_map",
                                     "bank": "edge_0,laplacian,nonsense", "rgb": "red_minus_green"})
    assert_ok(at)
    assert at.toggle(key="fm.relu").value is False and at.radio(key="fm.scale").value == "per_map"
    assert at.multiselect(key="fm.bank_list").value == ["edge_0", "laplacian"]
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
        assert [e.value for e in at.error] == [cat[f"error.{code}"]], name
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
    image, result = chart(at, "fm.freq_pictures")["data"]
    assert image["colorscale"] == [[0.0, "#000000"], [1.0, "#ffffff"]]
    assert result["colorscale"] != image["colorscale"]
