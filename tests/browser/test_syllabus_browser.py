"""The three syllabus lessons in a real browser: both languages, a laptop and a phone screen, one click each."""

import pytest

from tests.browser.conftest import shot, wait_idle

pytestmark = pytest.mark.browser

SIZES = {"laptop": {"width": 1024, "height": 768}, "phone": {"width": 390, "height": 844}}
PAGES = {
    "deep": ("deep-gradients", {"en": "Why deep networks are hard to train", "zh": "深层网络为什么难训练"}),
    "linear": ("linear-classifier", {"en": "Linear classifiers, softmax and cross-entropy",
                                     "zh": "线性分类器、softmax 与交叉熵"}),
    "sliding": ("sliding-window", {"en": "From sliding windows to fully convolutional networks",
                                   "zh": "从滑动窗口到全卷积网络"}),
}


@pytest.fixture
def sized(browser, request):
    ctx = browser.new_context(viewport=SIZES[request.param], locale="en-US")
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield request.param, pg
    ctx.close()


def _no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0


def _no_sideways_scroll(page):
    overflow = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]');
                   return m ? m.scrollWidth - m.clientWidth : 0; }""")
    assert overflow <= 2, f"the page scrolls sideways by {overflow} px"


@pytest.mark.parametrize("sized", list(SIZES), indirect=True)
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson", list(PAGES))
def test_page_in_both_languages_and_sizes(sized, lang, lesson, app_url):
    size, page = sized
    path, titles = PAGES[lesson]
    page.goto(f"{app_url}/{path}?lang={lang}")
    wait_idle(page)
    page.wait_for_selector(f"text={titles[lang]}")
    page.wait_for_selector(".js-plotly-plot")
    _no_exception(page)
    _no_sideways_scroll(page)
    shot(page, f"syl_{lesson}_{lang}_{size}")


def _grid_point(page, gx, gy):
    """Page coordinates of the plot point (gx, gy) (a point of the clickable grid) in the linear-classifier scene."""
    return page.evaluate(
        """([gx, gy]) => {
             const gd = [...document.querySelectorAll('.js-plotly-plot')]
                          .find(g => g.data && g.data.some(d => d.name === 'grid'));
             gd.scrollIntoView({block: 'center'});
             const fl = gd._fullLayout, box = gd.getBoundingClientRect();
             return {x: box.left + fl.xaxis._offset + fl.xaxis.l2p(gx),
                     y: box.top + fl.yaxis._offset + fl.yaxis.l2p(gy)};
           }""", [gx, gy])


def test_click_adds_a_point_to_the_linear_classifier(page, app_url):
    page.goto(f"{app_url}/linear-classifier?lang=en&cls=2")
    wait_idle(page)
    page.wait_for_selector("text=0 of them added by you")
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
                                  .some(g => g.data && g.data.some(d => d.name === 'grid'))""")
    pos = _grid_point(page, 3.0, 3.0)
    page.mouse.click(pos["x"], pos["y"])
    wait_idle(page)
    page.wait_for_selector("text=1 of them added by you")
    pos = _grid_point(page, -3.0, -3.0)
    page.mouse.click(pos["x"], pos["y"])
    wait_idle(page)
    page.wait_for_selector("text=2 of them added by you")
    assert "added=" in page.url
    _no_exception(page)
    shot(page, "syl_linear_clicked_en")


def test_far_points_in_the_least_squares_view(page, app_url):
    page.goto(f"{app_url}/linear-classifier?lang=zh&view=lsq&cls=2")
    wait_idle(page)
    page.get_by_role("button", name="添加远处的点").click()
    wait_idle(page)
    page.wait_for_selector("text=12 个是你添加的")
    _no_exception(page)
    shot(page, "syl_linear_far_zh")


def test_deep_training_and_detection_views(page, app_url):
    page.goto(f"{app_url}/deep-gradients?lang=en&view=train&steps=100")
    wait_idle(page, timeout=60_000)
    page.wait_for_selector("text=Training loss, shallow vs deep")
    _no_exception(page)
    shot(page, "syl_deep_train_en")
    page.goto(f"{app_url}/sliding-window?lang=zh&view=detect&rows=2&cols=5")
    wait_idle(page, timeout=60_000)
    page.wait_for_selector("text=经过阈值和非极大值抑制后的检测框")
    _no_exception(page)
    shot(page, "syl_sliding_detect_zh")
    page.goto(f"{app_url}/sliding-window?lang=en&view=segment&cols=8&gap=8")
    wait_idle(page, timeout=60_000)
    page.wait_for_selector("text=The most likely digit at every position")
    _no_exception(page)
    shot(page, "syl_sliding_segment_en")
