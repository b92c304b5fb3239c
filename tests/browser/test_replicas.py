"""Scale-out: two app replicas behind a real HAProxy with cookie affinity.

Starts two ``streamlit run`` processes on loopback (one shared cookie secret,
as deploy/ prescribes) and Debian's HAProxy in front of them with a generated
config (cookie insertion, health checks on /_stcore/health), then opens
several browser sessions through the load balancer. Checks that the sessions
are spread over both replicas (by the inserted cookie and by each replica's
own /_stcore/metrics), and that every session - including an image upload,
which goes over plain HTTP beside the websocket and fails without affinity -
keeps working on its own replica.
"""

from __future__ import annotations

import io
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from tests.browser.conftest import free_port, shot, start_app, stop_process, wait_idle
from ui.i18n import catalog
from ui.lessons import LESSONS

pytestmark = pytest.mark.browser

HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
SESSIONS = 4
EN = catalog("en")
#: The last student reads Chinese in the dark theme (both appear in the screenshots).
LANGS = ["en"] * (SESSIONS - 1) + ["zh"]
CONV = next(lesson for lesson in LESSONS if lesson.key == "conv")

CONFIG = """
global
    maxconn 256
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
frontend web
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance roundrobin
    cookie CNNLAB_REPLICA insert indirect nocache httponly
    option httpchk GET /_stcore/health
    http-check expect status 200
    server r1 127.0.0.1:{p1} check inter 1s cookie r1
    server r2 127.0.0.1:{p2} check inter 1s cookie r2
"""


def _get(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def _connects(port):
    """How many websocket sessions a replica has seen (its own Prometheus metrics)."""
    _, text = _get(f"http://127.0.0.1:{port}/_stcore/metrics")
    m = re.search(r'session_events_total\{type="connect"\} (\d+)', text)
    return int(m.group(1)) if m else 0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two replicas with one cookie secret, HAProxy in front; yields (lb_url, replica ports)."""
    if HAPROXY is None:
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy; .ci/run does)")
    if not CONV.available:
        pytest.skip("the convolution lesson (with its image upload) does not exist yet")
    ports = [free_port(), free_port()]
    apps = []
    try:
        with pytest.MonkeyPatch.context() as mp:  # one secret for all replicas, from the environment
            mp.setenv("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(16))
            for p in ports:
                apps.append(start_app(p))
        lb_port = free_port()
        cfg = tmp_path_factory.mktemp("haproxy") / "haproxy.cfg"
        cfg.write_text(CONFIG.format(port=lb_port, p1=ports[0], p2=ports[1]))
        check = subprocess.run([HAPROXY, "-c", "-q", "-f", str(cfg)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        lb = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{lb_port}"
        deadline = time.time() + 20
        while True:
            try:
                if _get(url + "/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            if lb.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"HAProxy did not come up: {lb.stderr.read().decode()[-1000:]}")
            time.sleep(0.2)
        time.sleep(1.5)  # both servers pass a health check (inter 1s) before traffic is spread
        yield url, ports
        stop_process(lb)
    finally:
        for proc in apps:
            stop_process(proc)


def _png(seed):
    im = Image.new("RGB", (96, 64), "white")
    for r in range(64):
        for c in range(8 * seed, 8 * seed + 16):
            im.putpixel((c % 96, r), (0, 0, 0))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def _no_errors(page):
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    # Streamlit's "connection lost" dialog would mean the websocket reached the wrong replica.
    assert page.get_by_text("Connection error").count() == 0


def test_sessions_spread_over_replicas_and_keep_working(cluster, browser, tmp_path):
    url, ports = cluster
    before = [_connects(p) for p in ports]
    contexts, pages, replicas = [], [], []
    try:
        for i in range(SESSIONS):  # each context is one student: own cookies, own session
            T = catalog(LANGS[i])
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US",
                                      color_scheme="dark" if LANGS[i] == "zh" else "light")
            page = ctx.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{url}/{CONV.url}?lang={LANGS[i]}")
            wait_idle(page)
            assert page.locator("h1").first.inner_text().startswith(T["conv.title"])
            cookie = {c["name"]: c["value"] for c in ctx.cookies()}.get("CNNLAB_REPLICA")
            assert cookie in ("r1", "r2"), f"HAProxy inserted no affinity cookie: {ctx.cookies()}"
            contexts.append(ctx)
            pages.append(page)
            replicas.append(cookie)

        # Spread: round robin puts the sessions on both replicas, and each replica
        # saw exactly the sessions whose cookie names it (no session landed twice).
        assert set(replicas) == {"r1", "r2"}, replicas
        after = [_connects(p) for p in ports]
        assert [a - b for a, b in zip(after, before)] == [replicas.count("r1"), replicas.count("r2")]

        # Every session uploads its own image (HTTP PUT to the replica holding the
        # session: without affinity the server answers "Invalid session_id").
        for i, page in enumerate(pages):
            T = catalog(LANGS[i])
            # The lesson's input: "Image", then "Upload" (the first image source on the page;
            # the colour-channel tab further down has its own).
            page.get_by_text(T["conv.source_image"], exact=True).first.click()
            wait_idle(page)
            page.get_by_role("radiogroup", name=T["image.source"]).first.get_by_text(
                T["image.source_upload"], exact=True).click()
            wait_idle(page)
            path = tmp_path / f"student{i}.png"
            path.write_bytes(_png(i))
            page.locator('input[type="file"]').first.set_input_files(str(path))
            wait_idle(page)
            page.wait_for_selector(f"text=student{i}.png")
            _no_errors(page)
        shot(pages[0], "replicas_upload_en")
        shot(pages[-1], "replicas_upload_zh_dark")

        # ... and keeps working afterwards: a second interaction reruns on the same
        # replica, the session still has its own upload and nobody else's.
        for i, page in enumerate(pages):
            T = catalog(LANGS[i])
            padding = page.get_by_label(T["conv.padding"], exact=True).first  # padding 1: a rerun
            padding.fill("1")
            padding.press("Enter")
            wait_idle(page)
            page.wait_for_selector("text=" + T["conv.title"])
            assert page.get_by_text(f"student{i}.png").count() >= 1
            for j in range(SESSIONS):
                if j != i:
                    assert page.get_by_text(f"student{j}.png").count() == 0
            _no_errors(page)
            cookie = {c["name"]: c["value"] for c in contexts[i].cookies()}["CNNLAB_REPLICA"]
            assert cookie == replicas[i], "a session moved to another replica"
        # No reconnects: the websockets stayed on the replica they started on.
        assert [_connects(p) for p in ports] == after
    finally:
        for ctx in contexts:
            ctx.close()
