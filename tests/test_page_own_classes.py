"""The "Your own classes" lesson through AppTest, in both languages: classes, the starter set,
training through the pool, results, Resume, a hostile zip, the shortcut experiment; and a test that
no image file is written anywhere during a whole session."""

import io
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import ROOT, assert_ok, open_tab, run_page

PAGE = "app_pages/own_classes/page.py"


def texts(at):
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [i.value for i in at.info] + [s.value for s in at.success] + [w.value for w in at.warning]
    return " ".join(str(p) for p in parts)


def png(color, size=40):
    buf = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buf, format="PNG")
    return buf.getvalue()


def button(at, key):
    return next(b for b in at.button if b.key == key)


def wait(at, job_key, timeout=120):
    job = at.session_state[job_key]
    deadline = time.time() + timeout
    while job.active and time.time() < deadline:
        time.sleep(0.05)
    assert not job.active, "training did not finish"
    at.run()
    return job


def test_renders_with_privacy_note(lang):
    at = run_page(PAGE, lang)
    assert_ok(at)
    assert not at.error
    assert len(at.tabs) == 6
    assert ("never written to disk" in texts(at)) if lang == "en" else ("不会写入磁盘" in texts(at))


def test_classes_are_added_counted_and_refused_twice(lang):
    at = run_page(PAGE, lang)
    open_tab(at, "own", "train", lang)
    at.number_input(key="own.epochs").set_value(7).run()
    open_tab(at, "own", "collect", lang)
    for name in ("圆形", "square"):
        at.text_input(key="own.new_class").set_value(name)
        button(at, "own.add_class_btn").click().run()
    data = at.session_state["own.data"]
    assert data.names() == ["圆形", "square"]
    at.text_input(key="own.new_class").set_value("square")
    button(at, "own.add_class_btn").click().run()
    assert_ok(at)
    assert at.error and data.names() == ["圆形", "square"]
    open_tab(at, "own", "train", lang)
    assert at.number_input(key="own.epochs").value == 7          # settings in other tabs survive
    assert at.query_params["epochs"] in ("7", ["7"])             # and in the link
    open_tab(at, "own", "collect", lang)
    data.add_bytes(0, png("red"), "upload")
    data.add_bytes(0, png("red"), "upload")
    at.run()
    assert "2 / 60" in texts(at)
    warned = " ".join(w.value for w in at.warning)
    assert ("fewer than 8" in warned and "at least 2 classes" in warned) if lang == "en" else "少于 8" in warned


def test_hostile_class_names_are_kept_as_text_or_refused():
    at = run_page(PAGE, "en")
    for name in ("__import__('os').system('echo owned')", "**bold** [link](http://x) <b>x</b>"):
        at.text_input(key="own.new_class").set_value(name)
        button(at, "own.add_class_btn").click().run()
        assert_ok(at)
    data = at.session_state["own.data"]
    assert data.names() == ["__import__('os').system('echo owned')", "**bold** [link](http://x) <b>x</b>"]
    shown = [m.value for m in at.markdown if "0 / 60" in m.value]
    assert shown[1].startswith("**\\*\\*bold\\*\\* \\[link\\]")      # escaped: shown as typed
    at.text_input(key="own.new_class").set_value("x\x00\x1b[2J")
    button(at, "own.add_class_btn").click().run()
    assert_ok(at)
    assert at.error and len(data.names()) == 2


def test_starter_set_train_results_resume(lang):
    at = run_page(PAGE, lang)
    button(at, "own.load_starter").click().run()
    data = at.session_state["own.data"]
    assert data.names() == ["circle", "triangle", "star"] and data.counts() == [60, 60, 60]
    open_tab(at, "own", "train", lang)
    at.number_input(key="own.epochs").set_value(3).run()
    button(at, "own.train_btn").click().run()
    assert_ok(at)
    job = wait(at, "own.job")
    assert job.state == "done" and job.step == 144 // 16 * 3
    trained = at.session_state["own.model"]
    assert trained.classes == ("circle", "triangle", "star") and trained.gray
    assert_ok(at)
    assert not at.metric                                     # only the open tab is built
    open_tab(at, "own", "inside", lang)
    assert at.metric, "validation accuracy shown"
    assert any(p.proto.spec and "heatmap" in p.proto.spec for p in at.get("plotly_chart"))
    # Resume: the same model goes on, the curves continue
    first_model = trained.model
    open_tab(at, "own", "train", lang)
    button(at, "own.resume_btn").click().run()
    job2 = wait(at, "own.job")
    assert job2 is not job and job2.model is first_model and job2.base_step == job.step
    assert job2.batches[0][0] == 1 and job2.batches[-1][0] == job.step * 2
    assert_ok(at)


