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

Where it lives: a job and its progress record in ``services/jobs.py``, the pool of trainers and its queue
in ``services/trainer_pool.py``, a trainer process in ``services/trainer_process.py``, a job's memory and
time budget in ``services/job_budget.py``. Every name of the service stays importable from here.
"""

from services.jobs import ABANDON_AFTER_S, CURVE_POINTS, ENGINE, GONE_AFTER_S, REASONS, Job, resume, thin
from services.trainer_pool import (
    BLAS_THREADS,
    MAX_QUEUE,
    PROCESS_IDLE_S,
    SWEEP_S,
    TRAINERS,
    WORKERS,
    TrainerPool,
    trainer_pool,
)

__all__ = ["ABANDON_AFTER_S", "BLAS_THREADS", "CURVE_POINTS", "ENGINE", "GONE_AFTER_S", "MAX_QUEUE",
           "PROCESS_IDLE_S", "REASONS", "SWEEP_S", "TRAINERS", "WORKERS", "Job", "TrainerPool", "resume",
           "thin", "trainer_pool"]
