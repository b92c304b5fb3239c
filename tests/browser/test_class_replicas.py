"""Class mode across replicas: teacher on replica 1, students on replica 2, one shared Redis, real HAProxy.

Every answer is counted exactly once, and killing and restarting the students' replica in the middle of a
question loses no answer: the students' browsers reconnect (to whichever replica is up), find their class
again from the URL (``?class=..&me=..``), see the answer they gave and can still answer.
Needs ``haproxy`` and ``redis-server`` (Debian packages; .ci/run installs both); skips saying why without them.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from app_pages.pooling import questions as pool_questions
from services.class_store import RedisStore
from tests.browser.conftest import SHOTS, free_port, start_app, stop_process
from tests.browser.test_replicas import CONFIG, HAPROXY, _get
from ui.i18n import catalog

pytestmark = pytest.mark.browser
REDIS = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
EN = catalog("en")
WAIT = 20_000


@pytest.fixture(scope="module")
def class_cluster(tmp_path_factory):
    """Redis on a free port, two replicas using it, HAProxy in front; yields (lb_url, ports, apps, env, redis)."""
    if HAPROXY is None:
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy; .ci/run does)")
    if REDIS is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server; .ci/run does)")
    rport = free_port()
    redis_proc = subprocess.Popen([REDIS, "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store_url = f"redis://127.0.0.1:{rport}/0"
    ports, apps, lb = [free_port(), free_port()], [], None
    env = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(16), "CNNLAB_STORE_URL": store_url}
    try:
        store = RedisStore(store_url)
        deadline = time.time() + 10
        while True:
            try:
                store.r.ping()
                break
            except Exception:  # noqa: BLE001
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        with pytest.MonkeyPatch.context() as mp:
            for k, v in env.items():
                mp.setenv(k, v)
            for p in ports:
                apps.append(start_app(p))
        lb_port = free_port()
        cfg = tmp_path_factory.mktemp("haproxy") / "haproxy.cfg"
        cfg.write_text(CONFIG.format(port=lb_port, p1=ports[0], p2=ports[1]))
        lb = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{lb_port}"
        deadline = time.time() + 20
        while True:
            try:
                if _get(url + "/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            if lb.poll() is not None or time.time() > deadline:
                raise RuntimeError("HAProxy did not come up")
            time.sleep(0.2)
        time.sleep(1.5)
        yield url, ports, apps, env, store
    finally:
        if lb is not None:
            stop_process(lb)
        for proc in apps:
            stop_process(proc)
        stop_process(redis_proc)


def _idle(page, timeout=WAIT):
    """Wait until the page's script run has finished (no "Running" status): a click then lands on the page
    as drawn, not on one being redrawn (after a reconnect the whole page reruns)."""
    page.wait_for_function("""() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=timeout)


def _on(browser, url, replica):
    """A browser context pinned to a replica by HAProxy's affinity cookie."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    ctx.add_cookies([{"name": "CNNLAB_REPLICA", "value": replica, "url": url}])
    page = ctx.new_page()
    page.set_default_timeout(60_000)      # a shared CI machine: two replicas, HAProxy, Redis, four pages
    return ctx, page


def _answer(page, value):
    """Type ``value`` into the class question and send it, once; wait for the confirmation of that value."""
    side = page.locator('[data-testid="stSidebar"]')
    box = side.get_by_role("textbox", name=EN["quiz.your_answer"])
    box.wait_for(timeout=WAIT)
    _idle(page)
    box.fill(str(value))
    side.get_by_role("button", name=EN["class.send"]).click()
    side.get_by_text(EN["class.sent"].format(answer=value).split("(")[0].strip()).first.wait_for(timeout=WAIT)


def test_teacher_r1_students_r2_restart_loses_nothing(class_cluster, browser):
    url, ports, apps, env, store = class_cluster
    contexts = []
    try:
        tctx, teacher = _on(browser, url, "r1")
        contexts.append(tctx)
        teacher.goto(f"{url}/class?lang=en")
        teacher.get_by_role("button", name=EN["class.start"]).first.click()
        link = teacher.locator("code", has_text="code=").first
        link.wait_for()
        code = re.search(r"code=([A-Z2-9]{6})", link.inner_text()).group(1)
        students = []
        for _ in range(3):
            ctx, pg = _on(browser, url, "r2")
            contexts.append(ctx)
            pg.goto(f"{url}/class?code={code}&lang=en")
            pg.get_by_role("button", name=EN["class.join"]).click()
            pg.get_by_text(EN["class.joined"].format(code=code)).wait_for()
            students.append(pg)
        assert {c["value"] for c in tctx.cookies() if c["name"] == "CNNLAB_REPLICA"} == {"r1"}
        assert all({c["value"] for c in ctx.cookies() if c["name"] == "CNNLAB_REPLICA"} == {"r2"}
                   for ctx in contexts[1:])

        _idle(teacher)
        teacher.locator('[data-testid="stSidebarNav"] a', has_text=EN["lesson.pooling.title"]).first.click()
        teacher.wait_for_url(re.compile(r"/pooling"), wait_until="commit")
        ask = teacher.get_by_role("button", name=EN["class.ask"]).first
        ask.wait_for()
        _idle(teacher)
        ask.click()
        teacher.get_by_role("button", name=EN["class.reveal"]).wait_for(timeout=WAIT)
        q = pool_questions.build({})[0]
        right = f"{q.answer:g}"
        _answer(students[0], right)
        _answer(students[1], "7")
        info = store.info(code)
        assert store.answer_count(code, info.qnum) == 2

        # the students' replica dies mid-question and comes back on the same port
        stop_process(apps[1])
        with pytest.MonkeyPatch.context() as mp:
            for k, v in env.items():
                mp.setenv(k, v)
            apps[1] = start_app(ports[1])
        for pg in students:   # the browser reconnects by itself; the page finds the class again from its URL
            pg.locator('[data-testid="stSidebar"]').get_by_text(EN["class.in_class"].format(code=code)).wait_for(
                timeout=60_000)
            _idle(pg, 60_000)
        students[0].locator('[data-testid="stSidebar"]').get_by_text(
            EN["class.sent"].format(answer=right).split("(")[0].strip()).wait_for(timeout=WAIT)
        _answer(students[2], right)
        _answer(students[1], right)      # changed, not added
        teacher.get_by_text(EN["class.answered_big"].format(n=3, total=3).lstrip("# ")).first.wait_for(timeout=WAIT)
        assert store.answer_count(code, info.qnum) == 3
        assert store.info(code).members == 3
        _idle(teacher)
        teacher.get_by_role("button", name=EN["class.reveal"]).click()
        teacher.get_by_text(EN["class.right_count"].format(n=3, total=3).replace("**", "")).wait_for(timeout=WAIT)
        for pg in students:
            pg.locator('[data-testid="stSidebar"]').get_by_text(
                EN["quiz.right"].split("{")[0].strip()).first.wait_for(timeout=WAIT)
        assert store.answer_count(code, info.qnum) == 3
    except Exception:
        for i, ctx in enumerate(contexts):
            for pg in ctx.pages:
                try:
                    pg.screenshot(path=str(SHOTS / f"class_replicas_failure_{i}.png"), timeout=20_000)
                except Exception:  # noqa: BLE001 (a page that cannot be photographed must not hide the failure)
                    pass
        raise
    finally:
        for ctx in contexts:
            ctx.close()
