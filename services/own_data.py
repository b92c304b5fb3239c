"""The images a student collects in the "Your own classes" lesson: in this session's memory only.

Nothing here touches a disk: images arrive as bytes (camera, upload, canvas, a
set zip), go through :func:`cnnlab.read_image`, are kept as small uint8
arrays in an :class:`OwnData` held in ``st.session_state``, and are gone when
the session ends. Nothing is logged but counts.

Every per-session limit lives in :data:`LIMITS`, with its reason.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from cnnlab.checks import LessonError
from cnnlab.nn.data import stratified_split
from cnnlab.vision.augment import working_batch
from cnnlab.vision.dataset_zip import ImageSet, ZipLimits, check_label, read_set, write_set
from cnnlab.vision.images import read_image

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Per-session limits of the lesson, each with the reason it has this value."""

    #: 2 classes is the smallest classification; 6 keeps the confusion matrix readable on a projector.
    min_classes: int = 2
    max_classes: int = 6
    #: 60 per class x 6 classes = 360 images: training stays under ~20 s on a 2-core server.
    max_per_class: int = 60
    #: fewer than this and the validation split has almost nothing in it (a warning, not a refusal).
    few_per_class: int = 8
    #: images are kept at most this many pixels on a side (a photo becomes ~27 KB in memory) ...
    stored_side: int = 96
    #: ... so one session holds at most ~10 MB of images: 360 x 96 x 96 x 3 bytes.
    max_total_pixels: int = 360 * 96 * 96
    #: a set zip of 360 small PNGs is a few MB; 20 MB leaves room for photos and refuses anything silly.
    max_zip_bytes: int = 20 * 2**20
    #: 360 images + the labels file + a few folder entries.
    max_zip_members: int = 400
    #: what a zip may unpack to: 360 PNGs of at most 96x96 are far below 60 MB; a zip bomb is not.
    max_zip_uncompressed: int = 60 * 2**20
    #: the network's input: small enough to train in seconds, large enough to see a shape.
    working_size: int = 32

    def zip_limits(self):
        return ZipLimits(max_bytes=self.max_zip_bytes, max_members=self.max_zip_members,
                         max_uncompressed=self.max_zip_uncompressed, max_per_class=self.max_per_class,
                         max_side=self.stored_side)


LIMITS = Limits()
SOURCES = ("camera", "upload", "canvas", "starter", "zip")
_ids = itertools.count(1)


@dataclass(frozen=True)
class Sample:
    """One collected image: ``image`` (H, W, 3) uint8, read-only, at most ``stored_side`` a side."""

    id: int
    image: np.ndarray
    source: str


@dataclass
class OwnClass:
    name: str
    samples: list = field(default_factory=list)


def _to_uint8(arr):
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    out = np.round(np.clip(a, 0, 1) * 255).astype(np.uint8)
    out.setflags(write=False)
    return out


