"""The architectures lesson and the home page through AppTest: a widget changes a shown value, every
name is in the page's language, a typed size out of range is clamped and said so."""

import re

import pytest

from tests.conftest import assert_ok, run_page
from ui.i18n import catalog

ARCH = "app_pages/architectures/page.py"
HOME = "app_pages/home/page.py"
LATIN_WORDS = re.compile(r"\b(reduce|proj|concat|block|flattened|BN|batch|through|straight|softmax over)\b")


def _table(at):
    """The layer table's cells as text."""
    frame = at.table[0].value
    return [[str(v) for v in row] for row in frame.itertuples(index=False)]


def _metrics(at):
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("net", ["inception3a", "resnet_block", "fcn", "deepid"])
def test_layer_names_and_types_are_translated(net):
    en, zh = catalog("en"), catalog("zh")
    at = run_page(ARCH, "zh", query={"net": net})
    assert_ok(at)
    cells = _table(at)
    names = [row[0] for row in cells]
    types = [row[1] for row in cells]
    assert not [n for n in names + types if LATIN_WORDS.search(n)], (names, types)
    if net == "inception3a":
        assert zh["arch.layer.reduce_3x3"] in names and zh["arch.layer.concat"] in names
        at_en = run_page(ARCH, "en", query={"net": net})
        assert en["arch.layer.reduce_3x3"] in [row[0] for row in _table(at_en)]   # whole, not "3×3 reduc"
    if net == "resnet_block":
        assert any(zh["arch.with_bn"] in t for t in types)
    # the source of the published figure is in Chinese too
    assert zh[f"arch.source_{net}"] in " ".join(s.value for s in list(at.success) + list(at.info))


def test_numbers_have_thousands_separators():
    at = run_page(ARCH, "en", query={"net": "vgg16"})
    rows = {row[0]: row for row in _table(at)}
    assert "73,856" in rows["conv2_1"]              # 3·3·64·128 + 128
    assert "102,764,544" in rows["fc6"]
    assert _metrics(at)["Parameters"] == "138,357,544"


def test_typed_fcn_size_out_of_range_is_clamped_visibly(lang):
    cat = catalog(lang)
    at = run_page(ARCH, lang, query={"net": "fcn"})
    at.number_input(key="arch.fcn_size").set_value(100000).run()
    assert_ok(at)
    assert at.number_input(key="arch.fcn_size").value == 1024          # the box shows the size in use
    assert cat["arch.fcn_clamped"].format(typed="100,000", used=1024, lo=224, hi=1024) in [i.value for i in at.info]
    out = {row[0]: row for row in _table(at)}[cat["arch.layer.fc8_conv"]]
    assert "1000×26×26" in out                   # 1024 -> 32 after the pools -> 26 after the 7x7
    at.number_input(key="arch.fcn_size").set_value(96).run()
    assert at.number_input(key="arch.fcn_size").value == 224
    assert "1000×1×1" in {row[0]: row for row in _table(at)}[cat["arch.layer.fc8_conv"]]
    at.number_input(key="arch.fcn_size").set_value(512).run()
    assert not at.info and at.number_input(key="arch.fcn_size").value == 512


def test_deepid_representation_live(lang):
    cat = catalog(lang)
    at = run_page(ARCH, lang, query={"net": "deepid", "digit": "3", "k": "5"})
    assert_ok(at)
    assert not at.error
    names = [row[0] for row in _table(at)]
    assert cat["arch.layer.deepid"] in names and "conv4" in names
    m = _metrics(at)
    hidden = m[cat["arch.rep.agree_hidden"].format(d=84)]
    pixels = m[cat["arch.rep.agree_pixels"].format(d=784)]
    assert float(hidden.split()[0]) > 95 > float(pixels.split()[0])
    same = cat["arch.rep.same_metric"].format(k=5)
    assert m[same].endswith("/ 5")
    before = [md.value for md in at.markdown if md.value.startswith("**")]
    at.slider(key="arch.digit").set_value(7).run()
    assert_ok(at)
    after = [md.value for md in at.markdown if md.value.startswith("**")]
    assert before != after
    at.radio(key="arch.space").set_value("pixels").run()
    assert_ok(at)
    import json
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert cat["arch.rep.map_title_pixels"].format(n=1001) in titles


def test_a_bad_digit_in_a_link_is_named():
    at = run_page(ARCH, "en", query={"net": "deepid", "digit": "5000", "space": "colour"})
    assert_ok(at)
    assert at.slider(key="arch.digit").value == 0
    assert any("`digit`" in w.value and "`space`" in w.value for w in at.warning)


def test_home_weights_are_live_and_start_at_the_syllabus_numbers(lang):
    cat = catalog(lang)
    at = run_page(HOME, lang)
    assert_ok(at)
    m = _metrics(at)
    # SYLLABUS: 1000 x 1000 image, 10^6 hidden units, 10 x 10 windows -> 10^12, 10^8, 100
    assert (m[cat["home.why.full"]], m[cat["home.why.local"]], m[cat["home.why.shared"]]) == ("10¹²", "10⁸", "100")
    at.slider(key="home.window").set_value(5).run()
    m = _metrics(at)
    assert (m[cat["home.why.local"]], m[cat["home.why.shared"]]) == ("2.5 × 10⁷", "25")
    at.select_slider(key="home.side").set_value(28).run()
    at.slider(key="home.window").set_value(30).run()
    assert_ok(at)
    assert at.error                                  # a 30 x 30 window does not fit 28 x 28: said, not raised


def test_home_asks_link_to_their_lessons_and_cards_are_not_grey(lang):
    cat = catalog(lang)
    at = run_page(HOME, lang)
    text = " ".join(md.value for md in at.markdown)
    for key in ("local", "anywhere", "size"):
        assert cat[f"home.ask.{key}.text"] in text
    links = {p.proto.label: p.proto.page for p in at.get("page_link")}
    assert [links[cat[f"home.ask.{key}.link"]] for key in ("local", "anywhere", "size")] == [
        "receptive-field", "convolution", "sliding-window"]
    # lesson summaries are body text (full contrast), not grey captions
    captions = " ".join(c.value for c in at.caption)
    assert cat["lesson.pooling.summary"] not in captions and cat["lesson.pooling.summary"] in text


def test_counts_read_as_a_student_writes_them():
    from ui.fmt import big, grouped

    assert grouped(73856) == "73,856"
    assert big(3_168_400) == "3,168,400"             # SYLLABUS: 400 maps of 89 x 89, exact
    assert (big(10**12), big(10**8), big(100)) == ("10¹²", "10⁸", "100")
    assert big(25_000_000) == "2.5 × 10⁷" and big(123_456_789) == "1.23 × 10⁸"
