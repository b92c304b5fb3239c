"""Small page-side fixes of issues 16 and 18, through AppTest: full-width kernels, Chinese lists, plain ratios."""

from tests.conftest import assert_ok, run_page
from ui.i18n import catalog

FEATURES, SIZE, POOL = ("app_pages/feature_maps/page.py", "app_pages/output_size/page.py",
                        "app_pages/pooling/page.py")


def _all_text(at):
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning, *at.success, *at.error])


def test_a_kernel_typed_on_a_chinese_keyboard_is_read():
    at = run_page(FEATURES, "zh", query={"size": "64", "custom": "1"})
    at.text_area(key="fm.kernel").set_value("５ ０；０ ５").run()        # full-width digits and semicolon
    assert_ok(at)
    assert not at.error
    assert "9 × 43 × 64" in " ".join(m.value for m in at.markdown)


def test_transposed_picture_counts_the_inserted_zeros():
    at = run_page(SIZE, "zh", query={"predict": "0", "mode": "transposed"})
    assert_ok(at)
    assert "插入 s − 1 = 1 个零（步幅为 2）" in _all_text(at)
    assert "2 − 1 个零" not in _all_text(at)


def test_suggested_fixes_are_joined_the_chinese_way():
    at = run_page(SIZE, "zh", query={"predict": "0", "i_r": "2", "p_r": "0", "k_r": "5"})
    assert_ok(at)
    hints = [i.value for i in at.info if "；" in i.value]
    assert hints and " · " not in hints[0]


def test_pooling_reduction_ratio_is_a_plain_number():
    at = run_page(POOL, "zh")
    assert_ok(at)
    text = _all_text(at)
    assert "减少到 1/4）" in text and "1/4.0" not in text
    en = run_page(POOL, "en")
    assert "4 times fewer values" in _all_text(en)
    assert catalog("zh")["size.list_sep"] == "；"
