"""Nothing breaks: every available lesson walked with bad input, through Streamlit's AppTest.

- every upload case of the image intake (empty, random bytes, a truncated PNG, a
  PNG header claiming 100 000 x 100 000 pixels, a text file renamed .png, a file
  over the 25 MB cap): the page shows the intake's own message in the page's
  language (en and zh), keeps working with the last good image, and a second
  upload still works;
- every number input at and beyond its limits (min, max, 0, negative, huge, and
  NaN where a number can be typed, i.e. float inputs) and every slider at both
  ends: no traceback, the values stay inside the limits, the page renders again;
- hostile expressions in every text field (code injection, dunder access, a
  power tower, unbalanced brackets, a 5000-character string, control bytes):
  a specific translated message (never the generic fallback), no traceback, and
  the page works again with a good value;
- the training lesson (when it exists): a run stopped halfway and a reload while
  a run is going.

The walk is generic (widgets are found on the rendered page); a few query
parameters reveal widgets that a page only shows after a choice (the pages'
own shareable URL settings) and keep the heavy pages small.
"""

from __future__ import annotations

import io
import math
import re
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from tests.conftest import LANGS, assert_ok, run_page
from ui.i18n import Translator, catalog
from ui.lessons import available_lessons

LESSONS = available_lessons()
CJK = re.compile(r"[\u4e00-\u9fff]")
#: URL settings that reveal hidden text fields or keep a heavy page small (shareable links).
REVEAL = {"gradient-descent": {"surface": "typed"}, "feature-maps": {"custom": "1", "size": "64"}}
SMALL = {"feature-maps": {"size": "64"}}
#: Lessons whose rerun takes 1-2 s (every tab computed): they get the short lists of cases
#: below, so the whole walk stays within its time budget; the shared code paths (image
#: intake, number widgets) are walked in full on the lighter lessons.
HEAVY = {"feature-maps"}


def lesson_params(keep=lambda lesson: True):
    return [pytest.param(lesson, id=lesson.url) for lesson in LESSONS if keep(lesson)]


# --- bad files ----------------------------------------------------------------------
def _png(im):
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def good_png(seed=0):
    rng = np.random.default_rng(seed)
    return _png(Image.fromarray((rng.random((48, 64, 3)) * 255).astype(np.uint8)))


BAD_FILES = {
    "empty": ("empty.png", b""),
    "random_bytes": ("noise.png", bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8))),
    "truncated_png": ("cut.png", good_png(2)[:3000]),
    "huge_dimensions": ("huge.png", b"\x89PNG\r\n\x1a\n"
                        + _chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
                        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b"")),
    "text_renamed_png": ("notes.png", b"These are my lesson notes, not a picture.\n" * 40),
    "over_the_cap": ("big.png", b"\x89PNG\r\n\x1a\n" + bytes(26 * 2**20)),
}


def expected_message(data, lang):
    """What the intake says about ``data``, in ``lang`` (the same code path the page uses)."""
    from cnnlab.vision.images import load_image
    from ui.errors import message

    try:
        load_image(data, gray=True, max_side=64)
    except ValueError as exc:
        code = getattr(exc, "code", None)
        assert code and f"error.{code}" in catalog("en") and f"error.{code}" in catalog("zh"), code
        return message(exc, Translator(lang))
    raise AssertionError("the intake accepted a bad file")


# --- helpers ------------------------------------------------------------------------
def errors_of(at):
    return [e.value for e in at.error]


def check_message(text, lang):
    generic = catalog(lang)["error.generic"].split("{")[0]
    assert not text.startswith(generic), f"generic fallback instead of a specific message: {text}"
    if lang == "zh":
        assert CJK.search(text), f"not translated: {text}"
    else:
        assert not CJK.search(text), f"Chinese in the English page: {text}"


def choose(widget, raw):
    """Select the option whose raw value is ``raw`` if the widget offers it; True if changed."""
    try:
        formatted = widget.format_func(raw)
    except Exception:  # noqa: BLE001 - a format_func for other option types
        return False
    if str(formatted) not in [str(o) for o in widget.options] or widget.value in (raw, [raw]):
        return False
    widget.set_value(raw)
    return True


