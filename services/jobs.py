"""A training job: one session's run, its progress record and why it stops (services/training.py has the
overview). Nothing here runs a job by itself: a trainer of the pool (``services/trainer_pool.py``) calls
:meth:`Job.run`, in its thread or with a trainer process's reports; the page reads :meth:`Job.snapshot`.

A job stops at its next batch - and a waiting job leaves the queue - when its session has been
disconnected for :data:`GONE_AFTER_S`, when its page has not polled it for :data:`ABANDON_AFTER_S`, when
it runs past its time bound (``services/job_budget.py``) or when the student presses Stop.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
import time

from cnnlab.nn.train import train
from services import liveness
from services.job_budget import HARD_LIMIT, MAX_JOB_SECONDS, learn

#: One log name for the whole training service (README: operators filter on ``services.training``).
logger = logging.getLogger("services.training")

# The trainers run the batch-innermost engine (cnnlab.nn.fast_train, tested equal to the readable layers);
# CNNLAB_ENGINE=readable switches back to the layers a student reads, e.g. to compare.
ENGINE = os.environ.get("CNNLAB_ENGINE", "fast")
if ENGINE not in ("fast", "readable"):
    logger.warning("CNNLAB_ENGINE=%r is not 'fast' or 'readable'; using 'fast'", ENGINE)
    ENGINE = "fast"

#: A job whose page has not asked for its progress for this long is stopped (the tab was closed
#: or the student left the lesson): it keeps what it learned, and frees the trainer for others.
#: Same as server.disconnectedSessionTTL in .streamlit/config.toml.
ABANDON_AFTER_S = 120.0
#: A job whose session has been disconnected this long (tab closed or reloaded) stops, or leaves the
#: queue; a shorter network drop does not stop it.
GONE_AFTER_S = 5.0
#: Why a job stopped, for the log (the page shows its own translated sentence for each).
REASONS = {"student": "asked by the student", "abandoned": f"page not watching for {ABANDON_AFTER_S:.0f} s",
           "session": f"session disconnected for {GONE_AFTER_S:.0f} s", "time": "past its time bound",
           "shutdown": "the server is shutting down"}
#: A snapshot's batch curve has at most about this many points (every 2^k-th batch, and the last):
#: the page draws the curves on every poll, and a Plotly figure of 3,750 points (30 epochs of the
#: bundled digits) cost ~100 ms of the server's CPU per poll, 500 points ~30 ms (measured).
CURVE_POINTS = 500
_numbers = itertools.count(1)


class Job:
    """One training run of one session's model."""

    def __init__(self, model, data, settings, max_batches=None, planned_seconds=None, session_id=None,
                 resume_from=None):
        self.model = model
        self.data = data
        self.settings = dict(settings)
        self.max_batches = max_batches
        self.engine = ENGINE
        self.state = "waiting"            # waiting -> running -> done | stopped | error
        self.error = None
        self.batches = []                 # (step, loss, accuracy)
        self.vals = []                    # (step, val_loss, val_accuracy)
        self.step = self.steps = self.epoch = 0
        self.images_per_s = 0.0
        self.elapsed = 0.0
        self.created = self.seen = time.monotonic()
        self.number = next(_numbers)          # for the log: "training job 7 ..."
        # the session that pressed Train (the script thread's, when the page makes the job)
        self.session_id = session_id or liveness.current_session_id()
        self.planned_seconds = planned_seconds
        self.max_seconds = HARD_LIMIT * max(planned_seconds or 0.0, MAX_JOB_SECONDS)
        self.reason = None                    # why it stopped early (a key of REASONS)
        self._away_since = None
        self._started = None
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
        """Stop the job at its next batch; a job still waiting is taken out of the queue at once."""
        self._stop.set()
        with self._lock:
            if self.state != "waiting":
                return
            self.state, self.reason = "stopped", "student"
        logger.info("training job %d stopped while waiting (%s)", self.number, REASONS["student"])

    @property
    def active(self):
        return self.state in ("waiting", "running")

    def _why(self):
        """The reason to stop now (a key of :data:`REASONS`), or None."""
        if self._stop.is_set():
            return "student"
        now = time.monotonic()
        where = liveness.session_state(self.session_id)
        if where == liveness.SHUTDOWN:
            return "shutdown"
        if where == liveness.AWAY:
            self._away_since = self._away_since or now
            if now - self._away_since > GONE_AFTER_S:
                return "session"
        else:
            self._away_since = None
        if now - self.seen > ABANDON_AFTER_S:
            return "abandoned"
        if self._started is not None and now - self._started > self.max_seconds:
            return "time"
        return None

    def _should_stop(self):
        why = self._why()
        if why is not None and self.reason is None:
            self.reason = why
        return why is not None

    def _why_stopped(self):
        return REASONS.get(self.reason, "stopped")

    def describe(self):
        """The job's settings for the log (no data of the student)."""
        s = self.settings
        return (f"dataset={getattr(self, 'dataset', '?')} epochs={s.get('epochs')} batch={s.get('batch_size')} "
                f"optimizer={s.get('optimizer')} lr={s.get('lr')} params={_n_params(self.model)}")

    def snapshot(self):
        """A consistent copy of the progress for drawing (also: the page is still watching)."""
        self.seen = time.monotonic()
        with self._lock:
            return {"state": self.state, "batches": thin(self.batches), "vals": list(self.vals),
                    "step": self.step, "steps": self.steps, "epoch": self.epoch,
                    "epochs": self.settings.get("epochs", 1), "images_per_s": self.images_per_s,
                    "elapsed": self.elapsed, "error": self.error, "reason": self.reason,
                    "max_seconds": self.max_seconds, "eta": self._eta()}

    def _eta(self):
        if self.step == 0 or self.steps == 0:
            return None
        return self.elapsed / self.step * (self.steps - self.step)

    # called in a worker thread
    def run(self, source=None):
        """Train to the end or to a stop. ``source(job)`` yields the reports of a run elsewhere (a trainer
        process); without it the run is here, in this thread."""
        with self._lock:
            if self.state != "waiting":       # stopped (or dropped) while it waited: nothing to do
                return
        if self._should_stop():
            with self._lock:
                self.state = "stopped"
            logger.info("training job %d stopped before it started (%s)", self.number, self._why_stopped())
            return
        with self._lock:
            self.state = "running"
        self._started = time.monotonic()
        logger.info("training job %d started after %.1f s in the queue: %s", self.number,
                    time.monotonic() - self.created, self.describe())
        try:
            if source is None:
                reports = train(self.model, self.data, stop=self._should_stop, max_batches=self.max_batches,
                                engine=self.engine, **self.settings)
            else:
                reports = source(self)
            for r in reports:
                with self._lock:
                    self._record(r)
        except Exception as exc:  # noqa: BLE001 - logged with its traceback; the student sees a message
            where = getattr(exc, "child_traceback", "")
            logger.exception("training job %d failed at step %d/%d: %s%s", self.number, self.step, self.steps,
                             self.describe(), f"\nin the trainer process: {where}" if where else "")
            with contextlib.suppress(AttributeError):
                exc._cnnlab_logged = True         # ui.errors: already in the log with its traceback
            with self._lock:
                self.state, self.error = "error", exc
            return
        with self._lock:
            self.state = "stopped" if self._should_stop() and self.step < self.steps else "done"
        if self.state == "done":
            logger.info("training job %d done: %d steps in %.1f s (%.0f images/s)", self.number, self.steps,
                        self.elapsed, self.images_per_s)
            if self.planned_seconds:
                learn(self.planned_seconds, self.elapsed)
        else:
            logger.info("training job %d stopped at step %d/%d after %.1f s (%s)", self.number, self.step,
                        self.steps, self.elapsed, self._why_stopped())

    def _record(self, r):
        kind = r["kind"]
        base = self.base_step
        if kind == "start":
            self.steps = r["steps"]
            self._started = time.monotonic()  # the time bound counts from here, not from a trainer's start-up
        elif kind == "batch":
            self.step, self.epoch = r["step"], r["epoch"]
            self.batches.append((base + r["step"], r["loss"], r["accuracy"]))
            self.images_per_s, self.elapsed = r["images_per_s"], r["elapsed"]
        elif kind == "val":
            self.vals.append((base + r["step"], r["val_loss"], r["val_accuracy"]))
            self.elapsed = r["elapsed"]


def thin(points, most=CURVE_POINTS):
    """Every ``2**k``-th of ``points`` (the smallest ``k`` that leaves at most ``most``), plus the last.

    A power of two keeps the same points from one poll to the next until the stride doubles, so a
    growing curve does not jitter.
    """
    n = len(points)
    stride = 1
    while n > most * stride:
        stride *= 2
    if stride == 1:
        return list(points)
    kept = points[stride - 1::stride]
    return kept + [points[-1]] if kept[-1] is not points[-1] else kept


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


def _n_params(model):
    try:
        return sum(int(p.size) for p in model.parameters())
    except (AttributeError, TypeError):
        return "?"

