"""Training jobs: a bounded pool of trainers shared by all sessions, one job per session.

Many students may press "Train" at once. Each press makes a :class:`Job`
that owns its session's model and history (nothing mutable is shared); the
only shared object is the :class:`TrainerPool` (``st.cache_resource``), a
fixed number of trainers. A job waits in the pool's queue - the page
says "waiting for a free trainer" - until a trainer is free, then runs
``cnnlab.nn.train.train`` and records every report under its own lock. The
page polls the job from an ``st.fragment`` and never blocks on it.

Where the training runs (:data:`TRAINERS`): by default each trainer is a process of its own at a lower
CPU priority (``services/trainer_process.py``; a thread of the server only waits for its reports), so a
training cannot hold the interpreter lock or the cores that other students' pages need (measured:
benchmarks/bench_busy.py, figures in docs/deployment.md). ``CNNLAB_TRAINERS=thread`` runs the
trainers as threads of the server process, as before; a job whose augmentation cannot be sent to a
process (a lesson's own function that is not a :func:`cnnlab.vision.augment.batch_augmenter`) runs
in its trainer's thread.

Operations: every job's start, end (done, stopped by the student, stopped because its page was
abandoned) and failure is logged, one line each (a failure with its traceback), with the job's
number and settings, never the student's data. BLAS threads: while any trainer runs, the pool holds
the core's ``blas_threads(BLAS_THREADS)`` limit (LeNet-sized products are faster on one thread
than on two that wait for each other on a busy machine; cnnlab/nn/train.py) and logs what it got;
a trainer process takes the same limit for itself and logs it when it starts.

Jobs end with their session (issue 17): a job stops at its next batch - and a waiting job leaves the
queue - when its session has been disconnected for :data:`GONE_AFTER_S` (the tab was closed or
reloaded; ``services/liveness.py`` asks Streamlit's runtime), when its page has not polled it for
:data:`ABANDON_AFTER_S` (the student left the lesson), when it runs past its time bound
(``services/job_budget.py``), when the student presses Stop (also while it waits), or when the server
shuts down (SIGTERM: Streamlit stops its runtime). It keeps what it learned for a session that comes
back. The trainer threads are daemon threads, so they never keep the server alive; its trainer
processes are killed when it exits, and one whose server is gone stops at its next batch.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import os
import threading
import time

import streamlit as st

from cnnlab.nn.train import blas_threads, train
from services import liveness
from services.job_budget import HARD_LIMIT, MAX_JOB_SECONDS, learn
from services.trainer_process import TrainerProcess, can_run

logger = logging.getLogger(__name__)

# The trainers run the batch-innermost engine (cnnlab.nn.fast_train, tested equal to the readable layers);
# CNNLAB_ENGINE=readable switches back to the layers a student reads, e.g. to compare.
ENGINE = os.environ.get("CNNLAB_ENGINE", "fast")
if ENGINE not in ("fast", "readable"):
    logger.warning("CNNLAB_ENGINE=%r is not 'fast' or 'readable'; using 'fast'", ENGINE)
    ENGINE = "fast"

#: "process" (default): every trainer is a process of its own; "thread": a thread of the server.
TRAINERS = os.environ.get("CNNLAB_TRAINERS", "process")
if TRAINERS not in ("process", "thread"):
    logger.warning("CNNLAB_TRAINERS=%r is not 'process' or 'thread'; using 'process'", TRAINERS)
    TRAINERS = "process"

WORKERS = 2
#: A trainer process with no job for this long exits (~80 MB each); the next job starts a new one (a few s).
PROCESS_IDLE_S = 300.0
MAX_QUEUE = 40
#: A job whose page has not asked for its progress for this long is stopped (the tab was closed
#: or the student left the lesson): it keeps what it learned, and frees the trainer for others.
#: Same as server.disconnectedSessionTTL in .streamlit/config.toml.
ABANDON_AFTER_S = 120.0
#: A job whose session has been disconnected this long (tab closed or reloaded) stops, or leaves the
#: queue; a shorter network drop does not stop it.
GONE_AFTER_S = 5.0
SWEEP_S = 1.0
#: Why a job stopped, for the log (the page shows its own translated sentence for each).
REASONS = {"student": "asked by the student", "abandoned": f"page not watching for {ABANDON_AFTER_S:.0f} s",
           "session": f"session disconnected for {GONE_AFTER_S:.0f} s", "time": "past its time bound",
           "shutdown": "the server is shutting down"}
#: BLAS threads per trainer while trainers run.
BLAS_THREADS = 1
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


class TrainerPool:
    """A fixed number of trainers (each a thread, which runs its jobs in a process of its own when
    ``processes``, default :data:`TRAINERS`); jobs beyond them wait in order.

    The threads are daemon threads (a ``ThreadPoolExecutor``'s are joined at exit, so a running
    training kept a stopped server alive until it finished); one more thread sweeps the queue
    every :data:`SWEEP_S` seconds, dropping the waiting jobs whose session has ended.
    """

    def __init__(self, workers=WORKERS, processes=None):
        self.workers = workers
        self.processes = TRAINERS == "process" if processes is None else bool(processes)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._jobs = []                       # active jobs, in the order they were submitted
        self._queue = collections.deque()     # waiting jobs, next first
        self._running = 0                     # trainers at work (they share the BLAS limit)
        self._limit = None
        self.procs = []                        # the trainer processes' handles (processes mode)
        for i in range(workers):
            proc = TrainerProcess(f"cnnlab-trainer-{i}") if self.processes else None
            if proc is not None:
                self.procs.append(proc)
            threading.Thread(target=self._work, args=(proc,), name=f"cnnlab-trainer-{i}", daemon=True).start()
        threading.Thread(target=self._sweeper, name="cnnlab-trainer-sweep", daemon=True).start()

    def submit(self, job):
        """Queue ``job``; returns False (and does not queue it) when the queue is full."""
        with self._cond:
            self._sweep()
            if len(self._jobs) >= MAX_QUEUE:
                logger.warning("training job %d refused: the queue is full (%d jobs)", job.number, MAX_QUEUE)
                return False
            self._jobs.append(job)
            self._queue.append(job)
            self._cond.notify()
            active = len(self._jobs)
        logger.info("training job %d queued (%d active jobs, %d trainers)", job.number, active, self.workers)
        return True

    def _work(self, proc=None):
        while True:
            with self._cond:
                while not self._queue:
                    idle = proc is not None and proc.alive()
                    if not self._cond.wait(PROCESS_IDLE_S if idle else None) and idle:
                        break                 # no job for a while: the process gives its memory back
                job = self._queue.popleft() if self._queue else None
            if job is None:
                proc.close()
                logger.info("trainer process %s ended after %.0f s without a job", proc.name, PROCESS_IDLE_S)
                continue
            try:
                if proc is not None and can_run(job):
                    job.run(source=proc.run)
                else:
                    self._run(job)
            except Exception:  # noqa: BLE001 - a trainer thread must survive any job
                logger.exception("training job %d: the trainer failed around it", job.number)

    def _sweep(self):
        """Forget finished jobs; drop waiting jobs that were stopped or whose session ended (lock held)."""
        for job in list(self._queue):
            if job.state == "waiting" and job._should_stop():
                with job._lock:
                    job.state = "stopped"
                logger.info("training job %d dropped from the queue (%s)", job.number, job._why_stopped())
            if job.state != "waiting":
                self._queue.remove(job)
        self._jobs = [j for j in self._jobs if j.active]

    def _sweeper(self):
        while True:
            time.sleep(SWEEP_S)
            with self._cond:
                self._sweep()

    def _run(self, job):
        """One job in a worker thread, under the pool's BLAS limit."""
        self._enter_blas()
        try:
            job.run()
        finally:
            self._exit_blas()

    # The BLAS thread count is a setting of the whole process (the library's), not of one thread:
    # the limit is taken when the first trainer starts and given back when the last one ends.
    def _enter_blas(self):
        with self._lock:
            self._running += 1
            if self._running > 1:
                return
            self._limit = _blas_limit(BLAS_THREADS)
            got = self._limit.__enter__()
        logger.info("trainers at work: BLAS limited to %d thread(s) per trainer (%s)", BLAS_THREADS,
                    _describe_blas(got))

    def _exit_blas(self):
        with self._lock:
            self._running -= 1
            if self._running > 0 or self._limit is None:
                return
            limit, self._limit = self._limit, None
            limit.__exit__(None, None, None)
        logger.info("no trainer at work: BLAS threads restored")

    def position(self, job):
        """How many jobs wait before ``job`` in the queue (0: it is next, or not waiting)."""
        with self._cond:
            self._sweep()
            waiting = [j for j in self._queue if j.state == "waiting"]
        return waiting.index(job) if job in waiting else 0