def reach_uploaders(at):
    """Switch the page's image source to 'upload' (through an 'image' input choice first)."""
    for _ in range(3):
        if at.get("file_uploader"):
            return at.get("file_uploader")
        changed = False
        for w in [*at.radio, *at.button_group, *at.selectbox]:
            for raw in ("image", "upload"):
                if choose(w, raw):
                    changed = True
                    break
            if changed:
                break
        if not changed:
            return []
        at.run()
        assert_ok(at)
    return at.get("file_uploader")


def upload(at, index, name, data):
    at.get("file_uploader")[index].set_value((name, data, "image/png"))
    at.run()


# --- image intake -------------------------------------------------------------------
def cases_for(lesson, lang):
    """Every case in both languages on the lightest image lesson and in English on the others;
    heavy lessons (the same shared intake) get three cases to keep the walk fast."""
    if lang == "en" and lesson.url not in HEAVY or lesson.url == "convolution":
        return BAD_FILES
    return {k: BAD_FILES[k] for k in ("random_bytes", "truncated_png", "huge_dimensions")}


def _has_uploader(lesson):
    return lesson.url in ("convolution", "feature-maps") or "upload" in lesson.key


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("lesson", lesson_params(_has_uploader))
def test_every_bad_upload_gives_a_clear_message_and_the_page_keeps_working(lesson, lang):
    at = run_page(lesson.path, lang, query=SMALL.get(lesson.url))
    uploaders = reach_uploaders(at)
    assert uploaders, "this lesson takes an image but no upload field could be reached"
    upload(at, 0, "first.png", good_png(0))
    assert_ok(at)
    assert not errors_of(at)
    last_good = catalog(lang)["image.using_last"].format(name="first.png")
    for case, (name, data) in cases_for(lesson, lang).items():
        upload(at, 0, name, data)
        assert_ok(at)
        expected = expected_message(data, lang)
        assert expected in errors_of(at), (case, errors_of(at))
        check_message(expected, lang)
        captions = [c.value for c in at.caption]
        assert last_good in captions, f"{case}: the lesson should keep the last good image"
    # A second interaction: a good image works again, with no error left on the page.
    upload(at, 0, "second.png", good_png(3))
    assert_ok(at)
    assert not errors_of(at)
    assert at.title


# --- numbers ------------------------------------------------------------------------
def _extreme(w, kind):
    p = w.proto
    lo = p.min if p.has_min else -1e6
    hi = p.max if p.has_max else 1e6
    is_int = p.data_type == p.INT
    value = {"min": lo, "max": hi, "zero": 0, "negative": -1 if lo >= 0 else lo - 1,
             "huge": 1e12, "nan": math.nan}[kind]
    if kind == "nan" and is_int:
        return None                  # an integer field cannot be typed NaN
    return int(value) if is_int and kind != "nan" else float(value)


@pytest.mark.parametrize("lesson", lesson_params())
def test_numbers_at_and_beyond_their_limits(lesson):
    at = run_page(lesson.path, "en", query=SMALL.get(lesson.url))
    assert_ok(at)
    for w in at.number_input:
        assert w.proto.has_min and w.proto.has_max, f"number input '{w.label}' needs a min and a max"
    initial = {w.key: w.value for w in at.number_input if w.key}
    done = set()
    for kind in ("min", "max", "zero", "negative", "huge", "nan"):
        values = tuple(_extreme(w, kind) for w in at.number_input)
        if all(v is None for v in values) or repr(values) in done:
            continue  # nothing new to try (e.g. zero is every field's minimum)
        done.add(repr(values))
        for w, value in zip(at.number_input, values):
            if value is not None:
                w.set_value(value)
        at.run()
        assert_ok(at)
        for w in at.number_input:  # None: a field the page allows to be empty
            assert w.value is None or w.proto.min <= w.value <= w.proto.max, (kind, w.label, w.value)
    for end in ("min", "max"):
        for s in at.slider:
            lo, hi = s.min, s.max
            target = lo if end == "min" else hi
            s.set_value((target, target) if isinstance(s.value, tuple) else target)
        at.run()
        assert_ok(at)
    # The session keeps working: back to the first values, the page renders in full.
    for w in at.number_input:
        if w.key in initial:
            w.set_value(initial[w.key])
    at.run()
    assert_ok(at)
    assert at.title


