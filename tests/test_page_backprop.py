"""The backpropagation lesson through AppTest, in English and Chinese."""

import pytest

from tests.conftest import assert_ok, open_tab, run_page

PAGE = "app_pages/backprop/page.py"


def _text(at):
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.code]
                    + [c.value for c in at.caption])


def _next(at, times=1):
    for _ in range(times):
        at.button(key="bp.next_btn").click().run()
    return at


def test_renders_and_steps_through_both_passes(lang):
    at = run_page(PAGE, lang)
    assert_ok(at)
    assert at.text_input(key="bp.expr").value == "(x + y) * z"
    assert [n.value for n in at.number_input][:3] == [-2.0, 5.0, -4.0]
    # 2 forward steps (q = x + y, f = q * z) then 4 backward steps
    assert at.slider(key="bp.step").max == 6
    _next(at)
    assert "n1 = x + y = (−2) + 5 = 3" in _text(at)
    _next(at)
    assert "f = n1 × z = 3 × (−4) = −12" in _text(at)
    _next(at, 3)
    text = _text(at)
    assert "∂f/∂x += ∂f/∂n1 × ∂(x + y)/∂x = (−4) × (1) = −4" in text
    assert_ok(at)


def test_gate_patterns_are_named(lang):
    from ui.i18n import catalog

    cat = catalog(lang)
    at = run_page(PAGE, lang)
    _next(at, 3)                                  # first backward step: through the multiply
    assert cat["bp.gate.mul"] in _text(at)
    _next(at, 2)                                  # through the add
    assert cat["bp.gate.add"] in _text(at)


def test_presets_give_the_published_numbers():
    at = run_page(PAGE, "en")
    at.selectbox(key="bp.preset").set_value("reuse").run()
    assert at.text_input(key="bp.expr").value == "x * y + x"
    # forward: n1 = x*y, f = n1 + x; backward: f->n1, f->x (1), n1->x (y = -2), n1->y
    at.slider(key="bp.step").set_value(5).run()
    assert_ok(at)
    assert "(1) × (−2) = −2" in _text(at)
    assert "1 + −2 = −1" in _text(at)           # the second contribution to x: gradients add
    at.selectbox(key="bp.preset").set_value("relu_off").run()
    at.slider(key="bp.step").set_value(at.slider(key="bp.step").max).run()
    open_tab(at, "bp", "check")
    table = at.dataframe[0].value if at.dataframe else None
    assert table is not None
    assert set(table["Analytic (backprop)"]) == {"0"}
    at.selectbox(key="bp.preset").set_value("neuron").run()
    table = at.dataframe[0].value
    analytic = dict(zip(table["Variable"], table["Analytic (backprop)"].astype(float)))
    assert round(analytic["x0"], 2) == 0.39 and round(analytic["w1"], 2) == -0.39


def test_gradient_check_table_agrees():
    at = run_page(PAGE, "en", query={"tab": "check"})
    table = at.dataframe[0].value
    assert list(table["Variable"]) == ["x", "y", "z"]
    assert list(table["Verdict"]) == ["agree"] * 3
    assert [float(v) for v in table["Analytic (backprop)"]] == [-4.0, -4.0, 3.0]


def test_changing_a_value_changes_the_output():
    at = run_page(PAGE, "en", query={"tab": "check"})
    at.number_input(key="bp.val.z").set_value(2.0).run()
    assert_ok(at)
    table = at.dataframe[0].value
    assert [float(v) for v in table["Analytic (backprop)"]] == [2.0, 2.0, 3.0]
    assert at.query_params["vals"] == ["x=-2,y=5,z=2"] or at.query_params["vals"] == "x=-2,y=5,z=2"


def test_custom_expression_gets_its_own_inputs():
    at = run_page(PAGE, "en")
    at.text_input(key="bp.expr").set_value("a * b + sigmoid(c)").run()
    assert_ok(at)
    assert at.selectbox(key="bp.preset").value == "custom"
    assert [n.label for n in at.number_input][:3] == ["a", "b", "c"]


@pytest.mark.parametrize("bad", ["__import__('os')", "9**9**9", "log(x - 5)"])
def test_invalid_expression_explains_itself(lang, bad):
    at = run_page(PAGE, lang)
    at.text_input(key="bp.expr").set_value(bad).run()
    assert_ok(at)
    assert at.error, "a translated error is shown"
    assert "Traceback" not in at.error[0].value
    if lang == "zh":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in at.error[0].value)
    # the rest of the page keeps working
    open_tab(at, "bp", "conv", lang)
    assert_ok(at)
    assert at.segmented_control(key="bp.case") is not None
    open_tab(at, "bp", "jacobian", lang)
    assert_ok(at)
    assert at.metric


def test_link_restores_expression_and_values():
    at = run_page(PAGE, "en", query={"preset": "custom", "expr": "x * x", "vals": "x=3", "tab": "check"})
    assert_ok(at)
    assert at.text_input(key="bp.expr").value == "x * x"
    assert at.number_input(key="bp.val.x").value == 3.0
    table = at.dataframe[0].value
    assert float(table["Analytic (backprop)"][0]) == 6.0
    # a hostile link is only text in the box, never run
    at = run_page(PAGE, "en", query={"expr": "__import__('os').system('x')", "vals": "x=1e999"})
    assert at.error and not at.exception


