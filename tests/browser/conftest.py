"""Browser tests: the real app under `streamlit run`, driven by Playwright in Debian's Chromium.

The Playwright browser download is not available here; we use the system
Chromium (`/usr/bin/chromium`). Where it is missing the tests skip with a
reason; `.ci/run` installs it, so CI always runs them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port, extra_args=()):
    """Start `streamlit run app.py` on 127.0.0.1:port and wait for /_stcore/health.

    The server's output goes to a log file (a pipe nobody reads could fill up and block it)."""
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = open(SHOTS / f"server-{port}.log", "wb")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--server.fileWatcherType", "none", *extra_args],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {(SHOTS / f'server-{port}.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not become healthy within 60 s")


def stop_process(proc):
    """Ask a server to stop; kill it if it has not stopped within 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def app_url():
    port = int(os.environ.get("CNNLAB_TEST_PORT") or 0) or free_port()   # a port of your own, if set
    proc = start_app(port)
    yield f"http://127.0.0.1:{port}"
    stop_process(proc)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Not per session: Playwright's sync API keeps an asyncio loop running
    in this thread while it lives, which would break a later module's own Playwright (the fake-camera
    browser) or its asyncio.run (the websocket clients of tests/test_hostile.py)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's 'chromium' (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A fresh page (own context: own session) 1280x900, light theme unless marked."""
    scheme = getattr(request, "param", "light")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme,
                              locale="en-US")
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def wait_idle(page, timeout=30_000):
    """Wait until Streamlit has finished running the script (no 'Running...' widget)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=timeout)
    page.wait_for_timeout(300)


def shot(page, name, max_height=5000):
    """Screenshot of the whole page: Streamlit scrolls inside its main block, so the
    viewport is stretched to the content's height for the picture, then restored."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]');
                   return m ? m.scrollHeight : document.body.scrollHeight; }""")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height, max_height))})
    try:  # let lazily drawn elements (charts, editors) replace their placeholders
        page.wait_for_function(
            """() => document.querySelectorAll('[data-testid="stSkeleton"]').length === 0""", timeout=10_000)
    except Exception:
        pass
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def screen(page, app_url, path, size, name):
    """A lesson at one screen size (issue 18: 1024x768 projector, 390x844 phone), drawn, then shot as
    ``<name>_<width>_<lang>`` for a person to look at; ``path`` carries ``?lang=``."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{app_url}/{path}")
    wait_idle(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"], [data-testid="stDataFrame"]', timeout=60_000)
    page.wait_for_timeout(800)
    return shot(page, name)
