"""Other students' reruns while two trainings run (issue 15 item 4, issue 18 Major 6).

Usage::

    .venv/bin/python benchmarks/bench_busy.py [--port 8680] [--rounds 4] [--changes 5]
    .venv/bin/python benchmarks/bench_busy.py --modes process           # only the default trainers
    .venv/bin/python benchmarks/bench_busy.py --modes process --against /tmp/base   # before / after

``--against DIR``: a second server per mode runs the app of the checkout ``DIR`` (e.g. ``git archive``
of the commit before a change, with a ``.venv`` link), under the same load, rounds alternating; its lines
and RESULT keys are labelled ``<mode>_base``.

One real ``streamlit run app.py`` on 127.0.0.1 per trainer mode (``CNNLAB_TRAINERS=thread``:
trainer threads in the server process; ``process``: trainer processes), and on each three sessions
speaking Streamlit's websocket protocol (benchmarks/stclient.py, what a browser tab sends). Two
"trainer" tabs sit on the training lesson's Train tab with 30 epochs of LeNet-5 (the run is longer
than a measurement block; a run that ends is started again) and poll their progress as the page
does. An "observer" tab walks four lessons and changes each one's typical widget (the keys of
benchmarks/bench_reruns.py), timing each change from sending it until the server's
``script_finished``.

Each round measures an idle block (no training anywhere) and a busy block (both trainings of that
server running) on every server in turn, the order alternating, so both modes see the same load from
other work on the machine. Printed: median, 95th percentile and maximum of the
observer's reruns idle and busy, the trainers' own progress polls and their page's full rerun while
training, the server's CPU (with its child processes), and the load average; one line at the end::

    RESULT thread_busy_p95_ms=... thread_idle_p95_ms=... ... process_busy_p95_ms=... process_own_p95_ms=...
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

import _timing  # noqa: E402
from load_test import MALLOC, TTL, keyed_button  # noqa: E402
from stclient import StreamlitSession  # noqa: E402

#: lesson path -> the key of its typical widget (as in bench_reruns.CHANGES)
OBSERVED = {"convolution": "conv.stride", "pooling": "pool.k", "backprop": "bp.val.x", "feature-maps": "fm.pool"}
TRAIN_QUERY = "lang=en&epochs=30&batch=64&tab=train"


def pct(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def cpu_tree(pid):
    """CPU seconds ``(server, total)``: of ``pid`` alone, and with its live children (trainer processes; any
    thread may have started them) and the children it has already reaped."""
    tck = os.sysconf("SC_CLK_TCK")
    kids = _timing.children(pid)
    own = total = 0.0
    for i, p in enumerate([pid] + kids):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tck
        if i == 0:
            own = total
            total += (int(fields[13]) + int(fields[14])) / tck
    return own, total


def port_free(port):
    """Whether nothing listens on 127.0.0.1:``port`` (a busy port made Streamlit move to another one, and the
    clients measured whatever server answered there: the server CPU line read 0.00 cores)."""
    import socket
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the server does: TIME_WAIT is free
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def listens(pid, port):
    """Whether the process ``pid`` holds the socket that listens on ``port`` (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{f[9]}]")
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            if os.readlink(fd) in inodes:
                return True
        except OSError:
            pass
    return False


def start_server(port, root, log):
    """``streamlit run app.py`` of the checkout ``root`` on 127.0.0.1:``port``, checked to be the one answering."""
    import subprocess
    import urllib.request
    if not port_free(port):
        raise RuntimeError(f"port {port} is in use: choose another --port")
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", **MALLOC)
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(Path(root) / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--server.disconnectedSessionTTL", str(TTL)],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                if listens(proc.pid, port):
                    return proc
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"the app of {root} did not answer on port {port} in 60 s")


def keyed(s, key):
    return next((w for w in s.widgets.values() if w.id.endswith("-" + key)), None)


class Trainer:
    """A tab on the training lesson that keeps one training running while ``busy`` is set."""

    def __init__(self, url, name):
        self.s = StreamlitSession(url, query=TRAIN_QUERY, timeout=120)
        self.name = name
        self.busy = asyncio.Event()
        self.own = []          # the page's own full reruns while training (seconds)
        self.started = 0

    async def open(self):
        await self.s.connect("training")

    def running(self):
        b = keyed_button(self.s, "train.start")
        return b is not None and b.proto.disabled

    async def keep(self, stop_at):
        """Press Train whenever no run is going and ``busy`` is set; press Stop when it is cleared."""
        while time.monotonic() < stop_at:
            if self.busy.is_set() and not self.running():
                await self.s.click(keyed_button(self.s, "train.start"))
                self.started += 1
            elif not self.busy.is_set() and self.running():
                await self.s.click(keyed_button(self.s, "train.stop"))
            elif self.busy.is_set() and self.name == "A":
                self.own.append((await self.s.run()).seconds)   # the trainer's own page, rerun
            await asyncio.sleep(1.0)

    def polls(self):
        return [r.seconds for r in self.s.auto_results if r.status != "timeout"]


