"""Class mode in a real browser: a teacher and three students through two lessons, in English and Chinese.

The teacher starts a class, three students (own browser contexts, one in Chinese) join by code, follow the
teacher to the pooling lesson, answer a question (two right, one wrong), the teacher reveals; then the
teacher switches to Chinese, moves to the receptive-field lesson, asks again, reveals and closes the class.
Along the way one student leaves to explore another lesson and one click on "Catch up" brings them back to
the teacher's view, and another student switches to Chinese while in the class: the class panel and the open
question follow the language. The projector view is photographed at 1024x768 in both languages
(tests/screenshots/class_projector_*.png); its QR code must be at least 320 px wide and the sidebar hidden.

Every step waits on what the page shows (Playwright's auto-waiting locators), never on a fixed pause; a click
is made when the page has finished its run (no "Running" status), so it cannot land on a page being redrawn.
"""

from __future__ import annotations

import re

import pytest

from app_pages.pooling import questions as pool_questions
from app_pages.receptive_field import questions as rf_questions
from tests.browser.conftest import SHOTS
from ui.i18n import catalog

pytestmark = pytest.mark.browser

EN, ZH = catalog("en"), catalog("zh")
# ms a student's page may take to follow: polled every 1.5 s (the issue asks ~2 s; benchmarks/load_test.py measures
# it: p95 1.5 s). A wait, not a pause: generous because four browser pages and the server share the CI machine's
# two cores (at a load average of 30, following took over 20 s)
FOLLOW_S = 45_000


def _ctx(browser, lang, width=1280, height=900):
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN" if lang == "zh" else "en-US")
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    return ctx, page


def _sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def _no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


