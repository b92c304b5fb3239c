"""The shipped deployment files keep the monitoring endpoint inside and run with the image's memory settings.

* ``deploy/haproxy.cfg`` itself (only its listen addresses and its backend swapped for
  a local app process) runs in Debian's HAProxy: the students' frontend refuses
  ``/_stcore/metrics`` under every spelling that Streamlit's lenient router answers,
  while the app and its health check pass; the monitoring frontend serves it.
* ``deploy/kubernetes/cnnlab.yaml``: no Ingress path reaches the metrics (the regex
  of the blocking Ingress is tried on every spelling), Prometheus has its own Service.
* ``make run`` sets the same ``MALLOC_*`` variables as the Dockerfile.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.live import ROOT, Server, docker_env, free_port

HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
#: Spellings under which Streamlit itself serves the metrics (checked below): it decodes %XX first.
METRICS_SERVED = ["/_stcore/metrics", "/_stcore/%6detrics", "/%5fstcore/metrics", "/_stcore%2fmetrics",
                  "/_stcore/%6D%65trics", "/_stcore/metrics?families=active_sessions"]
#: ... and other spellings a proxy must not let through either (today Streamlit answers them with
#: its page, a later release may not).
METRICS_SPELLINGS = METRICS_SERVED + ["/_stcore//metrics", "/_STCORE/metrics", "/_Stcore/METRICS",
                                      "/_stcore/./metrics", "/_stcore/%2e/metrics", "/./_stcore/metrics",
                                      "/_stcore/metrics;x", "/_stcore/metrics%20"]
#: What a student's browser needs; must still pass.
APP_PATHS = ["/", "/_stcore/health", "/_stcore/host-config"]


def raw_get(port, path):
    """GET ``path`` byte for byte (urllib would normalise it)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def is_metrics(body):
    return b"active_sessions" in body or b"session_events_total" in body


def local_haproxy_config(app_port, web_port, mon_port):
    """deploy/haproxy.cfg with local ports and the one local replica; every rule stays as shipped."""
    text = (ROOT / "deploy" / "haproxy.cfg").read_text()
    text = re.sub(r"\nresolvers docker\n(    .*\n)+", "\n", text)
    text = text.replace("    bind :8080\n", f"    bind 127.0.0.1:{web_port}\n")
    text = text.replace("    bind :8404\n", f"    bind 127.0.0.1:{mon_port}\n")
    text = re.sub(r"    server-template .*\n", f"    server app1 127.0.0.1:{app_port} check inter 1s\n", text)
    text = text.replace("    log stdout format raw local0\n", "")
    assert f"127.0.0.1:{web_port}" in text and f"127.0.0.1:{mon_port}" in text and "app1" in text, \
        "deploy/haproxy.cfg changed shape: update this test's substitutions"
    return text


@pytest.fixture(scope="module")
def app():
    server = Server()
    yield server
    server.stop()


def test_shipped_haproxy_config_is_valid():
    if HAPROXY is None:
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy; .ci/run does)")
    r = subprocess.run([HAPROXY, "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_streamlit_itself_serves_encoded_spellings(app):
    """The reason for the broad rule: without a proxy, percent-encoded spellings reach the metrics."""
    for path in METRICS_SERVED:
        status, body = raw_get(app.port, path)
        assert status == 200 and is_metrics(body), (path, status)


def test_haproxy_public_side_refuses_metrics_monitoring_side_serves_them(app, tmp_path):
    if HAPROXY is None:
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy; .ci/run does)")
    web, mon = free_port(), free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(local_haproxy_config(app.port, web, mon))
    proc = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        while True:
            try:
                if raw_get(web, "/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.time() < deadline and proc.poll() is None, "HAProxy did not come up"
            time.sleep(0.3)
        for path in METRICS_SPELLINGS + ["/x/../_stcore/metrics", "/_stcore/metrics/"]:
            status, body = raw_get(web, path)
            assert status in (403, 404) and not is_metrics(body), (path, status)
        for path in APP_PATHS:
            assert raw_get(web, path)[0] == 200, path
        # a body over 25 MiB is refused at the door, before it reaches a replica
        conn = http.client.HTTPConnection("127.0.0.1", web, timeout=10)
        conn.putrequest("PUT", "/_stcore/upload_file/x/y")
        conn.putheader("Content-Length", str(26_214_401))
        conn.endheaders()
        assert conn.getresponse().status == 413
        conn.close()
        status, body = raw_get(mon, "/_stcore/metrics")
        assert status == 200 and is_metrics(body)
        status, body = raw_get(mon, "/metrics")
        assert status == 200 and b"haproxy_" in body
        assert raw_get(mon, "/")[0] == 404  # the monitoring side is not a second way into the app
    finally:
        proc.terminate()
        proc.wait(10)


def _k8s():
    yaml = pytest.importorskip("yaml")
    return list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / "cnnlab.yaml").read_text()))


