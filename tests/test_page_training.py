"""The training lesson through AppTest, in both languages: shapes table, explained shape errors,
a tiny training run on the generated shapes, results and "Try it" with a drawn digit."""

import io
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.conftest import assert_ok, open_tab, run_page

PAGE = "app_pages/training/page.py"


def texts(at):
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [i.value for i in at.info] + [s.value for s in at.success] + [w.value for w in at.warning]
    return " ".join(str(p) for p in parts)


def table_total(at):
    return [c.value for c in at.caption if "parameters" in c.value or "参数" in c.value][0]


def test_renders_with_lenet5_and_pretrained_results(lang):
    at = run_page(PAGE, lang)
    assert_ok(at)
    assert not at.error
    assert "61,706" in table_total(at)                      # LeNet-5's parameter count
    assert not at.metric                                    # only the open tab is built
    open_tab(at, "train", "inside", lang)
    assert_ok(at)
    assert at.metric[0].value.endswith("%")                 # pretrained test accuracy
    assert float(at.metric[0].value.rstrip("%")) >= 97
    assert len(at.tabs) == 4


def test_changing_the_preset_changes_the_table():
    at = run_page(PAGE, "en")
    before = table_total(at)
    at.selectbox(key="train.preset").set_value("mlp").run()
    assert_ok(at)
    assert table_total(at) != before and "101,770" in table_total(at)
    assert at.query_params["preset"] in ("mlp", ["mlp"])


def test_a_shape_that_does_not_fit_is_explained(lang):
    def edit(at):
        at.session_state["train.arch.lenet5"] = {
            "edited_rows": {3: {"kernel": 11}}, "added_rows": [], "deleted_rows": []}

    at = run_page(PAGE, lang, setup=edit)
    assert_ok(at)
    assert at.error, "an explanation instead of a crash"
    # an 11x11 C3 leaves 4x4 maps, pooled to 2x2: C5's 5x5 kernel no longer fits - layer 6 is named
    msg = at.error[0].value
    assert "6" in msg and "5×5" in msg and "2×2" in msg
    assert not any("parameters" in c.value or "参数个数" in c.value for c in at.caption)


def test_settings_from_a_shared_link():
    at = run_page(PAGE, "en", query={"dataset": "shapes", "epochs": "3", "optimizer": "sgd", "lr": "abc",
                                     "tab": "train"})
    assert_ok(at)
    assert at.number_input(key="train.epochs").value == 3
    assert at.number_input(key="train.lr").value == pytest.approx(0.002)   # malformed: default
    open_tab(at, "train", "network")                                       # the link's tab was "train"
    assert at.selectbox(key="train.dataset").value == "shapes"
    assert at.query_params["epochs"] in ("3", ["3"])        # settings of a closed tab stay in the link


def wait_for_training(at, timeout=60):
    """Let the trainer thread work undisturbed, then rerun the page once (as the poll would)."""
    job = at.session_state["train.job"]
    deadline = time.time() + timeout
    while job.active and time.time() < deadline:
        time.sleep(0.05)
    assert not job.active, "training did not finish"
    at.run()
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tiny_training_run(lang):
    at = run_page(PAGE, lang, query={"dataset": "shapes", "epochs": "1", "preset": "small", "batch": "128",
                                     "tab": "train"})
    assert_ok(at)
    at.button(key="train.start").click().run()
    assert_ok(at)
    wait_for_training(at)
    assert_ok(at)
    trained = at.session_state["session_models.trained"]
    assert trained.dataset == "shapes" and trained.how == "done"
    assert trained.input_shape == (1, 28, 28) and len(trained.class_names) == 10
    job = at.session_state["train.job"]
    assert trained.model is job.model
    snap = job.snapshot()
    assert snap["state"] == "done" and snap["step"] == snap["steps"] > 5
    assert snap["batches"][-1][1] < snap["batches"][0][1]               # the loss fell
    assert any(s.value for s in at.success)                              # "finished" message
    open_tab(at, "train", "inside", lang)
    assert_ok(at)
    assert at.metric[0].value.endswith("%")                              # its own test accuracy
    assert len(at.get("download_button")) == 1


