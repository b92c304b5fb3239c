"""The convolution lesson through AppTest: widgets change what is shown, bad input explains itself."""

import io

import pytest
from PIL import Image

from tests.conftest import assert_ok, open_tab, run_page

PAGE = "app_pages/convolution/page.py"


def texts(at):
    return " ".join(e.value for e in [*at.info, *at.warning, *at.success, *at.error, *at.code, *at.markdown])


def png(size=(60, 40)):
    buf = io.BytesIO()
    Image.new("RGB", size, "orange").save(buf, format="PNG")
    return buf.getvalue()


def test_kernel_and_stride_change_the_output(lang):
    at = run_page(PAGE, lang)
    assert_ok(at)
    before = texts(at)
    at.selectbox(key="conv.kernel").set_value("asymmetric").run()
    assert_ok(at)
    after_kernel = texts(at)
    assert after_kernel != before
    at.number_input(key="conv.stride").set_value(2).run()
    assert_ok(at)
    assert "3×3" in texts(at)  # 7x7 input, 3x3 kernel, stride 2: (7 - 3) // 2 + 1 = 3


def test_symmetric_and_asymmetric_kernels_are_explained():
    at = run_page(PAGE, "en")
    at.selectbox(key="conv.kernel").set_value("gaussian").run()
    assert "exactly the same feature map" in texts(at)
    at.selectbox(key="conv.kernel").set_value("asymmetric").run()
    assert "the two feature maps differ" in texts(at)


def test_stride_zero_is_explained_and_the_page_keeps_working(lang):
    at = run_page(PAGE, lang)
    at.number_input(key="conv.stride").set_value(0).run()
    assert_ok(at)
    assert at.error, "stride 0 gives a translated error"
    message = at.error[0].value
    assert ("positive whole number" in message) if lang == "en" else ("正整数" in message)
    # the 1-D and colour tabs still render
    open_tab(at, "conv", "1d", lang)
    assert_ok(at)
    assert any("y[" in c.value for c in at.code)
    open_tab(at, "conv", "compare", lang)
    at.number_input(key="conv.stride").set_value(1).run()
    assert_ok(at)
    assert not at.error


def test_kernel_larger_than_padded_input(lang):
    at = run_page(PAGE, lang)
    at.slider(key="conv.n").set_value(5).run()
    at.segmented_control(key="conv.ks").set_value(5).run()
    assert_ok(at)
    assert not at.error  # a 5x5 kernel fits a 5x5 input exactly: one output cell
    # a 3x3 image is smaller than the 5x5 kernel: explained, with the fix
    at.segmented_control(key="conv.src").set_value("image").run()
    at.radio(key="conv.img.source").set_value("upload").run()
    at.file_uploader(key="conv.img.upload").set_value(("tiny.png", png((3, 3)), "image/png")).run()
    assert_ok(at)
    assert at.error
    assert ("more padding" in at.error[0].value) if lang == "en" else ("增加填充" in at.error[0].value)
    at.number_input(key="conv.pad").set_value(1).run()
    assert_ok(at)
    assert not at.error


def chart_z(at, title_part):
    """The cell values of the chart whose title contains ``title_part``."""
    import json

    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if title_part in spec["layout"].get("title", {}).get("text", ""):
            return spec["data"][0]["z"]
    raise AssertionError(f"no chart titled {title_part!r}")