def test_conv_cases_and_jacobian_widgets(lang):
    at = run_page(PAGE, lang, query={"tab": "conv"})
    for case in ("1_1", "d_1", "1_n", "d_n"):
        at.segmented_control(key="bp.case").set_value(case).run()
        assert_ok(at)
        assert at.success, case                    # the three-way check agrees on screen
        # differences read as numbers a student reads: 0 when exact, never "0.0e+00" (issue 16)
        cells = [str(v) for col in at.dataframe[0].value.columns[1:] for v in at.dataframe[0].value[col]]
        assert cells and not any("e+00" in c for c in cells), cells
        assert all(c == "0" or float(c) < 1e-6 for c in cells), cells
    open_tab(at, "bp", "jacobian", lang)
    before = at.metric[0].value
    at.number_input(key="bp.jac_batch").set_value(100).run()
    assert at.metric[0].value != before
    assert at.metric[0].value == f"{409_600 ** 2:,}"


def test_degenerate_and_repeated_inputs():
    at = run_page(PAGE, "en")
    for text in ("x", "2", "x * x", "max(x, y, z, x)", "x +", "foo(x)"):
        at.text_input(key="bp.expr").set_value(text).run()
        assert_ok(at)
        if text in ("x +", "foo(x)"):
            assert at.error, text
        elif text in ("x", "2"):
            assert not at.error and at.info      # nothing to step through, and it says so
        else:
            assert not at.error
            at.slider(key="bp.step").set_value(at.slider(key="bp.step").max).run()
            assert_ok(at)


def test_worked_conv_cell_follows_the_widgets():
    at = run_page(PAGE, "en", query={"tab": "conv"})
    codes = [c.value for c in at.code if c.value.startswith("∂L/∂X[")]
    assert codes and codes[0].startswith("∂L/∂X[c=0][1, 1] =")
    assert codes[0].count("·K0[") == 4                 # the centre cell is under four windows
    at.number_input(key="bp.cell_row").set_value(0).run()
    at.number_input(key="bp.cell_col").set_value(0).run()
    codes = [c.value for c in at.code if c.value.startswith("∂L/∂X[")]
    assert codes[0].startswith("∂L/∂X[c=0][0, 0] = ∂L/∂Y0[0,0]·K0[0,0]\n")
    assert any(c.value.startswith("∂L/∂K[f=0, c=0][0, 0]") for c in at.code)


def test_first_backward_step_does_not_reuse_the_total_gradient_symbol():
    at = run_page(PAGE, "en")
    _next(at, 3)                                  # from f = n1 × z back to n1
    text = _text(at)
    assert "∂f/∂n1 += ∂f/∂f × ∂(n1 × z)/∂n1 = (1) × (−4) = −4" in text
    assert "∂f/∂f × ∂f/∂n1" not in text


def test_out_of_range_value_is_explained_and_the_graph_keeps_the_last_good_one():
    from ui.i18n import catalog

    at = run_page(PAGE, "zh")
    at.number_input(key="bp.val.y").set_value(1e9).run()
    assert_ok(at)
    cat = catalog("zh")
    assert cat["bp.value_out_of_range"].format(name="y", limit="1000", value="1e+09", old="5") in [
        e.value for e in at.error]
    _next(at)
    assert "n1 = x + y = (−2) + 5 = 3" in _text(at)       # still y = 5


@pytest.mark.parametrize("text", ["1/0", "log(-1)"])
def test_an_undefined_constant_expression_gives_one_message(text):
    at = run_page(PAGE, "en")
    at.text_input(key="bp.expr").set_value(text).run()
    assert_ok(at)
    assert len(at.error) == 1 and not any("no variables" in i.value for i in at.info)


def test_jacobian_memory_switches_units():
    at = run_page(PAGE, "en", query={"tab": "jacobian"})
    at.number_input(key="bp.jac_n").set_value(100_000).run()
    at.number_input(key="bp.jac_batch").set_value(1024).run()
    assert_ok(at)
    memory = at.metric[1].value
    assert memory.endswith(" PB") and memory == f"{4 * (100_000 * 1024) ** 2 / 2 ** 50:,.1f} PB"


def test_hand_edited_expression_with_a_preset_gets_the_custom_caption():
    """Issue 18: ?preset=simple&expr=x*y showed the (x+y)*z caption for another expression."""
    from ui.i18n import catalog
    at = run_page(PAGE, "en", query={"preset": "simple", "expr": "x * y", "vals": "x=2,y=3"})
    assert_ok(at)
    captions = [c.value for c in at.caption]
    assert catalog("en")["bp.preset_note.simple"] not in captions
    assert catalog("en")["bp.preset_note.custom"] in captions
    assert at.selectbox(key="bp.preset").value == "custom"
    same = run_page(PAGE, "en", query={"preset": "simple", "expr": "(x + y) * z"})
    assert catalog("en")["bp.preset_note.simple"] in [c.value for c in same.caption]