def test_stop_keeps_the_model_trained_so_far():
    at = run_page(PAGE, "en", query={"dataset": "digits", "epochs": "30", "tab": "train"})
    at.button(key="train.start").click().run()
    job = at.session_state["train.job"]
    deadline = time.time() + 60
    while job.snapshot()["step"] < 3 and time.time() < deadline:
        time.sleep(0.05)
    at.button(key="train.stop").click().run()
    wait_for_training(at)
    assert_ok(at)
    trained = at.session_state["session_models.trained"]
    assert trained.how == "stopped" and trained.model is job.model
    assert 3 <= job.snapshot()["step"] < job.snapshot()["steps"]
    assert "Stopped after step" in texts(at)


def digit_png(digit_strokes, size=(200, 260)):
    im = Image.new("L", size, 235)
    ImageDraw.Draw(im).line(digit_strokes, fill=20, width=16)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def test_try_it_waits_for_a_digit_and_the_pipeline_reads_one():
    # AppTest cannot upload files (the browser test does): check the steps the section runs
    from cnnlab.nn.digits import preprocess_steps
    from cnnlab.vision.images import read_image

    img = read_image(digit_png([(60, 40), (150, 40), (90, 230)]), gray=True, max_side=512)
    steps = preprocess_steps(img)
    from ui.models import PRETRAINED

    model = __import__("cnnlab").load_model(PRETRAINED)
    probs = model.predict(steps["digit"][None, None])[0]
    assert probs.argmax() == 7 and np.isclose(probs.sum(), 1, atol=1e-5)
    at = run_page(PAGE, "en", query={"tab": "try"})
    assert "Waiting for your digit." in texts(at)


def test_trainer_pool_queues_beyond_its_workers():
    from cnnlab.nn.data import make_shapes
    from cnnlab.nn.model import PRESETS, Model
    from services.training import Job, TrainerPool

    data = make_shapes(20, seed=0)
    many = make_shapes(2000, seed=0)               # 100 epochs of these: still running when the test looks
    pool = TrainerPool(workers=1)
    first = Job(Model(PRESETS["small"]), many, {"epochs": 100, "batch_size": 8})
    second = Job(Model(PRESETS["small"]), data, {"epochs": 1, "batch_size": 8})
    assert pool.submit(first) and pool.submit(second)
    deadline = time.time() + 30
    while first.state == "waiting" and time.time() < deadline:
        time.sleep(0.01)
    assert first.state == "running" and second.state == "waiting"
    assert pool.position(second) == 0 and pool.position(first) == 0   # second is next in line
    first.stop()
    while second.active and time.time() < deadline:
        time.sleep(0.02)
    assert first.state == "stopped" and second.state == "done"
    assert second.model is not first.model          # nothing shared between the two runs


def test_row_tools_insert_move_and_delete_by_hand():
    from ui.network_editor import delete_layer, insert_layer, move_layer
    d = [{"type": "conv", "filters": 6}, {"type": "relu"}, {"type": "dense", "units": 10}]
    assert [x["type"] for x in insert_layer(d, 1, False, "maxpool")] == ["conv", "maxpool", "relu", "dense"]
    assert [x["type"] for x in insert_layer(d, 1, True, "maxpool")] == ["conv", "relu", "maxpool", "dense"]
    assert insert_layer(d, 0, False, "conv")[0] == {"type": "conv", "filters": 8, "kernel": 3, "padding": 1}
    assert [x["type"] for x in move_layer(d, 2, -1)] == ["conv", "dense", "relu"]
    assert move_layer(d, 0, -1) == d and move_layer(d, 2, 1) == d          # nothing moves past an end
    assert [x["type"] for x in delete_layer(d, 0)] == ["relu", "dense"]
    assert d[0] == {"type": "conv", "filters": 6} and len(d) == 3            # the input is never changed


def summary_rows(at):
    return at.dataframe[1].value                      # [0] is the layer editor itself


