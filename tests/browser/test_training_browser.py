"""The training lesson in Chromium: train one short epoch and watch the curve grow, look at the
results, upload a drawn digit and read the prediction; screenshots in en, zh and dark."""

from __future__ import annotations

import re

import pytest
from PIL import Image, ImageDraw

from tests.browser.conftest import screen, shot, wait_idle

pytestmark = pytest.mark.browser


def drawn_seven(path):
    im = Image.new("RGB", (220, 280), (236, 232, 225))
    ImageDraw.Draw(im).line([(55, 50), (165, 50), (95, 240)], fill=(25, 25, 40), width=18)
    im.save(path)
    return path


def open_tab(page, name):
    page.get_by_role("tab", name=re.compile(name)).click()
    page.wait_for_timeout(300)


def settle(page):
    """Wait until the visible tab's charts are drawn and its images are loaded (for screenshots)."""
    wait_idle(page)
    page.wait_for_function(
        """() => {
            const panel = document.querySelector('[role="tabpanel"]:not([hidden])') || document;
            const imgs = [...panel.querySelectorAll('img')];
            const charts = panel.querySelectorAll('[data-testid="stPlotlyChart"]');
            const drawn = panel.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg');
            return imgs.every(i => i.complete && i.naturalWidth > 0) && drawn.length >= charts.length;
        }""", timeout=30_000)
    page.wait_for_timeout(500)


def test_train_watch_and_try(page, app_url, tmp_path):
    page.goto(f"{app_url}/training?lang=en&dataset=digits&epochs=4&batch=16")
    wait_idle(page)
    assert "LeNet-5" in page.locator("h1").first.inner_text()
    shot(page, "training_network_en")

    open_tab(page, "Train")
    page.get_by_role("button", name="Train").click()
    progress = page.locator('[data-testid="stProgress"]')
    progress.first.wait_for(timeout=60_000)
    seen = set()
    steps = []
    for _ in range(600):                      # poll the page as the student would watch it
        text = progress.first.inner_text() if progress.count() else ""
        m = re.search(r"step (\d+)/(\d+)", text)
        if m:
            steps.append(int(m.group(1)))
            seen.add(text)
        if page.get_by_text("Finished in").count():
            break
        page.wait_for_timeout(200)
    assert page.get_by_text("Finished in").count(), "training finished"
    assert len(set(steps)) >= 2 and steps == sorted(steps), "the progress moved while training"
    charts = page.locator('[data-testid="stPlotlyChart"]')
    assert charts.count() >= 2
    shot(page, "training_train_en")

    open_tab(page, "Results")
    page.get_by_text("Test accuracy").first.wait_for(timeout=60_000)     # lazy tabs: built when opened
    settle(page)
    assert page.get_by_text("Showing your model").count()
    shot(page, "training_results_en")

    open_tab(page, "Try")
    page.get_by_text("Upload a photo of one digit").first.click()        # the canvas is the first choice
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        str(drawn_seven(tmp_path / "seven.png")))
    page.get_by_text("The network reads").wait_for(timeout=30_000)
    settle(page)
    metric = page.locator('[data-testid="stMetricValue"]').last.inner_text().strip()
    assert metric == "7", metric
    shot(page, "training_try_en")


def stroke(page, canvas, points):
    """One mouse stroke through ``points`` given as fractions (x, y) of the canvas."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_draw_a_digit_read_it_and_see_its_loss(page, app_url, lang):
    """Issue 12 / 14: draw a 7 and a 1 with mouse strokes on the canvas; the network reads them; naming the
    true digit shows the cross-entropy loss; Undo takes the last stroke back."""
    words = {"en": ("The network reads", "Cross-entropy loss", "Waiting for your digit.", "Undo"),
             "zh": ("网络认为是", "交叉熵损失", "等待你的数字。", "撤销")}[lang]
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{app_url}/training?lang={lang}&tab=try")
    wait_idle(page)
    canvas = page.locator(".cl-canvas canvas").first
    canvas.wait_for()
    stroke(page, canvas, [(0.3, 0.25), (0.72, 0.25), (0.45, 0.82)])           # a 7: bar, then down-left
    page.get_by_text(words[0]).wait_for(timeout=30_000)
    wait_idle(page)
    metric = page.locator('[data-testid="stMetricValue"]').last.inner_text().strip()
    assert metric == "7", metric
    assert page.get_by_text(words[1]).count() == 0                           # no true digit named yet
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text=re.compile(r"^7$")).first.click()
    page.get_by_text(words[1]).first.wait_for(timeout=30_000)
    wait_idle(page)
    settle(page)
    shot(page, f"training_try_canvas_{lang}")
    page.get_by_role("button", name=words[3]).click()                         # undo: empty again
    page.get_by_text(words[2]).wait_for(timeout=30_000)
    stroke(page, canvas, [(0.52, 0.18), (0.5, 0.84)])                         # a 1
    wait_idle(page)
    page.wait_for_function(
        """() => { const m = [...document.querySelectorAll('[data-testid="stMetricValue"]')];
                   return m.length && m[m.length - 1].innerText.trim() === '1'; }""", timeout=30_000)


def test_chinese(page, app_url):
    page.goto(f"{app_url}/training?lang=zh")
    wait_idle(page)
    assert "LeNet-5" in page.locator("h1").first.inner_text()
    open_tab(page, "结果")
    page.get_by_text("测试准确率").first.wait_for(timeout=60_000)
    settle(page)
    shot(page, "training_results_zh")


@pytest.mark.parametrize("page", ["dark"], indirect=True)
def test_dark_theme(page, app_url):
    page.goto(f"{app_url}/training?lang=en")
    wait_idle(page)
    open_tab(page, "Results")
    page.get_by_text("Test accuracy").first.wait_for(timeout=60_000)
    settle(page)
    shot(page, "training_results_dark")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(1024, 768), (390, 844)])
def test_screens_projector_and_phone(page, app_url, lang, size):
    """Issue 18: screenshots at 1024x768 and 390x844 in both languages, to be looked at."""
    screen(page, app_url, f"training?lang={lang}", size, f"training_screen_{size[0]}_{lang}")
