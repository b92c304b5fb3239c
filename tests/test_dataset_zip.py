"""Set zips: a round trip, and hostile zips refused each with its own code (nothing returned)."""

import io
import zipfile

import numpy as np
import pytest

from cnnlab.checks import LessonError
from cnnlab.vision.dataset_zip import ZipLimits, check_label, read_set, write_set
from cnnlab.vision.images import to_png_bytes

LIMITS = ZipLimits(max_bytes=5_000_000, max_members=50, max_uncompressed=20_000_000, max_per_class=10,
                   max_side=32)


def images(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (16, 20, 3), dtype=np.uint8) for _ in range(n)]


def make_zip(members, labels=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
        if labels is not None:
            z.writestr("labels.csv", labels)
    return buf.getvalue()


PNG = to_png_bytes(np.full((8, 8), 0.5))


def refused(data, code):
    with pytest.raises(LessonError) as e:
        read_set(data, LIMITS)
    assert e.value.code == code, (e.value.code, str(e.value))
    return e.value


def test_round_trip_keeps_classes_labels_and_pixels():
    imgs = images(5)
    classes = ["圆形", "triangle ▲", "star"]
    labels = [0, 1, 2, 1, 0]
    data = write_set(classes, labels, imgs)
    back = read_set(data, LIMITS)
    assert back.classes == tuple(classes) and len(back) == 5
    assert all(arr.shape == (16, 20, 3) for arr in back.images)
    # images are listed class by class in the order they were written
    for k in range(3):
        mine = [img for lab, img in zip(labels, imgs) if lab == k]
        theirs = [img for lab, img in zip(back.labels, back.images) if lab == k]
        for a, b in zip(mine, theirs):
            np.testing.assert_array_equal(np.round(b * 255).astype(np.uint8), a)


def test_big_images_are_scaled_to_the_working_side():
    data = write_set(["a", "b"], [0, 1], [np.zeros((100, 50)), np.ones((40, 40))])
    back = read_set(data, LIMITS)
    assert back.images[0].shape == (32, 16, 3)


def test_path_traversal_and_absolute_paths():
    for name in ("../evil.png", "images/../../evil.png", "/etc/evil.png", "C:/evil.png", "images\\evil.png",
                 "images//x.png"):
        data = make_zip([(name, PNG)], f"file,label\n{name},a\n")
        err = refused(data, "zip_bad_path")
        assert "unsafe" in str(err)


def test_symlink_member():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("images/link.png")
        info.external_attr = (0o120777 << 16)
        z.writestr(info, "/etc/passwd")
        z.writestr("labels.csv", "file,label\nimages/link.png,a\n")
    refused(buf.getvalue(), "zip_bad_path")


def test_too_many_members():
    members = [(f"images/{i}.png", PNG) for i in range(60)]
    labels = "file,label\n" + "".join(f"images/{i}.png,a\n" for i in range(60))
    err = refused(make_zip(members, labels), "zip_too_many")
    assert err.params["limit"] == 50


def test_zip_bomb_by_declared_size():
    bomb = make_zip([("images/a.png", b"\0" * 30_000_000)], "file,label\nimages/a.png,a\n")
    assert len(bomb) < 100_000
    refused(bomb, "zip_too_big")


def test_zip_bomb_with_a_lying_header_is_caught_while_reading():
    data = bytearray(make_zip([("images/a.png", b"\0" * 3_000_000)], "file,label\nimages/a.png,a\n"))
    # rewrite the declared uncompressed size (local header and central directory) to 100 bytes
    small = (100).to_bytes(4, "little")
    local = data.find(b"PK\x03\x04")
    data[local + 22:local + 26] = small
    central = data.find(b"PK\x01\x02")
    data[central + 24:central + 28] = small
    with pytest.raises(LessonError) as e:
        read_set(bytes(data), LIMITS)
    assert e.value.code in ("zip_too_big", "zip_damaged")


def test_nested_archive_by_name_and_by_content():
    inner = make_zip([("x.png", PNG)])
    refused(make_zip([("images/inner.zip", inner)], "file,label\nimages/inner.zip,a\n"), "zip_nested")
    refused(make_zip([("images/inner.png", inner)], "file,label\nimages/inner.png,a\n"), "zip_nested")


def test_non_image_member_names_the_member():
    data = make_zip([("images/ok.png", PNG), ("images/notes.png", b"just some text, not a picture")],
                    "file,label\nimages/ok.png,a\nimages/notes.png,b\n")
    err = refused(data, "zip_bad_image")
    assert err.params["name"] == "images/notes.png" and err.params["reason"] == "not_image"


def test_labels_file_problems():
    refused(make_zip([("images/a.png", PNG)]), "zip_labels")                                 # no labels.csv
    refused(make_zip([("images/a.png", PNG)], "name,class\nimages/a.png,a\n"), "zip_labels")  # header
    refused(make_zip([("images/a.png", PNG), ("images/b.png", PNG)], "file,label\nimages/a.png,a\n"),
            "zip_labels")                                                                   # unlisted file
    refused(make_zip([("images/a.png", PNG)], "file,label\nimages/a.png,a\nimages/b.png,a\n"),
            "zip_labels")                                                                   # missing file
    refused(make_zip([("images/a.png", PNG)], b"file,label\nimages/a.png,\xff\xfe\n"), "zip_labels")
    refused(make_zip([("images/a.png", PNG)], "file,label\nimages/a.png,\x07bell\n"), "zip_bad_label")
    members = [(f"images/{i}.png", PNG) for i in range(11)]
    refused(make_zip(members, "file,label\n" + "".join(f"images/{i}.png,a\n" for i in range(11))),
            "zip_class_full")


def test_not_a_zip_and_too_large():
    refused(b"", "zip_not_zip")
    refused(b"hello, I am not a zip" * 10, "zip_not_zip")
    refused(b"PK" + b"\0" * 6_000_000, "zip_too_large")


def test_labels():
    assert check_label("  三角形 ") == "三角形"
    with pytest.raises(LessonError):
        check_label("")
    with pytest.raises(LessonError):
        check_label("x" * 41)
