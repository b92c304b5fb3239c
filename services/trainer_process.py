"""A trainer in a process of its own, so that a running training cannot slow the pages of other students.

Measured (benchmarks/bench_busy.py): with two trainings running as threads of the server process,
other sessions' reruns waited for the interpreter lock and the cores that the trainers held; in
child processes at a lower CPU priority they do not (the figures are in docs/deployment.md).

One :class:`TrainerProcess` per trainer of the pool (``services/training.py``), started on its
first job (``python -m services.trainer_process``: a fresh interpreter that imports only this
module, NumPy and ``cnnlab``, not the server's main module as ``multiprocessing``'s spawn would)
and reused for the next ones. The parent sends a job as plain values and NumPy arrays (the model's
description and weights, the session's own training and validation arrays, the settings) through a
pair of pipes as ``multiprocessing`` connections: our own processes, nothing from outside is
unpickled. The child rebuilds the model, runs ``cnnlab.nn.train.train`` on it and sends back the
progress reports (a few per message) and the weights at every validation point and at the end; the
parent writes the weights into the session's model in place, so the page, Resume and the session
models see what was learned, as before.

Stop: the parent sends "stop" and the child, which looks at its pipe between batches, stops before
its next batch; a closed pipe (the parent is gone) stops it too, and it exits. A child that does
not answer within :data:`KILL_AFTER_S` of a stop is terminated and replaced; a child that dies
(e.g. killed for its memory) fails its job with a message, and the next job gets a fresh process.

This module does not import Streamlit: the child imports only NumPy and ``cnnlab``.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

logger = logging.getLogger(__name__)

#: A trainer process runs at this CPU priority below the server (``nice``): on a busy machine the
#: pages are served first and the trainings take the rest of the cores.
NICE = int(os.environ.get("CNNLAB_TRAINER_NICE", "10"))
#: The child sends the batch reports it has gathered at most every this many seconds.
FLUSH_S = 0.05
#: Seconds a stopped child may take to reach its next batch before it is terminated.
KILL_AFTER_S = 10.0
#: How often the parent checks the job's stop conditions while it waits for the child.
CHECK_S = 0.1
#: Seconds a new process may take to import NumPy and cnnlab and say it is ready.
START_S = 60.0
ROOT = Path(__file__).resolve().parent.parent
#: Left out of a trainer process's environment: a fixed mmap threshold (the Dockerfile sets it for the
#: server, so that freed arrays go back to the system) makes glibc map and unmap every array above
#: 128 KB, and a whole trainer run on the fast engine took 1.6x the CPU time per step with it
#: (benchmarks/bench_malloc.py). The trainer gives its freed memory back after each job instead
#: (``malloc_trim``).
CHILD_ENV_DROP = ("MALLOC_MMAP_THRESHOLD_",)
_started = []             # every process started, terminated when the server exits
_started_lock = threading.Lock()
_exiting = threading.Event()


class TrainerDied(RuntimeError):
    """The trainer process ended in the middle of a job."""


def picklable_augment(augment):
    """``augment`` as something the child can rebuild, or None when it cannot be sent.

    ``True``/``False`` go as they are; a lesson's augmenter
    (:func:`cnnlab.vision.augment.batch_augmenter`) goes as its settings.
    """
    if isinstance(augment, bool):
        return ("plain", augment)
    settings = getattr(augment, "settings", None)
    if callable(augment) and settings is not None:
        return ("lesson", settings)
    return None


def can_run(job):
    return picklable_augment(job.settings.get("augment", True)) is not None


class TrainerProcess:
    """The parent's handle of one trainer process."""

    def __init__(self, name):
        self.name = name
        self._proc = None
        self._send = self._recv = None
        self._used = time.monotonic()         # when it last started or finished a job
        self._start_lock = threading.Lock()   # a warm start (services/trainer_pool.py) and a job may meet

    def idle_for(self):
        """Seconds since the process started or last finished a job."""
        return time.monotonic() - self._used

    def ensure_started(self):
        """Start the process unless it is running (safe from two threads at once)."""
        with self._start_lock:
            if not self.alive():
                self.close()
                self._start()

    def _start(self):
        down_r, down_w = os.pipe()            # parent -> child
        up_r, up_w = os.pipe()                # child -> parent
        t0 = self._used = time.monotonic()
        try:
            env = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROP}
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "services.trainer_process", str(down_r), str(up_w), str(NICE)],
                cwd=ROOT, env=env, pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL, close_fds=True)
        finally:
            os.close(down_r)
            os.close(up_w)
        self._send, self._recv = Connection(down_w, readable=False), Connection(up_r, writable=False)
        with _started_lock:
            _started[:] = [p for p in _started if p.poll() is None] + [self._proc]
        if not self._recv.poll(START_S):
            self.close()
            raise TrainerDied(f"the trainer process did not start within {START_S:.0f} s")
        kind, info = self._recv.recv()        # the child says it is ready, and its BLAS threads
        self._used = time.monotonic()
        logger.info("trainer process %s started (pid %d) in %.1f s: nice %d, BLAS %s", self.name, self._proc.pid,
                    time.monotonic() - t0, NICE, info)

    def alive(self):
        return self._proc is not None and self._proc.poll() is None

    def close(self):
        """Terminate the process (the next job starts a new one)."""
        if self._proc is not None:
            _end(self._proc)
            for conn in (self._send, self._recv):
                conn.close()
        self._proc = self._send = self._recv = None

    def run(self, job):
        """Run ``job`` in the process: yields the child's reports; writes its weights into ``job.model``."""
        self.ensure_started()
        m = job.model
        params = m.parameters()
        (xtr, ytr), (xva, yva) = job.data[0], job.data[1]
        settings = {**job.settings, "augment": picklable_augment(job.settings.get("augment", True))}
        try:
            self._send.send({"description": m.description(), "input_shape": tuple(m.input_shape),
                             "num_classes": int(m.num_classes), "params": params,
                             "data": ((xtr, ytr), (xva, yva)), "settings": settings,
                             "max_batches": job.max_batches, "engine": job.engine})
        except (OSError, EOFError) as exc:
            self.close()
            raise TrainerDied(f"the trainer process could not take the job: {exc}") from exc
        finished = False
        try:
            yield from self._follow(job, m)
            finished = True
        except Exception as exc:
            finished = hasattr(exc, "child_traceback")   # the job failed in the child, which is ready again
            raise
        finally:
            self._used = time.monotonic()
            if not finished and self.alive():     # the caller gave up in the middle: no stale messages later
                self.close()

    def _follow(self, job, m):
        """The child's messages for ``job`` until it is done; stops it when the job should stop."""
        stopped_at = None
        next_check = 0.0
        while True:
            now = time.monotonic()
            if now >= next_check:
                next_check = now + CHECK_S
                if stopped_at is None and job._should_stop():
                    stopped_at = now
                    try:
                        self._send.send("stop")
                    except OSError:
                        pass
                if stopped_at is not None and now - stopped_at > KILL_AFTER_S:
                    logger.warning("trainer process %s did not stop within %.0f s of the stop: terminated",
                                   self.name, KILL_AFTER_S)
                    self.close()
                    return
            try:
                if not self._recv.poll(CHECK_S):
                    if not self.alive():
                        raise EOFError
                    continue
                kind, body = self._recv.recv()
            except (OSError, EOFError) as exc:
                code = self._proc.poll() if self._proc is not None else None
                self.close()
                if _exiting.is_set():
                    return                    # the server is exiting: the job stops with it
                raise TrainerDied(f"the trainer process ended (exit code {code})") from exc
            if kind == "reports":
                yield from body
            elif kind == "params":
                _write(m, body)
            elif kind == "error":
                raise _rebuild(body)
            elif kind == "done":
                return


