"""Data: bundled digits and their splits, the IDX reader on files written here, the generated
shapes, and the MNIST-style preparation of a drawn digit."""

import gzip
import struct

import numpy as np
import pytest
from PIL import Image, ImageDraw

import cnnlab
from cnnlab.checks import LessonError
from cnnlab.nn.data import (
    load_dataset,
    load_idx_folder,
    make_shapes,
    parse_idx,
    read_idx,
    stratified_split,
    to_float,
)
from cnnlab.nn.digits import center_of_mass, preprocess_steps, resize_area


def test_bundled_digits_splits():
    (xtr, ytr), (xva, yva), (xte, yte) = cnnlab.load_digits()
    assert xtr.dtype == np.uint8 and xtr.shape[1:] == (28, 28)
    assert len(xtr) + len(xva) + len(xte) == 10_000
    assert abs(len(xtr) - 8000) <= 5 and abs(len(xte) - 1000) <= 5
    # stratified: every class in about the same share in each split
    for y in (ytr, yva, yte):
        share = np.bincount(y, minlength=10) / y.size
        np.testing.assert_allclose(share, np.bincount(ytr, minlength=10) / ytr.size, atol=0.01)
    # fixed: the same digits on every call; no digit in two splits
    assert cnnlab.load_digits()[2][0] is xte
    rows = {r.tobytes() for r in xte}
    assert not any(r.tobytes() in rows for r in xva[:200])
    with pytest.raises(ValueError):
        xtr[0, 0, 0] = 1          # shared between sessions, so read-only


def test_stratified_split_is_a_partition():
    y = np.repeat(np.arange(3), [10, 20, 7])
    parts = stratified_split(y, (0.6, 0.2, 0.2), seed=1)
    all_idx = np.sort(np.concatenate(parts))
    np.testing.assert_array_equal(all_idx, np.arange(y.size))
    assert stratified_split(y, (0.6, 0.2, 0.2), seed=1)[0].tolist() == parts[0].tolist()


def idx_bytes(arr, code=0x08):
    head = bytes([0, 0, code, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    return head + arr.astype(">u1" if code == 0x08 else ">i4").tobytes()


def test_idx_reader_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    lab = np.array([1, 2, 3, 4, 5], np.uint8)
    np.testing.assert_array_equal(parse_idx(idx_bytes(img)), img)
    np.testing.assert_array_equal(parse_idx(gzip.compress(idx_bytes(lab))), lab)
    ints = np.array([[1, -2], [70000, 3]])
    np.testing.assert_array_equal(parse_idx(idx_bytes(ints, 0x0C)), ints)
    p = tmp_path / "x.idx"
    p.write_bytes(idx_bytes(img))
    np.testing.assert_array_equal(read_idx(p), img)


@pytest.mark.parametrize("data", [
    b"", b"\x00\x00\x08", b"PK\x03\x04rest", bytes([0, 0, 0x08, 3]) + struct.pack(">III", 2, 28, 28) + b"\x00" * 10,
    bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), b"\x1f\x8b\x08broken gzip",
])
def test_corrupt_idx_is_explained(data):
    with pytest.raises(LessonError) as e:
        parse_idx(data, "f")
    assert e.value.code == "train_idx_corrupt"


def test_idx_folder(tmp_path):
    rng = np.random.default_rng(0)
    for part, n in (("train", 60), ("t10k", 20)):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = np.arange(n, dtype=np.uint8) % 10
        (tmp_path / f"{part}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(x)))
        (tmp_path / f"{part}-labels-idx1-ubyte").write_bytes(idx_bytes(y))
    (xtr, ytr), (xva, yva), (xte, yte) = load_idx_folder(tmp_path)
    assert len(xtr) + len(xva) == 60 and len(xte) == 20 and ytr.dtype == np.int64
    # mismatched labels
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(7, np.uint8)))
    with pytest.raises(LessonError) as e:
        load_idx_folder(tmp_path)
    assert e.value.code == "train_idx_mismatch"
    with pytest.raises(LessonError) as e:
        load_idx_folder(tmp_path / "nowhere")
    assert e.value.code == "train_idx_missing"


