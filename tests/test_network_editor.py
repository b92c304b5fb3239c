"""The shared network editor (ui/network_editor.py): its link text, and edits that travel in a link.

The link grammar is checked against literals written by hand (LeNet-5's token string) and
against every description the editor's limits allow, built at random; the pages are checked
the way a teacher uses them: edit -> copy the link -> open it in a new session.
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.nn.model import LENET5, PRESETS, Model
from tests.conftest import assert_ok, run_page
from ui.network_editor import APPLIES, BOUNDS, MAX_LINK, MAX_ROWS, from_link, to_link, with_outputs

PAGE = "app_pages/training/page.py"
OWN = "app_pages/own_classes/page.py"


def test_lenet5_link_text_by_hand():
    # C1 6 filters 5x5 pad 2, ReLU, 2x2 max pool, C3 16 5x5, ReLU, pool, C5 120 5x5, ReLU, flatten,
    # F6 84, ReLU, 10 outputs
    assert to_link(LENET5) == "c6k5p2_r_m2_c16k5_r_m2_c120k5_r_f_d84_r_d10"
    assert from_link("c6k5p2_r_m2_c16k5_r_m2_c120k5_r_f_d84_r_d10") == LENET5
    assert from_link("o0.25") == [{"type": "dropout", "rate": 0.25}]
    assert from_link("c8k3s2p1_a3s2") == [{"type": "conv", "filters": 8, "kernel": 3, "stride": 2, "padding": 1},
                                          {"type": "avgpool", "size": 3, "stride": 2}]


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_goes_through_a_link_unchanged(name):
    assert from_link(to_link(PRESETS[name])) == PRESETS[name]


def _layer():
    def build(kind, values):
        return {"type": kind, **{k: v for k, v in values.items() if k in APPLIES.get(kind, ())}}
    ints = {k: st.integers(*BOUNDS[k]) for k in BOUNDS if k != "rate"}
    rate = st.sampled_from([0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9])
    values = st.fixed_dictionaries({}, optional={**ints, "rate": rate})
    return st.builds(build, st.sampled_from(["conv", "maxpool", "avgpool", "relu", "sigmoid", "tanh", "flatten",
                                             "dropout", "dense"]), values)


@settings(max_examples=200, deadline=None)
@given(st.lists(_layer(), min_size=1, max_size=MAX_ROWS))
def test_any_table_the_editor_allows_round_trips(desc):
    text = to_link(desc)
    assert text is not None and len(text) <= MAX_LINK
    assert from_link(text) == desc


@pytest.mark.parametrize("text", [
    "", "<script>alert(1)</script>", "c6k5p2_r_x3", "c6k5p2__r", "c0k5", "c257", "c6k12", "c6p6", "m9",
    "d4097", "o0.95", "o1", "d12.5", "c6k5k3", "r5", "fk3", "d10s2", "c6k5p2 r", "C6k5", "c6k5p2_" * 31,
    "d1_" * 40 + "d1", "c6k5p2%0a", "../../etc", "c1e3", "c-1", "d١٠",
])
def test_anything_else_is_refused(text):
    assert from_link(text) is None


def test_with_outputs_sets_only_a_last_fully_connected_layer():
    assert with_outputs(LENET5, 3)[-1] == {"type": "dense", "units": 3} and LENET5[-1]["units"] == 10
    assert with_outputs([{"type": "flatten"}], 3) == [{"type": "flatten"}]


def _summary(at):
    return at.dataframe[1].value                  # [0] is the layer editor itself


def test_training_edit_then_link_then_reopen_gives_the_same_network(lang):
    at = run_page(PAGE, lang)
    at.selectbox(key="train.row_pick").set_value(8).run()                    # layer 9: flatten
    at.selectbox(key="train.row_kind").set_value("conv").run()
    at.button(key="train.row_above").click().run()
    assert_ok(at)
    edited = at.session_state["train.editor"]["lenet5"][2]
    link = at.query_params["arch"]
    link = link[0] if isinstance(link, list) else link
    assert link == "c6k5p2_r_m2_c16k5_r_m2_c120k5_r_c8k3p1_f_d84_r_d10"
    params = dict(at.query_params)
    again = run_page(PAGE, lang, query={k: (v[0] if isinstance(v, list) else v) for k, v in params.items()})
    assert_ok(again)
    assert again.session_state["train.editor"]["lenet5"][2] == edited
    assert _summary(again).equals(_summary(at))                               # same shapes, counts, MACs
    assert not again.warning
    # the link's network is what Train builds, even when the link opens another tab
    on_train = run_page(PAGE, lang, query={"arch": link, "tab": "train"})
    assert_ok(on_train)
    assert not on_train.error


@pytest.mark.parametrize("bad", ["<b>x</b>", "c6k5p2_r_x3", "d1_" * 200])
def test_a_hostile_training_link_is_refused_with_a_message(lang, bad):
    at = run_page(PAGE, lang, query={"arch": bad})
    assert_ok(at)
    assert at.warning and "`arch`" in at.warning[0].value                    # named, never quoted
    assert "<b>" not in at.warning[0].value
    assert "61,706" in [c.value for c in at.caption if "61,706" in c.value][0]  # the preset, LeNet-5
    assert at.query_params.get("arch") in ("", [""], None)


def test_a_link_whose_network_does_not_fit_is_explained_not_refused():
    # within the grammar, but C3 11x11 leaves no room for C5: the shape check explains it, as for a table edit
    at = run_page(PAGE, "en", query={"arch": "c6k5p2_r_m2_c16k11_r_m2_c120k5_r_f_d84_r_d10"})
    assert_ok(at)
    assert at.error and not at.warning


def test_the_editor_shows_layer_types_in_the_page_language():
    at = run_page(PAGE, "zh")
    options = json.loads(at.dataframe[0].proto.columns)["type"]["type_config"]["options"]
    labels = {o["value"]: o["label"] for o in options}
    assert labels["conv"] == "卷积" and labels["maxpool"] == "最大池化" and labels["dense"] == "全连接"
    types = list(_summary(at).iloc[:, 1])
    assert types[0] == "卷积" and "conv" not in types


def test_own_classes_edit_then_link_then_reopen(lang):
    at = run_page(OWN, lang, query={"tab": "train"})
    assert_ok(at)
    at.selectbox(key="own.row_pick").set_value(0).run()
    at.selectbox(key="own.row_kind").set_value("dropout").run()
    at.button(key="own.row_below").click().run()
    assert_ok(at)
    link = at.query_params["arch"]
    link = link[0] if isinstance(link, list) else link
    assert link.startswith("c8k3p1_o0.5_r_m2")
    params = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    again = run_page(OWN, lang, query=params)
    assert_ok(again)
    assert again.session_state["own.editor"]["small"][2] == at.session_state["own.editor"]["small"][2]
    bad = run_page(OWN, lang, query={"tab": "train", "arch": "c6k5p2_r_x3", "epochs": "-3"})
    assert_ok(bad)
    assert bad.warning and "`arch`" in bad.warning[0].value and "`epochs`" in bad.warning[0].value


def test_model_checks_the_link_network_like_an_edited_table():
    # the same error an edited table gets: the model, not the link, decides whether shapes fit
    with pytest.raises(ValueError):
        Model(from_link("c6k5p2_r_m2_c16k11_r_m2_c120k5_r_f_d84_r_d10"))
