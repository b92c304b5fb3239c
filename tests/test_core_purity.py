"""The core stays NumPy-only: nothing under cnnlab/ imports a UI library."""

import ast
import sys
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


def _imports(path):
    """Top-level names of absolute imports, and cnnlab modules of relative imports (anywhere in the file)."""
    parts = path.relative_to(CORE.parent).with_suffix("").parts
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    outside, inside = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            outside |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            outside.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1]
            target = base + tuple(node.module.split(".")) if node.module else base
            inside.add(".".join(target))
    return outside, inside


def test_core_depends_only_on_numpy_pillow_and_threadpoolctl():
    allowed = {"numpy"}
    extra = {"images.py": {"PIL"}, "train.py": {"threadpoolctl"}}
    for path in CORE.rglob("*.py"):
        outside, _ = _imports(path)
        third = {n for n in outside if n not in sys.stdlib_module_names and n != "cnnlab"}
        assert third <= allowed | extra.get(path.name, set()), (path.name, third)


def test_no_import_cycle_inside_the_core():
    graph = {}
    for path in CORE.rglob("*.py"):
        name = ".".join(path.relative_to(CORE.parent).with_suffix("").parts).removesuffix(".__init__")
        graph[name] = {m for m in _imports(path)[1]}
    graph = {k: {m for m in v if m in graph and m != k} for k, v in graph.items()}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in graph[node]:
            assert state.get(nxt) != "open", " -> ".join(trail + [node, nxt])
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [])
