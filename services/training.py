"""Training jobs: a bounded pool of trainer threads shared by all sessions, one job per session.

Many students may press "Train" at once. Each press makes a :class:`Job`
that owns its session's model and history (nothing mutable is shared); the
only shared object is the :class:`TrainerPool` (``st.cache_resource``), a
fixed number of worker threads. A job waits in the pool's queue - the page
says "waiting for a free trainer" - until a worker is free, then runs
``cnnlab.nn.train.train`` and records every report under its own lock. The
page polls the job from an ``st.fragment`` and never blocks on it.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import streamlit as st

from cnnlab.nn.train import blas_threads, train

WORKERS = 2
MAX_QUEUE = 40
#: A job whose page has not asked for its progress for this long is stopped (the tab was closed
#: or the student left the lesson): it keeps what it learned, and frees the trainer for others.
#: Same as server.disconnectedSessionTTL in .streamlit/config.toml.
ABANDON_AFTER_S = 120.0


class Job:
    """One training run of one session's model."""

    def __init__(self, model, data, settings, max_batches=None, resume_from=None):
        self.model = model
        self.data = data
        self.settings = dict(settings)
        self.max_batches = max_batches
        self.state = "waiting"            # waiting -> running -> done | stopped | error
        self.error = None
        self.batches = []                 # (step, loss, accuracy)
        self.vals = []                    # (step, val_loss, val_accuracy)
        self.step = self.steps = self.epoch = 0
        self.images_per_s = 0.0
        self.elapsed = 0.0
        self.created = self.seen = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        # Resume: continue the same model; the curves go on from where the last run ended
        self.base_step = 0
        if resume_from is not None:
            prev = resume_from.snapshot()
            self.base_step = resume_from.base_step + prev["step"]
            self.batches, self.vals = list(prev["batches"]), list(prev["vals"])
            self.resumes = getattr(resume_from, "resumes", 0) + 1

    # called from the page
    def stop(self):
        self._stop.set()

    @property
    def active(self):
        return self.state in ("waiting", "running")

    def _should_stop(self):
        return self._stop.is_set() or time.monotonic() - self.seen > ABANDON_AFTER_S

    def snapshot(self):
        """A consistent copy of the progress for drawing (also: the page is still watching)."""
        self.seen = time.monotonic()
        with self._lock:
            return {"state": self.state, "batches": list(self.batches), "vals": list(self.vals),
                    "step": self.step, "steps": self.steps, "epoch": self.epoch,
                    "epochs": self.settings.get("epochs", 1), "images_per_s": self.images_per_s,
                    "elapsed": self.elapsed, "error": self.error,
                    "eta": self._eta()}

    def _eta(self):
        if self.step == 0 or self.steps == 0:
            return None
        return self.elapsed / self.step * (self.steps - self.step)

    # called in a worker thread
    def run(self):
        if self._should_stop():
            with self._lock:
                self.state = "stopped"
            return
        with self._lock:
            self.state = "running"
        try:
            for r in train(self.model, self.data, stop=self._should_stop, max_batches=self.max_batches,
                           **self.settings):
                with self._lock:
                    self._record(r)
        except Exception as exc:  # noqa: BLE001 - shown to the student, never a traceback
            with self._lock:
                self.state, self.error = "error", exc
            return
        with self._lock:
            self.state = "stopped" if self._should_stop() and self.step < self.steps else "done"

    def _record(self, r):
        kind = r["kind"]
        base = self.base_step
        if kind == "start":
            self.steps = r["steps"]
        elif kind == "batch":
            self.step, self.epoch = r["step"], r["epoch"]
            self.batches.append((base + r["step"], r["loss"], r["accuracy"]))
            self.images_per_s, self.elapsed = r["images_per_s"], r["elapsed"]
        elif kind == "val":
            self.vals.append((base + r["step"], r["val_loss"], r["val_accuracy"]))
            self.elapsed = r["elapsed"]


def resume(job, settings=None, max_batches=None):
    """A new job that continues training ``job``'s model from its current weights (Resume).

    Same data; ``settings`` default to the last run's. The history carries on (steps
    count on from the last run); the optimizer starts afresh (Adam's moments and the
    learning-rate schedule restart), and the batches are drawn with a new seed.
    """
    if job.active:
        raise ValueError("a job can be resumed only after it has stopped or finished.")
    settings = dict(job.settings if settings is None else settings)
    settings["seed"] = int(settings.get("seed", 0)) + getattr(job, "resumes", 0) + 1
    new = Job(job.model, job.data, settings, max_batches=max_batches, resume_from=job)
    for attr in ("dataset", "meta"):
        if hasattr(job, attr):
            setattr(new, attr, getattr(job, attr))
    return new


class TrainerPool:
    """A fixed number of trainer threads; jobs beyond them wait in order."""

    def __init__(self, workers=WORKERS):
        self.workers = workers
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cnnlab-trainer")
        self._lock = threading.Lock()
        self._jobs = []

    def submit(self, job):
        """Queue ``job``; returns False (and does not queue it) when the queue is full."""
        with self._lock:
            self._jobs = [j for j in self._jobs if j.active]
            if len(self._jobs) >= MAX_QUEUE:
                return False
            self._jobs.append(job)
        self._executor.submit(job.run)
        return True

    def position(self, job):
        """How many jobs wait before ``job`` (0 when it is running or next)."""
        with self._lock:
            waiting = [j for j in self._jobs if j.state == "waiting"]
            running = sum(j.state == "running" for j in self._jobs)
        if job not in waiting:
            return 0
        return max(0, waiting.index(job) + running - self.workers + 1)


@st.cache_resource(show_spinner=False)
def trainer_pool():
    """The one pool of trainer threads of this server process (one BLAS thread per trainer)."""
    blas_threads(1)
    return TrainerPool()
