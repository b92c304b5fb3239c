"""A labelled image set as a zip: PNG files plus ``labels.csv``, written and read back safely.

Layout written by :func:`write_set` (and the only one :func:`read_set` accepts)::

    labels.csv          file,label        (UTF-8; a label is any text, Chinese included)
    images/00_0001.png  ...               (ASCII names: class number, sample number)

Classes keep the order in which ``labels.csv`` first names them.

Reading treats the zip as hostile. Refusals happen in this order, each with
its own error code, before anything large is decompressed, and a refused zip
returns nothing (the caller's collection is untouched):

1. the zip's size (``zip_too_large``) and whether it is a zip (``zip_not_zip``);
2. the member count (``zip_too_many``);
3. every member's name: no absolute paths, drive letters, backslashes, ``..``
   or empty parts, control characters, symbolic links (``zip_bad_path``),
   no encryption (``zip_encrypted``), no archive inside (``zip_nested``);
4. the total *declared* uncompressed size (``zip_too_big``), then every member
   is read with a bound, so a member that inflates past its header is caught
   (``zip_too_big``, or ``zip_damaged`` when its checksum fails) - a zip bomb
   never gets past the limit;
5. ``labels.csv``: present, readable, every image listed and every listed file
   present (``zip_labels``), labels short and printable (``zip_bad_label``),
   not too many images per class (``zip_class_full``);
6. every image through :func:`cnnlab.vision.images.read_image`
   (``zip_bad_image``, naming the member and the reason).
"""

from __future__ import annotations

import csv
import io
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from ..checks import LessonError
from .images import ImageError, read_image, to_png_bytes

LABELS = "labels.csv"
FOLDER = "images/"
MAX_LABEL_CHARS = 40
MAX_LABELS_BYTES = 1_000_000
_ARCHIVE_SUFFIXES = (".zip", ".npz", ".jar", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar", ".zst")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"7z\xbc\xaf", b"Rar!", b"\xfd7zXZ",
                  b"\x28\xb5\x2f\xfd")


@dataclass(frozen=True)
class ZipLimits:
    """What one set zip may hold (the app fills these from its per-session limits)."""

    max_bytes: int            # the zip file itself
    max_members: int          # entries, folders included
    max_uncompressed: int     # sum of the members' sizes after decompression
    max_per_class: int        # images of one class
    max_side: int             # images are scaled down so that no side is longer


@dataclass(frozen=True)
class ImageSet:
    """A labelled set: class names, and per image its class index and (H, W, 3) float array in [0, 1]."""

    classes: tuple
    labels: tuple
    images: tuple

    def __len__(self):
        return len(self.labels)


def _refuse(code, message, **params):
    return LessonError(code, message, **params)


def check_label(name):
    """A class name a student typed: stripped, 1 to 40 printable characters, any script."""
    text = unicodedata.normalize("NFC", str(name)).strip()
    if not text or len(text) > MAX_LABEL_CHARS or any(unicodedata.category(ch).startswith("C") for ch in text):
        raise _refuse("zip_bad_label", f"a class name must be 1 to {MAX_LABEL_CHARS} printable characters, "
                      f"got {text[:MAX_LABEL_CHARS]!r}.", limit=MAX_LABEL_CHARS)
    return text


def _check_name(info):
    name = info.filename
    parts = name.rstrip("/").split("/")
    bad = (not name or name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":")
           or any(p in ("", ".", "..") for p in parts) or len(name) > 200
           or any(unicodedata.category(ch).startswith("C") for ch in name))
    mode = (info.external_attr >> 16) & 0o170000
    if bad or mode == stat.S_IFLNK:
        raise _refuse("zip_bad_path", f"the zip holds a file with an unsafe name: {name[:80]!r}.",
                      name=name[:80])
    if info.flag_bits & 0x1:
        raise _refuse("zip_encrypted", f"the zip holds an encrypted file: {name[:80]!r}.", name=name[:80])
    if name.lower().endswith(_ARCHIVE_SUFFIXES):
        raise _refuse("zip_nested", f"the zip holds another archive: {name[:80]!r}.", name=name[:80])


def _read_member(z, info, budget):
    """The member's bytes, never more than ``budget`` of them (a lying header is caught here)."""
    try:
        with z.open(info) as f:
            data = f.read(min(info.file_size, budget) + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error):
        # zipfile stops at the declared size and checks the CRC: an inflating lie ends here
        raise _refuse("zip_damaged", f"the zip is damaged: {info.filename[:80]!r} cannot be read.",
                      name=info.filename[:80]) from None
    if len(data) > info.file_size or len(data) > budget:
        raise _refuse("zip_too_big", "the zip unpacks to more data than allowed.", name=info.filename[:80])
    if data.startswith(_ARCHIVE_MAGIC):
        raise _refuse("zip_nested", f"the zip holds another archive: {info.filename[:80]!r}.",
                      name=info.filename[:80])
    return data


