"""Home and the architectures lesson in a real browser: cards of equal, compact height with readable
text (WCAG AA) in both themes, layer names shown whole, the DeepID representation drawn."""

import re

import pytest

from tests.browser.conftest import shot, wait_idle

pytestmark = pytest.mark.browser


def _rgb(css):
    return [float(v) for v in re.findall(r"[\d.]+", css)[:3]]


def _luminance(rgb):
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b):
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("page", ["light", "dark"], indirect=True)
def test_home_cards_equal_compact_and_readable(page, app_url, request):
    page.set_default_timeout(90_000)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{app_url}/?lang=en")
    wait_idle(page)
    page.wait_for_selector("text=What images ask of a model")
    rows = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stHorizontalBlock"]')]
        .map(row => [...row.querySelectorAll(':scope > [data-testid="stColumn"]')]
             .map(col => col.querySelector('[data-testid="stLayoutWrapper"]'))
             .filter(card => card).map(card => card.getBoundingClientRect().height))
        .filter(hs => hs.length > 1)""")
    assert rows, "no rows of cards found"
    for heights in rows:
        assert max(heights) - min(heights) < 3, heights          # one row, one height
        assert max(heights) < 520, heights                       # compact: no tall empty box
    # the Pooling card is as tall as its neighbours (it used to stretch down its column)
    pooling = page.locator("p", has_text="Max, average and min pooling").first
    colour = pooling.evaluate("e => getComputedStyle(e).color")
    background = page.evaluate("""() => getComputedStyle(document.querySelector('[data-testid="stApp"]'))
        .backgroundColor""")
    assert _contrast(_rgb(colour), _rgb(background)) >= 4.5, (colour, background)
    shot(page, f"arch_home_cards_{request.node.callspec.params['page']}")


def test_names_whole_and_deepid_live(page, app_url):
    page.set_default_timeout(90_000)          # the first visit computes every digit's representation
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{app_url}/architectures?lang=zh&net=inception3a")
    wait_idle(page)
    page.wait_for_selector("text=3×3 前的降维（1×1 卷积）")
    cut = page.evaluate("""() => [...document.querySelectorAll(
            '[data-testid="stTable"] td, [data-testid="stTable"] th')]
        .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText)""")
    assert not cut, cut
    assert page.locator("text=73,856").count() == 0          # (Inception has no 73,856; VGG below)
    page.goto(f"{app_url}/architectures?lang=en&net=vgg16")
    wait_idle(page)
    page.wait_for_selector('[data-testid="stTable"] >> text=73,856')
    page.goto(f"{app_url}/architectures?lang=en&net=deepid&digit=5")
    wait_idle(page, timeout=90_000)
    page.wait_for_selector("text=The representation, live on digits")
    page.wait_for_selector("text=Test digit 5 (a")
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .filter(c => c.querySelector('.main-svg')).length >= 2""", timeout=60_000)
    # the chosen digit and its 8 nearest digits
    page.wait_for_function("""() => document.querySelectorAll('[data-testid="stMain"] img').length >= 9""")
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "arch_deepid_en")