def test_bad_cell_is_named_and_the_last_good_grid_is_kept(lang):
    """Issue 16 item 7: an empty, non-numeric or huge cell is named and the page keeps the last good
    result; "1e308" arrives as typed (text cells), it does not become 1308."""
    from ui.i18n import catalog

    cat = catalog(lang)
    title = cat["conv.fig_corr"]
    at = run_page(PAGE, lang)
    key = "conv.grid_editor.vertical_bar.7"
    first = chart_z(at, title)
    at.session_state[key] = {"edited_rows": {1: {"1": "5"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert_ok(at)
    assert not at.error
    good = chart_z(at, title)
    assert good != first        # Sobel x reads input (1, 1) with weight -1 for output (0, 1): the edit arrived
    for bad in ("1e308", "", "abc", None):
        at.session_state[key] = {"edited_rows": {1: {"1": "5"}, 2: {"3": bad}},
                                 "added_rows": [], "deleted_rows": []}
        at.run()
        assert_ok(at)
        cell = cat["grid.cell_name"].format(r=2, c=3)
        assert len(at.error) == 1 and cell in at.error[0].value, (bad, [e.value for e in at.error])
        assert chart_z(at, title) == good, bad                       # the last good grid is kept
    at.session_state[key] = {"edited_rows": {1: {"1": "5"}, 2: {"3": "−2.5"}}, "added_rows": [],
                             "deleted_rows": []}
    at.run()
    assert not at.error
    assert chart_z(at, title) != good


def test_step_buttons_move_the_window(lang):
    at = run_page(PAGE, lang, query={"tab": "step"})
    first = at.code[0].value
    at.button(key="conv.next_btn").click().run()
    assert_ok(at)
    assert at.code[0].value != first
    at.button(key="conv.prev_btn").click().run()
    assert at.code[0].value == first


def test_settings_come_from_the_url():
    at = run_page(PAGE, "en", query={"kernel": "laplacian", "stride": "2", "pad": "1", "n": "9"})
    assert at.selectbox(key="conv.kernel").value == "laplacian"
    assert at.number_input(key="conv.stride").value == 2
    assert "5×5" in texts(at)  # (9 + 2 - 3) // 2 + 1 = 5
    assert at.query_params["kernel"] == ["laplacian"] or at.query_params["kernel"] == "laplacian"


def test_malformed_url_falls_back_to_defaults():
    at = run_page(PAGE, "en", query={"kernel": "__import__", "stride": "-3", "n": "abc"})
    assert_ok(at)
    assert at.selectbox(key="conv.kernel").value == "sobel_x"
    assert at.number_input(key="conv.stride").value == 1


@pytest.mark.parametrize("data,ok", [(png(), True), (b"", False), (b"not an image at all", False),
                                     (png()[:40], False)])
def test_uploads_good_and_bad(data, ok, lang):
    at = run_page(PAGE, lang)
    at.segmented_control(key="conv.src").set_value("image").run()
    at.radio(key="conv.img.source").set_value("upload").run()
    at.file_uploader(key="conv.img.upload").set_value(("photo.png", data, "image/png")).run()
    assert_ok(at)
    if ok:
        assert not at.error
    else:
        assert at.error, "a bad file gets a message"
        assert at.error[0].value.strip()
    # the lesson goes on: the step tab still writes a multiply-add
    open_tab(at, "conv", "step", lang)
    assert_ok(at)
    assert at.code


def test_one_d_equation_reads_as_one_true_chain():
    from app_pages.convolution.views import equation_1d
    # terms are (j, i, x[i], h[j], product): y[7] = x[7]h[0] + x[6]h[1] = 0×1 + 2×0.5 = 1
    text = equation_1d(7, [(0, 7, 0.0, 1.0, 0.0), (1, 6, 2.0, 0.5, 1.0)], 1.0)
    assert text == "y[7] = x[7]h[0] + x[6]h[1] = 0×1 + 2×0.5 = 1"
    assert equation_1d(0, [], 0.0) == "y[0] = 0"


def test_numbers_read_as_a_student_writes_them():
    """Issue 16 item 17: a zero difference is "0" (not 0.0e+00); a big count has its separator."""
    at = run_page(PAGE, "en")
    assert "largest difference computed on this input: 0)" in texts(at)
    assert "e+00" not in texts(at)
    open_tab(at, "conv", "rgb")
    at.number_input(key="conv.params_k").set_value(3).run()
    at.number_input(key="conv.params_c").set_value(64).run()
    at.number_input(key="conv.params_f").set_value(128).run()
    assert_ok(at)
    assert "**73,856**" in texts(at)            # VGG-16 conv2_1: 3·3·64·128 + 128 (published)
    assert "e+00" not in " ".join(c.value for c in at.caption)