def _n_params(model):
    try:
        return sum(int(p.size) for p in model.parameters())
    except (AttributeError, TypeError):
        return "?"


def _blas_limit(n):
    """The core's ``blas_threads(n)`` as a context manager.

    The core's own is one (threadpoolctl); an older core sets the count at once and returns whether it
    could, which is kept for the process (as before) and reported.
    """
    result = blas_threads(n)
    if hasattr(result, "__enter__"):
        return result
    return contextlib.nullcontext(result)


def _describe_blas(got):
    """What the BLAS limit reports: threadpoolctl's info list, or True/False from an older core."""
    if got is True:
        return "set"
    if got is False or got is None:
        return "no BLAS library found to limit: it uses its default"
    try:
        info = got.info() if hasattr(got, "info") else got
        if not isinstance(info, list):           # threadpoolctl's limits object: ask the library itself
            from threadpoolctl import threadpool_info
            info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        return ", ".join(f"{i.get('internal_api', '?')}={i.get('num_threads', '?')}" for i in info)
    except (TypeError, AttributeError):
        return repr(got)


@st.cache_resource(show_spinner=False)
def trainer_pool():
    """The one pool of trainers of this server process (one BLAS thread per trainer)."""
    logger.info("trainer pool: %d trainers (%s mode), queue of %d, BLAS threads per trainer %d", WORKERS, TRAINERS,
                MAX_QUEUE, BLAS_THREADS)
    return TrainerPool()
