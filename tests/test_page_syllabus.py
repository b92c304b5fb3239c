"""The three syllabus lessons through AppTest: they render in both languages and a widget changes a shown value."""

import json

import pytest

from tests.conftest import assert_ok, run_page
from ui.i18n import catalog

DEEP = "app_pages/deep_gradients/page.py"
LINEAR = "app_pages/linear_classifier/page.py"
SLIDING = "app_pages/sliding_window/page.py"


def markdowns(at):
    return " ".join(m.value for m in at.markdown)


def chart_titles(at):
    return [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]


@pytest.mark.parametrize("path,key", [(DEEP, "deep"), (LINEAR, "lin"), (SLIDING, "fcn")])
def test_each_page_renders_in_both_languages(path, key, lang):
    at = run_page(path, lang)
    assert_ok(at)
    assert at.title[0].value == catalog(lang)[f"{key}.title"]
    assert not at.error
    assert at.get("plotly_chart")


def test_deep_depth_changes_the_ratio_and_the_training_view_runs(lang):
    cat = catalog(lang)
    at = run_page(DEEP, lang, query={"depth": "3"})
    assert_ok(at)
    assert cat["deep.alive"] in [s.value for s in at.success]
    at.slider(key="deep.depth").set_value(20).run()
    assert_ok(at)
    assert any(i.value.startswith(cat["deep.vanishing"].split("{")[0]) for i in at.info)   # sigmoid, 20 layers
    assert cat["deep.bars_init_title"].format(n=20) in chart_titles(at)
    at.button(key="deep.scn.relu_he").click().run()
    assert_ok(at)
    assert cat["deep.alive"] in [s.value for s in at.success]
    at.session_state["deep.view"] = "train"
    at.session_state["deep.steps"] = 50
    at.run()
    assert_ok(at)
    assert cat["deep.loss_title"] in chart_titles(at)
    assert cat["deep.fl_title"] in chart_titles(at)
    at.button(key="deep.scn.explode").click().run()
    assert_ok(at)
    deep_name = cat["deep.name_deep"].format(n=20)
    assert any(e.value.startswith(cat["deep.diverged"].split("{step}")[0].format(name=deep_name)) for e in at.error)


def test_deep_too_costly_run_is_explained():
    at = run_page(DEEP, "en", query={"view": "train", "depth": "30", "width": "128", "steps": "300"})
    assert_ok(at)
    assert any("multiply-adds" in e.value for e in at.error)


def test_linear_far_points_swing_least_squares(lang):
    cat = catalog(lang)
    at = run_page(LINEAR, lang, query={"view": "lsq", "cls": "2"})
    assert_ok(at)
    before = [m.value for m in at.markdown if cat["lin.angles"].split("{")[0] in m.value][0]
    accs = [m.value for m in at.metric]
    assert accs == ["100%", "100%"]
    at.button[0].click().run()                     # add far-away points of class 2
    assert_ok(at)
    after = [m.value for m in at.markdown if cat["lin.angles"].split("{")[0] in m.value][0]
    assert after != before
    assert at.metric[0].value != "100%" and at.metric[1].value == "100%"   # least squares now gets points wrong


def test_linear_softmax_table_follows_the_chosen_point(lang):
    at = run_page(LINEAR, lang, query={"view": "softmax"})
    assert_ok(at)
    first = [m.value for m in at.markdown if "−log p" in m.value]
    at.number_input(key="lin.point").set_value(25).run()
    assert_ok(at)
    assert [m.value for m in at.markdown if "−log p" in m.value] != first
    assert len(at.table) == 1 and at.table[0].value.shape[0] == 2          # one row per class


def test_linear_added_points_come_from_the_link_and_bad_ones_are_ignored():
    at = run_page(LINEAR, "en", query={"added": "1,1,0;junk;<b>x</b>,2,1;3,3,1"})
    assert_ok(at)
    assert "2 of them added by you" in " ".join(c.value for c in at.caption)
    at.session_state["lin.steps"] = 5
    at.run()
    assert_ok(at)


def test_sliding_equal_maps_and_a_widget_changes_the_costs(lang):
    cat = catalog(lang)
    at = run_page(SLIDING, lang)
    assert_ok(at)
    ok = [s.value for s in at.success][0]
    assert "× 10⁻¹" in ok                                # largest difference ~1e-15, as 1.1 × 10⁻¹⁵
    costs = [m.value for m in at.markdown if "LeNet-5" in m.value and "**" in m.value][-1]
    at.number_input(key="fcn.cols").set_value(3).run()
    assert_ok(at)
    assert [m.value for m in at.markdown if "LeNet-5" in m.value and "**" in m.value][-1] != costs
    at.session_state["fcn.view"] = "detect"
    at.run()
    assert_ok(at)
    assert cat["fcn.det_title"] in chart_titles(at)
    counts = [m.value for m in at.markdown if "IoU" in m.value][0]
    at.slider(key="fcn.thr").set_value(0.5).run()
    assert_ok(at)
    assert [m.value for m in at.markdown if "IoU" in m.value][0] != counts


def test_sliding_chosen_digits_and_bad_text(lang):
    cat = catalog(lang)
    at = run_page(SLIDING, lang)
    at.text_input(key="fcn.digits").set_value("2026").run()
    assert_ok(at)
    assert any("2 0 2 6" in c.value for c in at.caption)
    at.text_input(key="fcn.digits").set_value("20x6").run()
    assert_ok(at)
    assert [e.value for e in at.error] == [cat["error.fcn_bad_digits"].format(limit=30)]
    assert at.get("plotly_chart")                         # a random page is still shown
