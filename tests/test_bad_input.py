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


#: Every place where a lesson takes an uploaded image, with the link that opens it (lazy tabs:
#: only the open tab has its uploader). test_every_upload_place_is_walked keeps this complete.
UPLOADS = {
    "convolution": {},                                # Compare tab, source "image"
    "convolution#rgb": {"tab": "rgb"},                # the colour tab's own image
    "pooling": {"source": "image"},
    "receptive-field": {},
    "feature-maps": {"size": "64"},
    "training": {"tab": "try"},                       # "Try it": classify your own digit
}
#: Upload places with a flow of their own (a class to add to, an "Add" button), walked with every bad
#: file of this module in the lesson's own test.
WALKED_ELSEWHERE = {
    "own-classes": "tests/test_page_own_classes.py::test_every_bad_upload_is_refused_and_the_good_ones_kept"}
#: The lessons that keep the last good image when a bad one arrives (the shared intake, ui/image_source).
#: The training lesson's "Try it" classifies each upload once and keeps nothing.
KEEPS_LAST_GOOD = {"convolution", "pooling", "receptive-field", "feature-maps"}
BY_URL = {lesson.url: lesson for lesson in LESSONS}


def upload_params():
    return [pytest.param(BY_URL[place.split("#")[0]], query, id=place) for place, query in UPLOADS.items()
            if place.split("#")[0] in BY_URL]


