"""Issue 16 item 15: after a language switch in the sidebar, an open dropdown and the option buttons speak the new
language at once (no "Laplacian", "Checkerboard" until a reload), in a real browser: convolution's selectboxes,
pooling's mode and source, output size's mode."""

import pytest

from cnnlab.vision import kernels
from tests.browser.conftest import shot, wait_idle
from ui.i18n import catalog

pytestmark = pytest.mark.browser
EN, ZH = catalog("en"), catalog("zh")


def _switch_to_chinese(page):
    page.locator('[data-testid="stSidebar"]').get_by_text("中文", exact=True).click()
    wait_idle(page)
    page.wait_for_function("() => location.search.includes('lang=zh')")
    wait_idle(page)


def _shown(page, key):
    """The value a selectbox shows (Streamlit's combobox writes it into its text field)."""
    return page.locator(f'.st-key-{key.replace(".", "-")} input[role="combobox"]').input_value().strip()


def _open_options(page, key):
    """Open a selectbox and return the texts of its options (the open list is a popover outside the widget)."""
    page.locator(f'.st-key-{key.replace(".", "-")} button[aria-haspopup="listbox"]').click()
    listbox = page.locator('[role="listbox"]')
    listbox.wait_for()
    page.wait_for_timeout(300)
    return [o.strip() for o in listbox.locator('[role="option"]').all_inner_texts()]


def _close(page):
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)


def test_open_selectboxes_follow_the_language_switch(page, app_url):
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}/convolution?lang=en")
    wait_idle(page)
    names = _open_options(page, "conv.kernel")
    assert EN["conv.kernel_laplacian"] in names
    page.locator('[role="option"]', has_text=EN["conv.kernel_laplacian"]).first.click()
    wait_idle(page)
    _open_options(page, "conv.grid")
    page.locator('[role="option"]', has_text=EN["conv.grid_checkerboard"]).first.click()
    wait_idle(page)
    _open_options(page, "conv.kernel")                    # left open while the teacher switches the language
    _switch_to_chinese(page)
    _close(page)
    assert _shown(page, "conv.kernel") == ZH["conv.kernel_laplacian"]
    assert _shown(page, "conv.grid") == ZH["conv.grid_checkerboard"]
    shown = _open_options(page, "conv.kernel")
    assert shown == [ZH[f"conv.kernel_{k}"] for k in kernels.KERNEL_NAMES], shown     # every option in Chinese
    _close(page)
    shown = _open_options(page, "conv.grid")
    assert shown == [ZH[f"conv.grid_{g}"] for g in kernels.GRID_NAMES], shown
    _close(page)
    shot(page, "language_switch_conv_zh")


def _buttons(page, key):
    return [b.strip() for b in page.locator(f'.st-key-{key.replace(".", "-")} button').all_inner_texts()]


def _radio_labels(page, key):
    return [b.strip() for b in page.locator(f'.st-key-{key.replace(".", "-")} label').all_inner_texts() if b.strip()]


@pytest.mark.parametrize("path, seg, modes, radio, sources", [
    ("pooling", "pool.mode", ("max", "avg", "min"), "pool.source", ("grid", "image")),
    ("output-size", "size.mode", ("conv", "pool", "transposed"), None, ()),
])
def test_option_buttons_and_radios_follow_the_language_switch(page, app_url, path, seg, modes, radio, sources):
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}/{path}?lang=en")
    wait_idle(page)
    prefix = seg + "_"
    page.locator(f'.st-key-{seg.replace(".", "-")} button').first.wait_for()
    assert [EN[prefix + m] for m in modes] == _buttons(page, seg)
    last = EN[prefix + modes[-1]]
    page.locator(f'.st-key-{seg.replace(".", "-")} button', has_text=last).click()
    wait_idle(page)
    _switch_to_chinese(page)
    assert _buttons(page, seg) == [ZH[prefix + m] for m in modes]
    chosen = page.locator(f'.st-key-{seg.replace(".", "-")} button[aria-checked="true"]')
    assert chosen.inner_text().strip() == ZH[prefix + modes[-1]]           # the choice is kept, in Chinese
    if radio:
        labels = _radio_labels(page, radio)
        assert [ZH[f"{radio}_{s}"] for s in sources] == labels[-len(sources):], labels
        assert not {EN[f"{radio}_{s}"] for s in sources} & set(labels)
    shot(page, f"language_switch_{path}_zh")