def test_full_mnist_from_the_configured_folder(tmp_path, monkeypatch):
    from cnnlab.nn import data

    rng = np.random.default_rng(1)
    for part, n in (("train", 40), ("t10k", 10)):
        (tmp_path / f"{part}-images-idx3-ubyte").write_bytes(
            idx_bytes(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)))
        (tmp_path / f"{part}-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(n, dtype=np.uint8) % 10))
    monkeypatch.delenv(data.MNIST_DIR_ENV, raising=False)
    assert data.mnist_folder() is None
    with pytest.raises(LessonError) as e:
        load_dataset("mnist")
    assert e.value.code == "train_no_mnist"
    monkeypatch.setenv(data.MNIST_DIR_ENV, str(tmp_path))
    assert data.mnist_folder() == tmp_path
    assert len(load_dataset("mnist")[2][1]) == 10


def test_generated_shapes():
    (xtr, ytr), (xva, yva), (xte, yte) = make_shapes(30, seed=2)
    assert xtr.shape == (240, 28, 28) and xtr.dtype == np.uint8
    assert np.bincount(ytr).tolist() == [24] * 10
    np.testing.assert_array_equal(make_shapes(30, seed=2)[0][0], xtr)
    # horizontal bars are wider than tall, vertical bars taller than wide
    h = xtr[ytr == 0].astype(float).mean(0)
    v = xtr[ytr == 1].astype(float).mean(0)
    assert h.sum(1).std() > h.sum(0).std() and v.sum(0).std() > v.sum(1).std()
    assert load_dataset("shapes")[0][0].shape[1:] == (28, 28)
    with pytest.raises(LessonError):
        load_dataset("cifar")


def test_to_float():
    x = to_float(np.array([[[0, 255]]], np.uint8))
    assert x.dtype == np.float32 and x.shape == (1, 1, 1, 2) and x.max() == 1


def drawn_digit(size=(240, 180), offset=(30, 10)):
    """A dark '7' drawn with a thick pen on light, slightly uneven paper, off-centre."""
    im = Image.new("L", size, 225)
    d = ImageDraw.Draw(im)
    ox, oy = offset
    d.line([(ox + 40, oy + 40), (ox + 140, oy + 40), (ox + 80, oy + 190)], fill=30, width=14)
    a = np.asarray(im, dtype=np.float64) / 255
    a += np.linspace(0, 0.08, size[0])[None, :]     # lighting gradient
    return np.clip(a, 0, 1)


def test_resize_area_and_center_of_mass():
    a = np.arange(16.0).reshape(4, 4)
    np.testing.assert_allclose(resize_area(a, 2, 2), [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_allclose(resize_area(a, 4, 4), a)
    assert resize_area(np.ones((7, 3)), 20, 9).shape == (20, 9)
    img = np.zeros((5, 5))
    img[1, 3] = 1
    assert center_of_mass(img) == (1.0, 3.0)


def test_preprocess_like_mnist():
    steps = preprocess_steps(drawn_digit())
    d = steps["digit"]
    assert steps["inverted"] and d.shape == (28, 28) and d.dtype == np.float32
    assert 0 <= d.min() and d.max() <= 1 and d.max() > 0.9
    rows, cols = np.nonzero(d > 0)
    assert max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 == 20    # fits a 20x20 box
    cy, cx = center_of_mass(d)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1                      # centred by mass
    assert d[0].max() == 0 and d[:, -1].max() == 0                          # a black margin
    # already white-on-black input is not inverted
    assert not preprocess_steps(1 - drawn_digit())["inverted"]
    # the pretrained model reads the drawn 7
    model = cnnlab.load_model(cnnlab.nn.data.ROOT / "assets" / "lenet5_mnist.npz")
    assert model.predict(d[None, None]).argmax() == 7


def test_blank_photo_is_explained():
    with pytest.raises(LessonError) as e:
        preprocess_steps(np.full((50, 50), 0.8))
    assert e.value.code == "train_digit_empty"
    with pytest.raises(LessonError):
        preprocess_steps(np.zeros(5))
