"""Trainer jobs: a job whose page stopped watching is stopped and keeps what it learned."""

import time

import numpy as np

from cnnlab.nn.data import make_shapes
from cnnlab.nn.model import Model
from services import training as training_jobs
from services.training import Job
from tests.test_train import SMALL


def test_watched_job_runs_to_the_end():
    data = make_shapes(10, seed=0)
    job = Job(Model(SMALL, seed=0), data, {"epochs": 1, "batch_size": 16, "augment": False})
    job.run()
    assert job.snapshot()["state"] == "done"


def test_abandoned_job_stops_and_keeps_its_model(monkeypatch):
    data = make_shapes(1000, seed=0)             # long enough that the fast engine is still running when abandoned
    model = Model(SMALL, seed=0)
    w0 = model.parameters()[0][0].copy()
    job = Job(model, data, {"epochs": 50, "batch_size": 16, "augment": False})
    monkeypatch.setattr(training_jobs, "ABANDON_AFTER_S", 0.3)
    job.seen = time.monotonic()          # the page looked at it just now, then never again
    started = time.monotonic()
    job.run()
    assert job.state == "stopped"
    assert time.monotonic() - started < 30
    assert 0 < job.step < job.steps
    assert not np.array_equal(model.parameters()[0][0], w0)


def test_abandoned_waiting_job_never_starts(monkeypatch):
    monkeypatch.setattr(training_jobs, "ABANDON_AFTER_S", 0.0)
    job = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), {"epochs": 1})
    job.seen -= 1.0
    job.run()
    assert job.state == "stopped" and job.step == 0


# --- operations: every start, end and failure is in the log, one line each ------------------
def _records(caplog, number):
    return [r for r in caplog.records if r.name == "services.training" and f"job {number} " in r.getMessage()]


def test_start_and_end_are_logged(caplog):
    caplog.set_level("INFO", logger="services.training")
    job = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), {"epochs": 1, "batch_size": 16, "augment": False})
    job.dataset = "shapes"
    job.run()
    lines = [r.getMessage() for r in _records(caplog, job.number)]
    assert len(lines) == 2, lines
    assert "started" in lines[0] and "dataset=shapes" in lines[0] and "epochs=1" in lines[0]
    assert "done" in lines[1] and f"{job.steps} steps" in lines[1]


def test_a_stop_says_why(caplog, monkeypatch):
    caplog.set_level("INFO", logger="services.training")
    job = Job(Model(SMALL, seed=0), make_shapes(1000, seed=0), {"epochs": 50, "batch_size": 16, "augment": False})
    monkeypatch.setattr(training_jobs, "ABANDON_AFTER_S", 0.3)
    job.seen = time.monotonic()
    job.run()
    last = _records(caplog, job.number)[-1].getMessage()
    assert f"stopped at step {job.step}/{job.steps}" in last and "page not watching" in last


def test_a_failure_is_logged_with_its_traceback_and_shown_once(caplog, monkeypatch):
    caplog.set_level("INFO")

    def broken(*args, **kwargs):
        yield {"kind": "start", "steps": 3}
        raise RuntimeError("a bug in the trainer")

    monkeypatch.setattr(training_jobs, "train", broken)
    job = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), {"epochs": 1})
    job.run()
    assert job.state == "error" and isinstance(job.error, RuntimeError)
    failed = [r for r in _records(caplog, job.number) if r.levelname == "ERROR"]
    assert len(failed) == 1 and "failed at step 0/3" in failed[0].getMessage()
    assert failed[0].exc_info and "a bug in the trainer" in str(failed[0].exc_info[1])
    # the page shows the generic message on every poll; ui.errors does not log it a second time
    from ui import errors
    from ui.i18n import Translator

    caplog.clear()
    for _ in range(3):
        text = errors.message(job.error, Translator("en"))
    assert text == Translator("en")("error.generic") and "a bug in the trainer" not in text   # log only
    assert not [r for r in caplog.records if r.name == "ui.errors"]


def test_the_pool_limits_blas_while_trainers_run_and_logs_it(caplog, monkeypatch):
    """The pool takes the core's BLAS limit when the first trainer starts and gives it back after the last."""
    events = []

    class Limit:
        def __init__(self, n):
            events.append(("limit", n))

        def __enter__(self):
            events.append("enter")
            return [{"internal_api": "openblas", "num_threads": 1}]

        def __exit__(self, *exc):
            events.append("exit")

    monkeypatch.setattr(training_jobs, "blas_threads", Limit)
    caplog.set_level("INFO", logger="services.training")
    pool = training_jobs.TrainerPool(workers=2)
    jobs = [Job(Model(SMALL, seed=s), make_shapes(10, seed=0), {"epochs": 1, "batch_size": 16}) for s in (0, 1)]
    for job in jobs:
        assert pool.submit(job)
    deadline = time.time() + 60
    while any(j.active for j in jobs) and time.time() < deadline:
        time.sleep(0.05)
    deadline = time.time() + 5
    while "exit" not in events and time.time() < deadline:     # the worker gives the limit back last
        time.sleep(0.05)
    assert events[0] == ("limit", training_jobs.BLAS_THREADS)
    assert events.count("enter") == events.count("exit") >= 1
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "BLAS limited to 1 thread(s) per trainer (openblas=1)" in text
    assert "BLAS threads restored" in text
