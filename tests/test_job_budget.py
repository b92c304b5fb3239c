"""A training job's budget (services/job_budget.py) and how jobs end (services/jobs.py, services/trainer_pool.py).

The plan is checked against arithmetic done here from the speed model's own constants
(images per run x seconds per image), the memory refusal against the core's cost model,
and the pool's behaviour with real jobs on real threads: Stop takes a waiting job out of
the queue at once, a job whose session went away is dropped or stopped, the one in line
is "next", and no trainer thread can keep the process alive.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

from cnnlab.checks import LessonError
from cnnlab.nn.data import make_shapes
from cnnlab.nn.model import LENET5, PRESETS, Model
from services import job_budget, liveness
from services import jobs as job_module
from services.job_budget import MAX_JOB_SECONDS, plan, seconds_per_image
from services.training import Job, TrainerPool

HEAVY = [{"type": "conv", "filters": 32, "kernel": 5, "padding": 2}, {"type": "relu"},
         {"type": "conv", "filters": 40, "kernel": 5, "padding": 2}, {"type": "relu"},
         {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}]


def fake_data(n_train, n_val):
    """Only the sizes matter to a plan: (train, val, test) pairs of (images, labels)."""
    return ((None, [0] * n_train), (None, [0] * n_val), (None, []))


def run_seconds(macs, n_train, n_val, epochs):
    per = seconds_per_image(macs)
    return epochs * per * (n_train + job_budget.VAL_PER_EPOCH * n_val * job_budget.FORWARD_SHARE)


def test_a_short_run_is_left_as_asked():
    macs = Model(LENET5).macs
    p = plan(LENET5, fake_data(8000, 1000), {"epochs": 8, "batch_size": 64})
    assert not p.shortened and p.settings["epochs"] == 8 and p.max_batches is None
    assert p.seconds == pytest.approx(run_seconds(macs, 8000, 1000, 8))
    assert p.seconds < MAX_JOB_SECONDS


def test_a_long_run_is_shortened_to_whole_epochs_within_the_bound():
    settings = {"epochs": 30, "batch_size": 32}
    p = plan(HEAVY, fake_data(8000, 1000), settings)
    one_epoch = run_seconds(25_793_600, 8000, 1000, 1)
    assert p.requested_seconds == pytest.approx(30 * one_epoch)
    assert p.shortened and p.settings["epochs"] == int(MAX_JOB_SECONDS // one_epoch) >= 1
    assert p.seconds <= MAX_JOB_SECONDS and p.max_batches is None
    assert settings["epochs"] == 30, "the caller's settings are not changed"


def test_when_one_epoch_is_too_long_only_its_first_batches_are_planned():
    p = plan(HEAVY, fake_data(60000, 10000), {"epochs": 2, "batch_size": 32})
    per_epoch = math.ceil(60000 / 32)
    assert p.settings["epochs"] == 1 and 1 <= p.max_batches < per_epoch
    assert p.seconds <= MAX_JOB_SECONDS < p.requested_seconds


def test_one_step_over_the_memory_budget_is_refused_before_anything_is_built():
    with pytest.raises(LessonError) as info:
        plan(HEAVY, fake_data(8000, 1000), {"epochs": 1, "batch_size": 256})
    assert info.value.code == "train_too_much_memory"
    plan(HEAVY, fake_data(8000, 1000), {"epochs": 1, "batch_size": 32})  # ~190 MB: allowed


def test_learning_moves_the_prediction_towards_what_was_measured():
    before = seconds_per_image(1_000_000)
    try:
        job_budget.learn(10.0, 20.0)           # the last job took twice as long as predicted
        assert before < seconds_per_image(1_000_000) < 2 * before
        job_budget.learn(10.0, 0.5)            # too short to tell: ignored
    finally:
        job_budget._factor[0] = 1.0


# --- the pool ------------------------------------------------------------------------------------
@pytest.fixture
def data():
    return make_shapes(20, seed=0)


def _wait(cond, timeout=30):
    deadline = time.time() + timeout
    while not cond() and time.time() < deadline:
        time.sleep(0.01)
    return cond()


def test_stop_takes_a_waiting_job_out_of_the_queue_and_the_next_is_next(data):
    pool = TrainerPool(workers=1)
    first = Job(Model(PRESETS["small"]), _endless(data), {"epochs": 100, "batch_size": 8})
    second = Job(Model(PRESETS["small"]), data, {"epochs": 1, "batch_size": 8})
    third = Job(Model(PRESETS["small"]), data, {"epochs": 1, "batch_size": 8})
    assert pool.submit(first) and pool.submit(second) and pool.submit(third)
    assert _wait(lambda: first.state == "running")
    assert pool.position(second) == 0 and pool.position(third) == 1
    second.stop()
    assert second.state == "stopped" and second.reason == "student" and not second.active
    assert pool.position(third) == 0, "the job behind a stopped one moves up at once"
    first.stop()
    assert _wait(lambda: third.state == "done")
    assert second.step == 0, "a job stopped while waiting never ran"


def _endless(data):
    """The same digits 100 times over: 25,000 steps at batch 8, still running whenever a test looks
    (the fast engine would finish 100 epochs of 20 digits in well under a second)."""
    (x, y), val, test = data
    return (np.tile(x, (100, 1, 1)), np.tile(y, 100)), val, test


def test_jobs_of_a_session_that_went_away_are_dropped_or_stopped(data, monkeypatch):
    away = {"gone"}
    monkeypatch.setattr(liveness, "session_state",
                        lambda sid: liveness.AWAY if sid in away else liveness.ACTIVE)
    monkeypatch.setattr(job_module, "GONE_AFTER_S", 0.3)
    pool = TrainerPool(workers=1)
    busy = Job(Model(PRESETS["small"]), _endless(data), {"epochs": 100, "batch_size": 8}, session_id="here")
    waiting = Job(Model(PRESETS["small"]), data, {"epochs": 1, "batch_size": 8}, session_id="gone")
    assert pool.submit(busy) and pool.submit(waiting)
    assert _wait(lambda: waiting.state == "stopped", timeout=10), "the waiting job of a gone session stayed"
    assert waiting.reason == "session" and waiting.step == 0
    assert busy.state == "running"
    assert _wait(lambda: busy.step > 0, timeout=60)    # a trainer process takes a few seconds to start
    away.add("here")                             # now the running job's tab is closed too
    assert _wait(lambda: busy.state == "stopped", timeout=10)
    assert busy.reason == "session" and busy.step > 0
    assert busy.model.parameters(), "the model trained so far is kept"


def test_a_running_job_stops_at_its_time_bound(data):
    pool = TrainerPool(workers=1)
    job = Job(Model(PRESETS["small"]), _endless(data), {"epochs": 100, "batch_size": 8})
    assert pool.submit(job)
    assert _wait(lambda: job.step > 0, timeout=60)     # a trainer process takes a few seconds to start
    job.max_seconds = 0.5
    assert _wait(lambda: job.state == "stopped", timeout=20)
    assert job.reason == "time" and 0 < job.step < job.steps


def test_trainer_threads_never_keep_the_process_alive(data):
    TrainerPool(workers=2)
    names = [t for t in threading.enumerate() if t.name.startswith("cnnlab-trainer")]
    assert names and all(t.daemon for t in names)