def test_a_hostile_zip_is_refused_and_nothing_is_lost(lang):
    at = run_page(PAGE, lang)
    button(at, "own.load_starter").click().run()
    before = at.session_state["own.data"].counts()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../../etc/evil.png", png("red"))
        z.writestr("labels.csv", "file,label\n../../etc/evil.png,x\n")
    data = at.session_state["own.data"]
    with pytest.raises(ValueError) as e:
        data.load_zip(buf.getvalue())
    assert e.value.code == "zip_bad_path"
    assert data.counts() == before
    at.run()
    assert_ok(at)


def test_zip_round_trip_through_the_service():
    at = run_page(PAGE, "en")
    button(at, "own.load_starter").click().run()
    data = at.session_state["own.data"]
    blob = data.to_zip()
    images_before, labels_before = data.images_and_labels()
    data.clear_class(0)
    data.load_zip(blob)
    images_after, labels_after = data.images_and_labels()
    assert data.names() == ["circle", "triangle", "star"]
    np.testing.assert_array_equal(labels_after, labels_before)
    for a, b in zip(images_before, images_after):
        np.testing.assert_array_equal(a, b)


def test_shortcut_experiment_shows_the_failure():
    at = run_page(PAGE, "en", query={"tab": "shortcut"})
    button(at, "own.exp_btn1").click().run()
    wait(at, "own.exp.shortcut")
    assert_ok(at)
    values = {m.label: m.value for m in at.metric}
    assert values["Training accuracy"] == "100%"
    assert int(values["Shuffled-colour test"].rstrip("%")) <= 20


def snapshot(roots):
    """Every file (path, size, mtime) under ``roots``, skipping caches and the browser tests' output."""
    seen = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in (".git", ".venv", "__pycache__", "screenshots",
                                                           ".pytest_cache", ".ruff_cache")]
            for f in filenames:
                p = os.path.join(dirpath, f)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                seen[p] = (st.st_size, st.st_mtime_ns)
    return seen


IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"BM", b"II*\x00", b"MM\x00*", b"PK\x03\x04")


def looks_like_image(path):
    try:
        with open(path, "rb") as f:
            return f.read(8).startswith(IMAGE_MAGIC)
    except OSError:
        return False


def test_no_image_is_written_to_disk_during_a_session():
    roots = [ROOT, Path("/tmp")]
    before = snapshot(roots)
    at = run_page(PAGE, "en")
    at.text_input(key="own.new_class").set_value("red")
    button(at, "own.add_class_btn").click().run()
    at.text_input(key="own.new_class").set_value("blue")
    button(at, "own.add_class_btn").click().run()
    data = at.session_state["own.data"]
    for _ in range(4):
        data.add_bytes(0, png("red"), "camera")
        data.add_bytes(1, png("blue"), "upload")
    open_tab(at, "own", "train")
    at.number_input(key="own.epochs").set_value(2).run()
    button(at, "own.train_btn").click().run()
    wait(at, "own.job")
    data.load_zip(data.to_zip())
    at.run()
    assert_ok(at)
    after = snapshot(roots)
    changed = [p for p, v in after.items() if before.get(p) != v]
    # nothing at all in the repository; in /tmp (shared with other programs) no image or zip
    in_repo = [p for p in changed if p.startswith(str(ROOT))]
    # other programs share this machine: pytest's own per-test folders of other runs are theirs
    images = [p for p in changed if looks_like_image(p) and not p.startswith("/tmp/pytest-of-")]
    assert not in_repo and not images, (in_repo, images)
    # the check itself works: a PNG written to /tmp would have been caught
    probe = Path("/tmp") / f"own_classes_probe_{os.getpid()}.png"
    probe.write_bytes(png("red"))
    try:
        assert looks_like_image(str(probe)) and str(probe) in snapshot([Path("/tmp")])
    finally:
        probe.unlink()