async def observe(s, changes, times):
    for page, key in OBSERVED.items():
        await s.open_page(page)
        w = keyed(s, key)
        if w is None:
            raise RuntimeError(f"no widget {key} on {page}")
        import random
        rng = random.Random(len(times))
        for _ in range(changes):
            r = await s.change(keyed(s, key), rng)
            if r.status != "ok" or r.exceptions:
                raise RuntimeError(f"{page}: {r.status} {r.exceptions[:1]}")
            times.append(r.seconds)
            await asyncio.sleep(0.2)


class Setup:
    """One server (its trainer mode), an observer tab and two trainer tabs on it."""

    def __init__(self, mode, port, root=ROOT, label=None):
        self.mode, self.port, self.root = mode, port, Path(root)
        self.label = label or mode
        os.environ["CNNLAB_TRAINERS"] = mode          # start_server passes this process's environment on
        self.proc = start_server(port, self.root, ROOT / "benchmarks" / "results" / f"busy-{port}.log")
        self.url = f"http://127.0.0.1:{port}"
        self.idle, self.busy, self.polls, self.loads = [], [], [], []
        self.cpu = {"idle": [0.0, 0.0, 0.0], "busy": [0.0, 0.0, 0.0]}     # server s, with trainers s, wall s

    async def open(self):
        self.obs = StreamlitSession(self.url, query="lang=en", timeout=120)
        await self.obs.connect("")
        self.trainers = [Trainer(self.url, "A"), Trainer(self.url, "B")]
        for tr in self.trainers:
            await tr.open()
        await observe(self.obs, 2, [])                 # caches of every observed page
        self.keepers = [asyncio.create_task(tr.keep(time.monotonic() + 3600)) for tr in self.trainers]

    def set_busy(self, busy):
        for tr in self.trainers:
            (tr.busy.set if busy else tr.busy.clear)()

    def settled(self, busy):
        return all(tr.running() == busy for tr in self.trainers)

    async def close(self):
        self.set_busy(False)
        await asyncio.sleep(2.5)
        for k in self.keepers:
            k.cancel()
        for tr in self.trainers:
            if tr.running():
                await tr.s.click(keyed_button(tr.s, "train.stop"))
            await tr.s.close()
        await self.obs.close()

    def stop_server(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except Exception:  # noqa: BLE001
            self.proc.kill()


async def block(setups, setup, phase, changes, rnd):
    """One measurement block on ``setup``: every other server idle, this one idle or training."""
    for other in setups:
        other.set_busy(other is setup and phase == "busy")
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and not all(o.settled(o is setup and phase == "busy") for o in setups):
        await asyncio.sleep(0.3)
    if phase == "busy":
        await asyncio.sleep(2.0)        # both trainers past their start
    bucket = setup.idle if phase == "idle" else setup.busy
    polls0 = [len(tr.s.auto_results) for tr in setup.trainers]
    c0, t0, n0 = cpu_tree(setup.proc.pid), time.monotonic(), len(bucket)
    await observe(setup.obs, changes, bucket)
    if setup.proc.poll() is not None:
        raise RuntimeError(f"the server of {setup.label} ended (exit code {setup.proc.returncode})")
    c1 = cpu_tree(setup.proc.pid)
    setup.cpu[phase][0] += c1[0] - c0[0]
    setup.cpu[phase][1] += c1[1] - c0[1]
    setup.cpu[phase][2] += time.monotonic() - t0
    if phase == "busy":
        setup.polls += [r.seconds for tr, k in zip(setup.trainers, polls0) for r in tr.s.auto_results[k:]]
    setup.loads.append(os.getloadavg()[0])
    print(f"   round {rnd + 1} {setup.label:>12} {phase}: {len(bucket) - n0} reruns, median "
          f"{statistics.median(bucket[n0:]) * 1e3:.0f} ms, p95 {pct(bucket[n0:], 95) * 1e3:.0f} ms, "
          f"load {setup.loads[-1]:.1f}", flush=True)


async def scenario(setups, args):
    for s in setups:
        await s.open()
    for rnd in range(args.rounds):
        for setup in (setups if rnd % 2 == 0 else setups[::-1]):
            for phase in ("idle", "busy"):
                await block(setups, setup, phase, args.changes, rnd)
    for s in setups:
        await s.close()


def report(s):
    def ms(v):
        return f"{v * 1e3:.0f}"
    where = "" if s.root == ROOT else f", the app of {s.root}"
    print(f"\n{s.label}: trainers as {s.mode}{'es' if s.mode == 'process' else 's'}{where}:")
    print(f"{'':<34} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    own = s.trainers[0].own
    for name, v in (("other tab, idle (no training)", s.idle), ("other tab, two trainings running", s.busy),
                    ("trainer tab, full rerun", own), ("trainer tab, progress poll", s.polls)):
        if v:
            print(f"{name:<34} {len(v):>4} {ms(statistics.median(v)):>10} {ms(pct(v, 95)):>8} {ms(max(v)):>8}")
    for phase in ("idle", "busy"):
        alone, c, w = s.cpu[phase]
        print(f"server CPU {phase}: {alone / max(w, 1e-9):.2f} cores; {c / max(w, 1e-9):.2f} with its trainer "
              "processes")
    print(f"trainings started: {sum(tr.started for tr in s.trainers)}; load average during its blocks "
          f"{min(s.loads):.1f}-{max(s.loads):.1f}")
    k = s.label
    cores = s.cpu["busy"][0] / max(s.cpu["busy"][2], 1e-9)
    return (f"{k}_busy_p95_ms={ms(pct(s.busy, 95))} {k}_idle_p95_ms={ms(pct(s.idle, 95))} "
            f"{k}_busy_p50_ms={ms(statistics.median(s.busy))} {k}_own_p95_ms="
            f"{ms(pct(own, 95)) if own else 'nan'} "
            f"{k}_poll_p50_ms={ms(statistics.median(s.polls)) if s.polls else 'nan'} "
            f"{k}_server_busy_cores={cores:.2f}")


def in_process(args):
    """The trainers alone, without the trainer tabs' polls: AppTest reruns of a lesson in this process while
    the same TrainerPool the server uses runs two LeNet-5 trainings, as threads or as processes."""
    import warnings

    import bench_reruns

    from cnnlab.nn.data import load_digits
    from cnnlab.nn.model import LENET5, Model
    from services import training

    warnings.filterwarnings("ignore")
    data = load_digits()
    pools = {mode: training.TrainerPool(workers=2, processes=mode == "process") for mode in args.modes}
    settings = {"epochs": 30, "batch_size": 64, "augment": True}
    result = {"idle": ([], []), **{m: ([], []) for m in args.modes}}
    page = "conv"
    for rnd in range(args.rounds):
        for phase in ["idle"] + (args.modes if rnd % 2 == 0 else args.modes[::-1]):
            jobs = []
            if phase != "idle":
                jobs = [training.Job(Model(LENET5, seed=k), data, settings) for k in range(2)]
                for job in jobs:
                    pools[phase].submit(job)
                while any(j.step < 5 for j in jobs):
                    for j in jobs:
                        j.snapshot()
                    time.sleep(0.1)
            c0, w0 = time.thread_time(), time.perf_counter()
            walls = bench_reruns.bench_times(page, args.changes * 2)
            cpu = (time.thread_time() - c0) / (time.perf_counter() - w0)
            steps = [j.step for j in jobs]
            for job in jobs:
                job.stop()
            while any(j.active for j in jobs):
                time.sleep(0.1)
            result[phase][0].extend(walls)
            result[phase][1].append(cpu)
            print(f"   round {rnd + 1} {phase:>7}: rerun median {statistics.median(walls) * 1e3:.0f} ms, "
                  f"p95 {pct(walls, 95) * 1e3:.0f} ms; trainer steps {steps}; load {os.getloadavg()[0]:.1f}",
                  flush=True)
    print(f"\nAppTest reruns of '{page}' ({bench_reruns.CHANGES[page][2]}) in the trainers' process")
    print(f"{'':<28} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for phase, (walls, _) in result.items():
        name = "no training" if phase == "idle" else f"two trainings, {phase}{'es' if phase == 'process' else 's'}"
        print(f"{name:<28} {len(walls):>4} {statistics.median(walls) * 1e3:>10.0f} {pct(walls, 95) * 1e3:>8.0f} "
              f"{max(walls) * 1e3:>8.0f}")
    print("RESULT " + " ".join(f"inproc_{p}_p50_ms={statistics.median(w) * 1e3:.0f} "
                               f"inproc_{p}_p95_ms={pct(w, 95) * 1e3:.0f}" for p, (w, _) in result.items()))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8680, help="first port (one server per mode)")
    parser.add_argument("--modes", nargs="+", default=["thread", "process"], choices=["thread", "process"])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--changes", type=int, default=5, help="widget changes per lesson per block")
    parser.add_argument("--against", metavar="DIR",
                        help="also run the app of this checkout (one more server per mode), labelled <mode>_base")
    parser.add_argument("--in-process", action="store_true",
                        help="no server: AppTest reruns in the process of the trainer pool (no trainer tabs)")
    args = parser.parse_args(argv)
    if args.in_process:
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs", flush=True)
        return in_process(args)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs; "
          f"trainers as {' and '.join(args.modes)}, rounds alternate the servers", flush=True)
    setups = []
    try:
        port = args.port
        for mode in args.modes:
            if args.against:
                setups.append(Setup(mode, port, root=args.against, label=f"{mode}_base"))
                port += 1
            setups.append(Setup(mode, port))
            port += 1
        asyncio.run(scenario(setups, args))
    finally:
        for s in setups:
            s.stop_server()
    parts = [report(s) for s in setups]
    print("RESULT " + " ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
