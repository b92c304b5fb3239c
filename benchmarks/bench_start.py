"""The first Train: how long a student waits for the first progress (issue 15).

Usage::

    .venv/bin/python benchmarks/bench_start.py [--rounds 8]                     # in this process
    .venv/bin/python benchmarks/bench_start.py --against /tmp/base [--rounds 3] --port 8760

Without ``--against``: seconds from submitting a LeNet-5 job to its first batch report, in the pool the
server uses (``services/trainer_pool.py``), its trainer process started by the job (cold) or ahead of it
(warm: ``TrainerPool.warm``, as a training page does when it is drawn), alternating.

With ``--against DIR`` (a checkout, e.g. ``git archive`` of the commit before a change, with a ``.venv``
link): a real server of each checkout, started afresh for every round (so each Train is the first of its
server), a tab (benchmarks/stclient.py) that opens the training lesson, reads it for 3 s and presses
Train; timed from the press until the first run that draws a progress line past step 0 (the trainer's
start, the first batch and the page's poll interval together). Ends with one ``RESULT`` line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_busy import TRAIN_QUERY, start_server  # noqa: E402
from load_test import keyed_button  # noqa: E402
from stclient import StreamlitSession  # noqa: E402


def first_batch(rounds):
    """Seconds from submitting a LeNet-5 job to its first batch report, the trainer process started by the
    job (cold, as before warm starts) or ahead of it (warm: ``TrainerPool.warm``, as a training page does
    when it is drawn), alternating; the pool the server uses, in this process."""
    from cnnlab.nn.data import load_digits
    from cnnlab.nn.model import LENET5, Model
    from services.jobs import Job
    from services.trainer_pool import TrainerPool

    data = load_digits()
    times = {"cold": [], "warm": []}
    for rnd in range(rounds):
        for how in (("cold", "warm") if rnd % 2 == 0 else ("warm", "cold")):
            pool = TrainerPool(workers=2, processes=True)
            if how == "warm":
                pool.warm()
                time.sleep(3.0)               # the student reads the page before pressing Train
            job = Job(Model(LENET5, seed=rnd), data, {"epochs": 1, "batch_size": 64, "augment": True})
            t0 = time.perf_counter()
            pool.submit(job)
            while job.step < 1 and job.state in ("waiting", "running"):
                job.snapshot()
                time.sleep(0.002)
            times[how].append(time.perf_counter() - t0)
            job.stop()
            while job.active:
                time.sleep(0.01)
            for p in pool.procs:
                p.close()
            print(f"   round {rnd + 1} {how}: first batch after {times[how][-1]:.3f} s; load {os.getloadavg()[0]:.1f}",
                  flush=True)
    for how, v in times.items():
        print(f"{how} trainer process: median {statistics.median(v):.3f} s, max {max(v):.3f} s ({len(v)} runs)")
    print(f"RESULT start_cold_s={statistics.median(times['cold']):.3f} "
          f"start_warm_s={statistics.median(times['warm']):.3f}")
    return 0


def _progress_step(result):
    """The step of the progress line a run drew (0 when it drew none)."""
    import re
    return max([int(m.group(1)) for text in result.shown for m in [re.search(r"step (\d+)/", text)] if m] or [0])


_element = StreamlitSession._element


def _element_with_progress(self, msg, seen, result):
    """stclient's element reader, which also keeps the text of a progress bar (where the step is)."""
    _element(self, msg, seen, result)
    el = msg.delta.new_element
    if el.WhichOneof("type") == "progress":
        result.shown.append(el.progress.text)


async def _first_progress(url, read_s):
    """Seconds from pressing Train on a fresh training page (open ``read_s`` before) to the first run that
    draws a progress line past step 0."""
    StreamlitSession._element = _element_with_progress
    s = StreamlitSession(url, query=TRAIN_QUERY, timeout=120)
    try:
        await s.connect("training")
        await asyncio.sleep(read_s)
        t0 = time.monotonic()
        results = [await s.click(keyed_button(s, "train.start"))]
        while time.monotonic() < t0 + 60:
            for r in results + s.auto_results:
                if _progress_step(r) > 0:
                    return r.finished_at - t0
            await asyncio.sleep(0.02)
        raise RuntimeError("no progress within 60 s of Train")
    finally:
        b = keyed_button(s, "train.stop")
        if b is not None and not b.proto.disabled:
            await s.click(b)
        await s.close()
        StreamlitSession._element = _element


def first_progress(args):
    """The first Train of a fresh server: seconds until the page shows a step, this checkout against
    ``--against`` (each round starts each server afresh, order alternating)."""
    roots = {"base": Path(args.against), "new": ROOT}
    times = {k: [] for k in roots}
    os.environ["CNNLAB_TRAINERS"] = "process"
    for rnd in range(args.rounds):
        for name in (("base", "new") if rnd % 2 == 0 else ("new", "base")):
            proc = start_server(args.port, roots[name], ROOT / "benchmarks" / "results" / f"busy-{args.port}.log")
            try:
                times[name].append(asyncio.run(_first_progress(f"http://127.0.0.1:{args.port}", 3.0)))
            finally:
                proc.terminate()
                proc.wait(15)
            print(f"   round {rnd + 1} {name}: first progress {times[name][-1]:.2f} s after Train; load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
    for name, v in times.items():
        print(f"{name} ({roots[name]}): median {statistics.median(v):.2f} s, max {max(v):.2f} s ({len(v)} runs)")
    print(f"RESULT first_progress_base_s={statistics.median(times['base']):.2f} "
          f"first_progress_new_s={statistics.median(times['new']):.2f}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--port", type=int, default=8760)
    parser.add_argument("--against", metavar="DIR", help="a real server of this checkout against this one")
    args = parser.parse_args(argv)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs", flush=True)
    return first_progress(args) if args.against else first_batch(args.rounds)


if __name__ == "__main__":
    sys.exit(main())
