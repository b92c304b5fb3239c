"""Both catalogs hold the same keys, and every key the code asks for exists."""

import json
import re
from pathlib import Path

from ui.i18n import CATALOG_DIR, LANGUAGES

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


def test_no_empty_or_untranslated_text():
    en, zh = load("en"), load("zh")
    for key, text in zh.items():
        assert text.strip(), key
        assert en[key].strip(), key


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
