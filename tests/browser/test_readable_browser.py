"""Readable from the back of a room (issue 16): the architectures page's captions and chart text reach WCAG AA
(4.5:1) in light and dark themes, and the long VGG / FCN diagrams keep every layer name inside the chart at
1024 px and 390 px."""

import re

import pytest

from tests.browser.conftest import shot, wait_idle

pytestmark = pytest.mark.browser

# Every caption and every text of a chart, with the colour it is drawn in (opacity of the caption applied over
# the page's background) and the background of the page.
TEXTS = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const bg = rgb(getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor);
  const over = (fg, a) => fg.map((v, i) => v * a + bg[i] * (1 - a));
  const out = [];
  document.querySelectorAll('[data-testid="stMain"] [data-testid="stCaptionContainer"]').forEach(e => {
    const p = e.querySelector('p') || e;
    if (p.innerText.trim()) out.push([p.innerText.slice(0, 30),
                                      over(rgb(getComputedStyle(p).color), +getComputedStyle(e).opacity)]);
  });
  document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg text').forEach(e => {
    if (e.textContent.trim() && !e.closest('.hoverlayer'))
      out.push([e.textContent.slice(0, 30), rgb(getComputedStyle(e).fill)]);
  });
  return {bg, out};
}"""


def _luminance(rgb):
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_can_fail():
    assert contrast([128, 132, 149], [255, 255, 255]) < 4.5          # Streamlit's light chart grey
    assert contrast([0, 0, 0], [255, 255, 255]) == pytest.approx(21)


@pytest.mark.parametrize("page", ["light", "dark"], indirect=True)
def test_architecture_captions_and_chart_text_reach_aa(page, app_url, request):
    page.set_default_timeout(90_000)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{app_url}/architectures?lang=en&net=vgg16")
    wait_idle(page)
    page.wait_for_selector('[data-testid="stCaptionContainer"] >> text=Box height grows')
    page.wait_for_selector('.annotation-text >> text=conv1_1')
    found = page.evaluate(TEXTS)
    texts = found["out"]
    assert len(texts) > 20, texts                          # the captions and the diagram's names were read
    low = [(text, colour, round(contrast(colour, found["bg"]), 2)) for text, colour in texts
           if contrast(colour, found["bg"]) < 4.5]
    assert not low, low
    shot(page, f"readable_arch_{request.node.callspec.params['page']}")


@pytest.mark.parametrize("net", ["vgg16", "fcn"])
@pytest.mark.parametrize("width, height", [(1024, 768), (390, 844)])
def test_long_diagrams_keep_every_name_inside_the_chart(page, app_url, net, width, height):
    page.set_default_timeout(90_000)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{app_url}/architectures?lang=zh&net={net}")
    wait_idle(page)
    page.wait_for_selector('.annotation-text >> text=conv1_1')
    boxes = page.evaluate("""() => {
      const chart = document.querySelector('.annotation-text').closest('[data-testid="stPlotlyChart"]');
      const c = chart.getBoundingClientRect();
      const names = [...chart.querySelectorAll('.annotation-text')].map(e => {
        const r = e.getBoundingClientRect();
        return [e.textContent, r.left - c.left, c.right - r.right, r.top - c.top, c.bottom - r.bottom,
                r.height, r.width];
      });
      const legend = [...chart.querySelectorAll('.legend')].map(e => e.getBoundingClientRect());
      return {names, legend: legend.map(r => [r.top - c.top, r.bottom - c.top]), width: c.width};
    }""")
    names = boxes["names"]
    assert len(names) >= 20 and boxes["width"] <= width
    cut = [n for n in names if min(n[1:5]) < -0.5]
    assert not cut, cut                                               # every name whole inside the chart
    flat = [n for n in names if len(n[0]) >= 5 and n[5] <= n[6]]        # upright ("fc6" is about square)
    assert not flat, flat
    names_top = min(n[3] for n in names)
    assert all(bottom <= names_top for _, bottom in boxes["legend"])   # the legend does not cover a name
    assert re.search(r"fc[68]", " ".join(n[0] for n in names))
    shot(page, f"readable_diagram_{net}_{width}")