def _parse_labels(raw):
    try:
        text = raw.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _refuse("zip_labels", f"{LABELS} is not readable UTF-8 CSV.", detail=str(exc)[:80]) from None
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["file", "label"]:
        raise _refuse("zip_labels", f"{LABELS} must start with the header 'file,label'.", detail="header")
    out = []
    for row in rows[1:]:
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise _refuse("zip_labels", f"{LABELS}: every row needs a file and a label.", detail=str(row)[:80])
        out.append((row[0].strip(), check_label(row[1])))
    return out


def read_set(data, limits):
    """Read a set zip safely (see the module text); returns an :class:`ImageSet`.

    Raises ``LessonError`` with a ``zip_*`` code and nothing else; nothing is written anywhere.
    """
    if data is None or len(data) == 0:
        raise _refuse("zip_not_zip", "the file is empty.")
    if len(data) > limits.max_bytes:
        raise _refuse("zip_too_large", f"the zip is {len(data) / 2**20:.1f} MB; the limit is "
                      f"{limits.max_bytes / 2**20:.0f} MB.", size_mb=round(len(data) / 2**20, 1),
                      limit_mb=round(limits.max_bytes / 2**20))
    try:
        z = zipfile.ZipFile(io.BytesIO(bytes(data)))
        infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse("zip_not_zip", "this file is not a zip archive that can be read.") from None
    with z:
        if len(infos) > limits.max_members:
            raise _refuse("zip_too_many", f"the zip holds {len(infos)} files; the limit is "
                          f"{limits.max_members}.", count=len(infos), limit=limits.max_members)
        files = {}
        for info in infos:
            _check_name(info)
            if not info.is_dir():
                if info.filename in files:
                    raise _refuse("zip_bad_path", f"the zip names a file twice: {info.filename[:80]!r}.",
                                  name=info.filename[:80])
                files[info.filename] = info
        declared = sum(i.file_size for i in files.values())
        if declared > limits.max_uncompressed:
            raise _refuse("zip_too_big", f"the zip unpacks to {declared / 2**20:.0f} MB; the limit is "
                          f"{limits.max_uncompressed / 2**20:.0f} MB.", name="")
        if LABELS not in files:
            raise _refuse("zip_labels", f"the zip has no {LABELS} (file,label).", detail="missing")
        budget = limits.max_uncompressed
        raw = _read_member(z, files[LABELS], min(budget, MAX_LABELS_BYTES))
        budget -= len(raw)
        rows = _parse_labels(raw)
        listed = [f for f, _ in rows]
        extra = sorted(set(files) - set(listed) - {LABELS})
        missing = [f for f in listed if f not in files]
        if extra or missing or len(set(listed)) != len(listed):
            what = (extra or missing or listed)[0]
            raise _refuse("zip_labels", f"{LABELS} and the files do not match (first: {what[:80]!r}).",
                          detail=what[:80])
        classes, counts = [], {}
        for _, label in rows:
            if label not in counts:
                classes.append(label)
                counts[label] = 0
            counts[label] += 1
            if counts[label] > limits.max_per_class:
                raise _refuse("zip_class_full", f"class {label!r} has more than {limits.max_per_class} "
                              "images.", label=label, limit=limits.max_per_class)
        labels, images = [], []
        for name, label in rows:
            blob = _read_member(z, files[name], budget)
            budget -= len(blob)
            try:
                arr = read_image(blob, gray=False, max_side=limits.max_side)
            except ImageError as exc:
                raise _refuse("zip_bad_image", f"{name[:80]}: {exc}", name=name[:80], reason=exc.reason) from None
            labels.append(classes.index(label))
            images.append(arr)
    return ImageSet(tuple(classes), tuple(labels), tuple(images))


def write_set(classes, labels, images):
    """The zip bytes of a labelled set.

    Parameters
    ----------
    classes : sequence of str, the class names (any script)
    labels : sequence of int, each image's class index
    images : sequence of (H, W) or (H, W, 3) arrays, float in [0, 1] or uint8
    """
    classes = [check_label(c) for c in classes]
    if len(labels) != len(images):
        raise ValueError("one label per image is needed.")
    buf = io.BytesIO()
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(["file", "label"])
    counters = [0] * len(classes)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for label, img in zip(labels, images):
            a = np.asarray(img)
            a = a / 255.0 if a.dtype == np.uint8 else a
            counters[label] += 1
            name = f"{FOLDER}{label:02d}_{counters[label]:04d}.png"
            z.writestr(name, to_png_bytes(a))
            writer.writerow([name, classes[label]])
        z.writestr(LABELS, rows.getvalue().encode("utf-8"))
    return buf.getvalue()
