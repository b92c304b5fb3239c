"""The backpropagation lesson in a real browser: step through both passes, type a bad expression."""

import pytest

from tests.browser.conftest import screen, shot, wait_idle

pytestmark = pytest.mark.browser


def _click(page, name, times=1):
    for _ in range(times):
        page.get_by_role("button", name=name, exact=True).click()
        wait_idle(page)


def test_step_through_the_backward_pass(page, app_url):
    page.goto(f"{app_url}/backprop?lang=en")
    wait_idle(page)
    assert page.locator("h1").first.inner_text().startswith("Backpropagation")
    page.wait_for_selector("text=Inputs set")
    shot(page, "bp_start_en")
    _click(page, "Next", 2)                          # forward: q = x + y, f = q * z
    page.wait_for_selector("text=f = n1 × z = 3 × (−4) = −12")
    _click(page, "Next", 1)                          # backward, through the multiply gate
    page.wait_for_selector("text=Multiply gate — it swaps the inputs.")
    page.wait_for_selector("text=∂f/∂n1 += ∂f/∂f × ∂(n1 × z)/∂n1 = (1) × (−4) = −4")
    _click(page, "Next", 3)                          # ... through the add gate to x and y
    page.wait_for_selector("text=Backward pass: step 4 of 4")
    page.wait_for_selector("text=Add gate — it distributes the gradient.")
    # the graph shows every gradient at the end
    graph = page.locator('[data-testid="stPlotlyChart"]').first
    for label in ("∂f/∂x = −4", "∂f/∂y = −4", "∂f/∂z = 3", "f = −12"):
        assert graph.get_by_text(label, exact=True).count() >= 1, label
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "bp_backward_en")

    # A bad expression explains itself, and the other tabs keep working.
    box = page.get_by_label("Expression f", exact=True).and_(page.locator("input"))
    box.fill("__import__('os')")
    box.press("Enter")
    wait_idle(page)
    page.wait_for_selector("text=is not allowed")
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "bp_error_en")


def test_chinese_neuron_and_conv(page, app_url):
    page.goto(f"{app_url}/backprop?lang=zh&preset=neuron&expr=1%20%2F%20(1%20%2B%20exp(-(w0*x0%20%2B%20w1*x1%20%2B%20w2)))&vals=w0%3D2,x0%3D-1,w1%3D-3,x1%3D-2,w2%3D-3")
    wait_idle(page)
    page.wait_for_selector("text=反向传播：计算图上的链式法则")
    page.get_by_role("slider").first.focus()
    page.keyboard.press("End")
    wait_idle(page)
    page.wait_for_selector("text=反向传播：第 14 步，共 14 步")
    shot(page, "bp_neuron_zh")
    page.get_by_role("tab", name="卷积层与池化层的反向传播").click()
    wait_idle(page)
    page.get_by_text("D = 2 个通道，N = 2 个卷积核", exact=True).click()
    wait_idle(page)
    page.wait_for_selector("text=三种方法结果一致")
    shot(page, "bp_conv_zh")
    page.get_by_role("tab", name="数值梯度与解析梯度").click()
    wait_idle(page)
    page.wait_for_selector("text=一致")
    shot(page, "bp_check_zh")
    page.get_by_role("tab", name="向量与雅可比矩阵").click()
    wait_idle(page)
    page.wait_for_selector("text=16,777,216")
    shot(page, "bp_jacobian_zh")


@pytest.mark.parametrize("page", ["dark"], indirect=True)
def test_dark_theme(page, app_url):
    page.goto(f"{app_url}/backprop?lang=en&preset=reuse&expr=x%20*%20y%20%2B%20x&vals=x%3D3,y%3D-2")
    wait_idle(page)
    # One way to play (issue 16 item 1): the graph's own ▶ Play animates every step in the browser ...
    assert page.get_by_role("button", name="Play").count() == 0                 # no server-side Play
    graph = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
                      .find(g => g.querySelector('.updatemenu-button'))"""
    button = page.locator('[data-testid="stPlotlyChart"] .updatemenu-button').first
    assert button.text_content().strip().startswith("▶ Play")
    page.evaluate(f"""() => {{ window.__played = false;
                              ({graph})().on('plotly_animated', () => window.__played = true); }}""")
    button.click()
    page.wait_for_function("() => window.__played", timeout=60_000)
    page.get_by_text("Press Next to compute the forward pass").wait_for()     # the text still explains step 0
    # ... and End picks the last backward step
    _click(page, "End")
    page.wait_for_selector("text=Backward pass: step 4 of 4")
    shot(page, "bp_dark_en")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(1024, 768), (390, 844)])
def test_screens_projector_and_phone(page, app_url, lang, size):
    """Issue 18: screenshots at 1024x768 and 390x844 in both languages, to be looked at."""
    screen(page, app_url, f"backprop?lang={lang}", size, f"backprop_screen_{size[0]}_{lang}")
