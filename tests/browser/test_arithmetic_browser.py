"""The four shape-arithmetic lessons in a real browser: predict and step, invalid settings, pick a unit."""

import pytest

from tests.browser.conftest import shot, wait_idle

pytestmark = pytest.mark.browser


def _no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0


def test_output_size_predict_reveal_and_step(page, app_url):
    page.goto(f"{app_url}/output-size?lang=en")
    wait_idle(page)
    page.wait_for_selector("text=Output size: how big is the next feature map?")
    page.wait_for_selector("text=The formula, the answer and the picture appear after you reveal.")
    box = page.get_by_label("Output rows (= columns)")
    box.fill("3")
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Reveal").click()
    wait_idle(page)
    page.wait_for_selector("text=Correct! Your prediction matches.")
    page.wait_for_selector("text=Window 1 of 9")      # the caption is in the chart, wrapped over lines
    for _ in range(2):
        page.get_by_role("button", name="Next", exact=True).click()
        wait_idle(page)
    page.wait_for_selector("text=Window 3 of 9")
    _no_exception(page)
    shot(page, "size_step_en")


def test_output_size_invalid(page, app_url):
    page.goto(f"{app_url}/output-size?lang=en&s_r=0")
    wait_idle(page)
    page.wait_for_selector("text=The stride must be a positive whole number")
    page.wait_for_selector("text=try stride 1")
    page.wait_for_selector("text=Parameters: why convolution?")   # the rest of the page still works
    _no_exception(page)
    shot(page, "size_invalid_en")


def test_output_size_chinese_transposed(page, app_url):
    page.goto(f"{app_url}/output-size?lang=zh&predict=0&mode=transposed&i_r=3&p_r=1&op=1")
    wait_idle(page)
    page.wait_for_selector("text=输出尺寸：下一层特征图有多大？")
    page.wait_for_selector("text=插入的零和填充")
    _no_exception(page)
    shot(page, "size_transposed_zh")


def test_pooling(page, app_url):
    page.goto(f"{app_url}/pooling?lang=en")
    wait_idle(page)
    page.wait_for_selector("text=Backward: where the error goes")
    page.wait_for_selector("text=selected (the maximum)")
    _no_exception(page)
    shot(page, "pool_en")


def _click_unit(page, row, col):
    """Click the plotted centre of unit (row, col) on the receptive-field picture."""
    pos = page.evaluate(
        """([r, c]) => {
             const gds = [...document.querySelectorAll('.js-plotly-plot')];
             const gd = gds.find(g => g.data && g.data.some(d => d.customdata));
             const tr = gd.data.findIndex(d => d.customdata);
             const i = gd.data[tr].customdata.findIndex(p => p[0] === r && p[1] === c);
             const fl = gd._fullLayout, box = gd.getBoundingClientRect();
             return {x: box.left + fl.xaxis._offset + fl.xaxis.l2p(gd.data[tr].x[i]),
                     y: box.top + fl.yaxis._offset + fl.yaxis.l2p(gd.data[tr].y[i])};
           }""", [row, col])
    page.mouse.click(pos["x"], pos["y"])


def test_receptive_field_pick_a_unit(page, app_url):
    page.goto(f"{app_url}/receptive-field?lang=en&preset=three_3x3&size=16")
    wait_idle(page)
    page.wait_for_selector("text=Receptive field growth with depth")
    page.wait_for_selector("text=This unit sees input rows **0 to 6**".replace("**", ""))
    chart = page.locator('[data-testid="stPlotlyChart"]').last
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    _click_unit(page, 5, 7)
    wait_idle(page)
    page.wait_for_selector("text=This unit sees input rows 5 to 11")
    page.wait_for_selector("text=columns 7 to 13")
    _no_exception(page)
    shot(page, "rf_pick_en")
    page.goto(f"{app_url}/receptive-field?lang=zh&preset=vgg16&size=224")
    wait_idle(page)
    page.wait_for_selector("text=感受野有一部分落在填充里")
    page.wait_for_selector("text=感受野随深度的增长")
    _no_exception(page)
    shot(page, "rf_vgg_zh")


def test_architectures(page, app_url):
    page.goto(f"{app_url}/architectures?lang=en&net=inception3a")
    wait_idle(page)
    page.wait_for_selector("text=Without them, the same module would need")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
    _no_exception(page)
    shot(page, "arch_inception_en")
    page.goto(f"{app_url}/architectures?lang=zh&net=resnet18")
    wait_idle(page)
    page.wait_for_selector("text=11,689,512 完全一致")
    page.wait_for_selector("text=值得注意的地方")                 # the last section has rendered
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
    shot(page, "arch_resnet18_zh")


