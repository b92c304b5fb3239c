"""Nobody in: two sessions side by side never see each other's settings, uploads or models.

Two AppTest sessions run in one process, exactly like two browser tabs on one
server: they share Streamlit's caches (``st.cache_data``, ``st.cache_resource``)
and nothing else. The tests interleave their runs with different settings and
uploads, then check that each still has its own; and they check that every
value kept by ``st.cache_resource`` (shared by all sessions) cannot be changed
by one session under another's feet.
"""

from __future__ import annotations

import ast
import importlib
import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import ROOT, assert_ok, run_page
from ui.lessons import LESSONS, available_lessons

CONV = next(lesson for lesson in LESSONS if lesson.key == "conv")
TRAINING = next(lesson for lesson in LESSONS if lesson.key == "training")


def _png(stripes):
    a = np.zeros((40, 40, 3), dtype=np.uint8)
    if stripes == "vertical":
        a[:, ::8] = 255
    else:
        a[::8, :] = 255
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def _state(at, key, default=None):
    try:
        return at.session_state[key]
    except KeyError:
        return default


def _to_upload(at):
    """Switch the convolution lesson's input to an uploaded image."""
    at.button_group(key="conv.src").set_value("image")
    at.run()
    at.radio(key="conv.img.source").set_value("upload")
    at.run()


@pytest.mark.skipif(not CONV.available, reason="the convolution lesson does not exist yet")
def test_two_sessions_keep_their_own_settings_and_uploads():
    a = run_page(CONV.path, "en", query={"pad": "2"})
    b = run_page(CONV.path, "zh", query={"stride": "3"})
    assert_ok(a)
    assert_ok(b)
    _to_upload(a)
    _to_upload(b)
    a.get("file_uploader")[0].set_value(("alpha.png", _png("vertical"), "image/png"))
    a.run()
    b.get("file_uploader")[0].set_value(("beta.png", _png("horizontal"), "image/png"))
    b.run()
    a.number_input(key="conv.pad").set_value(4)
    a.run()
    b.run()
    assert_ok(a)
    assert_ok(b)
    # Settings: each session has what it chose (and its own language), never the other's.
    assert (_state(a, "conv.pad"), _state(a, "conv.stride"), _state(a, "lang")) == (4, 1, "en")
    assert (_state(b, "conv.pad"), _state(b, "conv.stride"), _state(b, "lang")) == (0, 3, "zh")
    assert a.query_params["pad"] in ("4", ["4"]) and b.query_params["pad"] in ("0", ["0"])
    # Uploads: each session decodes its own file; the other's name never appears.
    img_a, name_a = _state(a, "conv.img.last_good")
    img_b, name_b = _state(b, "conv.img.last_good")
    assert (name_a, name_b) == ("alpha.png", "beta.png")
    assert not np.array_equal(img_a, img_b)
    page_a = " ".join(str(e.value) for e in [*a.markdown, *a.caption] if isinstance(e.value, str))
    page_b = " ".join(str(e.value) for e in [*b.markdown, *b.caption] if isinstance(e.value, str))
    assert "beta.png" not in page_a and "alpha.png" not in page_b


@pytest.mark.skipif(not CONV.available, reason="the convolution lesson does not exist yet")
def test_cached_arrays_are_copies_per_session():
    """Both sessions upload the same bytes (one shared st.cache_data entry). If one session
    scribbles on its array, the other still gets the pristine image."""
    data = _png("vertical")
    a = run_page(CONV.path, "en")
    b = run_page(CONV.path, "en")
    for at in (a, b):
        _to_upload(at)
        at.get("file_uploader")[0].set_value(("same.png", data, "image/png"))
        at.run()
    img_a, _ = _state(a, "conv.img.last_good")
    pristine = _state(b, "conv.img.last_good")[0].copy()
    img_a[...] = 0.5                       # session A damages its own copy
    b.run()
    assert np.array_equal(_state(b, "conv.img.last_good")[0], pristine)
    b.get("file_uploader")[0].set_value(("same.png", data, "image/png"))  # decoded again: from the cache
    b.run()
    assert np.array_equal(_state(b, "conv.img.last_good")[0], pristine)


TRAINED = "session_models.trained"        # services.session_models