def _idle(page, timeout=30_000):
    """Wait until the script run (a full run; a fragment's poll is short) has finished."""
    page.wait_for_function("""() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=timeout)


def _nav(page, title):
    _idle(page)
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()


def _answer(page, cat, value):
    """A student types ``value`` into the class question in the sidebar and sends it."""
    side = _sidebar(page)
    box = side.get_by_role("textbox", name=cat["quiz.your_answer"])
    box.wait_for()
    box.fill(str(value))
    side.get_by_role("button", name=cat["class.send"]).click()
    side.get_by_text(re.compile(re.escape(cat["class.sent"].split("{")[0].strip()))).first.wait_for()


def _ask(teacher, cat, n):
    """The teacher asks the first question of the page; the dashboard then shows question n, still open."""
    ask = teacher.get_by_role("button", name=cat["class.ask"]).first
    ask.wait_for()
    _idle(teacher)
    ask.click()
    teacher.get_by_text(cat["class.question"].format(n=n), exact=True).wait_for(timeout=FOLLOW_S)
    teacher.get_by_role("button", name=cat["class.reveal"]).wait_for()


def _projector(teacher, name):
    """The projector view at 1024x768: the sidebar hidden, a QR code of at least 320 px; a picture of it."""
    teacher.set_viewport_size({"width": 1024, "height": 768})
    qr = teacher.locator('[data-testid="stImage"] img').first
    qr.wait_for()
    teacher.wait_for_function("""() => { const s = document.querySelector('[data-testid="stSidebar"]');
                                         return !s || s.getBoundingClientRect().width === 0; }""")
    _idle(teacher)
    box = qr.bounding_box()
    assert box["width"] >= 320 and box["y"] + box["height"] <= 768, box      # whole, on the first screen
    path = SHOTS / f"{name}.png"
    SHOTS.mkdir(parents=True, exist_ok=True)
    teacher.screenshot(path=str(path))
    teacher.set_viewport_size({"width": 1280, "height": 900})
    return path


def _catch_up(pg, cat, url_part):
    """A student switches following off, explores another lesson, and one click brings them back."""
    side = _sidebar(pg)
    side.get_by_text(cat["class.follow"]).click()
    _nav(pg, cat["lesson.output_size.title"])
    pg.wait_for_url(re.compile(r"/output-size"), wait_until="commit")
    button = side.get_by_role("button", name=cat["class.catch_up"])
    button.wait_for(timeout=FOLLOW_S)
    _idle(pg)
    button.click()
    pg.wait_for_url(re.compile(url_part), timeout=FOLLOW_S, wait_until="commit")
    # following again: the "Follow the teacher" toggle (not the sidebar's first toggle: the display option)
    pg.wait_for_function("""(label) => [...document.querySelectorAll('[data-testid="stSidebar"] label')]
                              .some(l => l.innerText.trim() === label && l.querySelector('input[type=checkbox]')
                                         && l.querySelector('input[type=checkbox]').checked)""",
                         arg=cat["class.follow"], timeout=FOLLOW_S)
    button.wait_for(state="detached", timeout=FOLLOW_S)     # in step with the teacher again: nothing to catch up
    _no_exception(pg)


def test_teacher_and_three_students(app_url, browser):
    contexts = []
    try:
        tctx, teacher = _ctx(browser, "en")
        contexts.append(tctx)
        teacher.goto(f"{app_url}/class?lang=en")
        teacher.get_by_role("button", name=EN["class.start"]).first.click()
        link = teacher.locator("code", has_text="code=").first
        link.wait_for()
        code = re.search(r"code=([A-Z2-9]{6})", link.inner_text()).group(1)
        _no_exception(teacher)

        students = []
        for i, lang in enumerate(["en", "en", "zh"]):
            cat = ZH if lang == "zh" else EN
            ctx, pg = _ctx(browser, lang)
            contexts.append(ctx)
            pg.goto(f"{app_url}/class?code={code}&lang={lang}")
            pg.get_by_role("textbox", name=cat["class.name"]).fill(f"<b>Student {i}</b>")
            pg.get_by_role("button", name=cat["class.join"]).click()
            pg.get_by_text(cat["class.joined"].format(code=code)).wait_for()
            students.append((pg, cat))
        teacher.get_by_text(EN["class.members"].format(n=3).replace("**", "")).wait_for(timeout=FOLLOW_S)

        # lesson 1, in English: pooling. The students follow the teacher's page.
        _nav(teacher, EN["lesson.pooling.title"])
        teacher.wait_for_url(re.compile(r"/pooling"), wait_until="commit")
        for pg, _ in students:
            pg.wait_for_url(re.compile(r"/pooling"), timeout=FOLLOW_S, wait_until="commit")
        q = pool_questions.build({})[0]            # the first question at the page's default settings
        _ask(teacher, EN, 1)
        right = f"{q.answer:g}"
        for (pg, cat), value in zip(students, [right, right, "99"]):
            _answer(pg, cat, value)
        teacher.get_by_text(re.compile(r"3\s*/\s*3|3 of 3")).first.wait_for(timeout=FOLLOW_S)
        teacher.get_by_text(EN["class.projector"]).click()
        shot_en = _projector(teacher, "class_projector_en")
        teacher.get_by_role("button", name=EN["class.reveal"]).click()
        teacher.get_by_text(EN["class.right_count"].format(n=2, total=3).replace("**", "")).wait_for()
        for (pg, cat), ok in zip(students, [True, True, False]):
            key = "quiz.right" if ok else "quiz.wrong"
            head = re.split(r"\{", cat[key])[0].strip().rstrip("：:")
            _sidebar(pg).get_by_text(re.compile(re.escape(head))).first.wait_for(timeout=FOLLOW_S)
            _no_exception(pg)
        _catch_up(students[0][0], EN, r"/pooling")
        # names only on the teacher's screen, as plain text (the "<b>" stays visible, never bold)
        teacher.get_by_text(EN["class.projector"]).click()
        teacher.get_by_text(EN["class.names"]).click()
        teacher.get_by_text("<b>Student 0</b>", exact=False).first.wait_for()
        for pg, _ in students:
            assert pg.get_by_text("Student 1").count() == 0

        # lesson 2, in Chinese: receptive field
        teacher.locator('[data-testid="stSidebar"]').get_by_text("中文").click()
        teacher.wait_for_url(re.compile(r"lang=zh"), wait_until="commit")
        _nav(teacher, ZH["lesson.receptive.title"])
        teacher.wait_for_url(re.compile(r"/receptive-field"), wait_until="commit")
        for pg, _ in students:
            pg.wait_for_url(re.compile(r"/receptive-field"), timeout=FOLLOW_S, wait_until="commit")
        q2 = rf_questions.build({})[0]
        _ask(teacher, ZH, 2)
        # student 1 switches to Chinese in the middle of the class: the panel and the question follow
        pg1 = students[1][0]
        _idle(pg1)
        _sidebar(pg1).get_by_text("中文").click()
        pg1.wait_for_url(re.compile(r"lang=zh"), wait_until="commit")
        _sidebar(pg1).get_by_text(ZH["class.in_class"].format(code=code)).wait_for(timeout=FOLLOW_S)
        _sidebar(pg1).get_by_text(re.compile(re.escape(ZH[q2.prompt].split("{")[0].strip()))).first.wait_for()
        assert re.search(r"/receptive-field.*class=" + code, pg1.url), pg1.url        # still in the class
        students[1] = (pg1, ZH)
        for (pg, cat), value in zip(students, [f"{q2.answer:g}", "3", f"{q2.answer:g}"]):
            _answer(pg, cat, value)
        teacher.get_by_text(re.compile(r"3/3")).first.wait_for(timeout=FOLLOW_S)
        teacher.get_by_text(ZH["class.projector"]).click()
        shot_zh = _projector(teacher, "class_projector_zh")
        teacher.get_by_role("button", name=ZH["class.reveal"]).click()
        teacher.get_by_text(ZH["class.right_count"].format(n=2, total=3).replace("**", "")).wait_for()
        teacher.get_by_text(ZH["class.projector"]).click()
        teacher.get_by_role("button", name=ZH["class.close"]).click()
        for pg, cat in students:
            _sidebar(pg).get_by_text(cat["class.ended"]).wait_for(timeout=FOLLOW_S)
            _no_exception(pg)
        assert shot_en.stat().st_size > 10_000 and shot_zh.stat().st_size > 10_000
    except Exception:
        for i, ctx in enumerate(contexts):          # what everyone saw, for the failure report
            for pg in ctx.pages:
                try:
                    pg.screenshot(path=str(SHOTS / f"class_failure_{i}.png"), timeout=20_000)
                except Exception:  # noqa: BLE001 (a page that cannot be photographed must not hide the failure)
                    pass
        raise
    finally:
        for ctx in contexts:
            ctx.close()
