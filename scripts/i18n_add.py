"""Merge translation entries into both catalogs safely (a file lock; sorted, atomic writes).

Usage::

    python scripts/i18n_add.py entries.json
    python scripts/i18n_add.py - < entries.json

where ``entries.json`` is ``{"key": {"en": "...", "zh": "..."}, ...}``. Existing
keys are overwritten; ``{"key": null}`` deletes a key from both catalogs.
Several people (or agents) can run it at once without losing each other's keys.
"""

import fcntl
import json
import os
import sys
import tempfile
from pathlib import Path

DIR = Path(__file__).resolve().parent.parent / "assets" / "i18n"
LANGS = ("en", "zh")


def _write(path, data):
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(dict(sorted(data.items())), f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def merge(entries):
    with open(DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cats = {}
        for lang in LANGS:
            p = DIR / f"{lang}.json"
            cats[lang] = json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
        for key, texts in entries.items():
            for lang in LANGS:
                if texts is None:
                    cats[lang].pop(key, None)
                    continue
                if lang not in texts or not str(texts[lang]).strip():
                    raise SystemExit(f"{key}: missing '{lang}' text")
                cats[lang][key] = texts[lang]
        for lang in LANGS:
            _write(DIR / f"{lang}.json", cats[lang])


if __name__ == "__main__":
    src = sys.stdin if sys.argv[1:] == ["-"] else open(sys.argv[1], encoding="utf-8")
    merge(json.load(src))
    print(f"merged into {', '.join(LANGS)} catalogs")
