"""A whole class at once: N simulated students against the real app on loopback.

Usage::

    .venv/bin/python benchmarks/load_test.py                 # N = 1, 10, 30, 60
    .venv/bin/python benchmarks/load_test.py --ns 1 5 --duration 15   # a quick look
    .venv/bin/python benchmarks/load_test.py --class         # 60 students answer a question (class_round)

For every N a fresh ``streamlit run app.py`` is started on 127.0.0.1 (the
repository's .streamlit/config.toml applies). One warm-up session walks every
lesson first (the first visitor pays for the caches, as in class when the
teacher opens the lesson). Then N students arrive within a few seconds, each a
:class:`stclient.StreamlitSession` speaking Streamlit's websocket protocol
(what the browser does, without rendering). Each student opens a lesson,
then repeatedly waits a few seconds ("thinks") and either changes a widget,
switches to another lesson, or - for every fifth student - uploads a photo;
``--trainers`` students press Train once on the training lesson (if it exists).

Measured, per N: median and 95th percentile of the time from sending a widget
change until the server reports ``script_finished`` (``change``), the same for
page switches and uploads, errors (an exception element on a page, a run that
timed out, a dropped websocket, a failed upload), the server's resident memory
(RSS from /proc) before, with N idle sessions, at peak, and after the sessions
closed and their disconnected-session TTL expired, and the server's CPU
seconds per script run. Printed as a table and written to
``benchmarks/results/load.md``. The harness stops itself (``--time-limit``)
and kills its servers on exit; it only listens on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from stclient import StreamlitSession  # noqa: E402

from ui.i18n import catalog  # noqa: E402

EN = catalog("en")
TTL = 5          # disconnectedSessionTTL for the harness server: closed sessions are freed after it
#: The allocator settings of the Dockerfile (memory returns after sessions close); --no-malloc-tuning
#: measures without them.
MALLOC = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072"}


def keyed_button(s, key):
    """The button with widget key ``key`` (a keyed widget's id ends with its key)."""
    return next((w for w in s.widgets.values() if w.kind == "button" and w.id.endswith("-" + key)), None)


def metric(url, name):
    """One value from a replica's /_stcore/metrics (Prometheus text)."""
    with urllib.request.urlopen(url + "/_stcore/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return int(float(line.split()[1]))
    return -1


def active_sessions(url):
    return metric(url, "active_sessions")


# --- the server ------------------------------------------------------------------------
def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, extra=(), log=None):
    """``streamlit run app.py`` on 127.0.0.1:port; its log goes to ``log`` (tracebacks of errors)."""
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", **MALLOC)
    log = Path(log or ROOT / "benchmarks" / "results" / f"server-{port}.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.disconnectedSessionTTL", str(TTL), *extra],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    proc.log = log
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the app did not become healthy in 60 s")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def photo_bytes(seed):
    """A phone-photo-like JPEG (1600 x 1200, smooth shapes plus sensor noise)."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:1200, 0:1600]
    img = np.stack([np.sin(r / (90 + 10 * k) + c / 140 + seed + k) for k in range(3)], axis=2) * 90 + 128
    img += rng.normal(0, 12, img.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=88)
    return buf.getvalue()


# --- one student -----------------------------------------------------------------------
class Stats:
    def __init__(self):
        self.times = {"change": [], "navigate": [], "upload": [], "train": []}
        self.errors: list[str] = []
        self.alerts = 0
        self.runs = 0
        self.polls = 0       # fragment auto-reruns (the training lesson's live progress)
        self.trainings = 0

    def record(self, kind, result, who, what=""):
        self.runs += 1
        self.times[kind].append(result.seconds)
        self.alerts += len(result.alerts)
        if result.status in ("timeout", "compile_error"):
            self.errors.append(f"{who}: {kind} {what} {result.status}")
        for exc in result.exceptions:
            self.errors.append(f"{who}: {kind} {what}: {exc[:80]}")


async def reach_uploader(s, rng, stats, who):
    """On the current page, switch the image source to 'upload' (through a preceding
    'image' choice if the lesson has one) and return the file_uploader, or None."""
    for option in (EN.get("conv.source_image"), EN["image.source_upload"]):
        for w in s.changeable(("radio", "button_group", "selectbox")):
            opts = [o.content for o in w.proto.options] if w.kind == "button_group" else list(w.proto.options)
            if option in opts:
                from streamlit.proto.WidgetStates_pb2 import WidgetState
                ws = WidgetState(id=w.id)
                if w.kind == "button_group":
                    ws.string_array_value.data.append(option)
                else:
                    ws.string_value = option
                stats.record("change", await s.set_value(w, ws), who)
                break
    return s.find("file_uploader")


async def student(i, n, url, lessons, args, stats, phase, ready, go):
    rng = random.Random(1000 + i)
    who = f"student{i}"
    s = StreamlitSession(url, query="lang=zh" if i % 3 == 2 else "lang=en", timeout=args.run_timeout)
    trainer = i < args.trainers < n and "training" in lessons  # a class of 1 is the baseline
    uploader = i % 5 == 4
    try:
        await asyncio.sleep(rng.uniform(0, args.arrive))           # students arrive over a few seconds
        first = "training" if trainer else rng.choice(lessons)
        stats.record("navigate", await s.connect(first), who)
        ready.set_result(True) if not ready.done() else None
        await go.wait()
        if trainer:
            button = keyed_button(s, "train.start")
            if button is None:
                stats.errors.append(f"{who}: no Train button found on the training lesson")
            else:
                stats.record("train", await s.click(button), who)
                stats.trainings += 1
        if uploader:
            up = await reach_uploader(s, rng, stats, who)
            if up is None and "feature-maps" in lessons:
                stats.record("navigate", await s.open_page("feature-maps"), who)
                up = await reach_uploader(s, rng, stats, who)
            if up is not None:
                t0 = time.monotonic()
                result = await s.upload(up, f"photo{i}.jpg", photo_bytes(i), "image/jpeg")
                result.seconds = time.monotonic() - t0
                stats.record("upload", result, who)
        while time.monotonic() < phase["stop_at"]:
            await asyncio.sleep(rng.uniform(*args.think))
            if time.monotonic() >= phase["stop_at"] or trainer:
                continue  # a trainer watches the live progress (its page polls) until the end
            widgets = s.changeable()
            if rng.random() < 0.15 or not widgets:
                target = rng.choice([p for p in lessons if p != "training"] or lessons)
                stats.record("navigate", await s.open_page(target), who, target)
            else:
                w = rng.choice(widgets)
                page = next((p for p, h in s.pages.items() if h == s.page_hash), "?")
                stats.record("change", await s.change(w, rng), who, f"[{page}] {w.kind} '{w.label}'")
        stop = keyed_button(s, "train.stop") if trainer else None
        if stop is not None and not stop.proto.disabled:  # "time's up": the teacher stops the runs
            await s.click(stop)
    except Exception as exc:  # a dropped connection, a refused upload ... : an error, not a crash
        stats.errors.append(f"{who}: {type(exc).__name__}: {exc}"[:200])
        if not ready.done():
            ready.set_result(False)
    stats.polls += len(s.auto_results)
    for r in s.auto_results:
        if r.status == "timeout" or r.exceptions:
            stats.errors.append(f"{who}: poll {r.status} {r.exceptions[:1]}")
    return s


async def page_costs(url, pid, lessons, args, changes=5):
    """One student alone, lesson by lesson: server CPU seconds and wall seconds per widget change."""
    s = StreamlitSession(url, timeout=args.run_timeout)
    await s.connect("")
    rng = random.Random(7)
    out = {}
    for p in lessons:
        await s.open_page(p)
        cpu, wall = [], []
        for _ in range(changes):
            widgets = s.changeable()
            if not widgets:
                break
            c0 = cpu_seconds(pid)
            r = await s.change(rng.choice(widgets), rng)
            cpu.append(cpu_seconds(pid) - c0)
            wall.append(r.seconds)
        if cpu:
            out[p] = (statistics.median(cpu), statistics.median(wall), len(cpu))
    await s.close()
    return out


HAPROXY_CFG = """
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout tunnel 1h
frontend web
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance leastconn
    cookie CNNLAB_REPLICA insert indirect nocache
{servers}
"""


def start_balancer(ports, port=None):
    """Debian's HAProxy with cookie affinity in front of the replicas (as deploy/haproxy.cfg)."""
    import shutil
    import tempfile

    exe = shutil.which("haproxy") or "/usr/sbin/haproxy"
    port = port or free_port()
    servers = "\n".join(f"    server r{k} 127.0.0.1:{p} cookie r{k}" for k, p in enumerate(ports))
    cfg = Path(tempfile.mkdtemp()) / "haproxy.cfg"
    cfg.write_text(HAPROXY_CFG.format(port=port, servers=servers))
    proc = subprocess.Popen([exe, "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("HAProxy did not start")


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


async def one_round(n, args):
    ports = [free_port() for _ in range(args.replicas)]
    procs, balancer = [], None
    try:
        procs = [start_server(p, args.flag) for p in ports]
        pids = [proc.pid for proc in procs]
        direct = [f"http://127.0.0.1:{p}" for p in ports]
        if args.replicas > 1:
            balancer, url = start_balancer(ports)
        else:
            url = direct[0]
        for d in direct:                                       # the teacher opens every lesson once
            warm = StreamlitSession(d, timeout=args.run_timeout)
            await warm.connect("")
            lessons = [p for p in warm.pages if p]
            for p in lessons:
                await warm.open_page(p)
            await warm.close()
        costs = (await page_costs(direct[0], pids[0], lessons, args)
                 if n == args.ns[0] and args.page_costs else {})
        await asyncio.sleep(TTL + 3)
        rss = lambda: sum(rss_mb(pid) for pid in pids)  # noqa: E731
        cpu = lambda: sum(cpu_seconds(pid) for pid in pids)  # noqa: E731
        rss0, cpu0 = rss(), cpu()
        stats = Stats()
        loop = asyncio.get_running_loop()
        readies = [loop.create_future() for _ in range(n)]
        go = asyncio.Event()
        phase = {"stop_at": float("inf")}
        tasks = [asyncio.create_task(student(i, n, url, lessons, args, stats, phase, readies[i], go))
                 for i in range(n)]
        await asyncio.wait_for(asyncio.gather(*readies), args.arrive + args.run_timeout)
        await asyncio.sleep(2)
        rss_idle = rss()
        runs_before = stats.runs
        cpu_idle = cpu()
        own0 = time.process_time()
        phase["started"] = time.monotonic()
        phase["stop_at"] = phase["started"] + args.duration  # they act from now on, until then
        peak = rss_idle

        async def sample():
            nonlocal peak
            while True:
                peak = max(peak, rss())
                await asyncio.sleep(0.5)

        sampler = asyncio.create_task(sample())
        go.set()
        sessions = await asyncio.gather(*tasks)
        sampler.cancel()
        cpu_used = cpu() - cpu_idle
        wall = max(1e-9, time.monotonic() - phase["started"])
        busy = cpu_used / wall
        client = (time.process_time() - own0) / wall
        active_runs = stats.runs - runs_before + stats.polls
        for s in sessions:
            await s.close()
        await asyncio.sleep(TTL + 4)                            # closed sessions expire after the TTL
        rss_after = rss()
        left = sum(active_sessions(d) for d in direct)
        spread = [metric(d, 'session_events_total{type="connect"}') for d in direct]
        return dict(n=n, stats=stats, rss0=rss0, rss_idle=rss_idle, peak=peak, rss_after=rss_after,
                    busy=busy, client=client, left=left, costs=costs, spread=spread,
                    cpu_per_run=cpu_used / max(1, active_runs), runs=active_runs,
                    cpu_connect=(cpu_idle - cpu0), lessons=lessons,
                    log=", ".join(str(proc.log) for proc in procs), trainers=stats.trainings)
    finally:
        for proc in ([balancer] if balancer else []) + procs:
            _stop(proc)


# --- the class scenario (issue 13): a teacher, a question, a whole class answering ------------------
def start_redis(port):
    import shutil

    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from services.class_store import RedisStore

    store = RedisStore(f"redis://127.0.0.1:{port}/0")
    for _ in range(100):
        try:
            store.r.ping()
            return proc, store
        except Exception:  # noqa: BLE001 (not up yet)
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def _texts(results, since):
    return [(r.finished_at, r.shown) for r in results if r.finished_at >= since]


async def class_student(i, s, args, t_ask, q, stats, out):
    """One student: sees the question in the sidebar (its panel polls), answers once within the window."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    rng = random.Random(2000 + i)
    answer_at = t_ask + rng.uniform(1.0, args.answer_window)         # answers spread over the window
    deadline = t_ask + args.answer_window + args.run_timeout
    box = send = None
    while time.monotonic() < deadline:
        box = next((w for w in s.widgets.values() if w.kind == "text_input" and w.in_sidebar
                    and w.label == EN["quiz.your_answer"]), None)
        send = next((w for w in s.widgets.values() if w.kind == "button" and w.label == EN["class.send"]), None)
        if box is not None and send is not None:
            break
        await asyncio.sleep(0.1)
    if box is None or send is None:
        stats.errors.append(f"student{i}: never saw the question")
        return
    out["seen"].append(time.monotonic() - t_ask)
    await asyncio.sleep(max(0.0, answer_at - time.monotonic()))
    value = q.answer if i % 3 != 2 else q.answer + 1 + i % 4          # two in three are right
    result = await s.submit(send, [WidgetState(id=box.id, string_value=f"{value:g}")])
    stats.record("change", result, f"student{i}", "answer")
    confirmed = any(EN["class.sent"].split("{")[0].strip() in text for text in result.shown)
    if not confirmed:
        stats.errors.append(f"student{i}: answer not confirmed ({result.status})")
    out["answered"].append(result.finished_at)
    out["right"] += int(i % 3 != 2)


async def class_round(n, args):
    """Two replicas (or ``--replicas``) sharing one Redis behind HAProxy; a teacher on replica 1 with the
    dashboard open, ``n`` students spread by HAProxy over the replicas, all on the pooling lesson the teacher
    showed; the teacher asks a question and every student answers once within ``--answer-window`` seconds.

    The class is made and the students are registered through the store (what "Join" does); each student then
    opens the app with ``?class=CODE&me=ID`` (a joined student's link) and answers through the app's form in
    the sidebar, as a browser does (fragment rerun with the form's values). Measured: answers the store holds
    (must be n, each once), how long after the last answer the teacher's dashboard shows "n of n answered"
    (its fragment polls every 1.5 s), the p95 of the answer round trips and of the students' panel polls.
    """
    from app_pages.pooling import questions as pool_questions

    base = args.base_port
    ports = [base + k if base else free_port() for k in range(args.replicas)]
    lb_port = base + args.replicas if base else free_port()
    redis_port = base + args.replicas + 1 if base else free_port()
    procs, balancer, redis = [], None, None
    try:
        redis, store = start_redis(redis_port)
        os.environ["CNNLAB_STORE_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        procs = [start_server(p, args.flag) for p in ports]
        pids = [proc.pid for proc in procs]
        balancer, url = start_balancer(ports, lb_port)
        for p in ports:                                              # the teacher opened the lesson before
            warm = StreamlitSession(f"http://127.0.0.1:{p}", timeout=args.run_timeout)
            await warm.connect("pooling")
            await warm.open_page("class")
            await warm.close()
        code, secret = store.create_class()
        store.set_view(code, secret, {"page": "pooling", "params": {}})
        teacher = StreamlitSession(url, query=f"class={code}&teacher={secret}&lang=en", timeout=args.run_timeout)
        teacher.cookies["CNNLAB_REPLICA"] = "r0"                      # the teacher's laptop on replica 1
        await teacher.connect("class")
        members = [f"bench{i:03d}{os.urandom(4).hex()}" for i in range(n)]
        for i, m in enumerate(members):
            store.join(code, m, f"Student {i}", client=f"bench{i}")
        stats = Stats()
        students = [StreamlitSession(url, query=f"class={code}&me={m}&lang=en", timeout=args.run_timeout)
                    for m in members]
        rng = random.Random(5)

        async def arrive(s):
            await asyncio.sleep(rng.uniform(0, args.arrive))
            stats.record("navigate", await s.connect("pooling"), "student")

        await asyncio.gather(*(arrive(s) for s in students))
        await asyncio.sleep(3)                                        # everyone's panel has polled
        spread = [sum(1 for s in students if s.cookies.get("CNNLAB_REPLICA") == f"r{k}")
                  for k in range(args.replicas)]
        q = pool_questions.build({})[0]
        load0 = os.getloadavg()
        cpu0 = sum(cpu_seconds(pid) for pid in pids)
        t_ask = time.monotonic()
        qnum = store.ask(code, secret, q.to_dict())
        polls0 = [len(s.auto_results) for s in students]
        out = {"seen": [], "answered": [], "right": 0}
        await asyncio.gather(*(class_student(i, s, args, t_ask, q, stats, out) for i, s in enumerate(students)))
        last = max(out["answered"]) if out["answered"] else time.monotonic()
        want = EN["class.answered_big"].format(n=n, total=n)
        shown = None
        while time.monotonic() < last + 15 and shown is None:
            shown = next((at for at, texts in _texts(teacher.auto_results, last) if want in texts), None)
            await asyncio.sleep(0.1)
        wall = time.monotonic() - t_ask
        cpu_used = sum(cpu_seconds(pid) for pid in pids) - cpu0
        held = store.responses(code, secret, qnum)
        dist = quiz_distribution(q, held)
        polls = [r.seconds for s, k in zip(students, polls0) for r in s.auto_results[k:]]
        load1 = os.getloadavg()
        for s in students + [teacher]:
            await s.close()
        return dict(n=n, stats=stats, held=len(held), right=dist.correct, expected_right=out["right"],
                    members=store.info(code).members, teacher_after=(shown - last) if shown else float("nan"),
                    seen_p95=pct(out["seen"], 95), polls_p95=pct(polls, 95), polls=len(polls), spread=spread,
                    window=(max(out["answered"]) - t_ask) if out["answered"] else float("nan"),
                    load=(load0[0], load1[0]), busy=cpu_used / max(wall, 1e-9))
    finally:
        for proc in ([balancer] if balancer else []) + procs + ([redis] if redis else []):
            _stop(proc)
        os.environ.pop("CNNLAB_STORE_URL", None)


def quiz_distribution(q, responses):
    from cnnlab import quiz

    return quiz.distribution(q, responses)


def class_table(rounds):
    head = ("| students | replicas (students on each) | answers held | right (expected) | last answer after ask (s) "
            "| teacher shows all, after the last answer (s) | answer p95 (s) | answer median (s) "
            "| question seen p95 (s) | panel poll p95 (s) | errors | server CPU (cores) | load average (1 min) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rounds:
        ch = r["stats"].times["change"]
        lines.append(
            f"| {r['n']} | {len(r['spread'])} ({' + '.join(map(str, r['spread']))}) | {r['held']} "
            f"| {r['right']} ({r['expected_right']}) | {r['window']:.1f} | {r['teacher_after']:.2f} "
            f"| {pct(ch, 95):.3f} | {statistics.median(ch) if ch else float('nan'):.3f} | {r['seen_p95']:.2f} "
            f"| {r['polls_p95']:.3f} | {len(r['stats'].errors)} | {r['busy']:.2f} "
            f"| {r['load'][0]:.1f} -> {r['load'][1]:.1f} |")
    return "\n".join(lines)


def pct(values, q):
    if not values:
        return float("nan")
    return float(np.percentile(values, q))


def table(rounds, args):
    head = ("| N | trainings | widget changes | median (s) | p95 (s) | page switches p95 (s) "
            "| uploads p95 (s) | errors | RSS start (MB) | RSS N idle (MB) | per idle session (MB) | RSS peak (MB) "
            "| RSS after close (MB) | sessions left | server CPU (cores) | CPU s / run |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rounds:
        st = r["stats"]
        ch = st.times["change"]
        per = (r["rss_idle"] - r["rss0"]) / r["n"]
        lines.append(
            f"| {r['n']} | {r['trainers']} | {len(ch)} | {statistics.median(ch) if ch else float('nan'):.3f} "
            f"| {pct(ch, 95):.3f} | {pct(st.times['navigate'], 95):.3f} | {pct(st.times['upload'], 95):.3f} "
            f"| {len(st.errors)} | {r['rss0']:.0f} | {r['rss_idle']:.0f} | {per:.1f} | {r['peak']:.0f} "
            f"| {r['rss_after']:.0f} | {r['left']} | {r['busy']:.2f} | {r['cpu_per_run']:.3f} |")
    return "\n".join(lines)


async def main_class(args):
    rounds = []
    for n in args.ns:
        print(f"class of {n} ...", flush=True)
        r = await asyncio.wait_for(class_round(n, args), args.time_limit)
        rounds.append(r)
        print(class_table([r]).splitlines()[-1], flush=True)
        for e in r["stats"].errors[:10]:
            print("   error:", e)
    return rounds


async def main(args):
    deadline = time.monotonic() + args.time_limit
    rounds = []
    for n in args.ns:
        left = deadline - time.monotonic()
        if left < 30:
            print(f"time limit reached, skipping N = {n}")
            break
        print(f"N = {n} ...", flush=True)
        try:
            r = await asyncio.wait_for(one_round(n, args), left)
        except TimeoutError:
            print(f"N = {n} did not finish within the time limit")
            break
        rounds.append(r)
        print(table([r], args).splitlines()[-1], flush=True)
        print(f"   {r['stats'].polls} live-progress polls; websocket connects per replica {r['spread']}; "
              f"the harness itself used {r['client']:.2f} cores; "
              f"server log: {r['log']}")
        for e in r["stats"].errors[:10]:
            print("   error:", e)
    return rounds


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ns", type=int, nargs="+", default=[1, 10, 30, 60])
    p.add_argument("--duration", type=float, default=40, help="seconds of activity per N")
    p.add_argument("--think", type=float, nargs=2, default=(2.0, 6.0), help="think time range (s)")
    p.add_argument("--arrive", type=float, default=5.0, help="students arrive within this many seconds")
    p.add_argument("--trainers", type=int, default=3)
    p.add_argument("--replicas", type=int, default=1,
                   help="app processes behind a local HAProxy with cookie affinity (deploy/haproxy.cfg)")
    p.add_argument("--run-timeout", type=float, default=60.0)
    p.add_argument("--time-limit", type=float, default=900.0, help="the harness stops itself after this")
    p.add_argument("--no-malloc-tuning", dest="malloc", action="store_false",
                   help="run the server without the Dockerfile's MALLOC_ settings (A/B)")
    p.add_argument("--no-page-costs", dest="page_costs", action="store_false",
                   help="skip the one-student cost per lesson measured before the first N")
    p.add_argument("--flag", action="append", default=[],
                   help="extra `streamlit run` option for an A/B comparison, e.g. --flag=--runner.postScriptGC=true")
    p.add_argument("--out", default=None, help="default benchmarks/results/load.md (load_class.md with --class)")
    p.add_argument("--class", dest="klass", action="store_true",
                   help="the class scenario: a teacher asks, every student answers within --answer-window s, "
                        "on --replicas (default 2 with --class) replicas sharing a Redis, behind HAProxy")
    p.add_argument("--answer-window", type=float, default=10.0)
    p.add_argument("--base-port", type=int, default=0,
                   help="use ports from here (replicas, HAProxy, Redis) instead of free ones")
    args = p.parse_args(argv)
    if args.klass and "--replicas" not in (argv or sys.argv):
        args.replicas = 2
    if args.klass and "--ns" not in (argv or sys.argv):
        args.ns = [60]
    args.out = args.out or str(ROOT / "benchmarks" / "results" / ("load_class.md" if args.klass else "load.md"))
    return args


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still stops the app servers
    args = parse()
    if not args.malloc:
        MALLOC.clear()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if args.klass:
        rounds = asyncio.run(main_class(args))
        text = class_table(rounds)
        note = (f"Measured {started} on {os.cpu_count()} cores (load average before -> after in the table: the "
                f"machine is shared); {args.replicas} app processes sharing one Redis behind HAProxy (cookie "
                f"affinity), the teacher's dashboard on the first; the students on the pooling lesson answer "
                f"one question within {args.answer_window:g} s through the app's form. Answer = form sent -> "
                f"script_finished; the teacher's dashboard and the students' panels poll every 1.5 s.")
        print()
        print(text)
        print(note)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(f"# Load test: a class answering\n\n{text}\n\n{note}\n", encoding="utf-8")
        print(f"written to {args.out}")
        sys.exit(0)
    rounds = asyncio.run(main(args))
    text = table(rounds, args)
    lessons = rounds[0]["lessons"] if rounds else []
    note = (f"Measured {started} on {os.cpu_count()} cores; lessons: {', '.join(lessons)}; "
            f"{args.duration:.0f} s of activity per N, think time {args.think[0]:g}-{args.think[1]:g} s, "
            f"every 5th student uploads a 1600x1200 JPEG, {args.trainers} press Train "
            f"(if the lesson exists); {args.replicas} app process(es)"
            + (" behind HAProxy with cookie affinity" if args.replicas > 1 else "") + ". "
            "Latency = widget change sent -> script_finished received.")
    costs = rounds[0]["costs"] if rounds else {}
    cost_table = "\n".join(
        ["| lesson | server CPU s per widget change (median) | wall s (median) | changes |", "|---|---|---|---|"]
        + [f"| {p} | {c:.3f} | {w:.3f} | {k} |" for p, (c, w, k) in costs.items()]) if costs else ""
    print()
    print(text)
    print(note)
    print(cost_table)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    details = "\n".join(
        f"- N = {r['n']}: {r['stats'].runs} script runs and {r['stats'].polls} live-progress polls, "
        f"websocket connects per replica {r['spread']} (including the warm-up), the harness itself used "
        f"{r['client']:.2f} cores, lesson messages (st.error for a setting the lesson explains, not "
        f"failures) {r['stats'].alerts}, errors: {'; '.join(r['stats'].errors[:3]) or 'none'}" for r in rounds)
    Path(args.out).write_text(f"# Load test\n\n{text}\n\n{note}\n\n{details}\n\n## One student, per lesson\n\n"
                              f"{cost_table}\n", encoding="utf-8")
    print(f"written to {args.out}")