def test_editor_inserts_a_conv_layer_before_flatten_and_moves_rows(lang):
    """Issue 18 Major 3: a new conv row lands where it is asked for, and rows move up and down."""
    at = run_page(PAGE, lang)
    table = summary_rows(at)
    assert len(table) == 12 and list(table.iloc[:, 0]) == list(range(1, 13))   # every layer, from 1
    assert table.iloc[0, 3] == "156" and table.iloc[6, 4] == "48,000"          # separators: C5 48,000 MACs
    at.selectbox(key="train.row_pick").set_value(8).run()                    # layer 9: flatten
    at.selectbox(key="train.row_kind").set_value("conv").run()
    at.button(key="train.row_above").click().run()
    assert_ok(at)
    assert not at.error, "a 3x3 padded conv on 1x1x120 fits"
    table = summary_rows(at)
    assert len(table) == 13 and table.iloc[8, 1] == table.iloc[0, 1]           # a conv row, as layer 1
    assert "1 × 1" in table.iloc[8, 2]
    at.selectbox(key="train.row_pick").set_value(8).run()
    at.button(key="train.row_up").click().run()                               # conv above the last ReLU
    assert_ok(at)
    assert not at.error
    types = [x["type"] for x in at.session_state["train.editor"]["lenet5"][2]]
    assert types[7:10] == ["conv", "relu", "flatten"]
    at.button(key="train.row_delete").click().run()
    assert len(summary_rows(at)) == 12


@pytest.mark.parametrize(("box", "bad", "text"), [("train.lr", 0.0, "0"), ("train.lr", 1e9, "1e+09"),
                                                  ("train.epochs", 0, "0"), ("train.seed", -1, "-1"),
                                                  ("train.seed", 10**7, "1e+07")])
def test_an_out_of_range_number_box_says_so_and_the_last_good_value_is_used(lang, box, bad, text):
    from ui.i18n import catalog

    at = run_page(PAGE, lang, query={"tab": "train"})
    assert_ok(at)
    at.number_input(key=box).set_value(bad).run()
    assert_ok(at)
    c = catalog(lang)
    limits = {"train.lr": ("train.out_of_range", "0.00001", "1", "0.002"),     # cnnlab.nn.train.DEFAULTS
              "train.epochs": ("train.out_of_range_whole", "1", "30", "8"),
              "train.seed": ("train.out_of_range_whole", "0", "999,999", "0")}
    key, lo, hi, old = limits[box]
    expected = c[key].format(name=c[box], lo=lo, hi=hi, value=text, old=old)
    assert [e.value for e in at.error] == [expected]
    # a good value again: no message
    good = {"train.lr": 0.01, "train.epochs": 2, "train.seed": 7}[box]
    at.number_input(key=box).set_value(good).run()
    assert not at.error


def test_an_out_of_range_box_keeps_the_good_value_for_training():
    """The settings passed to a run hold the last good value, never the typed one."""
    at = run_page(PAGE, "en", query={"tab": "train"})
    at.number_input(key="train.epochs").set_value(3).run()
    at.number_input(key="train.epochs").set_value(500).run()
    assert at.session_state["train.epochs"] == 500 and at.session_state["train._good.epochs"] == 3


def test_the_example_number_box_out_of_range_keeps_the_last_example():
    at = run_page(PAGE, "en", query={"tab": "inside"})
    at.number_input(key="train.example").set_value(5).run()
    caption = [c.value for c in at.caption]
    at.number_input(key="train.example").set_value(10**6).run()
    assert_ok(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Test example number must be a whole number from 0 to ")
    assert errors[0].endswith("; 1,000,000 is not. The last good value, 5, is used.")
    assert [c.value for c in at.caption] == caption


def test_try_it_offers_the_canvas_first_and_a_bad_link_value_is_named(lang):
    at = run_page(PAGE, lang, query={"tab": "try", "lr": "0", "epochs": "999"})
    assert_ok(at)
    radio = at.radio(key="train.try_source")
    assert radio.value == "canvas" and radio.options[0] != radio.options[1]
    warnings = " ".join(w.value for w in at.warning)
    assert "`lr`" in warnings and "`epochs`" in warnings
