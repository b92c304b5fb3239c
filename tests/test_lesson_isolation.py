"""A lesson is one folder: no module of app_pages/<lesson>/ imports another lesson's package.

What two lessons share lives in the kit (ui/) or in a service (services/); the kit and the
services never import a lesson. The catalog keys a lesson uses in code carry its own prefix or a
kit prefix, never another lesson's (the pooling lesson once borrowed the output-size texts).
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "app_pages"
LESSONS = sorted(p.name for p in PAGES.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def _imports(path, package=None):
    """Every module name ``path`` imports (absolute, and relative ones resolved to app_pages.<x>)."""
    names = []
    if package is None:
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.append(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                names.append(node.module)
                names += [f"{node.module}.{a.name}" for a in node.names]   # from app_pages import x
    return names


def _lesson_of(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "app_pages" else None


def test_there_are_lessons_to_check():
    assert {"convolution", "pooling", "training", "feature_maps"} <= set(LESSONS)


def test_no_lesson_imports_another_lesson():
    offenders = []
    for lesson in LESSONS:
        for path in (PAGES / lesson).rglob("*.py"):
            for name in _imports(path):
                other = _lesson_of(name)
                if other is not None and other != lesson:
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders


def test_kit_and_services_import_no_lesson():
    offenders = []
    for folder in ("ui", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            offenders += [f"{path.relative_to(ROOT)} imports {n}" for n in _imports(path) if _lesson_of(n)]
    offenders += [f"app.py imports {n}" for n in _imports(ROOT / "app.py") if _lesson_of(n)]
    assert not offenders, offenders


def test_the_checker_sees_a_cross_import(tmp_path):
    """The test above can fail: a module that imports another lesson is reported."""
    fake = tmp_path / "probe.py"
    fake.write_text("from app_pages.output_size import views\nfrom ..training import panel\n"
                    "from app_pages import backprop\n", encoding="utf-8")
    found = [_lesson_of(n) for n in _imports(fake, package="app_pages.pooling")]
    assert "backprop" in found
    assert "output_size" in found and "training" in found


# catalog prefixes: the lesson's own, and the kit's (shared widgets, errors, terms, classes)
OWN = {"convolution": "conv", "output_size": "size", "pooling": "pool", "receptive_field": "rf",
       "architectures": "arch", "backprop": "bp", "gradient_descent": "gd", "training": "train",
       "feature_maps": "fm", "home": "home"}
KIT = {"error", "image", "player", "class", "term", "lesson", "section", "app", "lang"}
KEY = re.compile(r"""\bt\(\s*f?["']([a-z_]+)\.""")


def test_a_lesson_uses_only_its_own_and_the_kits_texts():
    offenders = []
    for lesson, prefix in OWN.items():
        for path in (PAGES / lesson).rglob("*.py"):
            for used in KEY.findall(path.read_text(encoding="utf-8")):
                if used not in (prefix, *KIT):
                    offenders.append(f"{path.relative_to(ROOT)}: {used}.*")
    assert not offenders, sorted(set(offenders))
