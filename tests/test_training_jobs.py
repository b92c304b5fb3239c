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
    data = make_shapes(10, seed=0)
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
