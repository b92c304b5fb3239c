"""The app in a real browser: home, language switch, the convolution lesson, an upload."""

import io

import pytest
from PIL import Image

from tests.browser.conftest import shot, wait_idle

pytestmark = pytest.mark.browser


def png_bytes():
    im = Image.new("RGB", (120, 80), "white")
    for r in range(80):
        for c in range(40, 60):
            im.putpixel((c, r), (0, 0, 0))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def test_home_language_switch_and_convolution_lesson(page, app_url, tmp_path):
    page.goto(app_url)
    wait_idle(page)
    assert "CNN Lab" in page.locator("h1").first.inner_text()
    shot(page, "home_en")

    # Switch to Chinese in the sidebar: the URL remembers it.
    page.locator('[data-testid="stSidebar"]').get_by_text("中文", exact=True).click()
    wait_idle(page)
    page.wait_for_function("() => location.search.includes('lang=zh')")
    assert "看懂卷积神经网络" in page.locator("h1").first.inner_text()
    shot(page, "home_zh")

    # Open the convolution lesson from the menu; the language survives the page switch.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("卷积与互相关").click()
    wait_idle(page)
    page.wait_for_function("() => location.pathname.endsWith('/convolution')")
    assert page.locator("h1").first.inner_text().startswith("卷积与互相关")
    page.wait_for_function("() => location.search.includes('lang=zh')")
    shot(page, "conv_compare_zh")

    # Step by step: "Next" moves the window and changes the written multiply-add.
    page.get_by_role("tab", name="逐步演示").click()
    wait_idle(page)
    code = page.locator('[data-testid="stCode"]').first
    before = code.inner_text()
    page.get_by_role("button", name="下一步").click()
    wait_idle(page)
    page.wait_for_function("(b) => document.querySelector('[data-testid=\"stCode\"]').innerText !== b", arg=before)
    slider = page.get_by_role("slider").last
    slider.focus()
    for _ in range(2):          # stays on the first output row: every window there differs from the first one
        slider.press("ArrowRight")   # (rows of the vertical bar are alike: step 6 reads like step 1)
    wait_idle(page)
    assert code.inner_text() != before
    shot(page, "conv_step_zh")

    # One way to play (issue 16 item 1): no server-side Play; the chart's own ▶ 播放 animates the walk in the
    # browser, and the written multiply-add still explains the step the buttons picked, with its number.
    assert page.get_by_role("button", name="播放").count() == 0
    now = code.inner_text()
    chart = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
                      .find(g => g.querySelector('.updatemenu-button'))"""
    button = page.locator('[data-testid="stPlotlyChart"] .updatemenu-button').first
    assert button.text_content().strip().startswith("▶ 播放")
    page.evaluate(f"""() => {{ window.__played = false;
                              ({chart})().on('plotly_animated', () => window.__played = true); }}""")
    button.scroll_into_view_if_needed()
    button.click()
    page.wait_for_function("() => window.__played", timeout=120_000)
    assert code.inner_text() == now
    page.get_by_text("第 4 步（共 25 步）").wait_for()

    # Upload an image: the lesson switches to it and keeps working.
    page.get_by_role("tab", name="互相关与卷积对比").click()
    page.get_by_text("图像", exact=True).first.click()
    wait_idle(page)
    page.get_by_text("上传", exact=True).first.click()
    wait_idle(page)
    path = tmp_path / "bar.png"
    path.write_bytes(png_bytes())
    page.locator('input[type="file"]').first.set_input_files(str(path))
    wait_idle(page)
    page.wait_for_selector("text=bar.png")
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "conv_upload_zh")

    # A file that is not an image: a translated message, and the page keeps working.
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"this is not an image")
    page.locator('input[type="file"]').first.set_input_files(str(bad))
    wait_idle(page)
    page.wait_for_selector('[data-testid="stAlertContentError"]')
    page.wait_for_selector("text=仍在显示上一张可用的图像：bar.png")
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "conv_bad_upload_zh")


@pytest.mark.parametrize("page", ["dark"], indirect=True)
def test_convolution_lesson_dark_english(page, app_url):
    page.goto(f"{app_url}/convolution?lang=en&kernel=asymmetric&stride=2&pad=1")
    wait_idle(page)
    assert page.locator("h1").first.inner_text().startswith("Convolution vs cross-correlation")
    page.wait_for_selector("text=the two feature maps differ")
    shot(page, "conv_compare_en_dark")
