"""AppTest for the four shape-arithmetic lessons, in both languages, with invalid settings."""

import json

import pytest

from tests.conftest import assert_ok, run_page
from ui.i18n import Translator, catalog

SIZE, POOL, RF, ARCH = ("app_pages/output_size/page.py", "app_pages/pooling/page.py",
                        "app_pages/receptive_field/page.py", "app_pages/architectures/page.py")


def texts(at):
    return " ".join(m.value for m in [*at.markdown, *at.latex, *at.caption, *at.info, *at.warning,
                                      *at.success, *at.error])


def test_output_size_predict_then_reveal(lang):
    at = run_page(SIZE, lang)
    assert_ok(at)
    assert not at.success and r"\mathbf{3}" not in texts(at)       # hidden before the reveal
    at.number_input(key="size.guess_r").set_value(3).run()
    at.button(key="size.reveal_btn").click().run()
    assert_ok(at)
    assert at.success, "a right prediction is praised"
    assert r"\mathbf{3}" in texts(at)
    at.number_input(key="size.i_r").set_value(8).run()              # new settings: predict again
    assert r"\mathbf{4}" not in texts(at)
    at.toggle(key="size.predict").set_value(False).run()
    assert r"\mathbf{4}" in texts(at)
    (walk,) = at.get("plotly_chart")                 # input and output side by side in one animated chart
    spec = json.loads(walk.proto.spec)
    assert "xaxis2" in spec["layout"] and len(spec["frames"]) > 0


def test_output_size_modes_and_floor(lang):
    at = run_page(SIZE, lang, query={"predict": "0", "i_r": "8", "p_r": "0"})
    assert_ok(at)
    assert at.warning, "8 + 0 - 3 is not a multiple of 2: the floor is explained"
    at.segmented_control(key="size.mode").set_value("pool").run()
    assert_ok(at)
    at.segmented_control(key="size.mode").set_value("transposed").run()
    assert_ok(at)
    assert r"\mathbf{17}" in texts(at)                               # (8-1)*2 - 0 + 2 + 0 + 1
    at.toggle(key="size.square").set_value(False).run()
    at.number_input(key="size.k_c").set_value(5).run()
    assert_ok(at)
    assert r"\mathbf{19}" in texts(at)                               # columns: kernel 5


@pytest.mark.parametrize("query,code", [
    ({"s_r": "0"}, "error.positive_int"),
    ({"i_r": "2", "p_r": "0", "k_r": "5"}, "error.kernel_too_large"),
    ({"mode": "transposed", "op": "3"}, "error.output_padding_too_large"),
    ({"mode": "transposed", "i_r": "1", "k_r": "1", "p_r": "3"}, "error.transposed_too_small"),
    ({"mode": "pool", "k_r": "2", "p_r": "2"}, "error.pool_padding_too_large"),
])
def test_output_size_invalid_settings_explain_themselves(query, code):
    from ui.i18n import catalog

    at = run_page(SIZE, "en", query={"predict": "0", **query})
    assert_ok(at)
    assert at.error, "the problem is shown"
    start = catalog("en")[code].split("{")[0]
    assert at.error[0].value.startswith(start)
    assert at.info, "a fix is suggested"
    assert "760" in texts(at), "the rest of the page keeps working"


def test_pooling_page(lang):
    at = run_page(POOL, lang)
    assert_ok(at)
    before = texts(at)
    assert len(at.get("plotly_chart")) == 8
    at.segmented_control(key="pool.mode").set_value("avg").run()
    assert_ok(at)
    assert texts(at) != before
    at.number_input(key="pool.s").set_value(0).run()
    assert at.error and at.info
    at.number_input(key="pool.s").set_value(1).run()
    at.number_input(key="pool.p").set_value(2).run()                 # more than half the window
    assert at.error
    at.number_input(key="pool.p").set_value(1).run()
    at.radio(key="pool.source").set_value("image").run()
    assert_ok(at)
    assert not at.error


def test_receptive_field_page(lang):
    at = run_page(RF, lang)
    assert_ok(at)
    assert "7 × 7" in texts(at) or "7 × 7" in str(at.table[-1].value)
    at.selectbox(key="rf.preset").set_value("alexnet").run()
    assert_ok(at)
    table = at.table[-1].value
    assert table.iloc[-1, 3] == 195                                 # pool5 of AlexNet sees 195 pixels
    at.number_input(key="rf.size").set_value(40).run()              # too small for AlexNet
    assert_ok(at)
    assert at.error
    at.number_input(key="rf.size").set_value(224).run()
    at.number_input(key="rf.ur").set_value(3).run()
    # unit 3 of pool5: u = 3 * 32 - 66 = 30, v = 30 + 195 - 1 = 224 (one pixel into the padding)
    expected = "rows 30 to 224" if lang == "en" else "第 30 到 224 行"
    assert expected in texts(at).replace("**", "")
    assert at.info, "the part in the padding is pointed out"