@pytest.mark.skipif(not TRAINING.available, reason="the training lesson does not exist yet")
def test_a_training_run_belongs_to_its_own_session():
    a = run_page(TRAINING.path, "en", query={"epochs": "1", "tab": "train"})
    b = run_page(TRAINING.path, "en", query={"tab": "train"})
    a.button(key="train.start").click()
    a.run()
    assert_ok(a)
    job = _state(a, "train.job")
    assert job is not None, "pressing Train made no job"
    try:
        b.run()
        assert_ok(b)
        assert _state(b, "train.job") is None and _state(b, TRAINED) is None
        assert b.button(key="train.stop").disabled, "B's Stop button is live for A's training"
        # A stops after a few steps and keeps its partly trained model; B still has none.
        deadline = time.time() + 30
        while job.step == 0 and job.active and time.time() < deadline:
            time.sleep(0.2)
        a.button(key="train.stop").click()
        a.run()
        while job.active and time.time() < deadline:
            time.sleep(0.2)
        a.run()
        a.run()
        assert_ok(a)
        trained = _state(a, TRAINED)
        assert trained is not None and trained.model is job.model
        b.run()
        assert_ok(b)
        assert _state(b, TRAINED) is None and _state(b, "train.job") is None
    finally:
        job.stop()
        deadline = time.time() + 20
        while job.active and time.time() < deadline:
            time.sleep(0.2)


# --- st.cache_resource: shared by every session, so it must hold nothing mutable ---------
#: Shared on purpose, and why that is safe (checked by the tests above / their own tests).
SHARED_BY_DESIGN = {
    "TrainerPool": "a fixed set of worker threads; each job belongs to one session "
                   "(test_a_training_run_belongs_to_its_own_session)",
    "SQLiteStore": "the class store handle (ui.classroom.store): a path and a clock, no data; every call "
                   "opens its own connection and the data lives in the database (tests/test_class_store.py)",
    "RedisStore": "the class store handle: a connection pool; the data lives in Redis (tests/test_class_store.py)",
    "Figure": "a Plotly figure of the feature-maps inspector (app_pages/feature_maps/sections.figure), built "
              "once per inputs: pages only pass it to st.plotly_chart, which copies it (to_dict) before sending",
    "Model": "the pretrained LeNet-5 (ui.models.pretrained_model): pages only run it, its weights are "
             "read-only arrays (test_the_shared_pretrained_model_is_never_changed)",
}


def _cache_resource_functions():
    """(module, function name, number of parameters) of every @st.cache_resource in the app."""
    found = []
    for path in [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "services").rglob("*.py")),
                 *sorted((ROOT / "app_pages").rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                for dec in node.decorator_list:
                    target = dec.func if isinstance(dec, ast.Call) else dec
                    if isinstance(target, ast.Attribute) and target.attr == "cache_resource":
                        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                        found.append((module, node.name, len(node.args.args)))
    return found


def _immutable(value, seen=None):
    """True if ``value`` cannot be changed in place (recursively)."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return True
    seen.add(id(value))
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, range, Path)):
        return True
    if isinstance(value, np.ndarray):
        return not value.flags.writeable and (value.dtype != object)
    if isinstance(value, (tuple, frozenset)):
        return all(_immutable(v, seen) for v in value)
    return False


def test_cache_resource_holds_nothing_a_session_could_change():
    from streamlit.runtime.caching.cache_resource_api import _resource_caches

    functions = _cache_resource_functions()
    for lesson in available_lessons():  # fill the caches the way the app does
        assert_ok(run_page(lesson.path, "en"))
    for module, name, nargs in functions:  # and the ones no page reached without arguments
        if nargs == 0:
            getattr(importlib.import_module(module), name)()
    seen = []
    for caches in list(_resource_caches._function_caches.values()):
        for cache in list(caches.values()):
            for entry in list(cache._mem_cache.values()):
                value = entry.value
                kind = type(value).__name__
                seen.append((cache.display_name, kind))
                assert _immutable(value) or kind in SHARED_BY_DESIGN, (
                    f"st.cache_resource {cache.display_name} shares a mutable {kind} between sessions")
    cached_names = {display.rsplit(".", 1)[-1] for display, _ in seen}
    for module, name, nargs in functions:
        if nargs == 0:
            assert name in cached_names, f"{module}.{name} was not checked"


def test_the_shared_pretrained_model_is_never_changed():
    """One pretrained LeNet-5 per process serves every session: using it leaves its weights as in the file."""
    from cnnlab.nn.model import load_model
    from ui.models import PRETRAINED, pretrained_model

    for path, tab in [(TRAINING.path, "inside"), (TRAINING.path, "try"), ("app_pages/feature_maps/page.py", "learned")]:
        assert_ok(run_page(path, "en", query={"tab": tab, "size": "64"}))
    shared = pretrained_model()
    fresh = load_model(PRETRAINED.read_bytes())
    for mine, theirs in zip(shared.layers, fresh.layers):
        for name, array in mine.params.items():
            assert not array.flags.writeable
            assert np.array_equal(array, theirs.params[name])
    with pytest.raises(ValueError):
        shared.layers[0].params["w"][...] = 0.0
