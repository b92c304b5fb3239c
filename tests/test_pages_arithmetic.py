"""AppTest for the four shape-arithmetic lessons, in both languages, with invalid settings."""

import json

import pytest

from tests.conftest import assert_ok, run_page

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
    assert "7 × 7" in texts(at) or "7 × 7" in str(at.dataframe[-1].value)
    at.selectbox(key="rf.preset").set_value("alexnet").run()
    assert_ok(at)
    table = at.dataframe[-1].value
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
    assert at.dataframe[-1].value.iloc[-1, 3] == 14
    at = run_page(RF, "en", query={"stack": "c3;import os", "size": "99999"})
    assert_ok(at)
    assert at.dataframe[-1].value.iloc[-1, 3] == 7                   # the preset, default size


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
    at.number_input(key="arch.fcn_size").set_value(64).run()
    assert_ok(at)
    assert at.error


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
    assert small.data[0].textfont.size >= 16                       # issue 16: >= 16 px at 1024 x 768
    assert figures.grid(np.zeros((28, 28)), numbers=True).data[0].textfont.size < 16