def test_receptive_field_from_a_link_and_a_bad_link():
    at = run_page(RF, "en", query={"preset": "custom", "size": "32", "stack": "c5s1p0d1.p2s2p0d1.c5s1p0d1"})
    assert_ok(at)
    assert at.table[-1].value.iloc[-1, 3] == 14
    at = run_page(RF, "en", query={"stack": "c3;import os", "size": "99999"})
    assert_ok(at)
    assert at.table[-1].value.iloc[-1, 3] == 7                   # the preset, default size


def test_architectures_page(lang):
    at = run_page(ARCH, lang)
    assert_ok(at)
    assert "60,000" in texts(at)
    for net, total in [("alexnet", "61,100,840"), ("vgg16", "138,357,544"), ("resnet18", "11,689,512")]:
        at.selectbox(key="arch.net").set_value(net).run()
        assert_ok(at)
        assert at.success and total in at.success[0].value
    at.selectbox(key="arch.net").set_value("inception3a").run()
    assert_ok(at)
    assert at.info
    at.selectbox(key="arch.net").set_value("fcn").run()
    at.number_input(key="arch.fcn_size").set_value(64).run()     # below 224: brought up to 224, and said so
    assert_ok(at)
    assert at.number_input(key="arch.fcn_size").value == 224 and at.info and not at.error


def test_why_pool_respects_round_up_and_shows_the_dot(lang):
    at = run_page(POOL, lang, query={"k": "3", "s": "2", "ceil": "1"})
    assert_ok(at)
    # 6 x 6, window 3, stride 2, rounded up: 3 x 3, 36 / 9 = 4 times fewer, 9 * 10 + 10 = 100 parameters
    reduction = next(m.value for m in at.markdown if "370" in m.value)
    assert "3 × 3" in reduction and "4" in reduction and "100" in reduction and "9" not in reduction
    # overlapping windows (3 wide, stride 2): the dot starts in column 3, which only window 1 reads;
    # one step right it reaches column 4, which window 2 reads too: one pooled cell of 9 changes
    assert [m.value for m in at.metric] == ["6%", "11%"]
    at.number_input(key="pool.k").set_value(2).run()
    at.number_input(key="pool.s").set_value(2).run()
    assert [m.value for m in at.metric] == ["6%", "0%"]           # it moved inside its window: no change


def test_pooling_errors_speak_of_windows(lang):
    at = run_page(POOL, "en", query={"k": "8"})
    assert at.error and at.info
    msg = at.error[0].value
    assert "window" in msg and "kernel" not in msg and "dilation" not in msg
    assert "input" not in at.info[0].value                        # the grid is fixed: no "input 8"


def test_output_size_accepts_the_cell_count_for_a_square_map():
    at = run_page(SIZE, "en")                                     # 5 x 5 input, kernel 3: a 3 x 3 output
    at.number_input(key="size.guess_r").set_value(9).run()
    at.button(key="size.reveal_btn").click().run()
    assert any("9 cells" in m.value for m in at.success)
    at.number_input(key="size.guess_r").set_value(4).run()
    assert not any("9 cells" in m.value for m in at.success)
    assert any(m.value.startswith("Not quite") for m in at.warning)


@pytest.mark.parametrize("page, query, name", [(POOL, {"s": "-1"}, "`s`"), (ARCH, {"net": "foo"}, "`net`")])
def test_a_bad_link_names_the_ignored_setting(page, query, name, lang):
    at = run_page(page, lang, query=query)
    assert_ok(at)
    assert any(name in w.value for w in at.warning)
    at.run()                                                       # said once, on opening the link
    assert not any(name in w.value for w in at.warning)


def test_grid_numbers_are_projector_sized():
    import numpy as np

    from ui import figures
    small = figures.grid(np.arange(36.0).reshape(6, 6), numbers=True)
    assert small.data[1].textfont.size >= 16                       # issue 16: >= 16 px at 1024 x 768
    assert figures.grid(np.zeros((28, 28)), numbers=True).data[1].textfont.size < 16


@pytest.mark.parametrize("lang, said", [("en", "you typed 99, so it is set to 10"),
                                        ("zh", "你输入的是 99，所以已改为 10")])
def test_a_typed_number_out_of_range_is_clamped_visibly_and_explained(lang, said):
    at = run_page(SIZE, lang, query={"predict": "0"})
    at.number_input(key="size.p_r").set_value(99).run()            # issue 16 item 8
    assert_ok(at)
    assert at.number_input(key="size.p_r").value == 10             # the box shows what the page uses
    assert any(said in w.value for w in at.warning)
    assert r"\mathbf{12}" in texts(at)                             # (5 + 20 - 2 - 1) / 2 + 1 with padding 10
    at.run()
    assert not any(said in w.value for w in at.warning)             # said once
    at.number_input(key="size.pcout").set_value(-4).run()          # the calculator's boxes too
    assert at.number_input(key="size.pcout").value == 1
    assert any("-4" in w.value for w in at.warning)


