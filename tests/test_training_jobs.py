"""Trainer jobs: a job whose page stopped watching is stopped and keeps what it learned; trainer processes."""

import os
import signal
import time
from pathlib import Path

import numpy as np

from cnnlab.nn.data import make_shapes
from cnnlab.nn.model import Model
from cnnlab.nn.train import blas_threads
from services import jobs as job_module
from services import trainer_pool as pool_module
from services.trainer_process import TrainerProcess
from services.training import Job, TrainerPool
from tests.test_train import SMALL


def test_watched_job_runs_to_the_end():
    data = make_shapes(10, seed=0)
    job = Job(Model(SMALL, seed=0), data, {"epochs": 1, "batch_size": 16, "augment": False})
    job.run()
    assert job.snapshot()["state"] == "done"


def _run_watched_then_abandoned(job):
    """Run ``job`` in a thread; the page watches it until its second batch (however busy the machine), then
    never again. Returns when the page stopped watching."""
    import threading

    runner = threading.Thread(target=job.run, daemon=True)
    runner.start()
    deadline = time.time() + 120
    while job.step < 2 and job.active and time.time() < deadline:
        job.snapshot()
        time.sleep(0.02)
    left = time.monotonic()
    runner.join(120)
    return left


def test_abandoned_job_stops_and_keeps_its_model(monkeypatch):
    data = make_shapes(1000, seed=0)             # long enough that the fast engine is still running when abandoned
    model = Model(SMALL, seed=0)
    w0 = model.parameters()[0][0].copy()
    job = Job(model, data, {"epochs": 50, "batch_size": 16, "augment": False})
    monkeypatch.setattr(job_module, "ABANDON_AFTER_S", 0.3)
    started = _run_watched_then_abandoned(job)
    assert job.state == "stopped"
    assert time.monotonic() - started < 30
    assert 0 < job.step < job.steps
    assert not np.array_equal(model.parameters()[0][0], w0)


def test_abandoned_waiting_job_never_starts(monkeypatch):
    monkeypatch.setattr(job_module, "ABANDON_AFTER_S", 0.0)
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
    monkeypatch.setattr(job_module, "ABANDON_AFTER_S", 0.3)
    _run_watched_then_abandoned(job)
    last = _records(caplog, job.number)[-1].getMessage()
    assert f"stopped at step {job.step}/{job.steps}" in last and "page not watching" in last


def test_a_failure_is_logged_with_its_traceback_and_shown_once(caplog, monkeypatch):
    caplog.set_level("INFO")

    def broken(*args, **kwargs):
        yield {"kind": "start", "steps": 3}
        raise RuntimeError("a bug in the trainer")

    monkeypatch.setattr(job_module, "train", broken)
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

    monkeypatch.setattr(pool_module, "blas_threads", Limit)
    caplog.set_level("INFO", logger="services.training")
    pool = TrainerPool(workers=2, processes=False)
    jobs = [Job(Model(SMALL, seed=s), make_shapes(10, seed=0), {"epochs": 1, "batch_size": 16}) for s in (0, 1)]
    for job in jobs:
        assert pool.submit(job)
    deadline = time.time() + 60
    while any(j.active for j in jobs) and time.time() < deadline:
        time.sleep(0.05)
    deadline = time.time() + 5
    while "exit" not in events and time.time() < deadline:     # the worker gives the limit back last
        time.sleep(0.05)
    assert events[0] == ("limit", pool_module.BLAS_THREADS)
    assert events.count("enter") == events.count("exit") >= 1
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "BLAS limited to 1 thread(s) per trainer (openblas=1)" in text
    assert "BLAS threads restored" in text


# --- trainer processes (services/trainer_process.py) ------------------------------------------
def _wait(jobs, seconds=120):
    deadline = time.time() + seconds
    while any(j.active for j in jobs) and time.time() < deadline:
        time.sleep(0.05)


def test_a_trainer_process_learns_exactly_what_a_thread_learns():
    """Same model, data and seed: the weights and both curves of a run in a trainer process equal the
    run in this thread (an independent path: the child rebuilds the model from its description)."""
    data = make_shapes(100, seed=0)
    settings = {"epochs": 2, "batch_size": 16, "augment": True, "seed": 3}
    here = Job(Model(SMALL, seed=0), data, settings)
    with blas_threads(pool_module.BLAS_THREADS):   # as a trainer runs: two BLAS threads sum in another order
        here.run()
    pool = TrainerPool(workers=1, processes=True)
    there = Job(Model(SMALL, seed=0), data, settings)
    assert pool.submit(there)
    _wait([there])
    assert there.state == "done" == here.state, there.error
    assert there.batches == here.batches and there.vals == here.vals and len(there.vals) >= 2
    for a, b in zip(here.model.parameters(), there.model.parameters()):
        np.testing.assert_array_equal(a, b)


