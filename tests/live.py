"""A real CNN Lab server for the tests that attack it from outside (tests/test_hostile.py, test_deploy.py).

``streamlit run app.py`` on a free loopback port with the memory settings of the
Dockerfile (read from it, so the tests measure what a container runs), its log in
a file, and its resident memory read from /proc. A simulated browser tab is
``benchmarks/stclient.StreamlitSession`` (Streamlit's own websocket protocol).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "tests" / "screenshots"
if str(ROOT / "benchmarks") not in sys.path:
    sys.path.insert(0, str(ROOT / "benchmarks"))

from stclient import StreamlitSession  # noqa: E402

__all__ = ["ROOT", "Server", "StreamlitSession", "docker_env", "free_port", "get"]


def docker_env():
    """The ``ENV`` variables of the Dockerfile that tune the allocator (``MALLOC_*``)."""
    text = (ROOT / "Dockerfile").read_text()
    return dict(re.findall(r"\b(MALLOC_[A-Z_]+)=(\S+)", text))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One app process; ``url``, ``pid``, ``rss()``, ``peak()``, ``stop()``."""

    def __init__(self, extra_args=(), ttl=5, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"server-{self.port}.log"
        env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", **docker_env(), **(env or {}))
        self._log = open(self.log_path, "wb")  # noqa: SIM115  (closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--server.fileWatcherType", "none",
             "--server.disconnectedSessionTTL", str(ttl), *extra_args],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {self.log()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not become healthy within 90 s")

    def log(self):
        return self.log_path.read_text(errors="replace")

    def _status(self, field):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError(f"no {field} for {self.pid}")

    def rss(self):
        """Resident memory now (MB)."""
        return self._status("VmRSS")

    def reset_peak(self):
        """Start a new peak measurement (writing 5 to clear_refs resets VmHWM to VmRSS)."""
        with open(f"/proc/{self.pid}/clear_refs", "w") as f:
            f.write("5")

    def peak(self):
        """Highest resident memory since :meth:`reset_peak` (MB)."""
        return self._status("VmHWM")

    def threads(self):
        return sorted(p.read_text().strip() for p in Path(f"/proc/{self.pid}/task").glob("*/comm"))

    def terminate(self):
        """SIGTERM, as ``docker stop`` and Kubernetes send; returns seconds until the process exited."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            return float("inf")
        return time.monotonic() - t0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def get(url, timeout=10):
    """(status, body) of a GET; HTTP errors are answers too."""
    import urllib.error
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
