"""Training: a short run on the generated shapes learns; runs are reproducible and stoppable;
augmentation keeps images intact; the optimizers are the shared ones."""

import logging

import numpy as np
import pytest

from cnnlab.calculus import optim
from cnnlab.checks import LessonError
from cnnlab.nn.data import make_shapes
from cnnlab.nn.model import Model
from cnnlab.nn.train import augment_batch, blas_report, blas_threads, confusion_matrix, evaluate, fit, train

SMALL = [
    {"type": "conv", "filters": 4, "kernel": 5, "padding": 2}, {"type": "relu"},
    {"type": "maxpool", "size": 2},
    {"type": "conv", "filters": 8, "kernel": 5}, {"type": "relu"}, {"type": "maxpool", "size": 2},
    {"type": "flatten"}, {"type": "dense", "units": 10},
]


@pytest.fixture(scope="module")
def shapes():
    # as the app's trainers do: one BLAS thread (two stall badly when the CI machine is busy)
    with blas_threads(1):
        yield make_shapes(40, seed=0)


def test_blas_threads_limits_the_block_and_restores_afterwards():
    libs = blas_report()
    assert libs and all(lib["internal_api"] and lib["num_threads"] >= 1 for lib in libs)
    before = [lib["num_threads"] for lib in libs]
    with blas_threads(1):
        assert [lib["num_threads"] for lib in blas_report()] == [1] * len(libs)
    assert [lib["num_threads"] for lib in blas_report()] == before


def test_every_job_start_end_and_failure_is_logged_once(shapes, caplog):
    caplog.set_level(logging.INFO, logger="cnnlab.nn.train")
    fit(Model(SMALL), shapes, epochs=1, max_batches=2)
    lines = [r.getMessage() for r in caplog.records if r.name == "cnnlab.nn.train"]
    assert len(lines) == 2 and "started" in lines[0] and "finished at step 2 of 2" in lines[1]
    caplog.clear()
    run = train(Model(SMALL), shapes, epochs=1)
    next(run), next(run)
    run.close()                                       # the caller walks away (a closed tab)
    assert [r.getMessage() for r in caplog.records][-1].startswith("training job abandoned")
    caplog.clear()
    model = Model([{"type": "flatten"}, {"type": "dense", "units": 10}], seed=0)
    with pytest.raises(LessonError), np.errstate(all="ignore"):
        for _ in train(model, shapes, optimizer="sgd", lr=1.0, epochs=50, augment=False):
            model.layers[1].params["w"] *= 1e30
    failed = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failed) == 1 and failed[0].levelno == logging.WARNING and "train_diverged" in failed[0].getMessage()


def test_short_run_learns(shapes):
    model = Model(SMALL, seed=0)
    before = evaluate(model, *shapes[1])
    reports = list(train(model, shapes, lr=0.005, epochs=6, batch_size=32, augment=False, seed=0))
    batches = [r for r in reports if r["kind"] == "batch"]
    vals = [r for r in reports if r["kind"] == "val"]
    assert reports[0]["kind"] == "start" and reports[-1]["kind"] == "end"
    assert len(batches) == reports[0]["steps"] == 6 * 10
    first, last = np.mean([b["loss"] for b in batches[:5]]), np.mean([b["loss"] for b in batches[-5:]])
    assert last < 0.5 * first
    assert vals[-1]["val_accuracy"] >= 0.6            # chance is 0.1
    assert vals[-1]["val_accuracy"] > before["accuracy"] + 0.3
    assert all(b["images_per_s"] > 0 for b in batches)
    assert [b["epoch"] for b in batches][::10] == [1, 2, 3, 4, 5, 6]


def test_same_seed_same_run(shapes):
    runs = []
    for _ in range(2):
        model = Model(SMALL, seed=1)
        losses = [r["loss"] for r in train(model, shapes, epochs=1, batch_size=16, augment=True, seed=5)
                  if r["kind"] == "batch"]
        runs.append((losses, model.parameters()[0].copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_stop_between_batches_keeps_the_model(shapes):
    model = Model(SMALL, seed=0)
    w0 = model.parameters()[0].copy()
    count = {"n": 0}

    def stop():
        count["n"] += 1
        return count["n"] > 3

    reports = list(train(model, shapes, epochs=5, stop=stop))
    assert sum(r["kind"] == "batch" for r in reports) == 3
    assert reports[-1] == {**reports[-1], "kind": "end", "stopped": True, "step": 3}
    assert not np.array_equal(model.parameters()[0], w0)


def test_max_batches_and_schedule_span(shapes):
    model = Model(SMALL, seed=0)
    reports = list(train(model, shapes, epochs=3, max_batches=7, schedule="linear", lr=0.01))
    batches = [r for r in reports if r["kind"] == "batch"]
    assert len(batches) == 7 and reports[-1]["stopped"] is False
    assert batches[0]["lr"] == pytest.approx(0.01) and batches[-1]["lr"] < 0.01 * 2 / 7 + 1e-9


@pytest.mark.parametrize("kw,code", [
    ({"optimizer": "lbfgs"}, "train_bad_optimizer"), ({"lr": 0}, "train_bad_lr"),
    ({"lr": float("nan")}, "train_bad_lr"), ({"batch_size": 0}, "train_bad_batch"),
    ({"epochs": 0}, "train_bad_epochs"), ({"schedule": "warp"}, "train_bad_schedule"),
])
def test_bad_settings(shapes, kw, code):
    with pytest.raises(LessonError) as e:
        next(train(Model(SMALL), shapes, **kw))
    assert e.value.code == code


def test_divergence_is_explained(shapes):
    model = Model([{"type": "flatten"}, {"type": "dense", "units": 10}], seed=0)
    with pytest.raises(LessonError) as e, np.errstate(all="ignore"):
        for _ in train(model, shapes, optimizer="sgd", lr=1.0, epochs=50, augment=False):
            model.layers[1].params["w"] *= 1e30      # a runaway update
    assert e.value.code == "train_diverged"


def test_uses_the_shared_optimizers(shapes, monkeypatch):
    made = []
    real = optim.make_optimizer

    def spy(name, **kw):
        made.append(name)
        return real(name, **kw)

    monkeypatch.setattr("cnnlab.nn.train.make_optimizer", spy)
    fit(Model(SMALL), shapes, optimizer="momentum", lr=0.01, epochs=1, max_batches=2)
    assert made == ["momentum"]


def test_augmentation_shifts_and_rotates_without_losing_the_image():
    rng = np.random.default_rng(0)
    x = np.zeros((50, 1, 28, 28), np.float32)
    x[:, 0, 10:18, 10:18] = 1
    out = augment_batch(x, rng, max_shift=2, max_degrees=10)
    assert out.shape == x.shape and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 1 + 1e-6
    np.testing.assert_allclose(out.sum((1, 2, 3)), 64, rtol=0.08)      # mass is kept
    assert not np.allclose(out, x)
    same = augment_batch(x, rng, max_shift=0, max_degrees=0)
    np.testing.assert_allclose(same, x, atol=1e-5)                      # no change: identity
    one = np.zeros((1, 1, 28, 28), np.float32)
    one[0, 0, 5, 5] = 1
    moved = augment_batch(one, np.random.default_rng(3), max_shift=2, max_degrees=0)
    r, c = np.unravel_index(moved[0, 0].argmax(), (28, 28))
    assert abs(r - 5) <= 2 and abs(c - 5) <= 2


def test_confusion_matrix():
    m = confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], k=3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