class OwnData:
    """The session's classes and their images. ``version`` changes with every edit (for caches)."""

    def __init__(self, limits=LIMITS):
        self.limits = limits
        self.classes: list[OwnClass] = []
        self.version = 0

    # ------------------------------------------------------------------ reading
    def names(self):
        return [c.name for c in self.classes]

    def counts(self):
        return [len(c.samples) for c in self.classes]

    def total(self):
        return sum(self.counts())

    def pixels(self):
        return sum(s.image.shape[0] * s.image.shape[1] for c in self.classes for s in c.samples)

    def warnings(self):
        """``[(code, params)]``: too few classes, too few images in a class, unbalanced classes."""
        out = []
        counts = self.counts()
        if len([n for n in counts if n > 0]) < self.limits.min_classes:
            out.append(("own.warn_classes", {"n": self.limits.min_classes}))
        for c in self.classes:
            if 0 < len(c.samples) < self.limits.few_per_class:
                out.append(("own.warn_few", {"name": c.name, "n": self.limits.few_per_class}))
        full = [n for n in counts if n > 0]
        if len(full) >= 2 and max(full) > 2 * min(full):
            out.append(("own.warn_unbalanced", {"most": max(full), "least": min(full)}))
        return out

    def ready(self):
        return len([n for n in self.counts() if n >= 2]) >= self.limits.min_classes and all(
            n >= 2 for n in self.counts())

    # ------------------------------------------------------------------ editing
    def _changed(self):
        self.version += 1

    def add_class(self, name):
        name = check_label(name)
        if len(self.classes) >= self.limits.max_classes:
            raise LessonError("own_too_many_classes", f"at most {self.limits.max_classes} classes.",
                              limit=self.limits.max_classes)
        if name in self.names():
            raise LessonError("own_duplicate_class", f"there is already a class called {name!r}.", name=name)
        self.classes.append(OwnClass(name))
        self._changed()
        return len(self.classes) - 1

    def remove_class(self, index):
        del self.classes[index]
        self._changed()

    def clear_class(self, index):
        self.classes[index].samples.clear()
        self._changed()

    def delete(self, index, sample_id):
        c = self.classes[index]
        c.samples = [s for s in c.samples if s.id != sample_id]
        self._changed()

    def _room(self, index, pixels):
        c = self.classes[index]
        if len(c.samples) >= self.limits.max_per_class:
            raise LessonError("own_class_full", f"class {c.name!r} already has {self.limits.max_per_class} "
                              "images, the limit.", name=c.name, limit=self.limits.max_per_class)
        if self.pixels() + pixels > self.limits.max_total_pixels:
            raise LessonError("own_memory_full", "this session holds as many image pixels as it may; delete "
                              "some images first.", limit=self.limits.max_total_pixels)

    def add_array(self, index, arr, source):
        """Add an image given as a float array in [0, 1] (already decoded safely)."""
        img = _to_uint8(arr)
        side = self.limits.stored_side
        if max(img.shape[:2]) > side:
            raise LessonError("own_bad_size", f"images are kept at most {side} pixels a side.", limit=side)
        self._room(index, img.shape[0] * img.shape[1])
        self.classes[index].samples.append(Sample(next(_ids), img, source if source in SOURCES else "upload"))
        self._changed()

    def add_bytes(self, index, data, source):
        """Decode an upload, a camera picture or a drawing safely and add it (raises ``LessonError``)."""
        arr = read_image(data, gray=False, max_side=self.limits.stored_side)
        self.add_array(index, arr, source)

    def load_set(self, image_set: ImageSet, source="zip"):
        """Replace everything with a set (from a zip or the starter set); all or nothing."""
        if len(image_set.classes) > self.limits.max_classes:
            raise LessonError("own_too_many_classes", f"at most {self.limits.max_classes} classes.",
                              limit=self.limits.max_classes)
        fresh = OwnData(self.limits)
        for name in image_set.classes:
            fresh.add_class(name)
        for label, arr in zip(image_set.labels, image_set.images):
            fresh.add_array(label, arr, source)
        self.classes = fresh.classes
        self._changed()
        logger.info("own data: loaded a set of %d images in %d classes", self.total(), len(self.classes))

    def load_zip(self, data):
        """Replace everything with the set in a zip (hostile-input safe; nothing changes on refusal)."""
        self.load_set(read_set(data, self.limits.zip_limits()), "zip")

    # ------------------------------------------------------------------ for the lesson
    def to_zip(self):
        labels, images = [], []
        for i, c in enumerate(self.classes):
            for s in c.samples:
                labels.append(i)
                images.append(s.image)
        return write_set(self.names(), labels, images)

    def images_and_labels(self):
        images, labels = [], []
        for i, c in enumerate(self.classes):
            for s in c.samples:
                images.append(s.image)
                labels.append(i)
        return images, np.array(labels, np.int64)

    def dataset(self, gray, val_fraction=0.2, seed=0):
        """``((x_train, y_train), (x_val, y_val), (x_test, y_test))`` at the working size.

        ``x`` is ``(N, C, S, S)`` uint8, split per class (stratified) with ``seed``; test is empty.
        """
        images, labels = self.images_and_labels()
        return split_dataset(working_batch(images, self.limits.working_size, gray), labels, val_fraction, seed)


def split_dataset(x, y, val_fraction=0.2, seed=0):
    """Stratified train / validation split of ``(N, C, S, S)`` images (the test part is empty)."""
    tr, va, _ = stratified_split(y, (1 - val_fraction, val_fraction, 0.0), seed)
    empty = (x[:0], y[:0])
    return (x[tr], y[tr]), (x[va], y[va]), empty


def session_data() -> OwnData:
    """This session's own data (made on first use; lives in ``st.session_state`` only)."""
    data = st.session_state.get("own.data")
    if not isinstance(data, OwnData):
        data = OwnData()
        st.session_state["own.data"] = data
    return data
