"""The trainer pool: a fixed number of trainers shared by all sessions, and the queue of jobs waiting for
them (services/training.py has the overview; a job itself is ``services/jobs.py``).

Each trainer is a daemon thread; in ``process`` mode (:data:`TRAINERS`, the default) it runs its jobs
in a trainer process of its own (``services/trainer_process.py``) and only follows its reports. While
any trainer runs in the server process, the pool holds the core's ``blas_threads(BLAS_THREADS)`` limit.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
import time

import streamlit as st

from cnnlab.nn.train import blas_threads
from services.trainer_process import TrainerProcess, can_run

#: One log name for the whole training service (README: operators filter on ``services.training``).
logger = logging.getLogger("services.training")

#: "process" (default): every trainer is a process of its own; "thread": a thread of the server.
TRAINERS = os.environ.get("CNNLAB_TRAINERS", "process")
if TRAINERS not in ("process", "thread"):
    logger.warning("CNNLAB_TRAINERS=%r is not 'process' or 'thread'; using 'process'", TRAINERS)
    TRAINERS = "process"

WORKERS = 2
#: A trainer process with no job for this long exits (~35-40 MB each at rest); the next job starts a new one.
#: The same bound holds for the one process a training page starts ahead of its first job (:meth:`warm`).
PROCESS_IDLE_S = 300.0
MAX_QUEUE = 40
SWEEP_S = 1.0
#: BLAS threads per trainer while trainers run.
BLAS_THREADS = 1


class TrainerPool:
    """A fixed number of trainers (each a thread, which runs its jobs in a process of its own when
    ``processes``, default :data:`TRAINERS`); jobs beyond them wait in order.

    The threads are daemon threads (a ``ThreadPoolExecutor``'s are joined at exit, so a running
    training kept a stopped server alive until it finished); one more thread sweeps the queue
    every :data:`SWEEP_S` seconds, dropping the waiting jobs whose session has ended.

    Warm start (processes mode): a page that can train calls :meth:`warm` when it is drawn, and the pool
    starts one trainer process ahead of the first Train press if none is alive; the next job goes to a
    trainer whose process is alive and idle. A process without a job for :data:`PROCESS_IDLE_S` ends,
    warm or not, so an idle server holds no trainer process for long.
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
        self._busy = set()                    # trainer processes at work
        self._warming = None                  # the process being started ahead of a job, if any
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
            self._cond.notify_all()           # the trainer with a warm process takes it (see _work)
            active = len(self._jobs)
        logger.info("training job %d queued (%d active jobs, %d trainers)", job.number, active, self.workers)
        return True

    def _work(self, proc=None):
        while True:
            with self._cond:
                while not (self._queue and self._mine(proc)):
                    if proc is not None and proc.alive():
                        left = PROCESS_IDLE_S - proc.idle_for()
                        if left <= 0 and proc not in self._busy and proc is not self._warming:
                            break             # no job for a while: the process gives its memory back
                        self._cond.wait(max(left, 0.05))
                    else:
                        self._cond.wait(SWEEP_S if self._queue else None)
                job = self._queue.popleft() if self._queue else None
                if job is not None and proc is not None:
                    self._busy.add(proc)
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
            finally:
                with self._cond:
                    self._busy.discard(proc)

    def _mine(self, proc):
        """Whether the trainer of ``proc`` should take the next job (lock held): yes, unless its process is
        not running while another trainer's process is alive (or starting) and idle."""
        if proc is None or proc.alive():
            return True
        return not any(p is not proc and p not in self._busy and (p.alive() or p is self._warming)
                       for p in self.procs)

    def warm(self):
        """Start one trainer process ahead of the first job, if no trainer process is alive or starting
        (processes mode; a page that can train calls this when it is drawn). Returns at once; the start
        runs in a thread of its own. True when it started one."""
        with self._cond:
            if not self.processes or self._warming is not None or any(p.alive() for p in self.procs):
                return False
            proc = self._warming = self.procs[0]
        threading.Thread(target=self._warm, args=(proc,), name="cnnlab-trainer-warm", daemon=True).start()
        return True

    def _warm(self, proc):
        try:
            proc.ensure_started()
        except Exception:  # noqa: BLE001 - the next job starts the process again, and says why if it fails
            logger.exception("trainer process %s: the warm start failed", proc.name)
        finally:
            with self._cond:
                self._warming = None
                self._cond.notify_all()       # its trainer counts the idle time from now

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