def test_stop_reaches_a_trainer_process_and_the_model_keeps_what_it_learned(caplog):
    caplog.set_level("INFO", logger="services.training")
    model = Model(SMALL, seed=0)
    w0 = model.parameters()[0].copy()
    pool = TrainerPool(workers=1, processes=True)
    job = Job(model, make_shapes(1000, seed=0), {"epochs": 50, "batch_size": 16, "augment": False})
    assert pool.submit(job)
    deadline = time.time() + 60
    while job.step < 5 and time.time() < deadline:
        job.snapshot()
        time.sleep(0.05)
    job.stop()
    t0 = time.time()
    _wait([job], 30)
    assert job.state == "stopped" and job.reason == "student"
    assert time.time() - t0 < 5, "the process did not stop at its next batch"
    assert 0 < job.step < job.steps
    assert not np.array_equal(model.parameters()[0], w0), "the weights learned in the process did not come back"
    last = _records(caplog, job.number)[-1].getMessage()
    assert f"stopped at step {job.step}/{job.steps}" in last and "asked by the student" in last


def test_a_failure_in_a_trainer_process_keeps_its_translated_code_and_traceback(caplog):
    caplog.set_level("INFO", logger="services.training")
    pool = TrainerPool(workers=1, processes=True)
    job = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), {"epochs": 1, "max_step_bytes": 1})
    assert pool.submit(job)
    _wait([job])
    assert job.state == "error" and getattr(job.error, "code", None) == "train_too_much_memory", job.error
    failed = [r for r in _records(caplog, job.number) if r.levelname == "ERROR"]
    assert len(failed) == 1 and "in the trainer process" in failed[0].getMessage()
    assert "check_budget" in failed[0].getMessage()        # the child's own traceback
    pid = pool.procs[0]._proc.pid
    nxt = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), {"epochs": 1, "batch_size": 16, "augment": False})
    assert pool.submit(nxt)
    _wait([nxt])
    assert nxt.state == "done" and pool.procs[0]._proc.pid == pid     # the same process took the next job


def test_a_killed_trainer_process_fails_its_job_and_the_next_job_gets_a_new_one():
    import threading

    proc = TrainerProcess("test-trainer")
    job = Job(Model(SMALL, seed=0), make_shapes(1000, seed=0), {"epochs": 50, "batch_size": 16, "augment": False})
    runner = threading.Thread(target=job.run, kwargs={"source": proc.run}, daemon=True)
    runner.start()
    deadline = time.time() + 60
    while job.step < 3 and time.time() < deadline:
        job.snapshot()
        time.sleep(0.05)
    pid = proc._proc.pid
    os.kill(pid, signal.SIGKILL)
    runner.join(30)
    assert job.state == "error" and "trainer process ended" in str(job.error)
    nxt = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), {"epochs": 1, "batch_size": 16, "augment": False})
    nxt.run(source=proc.run)
    assert nxt.state == "done" and proc._proc.pid != pid
    proc.close()


def test_a_job_whose_augmentation_cannot_be_sent_runs_in_its_thread():
    from cnnlab.vision.augment import Augment, batch_augmenter
    from services.trainer_process import can_run

    data = make_shapes(10, seed=0)
    assert can_run(Job(Model(SMALL, seed=0), data, {"augment": True}))
    assert can_run(Job(Model(SMALL, seed=0), data, {"augment": batch_augmenter(Augment())}))
    closure = Job(Model(SMALL, seed=0), data, {"epochs": 1, "batch_size": 16, "augment": lambda x, rng: x})
    assert not can_run(closure)
    pool = TrainerPool(workers=1, processes=True)
    assert pool.submit(closure)
    _wait([closure])
    assert closure.state == "done"


def test_a_snapshot_thins_a_long_batch_curve_and_keeps_its_last_point():
    job = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), {"epochs": 1})
    job.batches = [(i, 1.0 / i, 0.5) for i in range(1, 3751)]       # 30 epochs of the bundled digits
    snap = job.snapshot()["batches"]
    assert len(snap) <= job_module.CURVE_POINTS + 1 and snap[-1] == job.batches[-1]
    steps = [b[0] for b in snap]
    assert steps == sorted(set(steps)) and steps[0] <= 8
    job.batches.append((3751, 0.1, 0.5))                               # the next poll keeps the same points
    again = [b[0] for b in job.snapshot()["batches"]]
    assert again[:-1] == steps[:-1] and again[-1] == 3751
    job.batches = job.batches[:100]
    assert job.snapshot()["batches"] == job.batches[:100]             # a short curve is drawn whole


