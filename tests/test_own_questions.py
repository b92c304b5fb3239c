"""Questions of the "Your own classes" lesson against outside oracles: parameters counted by hand,
steps counted on the real training loop, occlusion positions and Grad-CAM's grid counted by brute force."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app_pages.own_classes.questions import build, network
from cnnlab import quiz
from cnnlab.nn.train import train
from cnnlab.vision.saliency import grad_cam
from services.own_data import split_dataset
from tests.conftest import assert_ok, run_page
from ui.i18n import CATALOG_DIR

CATALOGS = {lang: json.loads((CATALOG_DIR / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("en", "zh")}


def by_id(questions):
    return {q.qid: q for q in questions}


def renders(q):
    params = {k: (CATALOGS["en"].get(v, v) if isinstance(v, str) else v) for k, v in q.params}
    for cat in CATALOGS.values():
        for key in (q.prompt, q.explanation):
            cat[key].format(**params)
        for _, v in q.params:
            if isinstance(v, str) and v.startswith("own."):
                assert v in cat


def test_defaults_parameters_counted_by_hand():
    qs = by_id(build({}))
    assert len(qs) == 4
    # small preset, grey 32x32, 3 classes: convs (1*9+1)*8 + (8*9+1)*16 + (16*9+1)*32, dense (32+1)*3
    assert qs["own.params"].answer == 80 + 1168 + 4640 + 99
    # colour: the first layer sees 3 channels, (3*9+1)*8 = 224
    assert by_id(build({"gray": False}))["own.params"].answer == 224 + 1168 + 4640 + 99
    # an edited network from the link: conv (1*9+1)*8, pool to 16x16, dense (8*16*16 + 1)*3
    edited = by_id(build({"arch": "c8k3p1_r_m2_f_d3"}))
    assert edited["own.params"].answer == 80 + (8 * 16 * 16 + 1) * 3
    assert edited["own.cam_side"].answer == 32
    # the last layer follows the classes: 5 classes -> dense (32+1)*5
    assert by_id(build({}, classes=5))["own.params"].answer == 80 + 1168 + 4640 + 33 * 5


def test_steps_per_epoch_counted_on_the_training_loop():
    # by hand: 60 per class, 48 train + 12 val each: 144 training pictures
    for batch, steps in ((16, 9), (32, 5), (64, 3), (8, 18)):
        assert by_id(build({"batch": batch}))["own.steps"].answer == steps
    # and the real loop takes that many steps in one epoch on a starter-sized set
    x = np.random.default_rng(0).integers(0, 255, size=(180, 1, 32, 32), dtype=np.uint8)
    y = np.repeat(np.arange(3), 60)
    model, _ = network({"arch": "c2k3p1_r_m8_f_d3"})
    batches = [r for r in train(model, split_dataset(x, y, 0.2, 0), batch_size=64, epochs=1) if r["kind"] == "batch"]
    assert len(batches) == by_id(build({"batch": 64}))["own.steps"].answer


def test_occlusion_positions_by_brute_force():
    q = by_id(build({}))["own.occlusion"]
    size, patch, stride = 32, 8, 4
    # every start that steps of 4 reach, and the very edge (24 is reached: 0, 4, ..., 24)
    starts = sorted(set(range(0, size - patch + 1, stride)) | {size - patch})
    assert q.answer == len(starts) ** 2 == 49


@pytest.mark.parametrize("arch", ["", "c8k3p1_r_m2_c16k3p1_r_m2_c32k3p1_r_m8_f_d3", "c4k5_r_m2_c4k3_r_f_d3"])
def test_grad_cam_grid_side_is_the_maps_grad_cam_uses(arch):
    model, _ = network({"arch": arch})
    q = by_id(build({"arch": arch}))["own.cam_side"]
    x = np.random.default_rng(1).random((1, 32, 32)).astype(np.float32)
    assert grad_cam(model, x, 0).small.shape == (q.answer, q.answer)


def test_questions_render_in_both_languages_and_survive_a_hostile_link():
    for q in build({"arch": "<b>", "gray": "maybe", "batch": "-4", "preset": "huge"}):
        renders(q)
        assert quiz.Question.from_dict(json.loads(json.dumps(q.to_dict()))) == q


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.sampled_from(["preset", "arch", "gray", "batch", "epochs"]),
                       st.one_of(st.integers(-5, 600), st.text(max_size=20), st.booleans(), st.floats()), max_size=4))
def test_any_link_values_give_questions(values):
    questions = build(values)
    assert len(questions) >= 3
    for q in questions:
        renders(q)


def test_the_page_asks_them_and_grades_an_answer(lang):
    at = run_page("app_pages/own_classes/page.py", lang)
    assert_ok(at)
    inputs = [w for w in at.text_input if w.key and w.key.startswith("quiz.own.")]
    assert len(inputs) == 4
    inputs[0].set_value("5987")
    next(b for b in at.button if b.key and b.key.startswith("FormSubmitter:quiz.own.0")).click().run()
    assert_ok(at)
    assert at.success