def test_kubernetes_ingress_never_routes_metrics():
    """ingress-nginx with use-regex tries regex locations longest first, case-insensitively, on the
    decoded path with merged slashes and resolved dots (nginx's normalisation): every spelling must
    land in the Ingress that refuses every address."""
    docs = _k8s()
    ingresses = [d for d in docs if d["kind"] == "Ingress"]
    locations = []  # (regex, ingress)
    for ing in ingresses:
        ann = ing["metadata"].get("annotations", {})
        assert ann.get("nginx.ingress.kubernetes.io/use-regex") == "true", ing["metadata"]["name"]
        assert not any("snippet" in k for k in ann), "snippets are disabled in current ingress-nginx"
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                assert p["pathType"] == "ImplementationSpecific"
                locations.append((p["path"], ing))
    locations.sort(key=lambda loc: -len(loc[0]))

    def nginx_normalise(path):
        from posixpath import normpath
        from urllib.parse import unquote
        path = unquote(path.split("?", 1)[0])
        path = re.sub("/+", "/", path)
        return normpath(path) + ("/" if path.endswith("/") and path != "/" else "")

    for spelling in METRICS_SPELLINGS + ["/_stcore/metrics/"]:
        uri = nginx_normalise(spelling)
        regex, ing = next(loc for loc in locations if re.match(loc[0], uri, re.IGNORECASE))
        deny = ing["metadata"]["annotations"].get("nginx.ingress.kubernetes.io/denylist-source-range", "")
        assert {"0.0.0.0/0", "::/0"} <= set(deny.split(",")), (spelling, uri, regex)
    for path in APP_PATHS + ["/convolution", "/_stcore/stream", "/_stcore/upload_file/a/b", "/static/js/x.js"]:
        regex, ing = next(loc for loc in locations if re.match(loc[0], path, re.IGNORECASE))
        assert "nginx.ingress.kubernetes.io/denylist-source-range" not in ing["metadata"]["annotations"], path


def test_kubernetes_monitoring_service_has_no_ingress():
    docs = _k8s()
    services = {d["metadata"]["name"] for d in docs if d["kind"] == "Service"}
    routed = {p["backend"]["service"]["name"] for d in docs if d["kind"] == "Ingress"
              for r in d["spec"]["rules"] for p in r["http"]["paths"]}
    monitoring = [d for d in docs if d["kind"] == "Service" and d["metadata"]["labels"].get("cnnlab/metrics")]
    assert monitoring and not {m["metadata"]["name"] for m in monitoring} & routed
    assert routed <= services


def test_make_run_sets_the_docker_memory_settings():
    """`make run` (dry run) starts streamlit with every MALLOC_* value of the Dockerfile."""
    settings = docker_env()
    assert set(settings) >= {"MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_"}
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make")
    r = subprocess.run([make, "-n", "run"], cwd=ROOT, capture_output=True, text=True)
    line = next(ln for ln in r.stdout.splitlines() if "streamlit run" in ln)
    for k, v in settings.items():
        assert f"{k}={v}" in line, (k, line)