def test_a_trainer_process_runs_without_the_servers_fixed_mmap_threshold(monkeypatch):
    """The Dockerfile's MALLOC_MMAP_THRESHOLD_ makes glibc unmap every freed array above 128 KB (good for the
    server's idle memory, 1.6x the CPU time per step of a whole fast trainer run: benchmarks/bench_malloc.py);
    the trainer process is started without it and keeps the other settings."""
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")
    proc = TrainerProcess("test-env")
    job = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), {"epochs": 1, "batch_size": 16, "augment": False})
    job.run(source=proc.run)
    env = Path(f"/proc/{proc._proc.pid}/environ").read_bytes().split(b"\0")
    proc.close()
    assert job.state == "done"
    assert b"MALLOC_ARENA_MAX=2" in env and not any(e.startswith(b"MALLOC_MMAP_THRESHOLD_") for e in env)


def test_an_idle_trainer_process_ends_and_the_next_job_starts_a_new_one(monkeypatch):
    monkeypatch.setattr(pool_module, "PROCESS_IDLE_S", 0.5)
    pool = TrainerPool(workers=1, processes=True)
    settings = {"epochs": 1, "batch_size": 16, "augment": False}
    first = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), settings)
    assert pool.submit(first)
    _wait([first])
    assert first.state == "done"
    proc = pool.procs[0]
    pid = proc._proc.pid
    deadline = time.time() + 20
    while time.time() < deadline and proc.alive():
        time.sleep(0.1)
    assert not proc.alive(), "the idle trainer process is still there"
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    second = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), settings)
    assert pool.submit(second)
    _wait([second])
    assert second.state == "done"


def _alive_soon(proc, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline and not (proc.alive() and proc._used and proc._recv is not None):
        time.sleep(0.05)
    return proc.alive()


def test_a_warm_trainer_process_takes_the_first_job():
    """A training page starts one trainer process before Train is pressed; the first job runs in it (same
    pid), on whichever trainer's thread, and no second process is started for it."""
    pool = TrainerPool(workers=2, processes=True)
    assert pool.warm()
    warm = pool.procs[0]
    assert _alive_soon(warm), "the warm start did not start a process"
    while pool._warming is not None:
        time.sleep(0.05)
    assert not pool.warm(), "a second warm process while one is alive"
    pid = warm._proc.pid
    for seed in range(3):                       # one after the other: each goes to the live process
        job = Job(Model(SMALL, seed=seed), make_shapes(10, seed=0), {"epochs": 1, "batch_size": 16, "augment": False})
        assert pool.submit(job)
        _wait([job])
        assert job.state == "done"
        assert warm.alive() and warm._proc.pid == pid, "the job did not run in the warm process"
        assert not pool.procs[1].alive(), "the other trainer started a process of its own"
    for p in pool.procs:
        p.close()


def test_a_job_submitted_while_the_warm_process_starts_waits_for_it_and_uses_it():
    pool = TrainerPool(workers=2, processes=True)
    assert pool.warm()
    job = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), {"epochs": 1, "batch_size": 16, "augment": False})
    assert pool.submit(job)                       # at once: the process is still starting
    _wait([job])
    assert job.state == "done"
    assert sum(p.alive() for p in pool.procs) == 1, "two processes for one job"
    for p in pool.procs:
        p.close()


def test_a_warm_process_without_a_job_ends_after_the_idle_bound(monkeypatch):
    monkeypatch.setattr(pool_module, "PROCESS_IDLE_S", 0.5)
    pool = TrainerPool(workers=1, processes=True)
    assert pool.warm()
    proc = pool.procs[0]
    assert _alive_soon(proc)
    deadline = time.time() + 20
    while time.time() < deadline and proc.alive():
        time.sleep(0.1)
    assert not proc.alive(), "the warm trainer process outlived its idle bound"
    assert pool.warm(), "after it ended, a training page starts a new one"
    assert _alive_soon(proc)
    proc.close()


def test_no_warm_process_in_thread_mode():
    pool = TrainerPool(workers=1, processes=False)
    assert not pool.warm() and pool.procs == []


def test_the_live_panel_polls_fast_only_until_a_running_jobs_first_batch():
    from app_pages.training.panel import POLL_SECONDS, START_POLL_SECONDS, poll_seconds

    job = Job(Model(SMALL, seed=0), make_shapes(10, seed=0), {"epochs": 1})
    assert poll_seconds(None) is None
    assert poll_seconds(job) == POLL_SECONDS                 # waiting in the queue: no hurry
    job.state = "running"
    assert poll_seconds(job) == START_POLL_SECONDS < POLL_SECONDS
    job.step = 1
    assert poll_seconds(job) == POLL_SECONDS
    job.state = "done"
    assert poll_seconds(job) is None