def test_model_file_round_trip_refusals_and_keep_training():
    from app_pages.own_classes.collect import starter_set
    from app_pages.own_classes.inside import trained_from_upload

    at = run_page(PAGE, "en")
    button(at, "own.load_starter").click().run()
    open_tab(at, "own", "train")
    at.number_input(key="own.epochs").set_value(2).run()
    button(at, "own.train_btn").click().run()
    wait(at, "own.job")
    data = at.session_state["own.data"]
    blob = at.session_state["own.model"].model.to_bytes()
    loaded = trained_from_upload(data, blob)
    assert loaded.how == "loaded" and loaded.gray and loaded.classes == ("circle", "triangle", "star")
    for bad, code in ((b"not a model", "train_bad_model_file"), (blob[: len(blob) // 2], "train_bad_model_file")):
        with pytest.raises(ValueError) as e:
            trained_from_upload(data, bad)
        assert e.value.code == code
    data.remove_class(2)                                   # two classes now: a 3-class model does not fit
    with pytest.raises(ValueError) as e:
        trained_from_upload(data, blob)
    assert e.value.code == "own_model_mismatch"
    data.load_set(starter_set("shapes"))
    uploaded = trained_from_upload(data, blob)
    at.session_state["own.model"] = uploaded
    at.run()
    button(at, "own.resume_btn").click().run()             # keep training the uploaded model
    job = wait(at, "own.job")
    assert job.model is uploaded.model
    assert job.state == "done" and at.session_state["own.model"].how == "done"
    assert_ok(at)


def test_canvas_data_urls_are_checked_before_decoding():
    import base64

    from ui.canvas import MAX_DATA_URL, PREFIX, png_bytes

    good = png("white")
    assert png_bytes(PREFIX + base64.b64encode(good).decode()) == good
    assert png_bytes(None) is None
    assert png_bytes("data:text/html;base64,PGI+") is None                    # not a PNG data URL
    assert png_bytes(PREFIX + "not base64 !!") is None
    assert png_bytes(PREFIX + "A" * MAX_DATA_URL) is None                     # too long: not decoded


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_bad_upload_is_refused_and_the_good_ones_kept(lang):
    from app_pages.own_classes.collect import plain
    from tests.test_bad_input import BAD_FILES, expected_message, good_png

    at = run_page(PAGE, lang)
    at.text_input(key="own.new_class").set_value("A")
    button(at, "own.add_class_btn").click().run()
    files = [("good1.png", good_png(0), "image/png")]
    files += [(name, data, "image/png") for name, data in BAD_FILES.values()]
    files += [("good2.png", good_png(3), "image/png")]
    at.get("file_uploader")[0].set_value(files).run()
    button(at, "own.add_uploads_btn").click().run()
    assert_ok(at)
    data = at.session_state["own.data"]
    assert data.counts() == [2]                             # both good files, in spite of the bad ones
    shown = " ".join(e.value for e in at.error)
    for name, bad in BAD_FILES.values():
        assert f"{plain(name)}: {expected_message(bad, lang)}" in shown, name
    assert at.success                                        # "added 2 images"


def test_loaded_set_message_counts_images_and_classes_each_in_the_right_form():
    from ui.i18n import Translator

    en, zh = Translator("en"), Translator("zh")
    one = en.plural("own.set_loaded", 1, classes=en.plural("own.set_classes", 1))
    many = en.plural("own.set_loaded", 12, classes=en.plural("own.set_classes", 3))
    mixed = en.plural("own.set_loaded", 4, classes=en.plural("own.set_classes", 1))
    assert (one, many, mixed) == ("Loaded 1 image in 1 class.", "Loaded 12 images in 3 classes.",
                                  "Loaded 4 images in 1 class.")
    assert zh.plural("own.set_loaded", 12, classes=zh.plural("own.set_classes", 3)) == "已载入 3 个类别共 12 张图片。"
    source = (ROOT / "app_pages" / "own_classes" / "collect.py").read_text(encoding="utf-8")
    assert 't("own.set_loaded"' not in source and 't.plural("own.set_loaded"' in source
