"""Both catalogs hold the same keys, and every key the code asks for exists."""

import json
import re
from pathlib import Path

from ui.i18n import CATALOG_DIR, LANGUAGES, catalog

ROOT = Path(__file__).resolve().parent.parent
# t("some.key") or t('some.key', ...) with a literal key
KEY_CALL = re.compile(r"""\bt\(\s*["']([a-z0-9_]+(?:\.[a-zA-Z0-9_\-]+)+)["']\s*[,)]""")


def load(lang):
    return json.loads((CATALOG_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def test_same_keys_in_every_language():
    cats = {lang: load(lang) for lang in LANGUAGES}
    en = set(cats["en"])
    for lang, cat in cats.items():
        assert set(cat) == en, f"{lang}: missing {sorted(en - set(cat))[:10]}, extra {sorted(set(cat) - en)[:10]}"


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
#: Words a Chinese text may keep in Latin letters: names of people, methods and networks, function names.
LATIN_NAMES = {"ReLU", "Adam", "AdaGrad", "RMSProp", "Gabor", "Prewitt", "AlexNet", "sigmoid", "tanh"}


def _untranslated(text):
    """True if a Chinese entry has no Chinese and is more than names, symbols and one-letter variables."""
    if CJK.search(text):
        return False
    bare = re.sub(r"%\{[^}]*\}|\{\w+\}", "", text)             # placeholders (Plotly's %{customdata[0]} too)
    words = [w for w in re.findall(r"[A-Za-z]+", bare) if len(w) > 1]
    return any(w not in LATIN_NAMES for w in words)


def test_no_empty_or_untranslated_text():
    en, zh = load("en"), load("zh")
    for key, text in zh.items():
        assert text.strip(), key
        assert en[key].strip(), key
    left_in_english = [key for key, text in zh.items() if _untranslated(text)]
    assert not left_in_english, left_in_english


def test_the_untranslated_check_can_fail():
    assert _untranslated("Output size")
    assert _untranslated("{n} cells")
    assert not _untranslated("输出尺寸 {n}")
    assert not _untranslated("(%{customdata[0]}, %{customdata[1]})") and _untranslated("row %{y}")
    assert not _untranslated("∂L/∂x") and not _untranslated("Gabor 45°") and not _untranslated("k/s/p/d")


def test_placeholders_match():
    en, zh = load("en"), load("zh")
    field = re.compile(r"\{(\w+)")
    for key in en:
        assert set(field.findall(en[key])) == set(field.findall(zh[key])), key


def test_every_literal_key_in_code_exists():
    en = load("en")
    missing = []
    for path in [ROOT / "app.py", *ROOT.glob("app_pages/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("services/*.py")]:
        for key in KEY_CALL.findall(path.read_text(encoding="utf-8")):
            if key not in en:
                missing.append(f"{path.name}: {key}")
    assert not missing, missing


def test_chinese_uses_standard_terms():
    zh = " ".join(load("zh").values())
    for term in ("卷积核", "特征图", "互相关", "填充", "步幅", "池化", "感受野", "权值共享", "局部连接"):
        assert term in zh, term


PLURAL_CALL = re.compile(r"""\bt\.plural\(\s*["']([a-z0-9_]+(?:\.[a-zA-Z0-9_\-]+)+)["']\s*,""")


def test_counted_texts_have_both_forms_and_no_text_writes_s_in_brackets():
    from ui.i18n import Translator, plural_form

    en = load("en")
    asked = set()
    for path in [ROOT / "app.py", *ROOT.glob("app_pages/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("services/*.py")]:
        asked |= set(PLURAL_CALL.findall(path.read_text(encoding="utf-8")))
    assert {"own.added", "own.add_uploads", "size.visits"} <= asked
    missing = [f"{k}.{form}" for k in asked for form in ("one", "other") if f"{k}.{form}" not in en]
    assert not missing, missing
    assert not [k for k, text in en.items() if "(s)" in text or "(es)" in text]    # "window(s)", "file(s)"
    assert plural_form("en", 1) == "one" and plural_form("en", 0) == plural_form("en", 2) == "other"
    assert plural_form("en", 1.0) == "other" and plural_form("zh", 1) == "other"
    import numpy as np

    assert plural_form("en", np.int64(1)) == "one"
    t = Translator("en")
    assert t.plural("own.added", 1, name="cats") == "Added 1 image to cats."
    assert t.plural("own.added", 3, name="cats") == "Added 3 images to cats."
    assert Translator("zh").plural("own.add_uploads", 1) == "添加 1 个文件"


def test_bold_markers_close_where_commonmark_lets_them():
    """A closing ``**`` right after punctuation must be followed by a space or punctuation (CommonMark's
    right-flanking rule), else Markdown prints the stars: Chinese "**第 1 步：**输出" showed them."""
    import unicodedata

    def punct(ch):
        return unicodedata.category(ch)[0] in "PS"

    bad = []
    for lang in ("en", "zh"):
        for key, text in catalog(lang).items():
            if not isinstance(text, str) or "**" not in text:
                continue
            marks = [i for i in range(len(text) - 1) if text.startswith("**", i) and text[i - 1:i] != "*"
                     and text[i + 2:i + 3] != "*"]
            for n, i in enumerate(marks):
                before, after = text[i - 1:i] or " ", text[i + 2:i + 3] or " "
                if n % 2 == 1 and punct(before) and not (after.isspace() or punct(after)):
                    bad.append((lang, key, text[max(0, i - 8):i + 6]))
                if n % 2 == 0 and punct(after) and not (before.isspace() or punct(before)):
                    bad.append((lang, key, text[max(0, i - 6):i + 8]))
    assert not bad, bad