@pytest.mark.parametrize("page", ["dark"], indirect=True)
def test_dark_theme(page, app_url):
    page.goto(f"{app_url}/output-size?lang=en&predict=0&i_r=8&p_r=0")
    wait_idle(page)
    page.wait_for_selector("text=Every position of the window")
    page.wait_for_selector("text=is not a multiple of the stride 2")
    page.wait_for_selector("text=never read")          # legend of the shaded cells
    _no_exception(page)
    shot(page, "size_floor_dark_en")


_CUT = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stColumn"] *')]
    .filter(e => e.children.length === 0 && e.innerText && e.innerText.trim() && e.offsetParent !== null)
    .filter(e => {
        const r = e.getBoundingClientRect(), col = e.closest('[data-testid="stColumn"]').getBoundingClientRect();
        return e.scrollWidth > e.clientWidth + 1 || r.right > col.right + 1 || r.right > window.innerWidth + 1;
    })
    .map(e => e.innerText)"""


@pytest.mark.parametrize("width, height", [(1024, 768), (390, 844)])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", ["pooling", "output-size"])
def test_controls_are_not_cut_off(page, app_url, path, lang, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{app_url}/{path}?lang={lang}")
    wait_idle(page)
    # the wrapping style comes once, from app.py (style.wrap_controls), for every lesson
    page.wait_for_function("() => [...document.querySelectorAll('style')]"
                           ".some(s => s.textContent.includes('stButtonGroup'))")
    page.wait_for_selector('[data-testid="stButtonGroup"]')
    page.wait_for_selector('text=' + (("Parameters" if lang == "en" else "参数：") if path == "output-size"
                           else "Why pool?" if lang == "en" else "为什么要池化"))
    assert page.evaluate(_CUT) == []
    _no_exception(page)
    shot(page, f"controls_{path}_{lang}_{width}")


@pytest.mark.parametrize("page", ["dark"], indirect=True)
@pytest.mark.parametrize("path", ["pooling", "output-size"])
def test_controls_are_not_cut_off_dark_zh(page, app_url, path):
    test_controls_are_not_cut_off(page, app_url, path, "zh", 1024, 768)
    shot(page, f"controls_{path}_zh_1024_dark")


def test_output_size_clamps_a_typed_number_visibly_in_chinese(page, app_url):
    page.goto(f"{app_url}/output-size?lang=zh&predict=0")
    wait_idle(page)
    box = page.locator('[data-testid="stNumberInput"]').filter(has_text="填充 p").locator("input").first
    box.wait_for(timeout=120_000)                                     # widget code loads late on a busy machine
    box.fill("99")
    box.press("Enter")
    wait_idle(page)
    page.wait_for_selector("text=你输入的是 99，所以已改为 10")       # issue 16 item 8: said, in Chinese
    # and shown in the box: the browser writes the server's value into the box a moment after the message
    # (once, in CI, the box still read "1", a keystroke of "99" undone); wait for it, up to 15 s
    from playwright.sync_api import expect  # here: the module is collected where Playwright is missing
    expect(box).to_have_value("10", timeout=15_000)
    page.wait_for_selector("text=填充（零）")                         # the legend of the crossed cells
    page.wait_for_selector("text=760")                                # the parameter calculator
    _no_exception(page)
    shot(page, "size_clamped_zh")


def test_receptive_field_unit_from_the_link(page, app_url):
    page.goto(f"{app_url}/receptive-field?lang=en&preset=three_3x3&size=16&layer=2&ur=3&uc=4")
    wait_idle(page)
    page.wait_for_selector("text=This unit sees input rows 3 to 7", timeout=120_000)   # the unit from the link
    page.locator('[data-testid="stPlotlyChart"]').last.scroll_into_view_if_needed()
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(g => g.data && g.data.some(d => d.customdata))""", timeout=120_000)
    marker = page.evaluate("""() => {
        const gds = [...document.querySelectorAll('.js-plotly-plot')];
        const gd = gds.find(g => g.data && g.data.some(d => d.customdata));
        return gd.data.find(d => d.customdata).marker.color; }""")
    assert marker == "#2563eb"                                        # solid dots, not 35 % blue
    _no_exception(page)
    shot(page, "rf_unit_link_en")
