"""The core stays NumPy-only: nothing under cnnlab/ imports a UI library."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "cnnlab"
FORBIDDEN = {"streamlit", "plotly", "matplotlib"}


def test_cnnlab_imports_no_ui_library():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert not offenders, offenders


def test_pillow_only_in_images():
    for path in CORE.rglob("*.py"):
        if path.name in ("images.py",):
            continue
        text = path.read_text(encoding="utf-8")
        assert "from PIL" not in text and "import PIL" not in text, path.name