def _write(model, arrays):
    """The child's weights (aligned with ``model.parameters()``) into ``model``, in place where the arrays allow it."""
    slots = [(layer, name) for layer in model.layers for name in layer.params]
    for (layer, name), a in zip(slots, arrays):
        p = layer.params[name]
        if p.shape == a.shape and p.flags.writeable and p.dtype == a.dtype:
            p[...] = a
        else:
            layer.params[name] = a


def _rebuild(body):
    """The child's exception, for the parent: a LessonError keeps its code and values (translated message)."""
    from cnnlab.checks import LessonError
    if body["code"] is not None:
        exc = LessonError(body["code"], body["message"], **body["params"])
    else:
        exc = RuntimeError(f"{body['type']}: {body['message']}")
    exc.child_traceback = body["traceback"]
    return exc


def _end(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@atexit.register
def _end_all():
    """The server exits (SIGTERM included: Streamlit stops and Python runs its exit handlers): its trainer
    processes end at once (they hold nothing the server needs: the weights come back at every validation
    point). Their running jobs count as stopped by the shutdown, not as failed."""
    _exiting.set()
    with _started_lock:
        procs = list(_started)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()


# ---------------------------------------------------------------------------------------- the child
def child_main(conn_in, conn_out, nice):
    """The trainer process: take a job, train, report; until the parent's pipe closes."""
    import numpy as np  # noqa: F401  (imported before the BLAS limit is taken)
    from threadpoolctl import threadpool_limits

    from cnnlab.nn.model import Model
    from cnnlab.nn.train import blas_report, train
    from cnnlab.vision.augment import batch_augmenter

    if nice:
        try:
            os.nice(nice)
        except OSError:
            pass
    threadpool_limits(limits=1, user_api="blas")      # one BLAS thread per trainer, for the process
    conn_out.send(("ready", ", ".join(f"{b['internal_api']}={b['num_threads']}" for b in blas_report())
                   or "none"))
    flags = {"stop": False, "exit": False}

    def stop():
        """Between batches: has the parent said "stop", or closed its pipe?"""
        try:
            while not flags["stop"] and conn_in.poll():
                flags["stop"] = conn_in.recv() == "stop"
        except (EOFError, OSError):
            flags["stop"] = flags["exit"] = True
        return flags["stop"]

    while not flags["exit"]:
        try:
            job = conn_in.recv()
        except (EOFError, OSError):
            return
        if job == "stop":                    # a stop that came after the job had ended
            continue
        flags["stop"] = False
        try:
            _child_job(conn_out, job, stop, Model, train, batch_augmenter)
        except (BrokenPipeError, EOFError):
            return
        except Exception as exc:  # noqa: BLE001 - sent to the parent, which logs it with this traceback
            try:
                conn_out.send(("error", {"type": type(exc).__name__, "message": str(exc),
                                     "code": getattr(exc, "code", None),
                                     "params": dict(getattr(exc, "params", {}) or {}),
                                     "traceback": traceback.format_exc()}))
            except (BrokenPipeError, EOFError, OSError):
                return
        job = None
        _trim()


def _trim():
    """Give the freed heap back to the system after a job (glibc's ``malloc_trim``; elsewhere nothing)."""
    import ctypes
    import gc
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _child_job(conn, job, gone, Model, train, batch_augmenter):
    settings = dict(job["settings"])
    kind, value = settings["augment"]
    settings["augment"] = batch_augmenter(value) if kind == "lesson" else value
    model = Model(job["description"], job["input_shape"], job["num_classes"])
    for p, a in zip(model.parameters(), job["params"]):
        p[...] = a
    pending, last = [], time.monotonic()
    for r in train(model, job["data"] + ((None, None),), stop=gone, max_batches=job["max_batches"],
                   engine=job["engine"], **settings):
        pending.append(r)
        now = time.monotonic()
        if r["kind"] != "batch" or now - last >= FLUSH_S:
            if r["kind"] in ("val", "end"):
                conn.send(("params", [p for p in model.parameters()]))
            conn.send(("reports", pending))
            pending, last = [], now
    if pending:
        conn.send(("reports", pending))
    conn.send(("params", [p for p in model.parameters()]))
    conn.send(("done", None))


if __name__ == "__main__":
    child_main(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False),
               int(sys.argv[3]))