def test_parameter_calculators_are_live_and_match_the_syllabus(lang):
    at = run_page(SIZE, lang, query={"predict": "0"})
    metrics = {m.label: m.value for m in at.metric}
    out, per, total = (catalog(lang)[f"size.layer_{n}"] for n in ("output", "per_filter", "total"))
    assert (metrics[out], metrics[per], metrics[total]) == ("32 × 32 × 10", "76", "760")
    assert "7,921" in texts(at) and "3,168,400" in texts(at)
    at.button(key="size.example_four_two").click().run()           # 4 -> 2 channels, 2×2 kernels, no bias
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[total] == "32" and metrics[per] == "16"
    at.toggle(key="size.pbias").set_value(True).run()
    assert {m.label: m.value for m in at.metric}[total] == "34"
    at.number_input(key="size.fn").set_value(100).run()
    assert "792,100" in texts(at)                                  # 7,921 per map × 100 features
    at.number_input(key="size.chidden").set_value(1000).run()
    assert {m.label: m.value for m in at.metric}[catalog(lang)["size.fc_weights"]] == "10⁹"


def test_dilation_gaps_are_not_called_nothing_left_over():
    at = run_page(SIZE, "en", query={"predict": "0", "i_r": "8", "p_r": "0", "s_r": "3", "d_r": "2"})
    assert_ok(at)
    assert not at.success                                           # not "no cell at the end is left over"
    assert any("never read" in i.value for i in at.info)
    assert "**1, 6**" in texts(at)


def test_the_link_keeps_the_window_position_and_names_ignored_values():
    at = run_page(SIZE, "en", query={"predict": "0", "cell": "3", "pk": "999"})
    assert_ok(at)
    (walk,) = at.get("plotly_chart")                                # the caption is part of the animated chart
    assert "Window 3 of 9" in json.dumps(json.loads(walk.proto.spec)["data"])       # not only in the frames
    assert at.query_params["cell"] == "3"
    assert any("`pk`" in w.value for w in at.warning)


def test_padding_cells_are_crossed_with_a_legend():
    import numpy as np

    from ui import shape_figures

    t = Translator("en")
    pad = np.ones((7, 7), dtype=bool)
    pad[1:6, 1:6] = False
    counts = np.ones((7, 7), dtype=int)
    counts[3, 3] = 4
    fig = shape_figures.visit_grid(t, counts, pad, ([1, 2, 3], [1, 2, 3]), "x")
    # hover words follow the count: no "window(s)"
    assert fig.data[0].customdata[1][1] == "read by 1 window" and fig.data[0].customdata[3][3] == "read by 4 windows"
    zh = shape_figures.visit_grid(Translator("zh"), counts, pad, ([1, 2, 3], [1, 2, 3]), "x")
    assert zh.data[0].customdata[1][1] == "被 1 个窗口读取" and "第 %{y} 行" in zh.data[0].hovertemplate
    crosses = [d for d in fig.data if getattr(d, "marker", None) is not None and d.marker.symbol == "x-thin"]
    assert len(crosses) == 1 and crosses[0].showlegend and "padding" in crosses[0].name
    assert len(crosses[0].x) == int(pad.sum()) == 24


def _edit_rf(edits):
    def setup(at):
        at.session_state["rf.editor.0"] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    return setup


@pytest.mark.parametrize("lang, said", [("en", "Layer 2: Kernel must be between 1 and 15; you typed 99"),
                                        ("zh", "第 2 层：“卷积核”必须在 1 到 15 之间；你输入的是 99")])
def test_receptive_field_clamps_a_typed_kernel_visibly_and_calls_the_stack_custom(lang, said):
    at = run_page(RF, lang, query={"size": "64"}, setup=_edit_rf({1: {"kernel": 99}}))
    assert_ok(at)
    assert any(w.value.startswith(said) for w in at.warning)
    assert at.table[-1].value.iloc[1, 2].startswith("15/")      # the table uses (and shows) 15
    assert at.selectbox(key="rf.preset").value == "custom"          # issue 16 item 11
    assert at.query_params["preset"] == "custom"
    assert at.query_params["stack"] == "c3s1p0d1.c15s1p0d1.c3s1p0d1"


def test_receptive_field_link_restores_the_unit():
    at = run_page(RF, "en", query={"preset": "three_3x3", "size": "16", "layer": "2", "ur": "3", "uc": "4"})
    assert_ok(at)
    assert at.selectbox(key="rf.layer").value == 2
    assert "rows 3 to 7" in texts(at).replace("**", "") and "columns 4 to 8" in texts(at).replace("**", "")
    at.number_input(key="rf.uc").set_value(5).run()
    assert at.query_params["uc"] == "5" and at.query_params["layer"] == "2"
    at.number_input(key="rf.ur").set_value(99).run()              # layer 2 of a 16-pixel input has 12 units
    assert at.number_input(key="rf.ur").value == 11
    assert any("you typed 99, so it is set to 11" in w.value for w in at.warning)
    at = run_page(RF, "en", query={"layer": "99"})
    assert any("`layer`" in w.value for w in at.warning)