# --- hostile text -------------------------------------------------------------------
HOSTILE = {
    "import": "__import__('os').system('echo owned')",
    "dunder": "x.__class__.__mro__[1].__subclasses__()",
    "lambda": "(lambda: 1)()",
    "power_tower": "9**9**9**9",
    "brackets": "(" * 300 + "x",
    "long": "x+" * 2500 + "x",
    "control_bytes": "x\x00+\x1b[2J1",
}
AMBIGUOUS = ["", "nan", "1/0", "1e999", "😀"]
# free-text fields that hold a name, never evaluated (hostile names: tests/test_page_own_classes.py)
NAME_FIELDS = {"own.new_class"}
ZH_HOSTILE = ("import", "power_tower", "brackets")  # Chinese: the messages, not every case again


def _text_fields(at):
    return [*at.text_input, *at.text_area]


def _field(at, key):
    return at.text_input(key) if key in [w.key for w in at.text_input] else at.text_area(key)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("lesson", lesson_params())
def test_hostile_expressions_are_refused_with_a_message(lesson, lang):
    at = run_page(lesson.path, lang, query=REVEAL.get(lesson.url))
    fields = [(w.key, w.value) for w in _text_fields(at) if w.key and w.key not in NAME_FIELDS]
    if not fields:
        pytest.skip("this lesson has no text field")
    short = lang == "zh" or lesson.url in HEAVY
    for key, good in fields:
        shown = set()
        for case, text in HOSTILE.items():
            if short and case not in ZH_HOSTILE:
                continue
            _field(at, key).set_value(text)
            at.run()
            assert_ok(at)
            errs = errors_of(at)
            assert errs, f"{key}: '{case}' was accepted"
            for e in errs:
                check_message(e, lang)
            shown.update(errs)
        for text in [] if short else AMBIGUOUS:
            _field(at, key).set_value(text)
            at.run()
            assert_ok(at)
            for e in errors_of(at):
                check_message(e, lang)
            shown.update(errors_of(at))
        _field(at, key).set_value(good)
        at.run()
        assert_ok(at)
        left = shown & set(errors_of(at))
        assert not left, f"{key}: the page did not recover with a good value: {left}"


# --- training -----------------------------------------------------------------------
def _state(at, key):
    try:
        return at.session_state[key]
    except KeyError:
        return None


def _poll_until(at, done, seconds=30):
    """Rerun (as the page's live fragment does) until ``done()`` or the time is up."""
    deadline = time.time() + seconds
    while not done() and time.time() < deadline:
        time.sleep(0.3)
        at.run()
    return done()


@pytest.mark.parametrize("lesson", lesson_params(lambda lesson: lesson.key == "training"))
def test_training_stopped_halfway_and_reloaded(lesson):
    query = {"epochs": "1"}
    at = run_page(lesson.path, "en", query=query)
    jobs = []
    try:
        at.button(key="train.start").click()
        at.run()
        assert_ok(at)
        job = _state(at, "train.job")
        assert job is not None, "pressing Train started nothing"
        jobs.append(job)
        assert _poll_until(at, lambda: job.step > 0 or not job.active), "training never started"
        # A reload mid-run: a new session with the same link renders, without the other's job.
        reloaded = run_page(lesson.path, "en", query=query)
        assert_ok(reloaded)
        assert _state(reloaded, "train.job") is None
        # Stop halfway: the page says where it stopped and keeps the partly trained model.
        assert job.active, "the run finished before it could be stopped halfway"
        at.button(key="train.stop").click()
        at.run()
        assert _poll_until(at, lambda: not job.active)
        at.run()
        assert_ok(at)
        assert job.state == "stopped" and 0 < job.step < job.steps
        warnings = [w.value for w in at.warning]
        assert catalog("en")["train.stopped"].format(step=job.step) in warnings, warnings
        # The session is not stuck: Train starts a new run.
        at.button(key="train.start").click()
        at.run()
        assert_ok(at)
        again = _state(at, "train.job")
        jobs.append(again)
        assert again is not job and again.active
    finally:
        for j in jobs:
            if j is not None:
                j.stop()
        deadline = time.time() + 20
        while any(j is not None and j.active for j in jobs) and time.time() < deadline:
            time.sleep(0.2)