def test_every_upload_place_is_walked():
    """A lesson folder that takes a file (image_source, file_uploader, camera_input) is in UPLOADS."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    taking = set()
    for lesson in LESSONS:
        for path in (root / lesson.path).parent.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if any(f"{call}(" in text for call in ("image_source", "file_uploader", "camera_input")):
                taking.add(lesson.url)
    walked = {place.split("#")[0] for place in UPLOADS} | set(WALKED_ELSEWHERE)
    assert taking == walked, (sorted(taking - walked), sorted(walked - taking))
    assert len(taking) >= 5


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("lesson,query", upload_params())
def test_every_bad_upload_gives_a_clear_message_and_the_page_keeps_working(lesson, query, lang):
    at = run_page(lesson.path, lang, query=query)
    uploaders = reach_uploaders(at)
    assert uploaders, "this lesson takes an image but no upload field could be reached"
    index = len(uploaders) - 1 if query.get("tab") == "rgb" else 0
    upload(at, index, "first.png", good_png(0))
    assert_ok(at)
    assert not errors_of(at)
    last_good = catalog(lang)["image.using_last"].format(name="first.png")
    for case, (name, data) in cases_for(lesson, lang).items():
        upload(at, index, name, data)
        assert_ok(at)
        expected = expected_message(data, lang)
        # the shared intake names the file (ui/image_source.py): "**bad.png**: <message>"
        assert any(e == expected or e.endswith(f"**: {expected}") or e.endswith(f"**：{expected}")
                   for e in errors_of(at)), (case, errors_of(at))
        check_message(expected, lang)
        if lesson.url in KEEPS_LAST_GOOD:
            captions = [c.value for c in at.caption]
            assert last_good in captions, f"{case}: the lesson should keep the last good image"
    # A second interaction: a good image works again, with no error left on the page.
    upload(at, index, "second.png", good_png(3))
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


# Boxes a lesson checks itself, with no Streamlit min/max (whose range message is English on a Chinese
# page): a value out of the lesson's range must be explained with an error, never used silently.
APP_CHECKED = re.compile(r"(gd\.lr_\w+|gd\.dlr|gd\.[xy]0|bp\.val\.\w+|train\.(lr|epochs|seed|example)|fm\.(row|col))")
# Boxes the lesson clamps itself, visibly (the box shows the limit) and with a translated warning
# (output size, receptive field: issue 16 item 8), with their (lo, hi); and boxes where any whole number is a valid
# answer to grade (the output-size prediction).
def _clamped_ranges():
    from app_pages.output_size import views as size_views

    ranges = {f"size.{f}_{a}": (lo, hi) for f, (lo, hi, _) in size_views.FIELDS.items() for a in size_views.AXES}
    ranges.update({f"size.{name}": (lo, hi) for name, (lo, hi, _) in size_views.PARAM_FIELDS.items()})
    ranges["size.op"] = (0, 7)
    ranges.update({"rf.size": (1, 512), "rf.ur": (0, 511), "rf.uc": (0, 511)})   # a unit: below its layer's size
    return ranges


APP_CLAMPED = _clamped_ranges()
APP_FREE = re.compile(r"size\.guess_[rc]")


@pytest.mark.parametrize("lesson", lesson_params())
def test_numbers_at_and_beyond_their_limits(lesson):
    at = run_page(lesson.path, "en", query=SMALL.get(lesson.url))
    assert_ok(at)
    for w in at.number_input:
        assert (w.proto.has_min and w.proto.has_max) or APP_CHECKED.fullmatch(w.key or "") \
            or w.key in APP_CLAMPED or APP_FREE.fullmatch(w.key or ""), \
            f"number input '{w.label}' needs a min and a max, or the lesson's own check"
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
            if APP_CHECKED.fullmatch(w.key or "") or APP_FREE.fullmatch(w.key or ""):
                continue
            if w.key in APP_CLAMPED:
                lo, hi = APP_CLAMPED[w.key]
                assert lo <= w.value <= hi, (kind, w.label, w.value)
                continue
            assert w.value is None or w.proto.min <= w.value <= w.proto.max, (kind, w.label, w.value)
        if kind == "huge" and any(APP_CHECKED.fullmatch(w.key or "") for w in at.number_input):
            assert at.error, f"{kind}: a value beyond the lesson's own range is explained"
        if kind == "huge" and any(w.key in APP_CLAMPED for w in at.number_input):
            assert at.warning, f"{kind}: a value the lesson clamped is said so"
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
ZH_HOSTILE = ("import", "power_tower", "brackets")  # Chinese: the messages, not every case again


def _text_fields(at):
    return [*at.text_input, *at.text_area]


def _field(at, key):
    return at.text_input(key) if key in [w.key for w in at.text_input] else at.text_area(key)


def _lesson_folders_with_text_fields():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    return {lesson.url for lesson in LESSONS
            if any(call in path.read_text(encoding="utf-8") for path in (root / lesson.path).parent.rglob("*.py")
                   for call in ("text_input(", "text_area("))}


#: The lessons where a student types text; the others have no text field (checked below), so the
#: hostile-text walk runs on these only instead of skipping the rest.
TEXT_LESSONS = {"backprop", "gradient-descent", "feature-maps", "sliding-window"}
#: Lessons whose text fields hold a name (free text, never evaluated): their own tests give them
#: hostile names (tests/test_page_own_classes.py).
NAME_LESSONS = {"own-classes"}
#: Pages whose text fields are a form, not an expression: class mode's join code and display name
#: (normalised / cleaned by services.class_store, tested in tests/test_class_store.py).
FORM_PAGES = {"class"}


def test_text_fields_are_where_the_walk_looks():
    found = _lesson_folders_with_text_fields()
    assert found == (TEXT_LESSONS | NAME_LESSONS | FORM_PAGES) & {lesson.url for lesson in LESSONS}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("lesson", lesson_params(lambda lesson: lesson.url in TEXT_LESSONS))
def test_hostile_expressions_are_refused_with_a_message(lesson, lang):
    at = run_page(lesson.path, lang, query=REVEAL.get(lesson.url))
    # the lesson's own fields; a question's answer field (ui/quiz.py) refuses text on "Check" (tests/test_quiz.py)
    fields = [(w.key, w.value) for w in _text_fields(at) if w.key and not w.key.startswith("quiz.")]
    assert fields, "the link in REVEAL should show this lesson's text field"
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
    query = {"epochs": "1", "tab": "train"}
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


# --- the server log: what a student sees only as the generic message is logged, once -------------
def test_generic_errors_are_logged_once_with_a_traceback_and_lesson_errors_are_not(caplog):
    from cnnlab.checks import LessonError
    from ui import errors
    from ui.i18n import Translator

    t = Translator("en")
    caplog.set_level("INFO", logger="ui.errors")
    try:
        {}["missing"]
    except KeyError as exc:
        bug = exc
    for _ in range(3):                                   # a page shows it again on every rerun
        assert errors.message(bug, t) == t("error.generic") and "missing" not in errors.message(bug, t)
    logged = [r for r in caplog.records if r.name == "ui.errors"]
    assert len(logged) == 1 and logged[0].levelname == "ERROR"
    assert logged[0].exc_info[1] is bug and "KeyError" in logged[0].getMessage()
    caplog.clear()
    mine = LessonError("bad_learning_rate", "The learning rate must be a positive number", value=-1)
    shown = errors.message(mine, t)
    assert shown != t("error.generic", detail=str(mine))   # translated: the student's to fix
    assert not [r for r in caplog.records if r.name == "ui.errors"]


# --- out-of-range numbers where they really arrive ---------------------------------------------
# Streamlit's number inputs clamp what a student types before the app sees it; a link and a cell of
# an editable table do not. Every such number beyond its range is ignored (the link) or explained
# (the table), never used.
OUT_OF_RANGE_LINKS = {
    # lesson url: (query, {widget kind: {key: value shown instead (the default)}})
    "convolution": ({"stride": "99", "pad": "-1", "n": "100000"},
                    {"number_input": {"conv.stride": 1, "conv.pad": 0}, "slider": {"conv.n": 7}}),
    "output-size": ({"k_r": "999", "p_r": "-5", "s_r": "1e9"}, {"number_input": {"size.k_r": 3, "size.p_r": 1,
                                                                                "size.s_r": 2}}),
    "pooling": ({"k": "99", "s": "-1", "p": "1000"}, {"number_input": {"pool.k": 2, "pool.s": 2, "pool.p": 0}}),
    "receptive-field": ({"size": "100000"}, {"number_input": {"rf.size": 16}}),
    "architectures": ({"net": "fcn", "fcn_size": "100000"}, {"number_input": {"arch.fcn_size": 384}}),
    "gradient-descent": ({"steps": "100000", "kappa": "1e9", "mom": "5"},
                         {"slider": {"gd.steps": 100}}),
    "training": ({"epochs": "1000", "lr": "5", "seed": "-1", "tab": "train"},
                 {"number_input": {"train.epochs": None, "train.lr": None, "train.seed": None}}),
    "feature-maps": ({"bias": "50", "size": "100000"}, {"select_slider": {"fm.size": 128}}),
}


@pytest.mark.parametrize("lesson", lesson_params(lambda lesson: lesson.url in OUT_OF_RANGE_LINKS))
def test_out_of_range_numbers_in_a_link_are_ignored(lesson):
    query, expected = OUT_OF_RANGE_LINKS[lesson.url]
    at = run_page(lesson.path, "en", query=query)
    assert_ok(at)
    for kind, values in expected.items():
        for key, default in values.items():
            w = getattr(at, kind)(key=key)
            if default is not None:
                assert w.value == default, (key, w.value)
            lo, hi = (w.min, w.max) if kind in ("number_input", "slider") else (None, None)
            if lo is not None and hi is not None:
                assert lo <= w.value <= hi, (key, w.value)
            assert str(w.value) != query.get(key.split(".", 1)[1]), key


@pytest.mark.parametrize("preset,row,cell,value", [
    ("lenet5", 0, "filters", 100_000), ("lenet5", 0, "filters", -3), ("lenet5", 3, "kernel", 99),
    ("lenet5", 9, "units", 10**9), ("lenet5", 0, "padding", 1000), ("lenet5", 2, "size", 1000),
    ("small", 7, "rate", 5.0), ("small", 7, "rate", -1.0),
])
def test_out_of_range_cells_of_the_layer_table_are_explained(preset, row, cell, value, lang="en"):
    def edit(at):
        at.session_state[f"train.arch.{preset}"] = {"edited_rows": {row: {cell: value}}, "added_rows": [],
                                                    "deleted_rows": []}

    at = run_page("app_pages/training/page.py", lang, query={"preset": preset}, setup=edit)
    assert_ok(at)
    errs = errors_of(at)
    assert len(errs) == 1 and f"Layer {row}" in errs[0] and f"(got {value})" in errs[0], errs
    check_message(errs[0], lang)
    # nothing was built: no parameter count, and Train would build nothing from this table
    assert not [c.value for c in at.caption if "parameters" in c.value]
