"""Prepare a photo of a handwritten digit the way MNIST digits were prepared.

MNIST (LeCun, Cortes and Burges): each digit was size-normalised to fit a
20x20 box keeping its aspect ratio, then placed in a 28x28 image so that its
centre of mass sits at the centre; white digit on black. A student's photo
is a dark digit on light paper, with a shadow and lots of margin, so:

1. grayscale (``images.read_image`` already gives values in [0, 1]);
2. invert if the background (the border) is light;
3. stretch the contrast from the background level to the brightest stroke
   and drop the faint rest (paper texture, shadows);
4. crop to the ink's bounding box;
5. resize the longer side to 20 pixels by area averaging;
6. paste into a 28x28 black frame with the centre of mass at the centre.
"""

from __future__ import annotations

import numpy as np

from ..checks import LessonError

F32 = np.float32


def _area_weights(n_in, n_out):
    """``(n_out, n_in)`` matrix: output cell ``i`` averages the input cells it covers (partly)."""
    scale = n_in / n_out
    lo = np.arange(n_out)[:, None] * scale
    hi = lo + scale
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def resize_area(img, out_h, out_w):
    """Resize a 2-D array by area averaging (a fair box filter down, blocks up).

    ``out = R @ img @ C^T`` with ``R : (out_h, H)`` and ``C : (out_w, W)`` the
    fractional-overlap weights of each output cell over the input cells.
    """
    img = np.asarray(img, dtype=np.float64)
    return _area_weights(img.shape[0], out_h) @ img @ _area_weights(img.shape[1], out_w).T


def center_of_mass(img):
    """``(row, col)`` of the intensity-weighted centre of a 2-D array."""
    total = img.sum()
    rows = np.arange(img.shape[0])
    cols = np.arange(img.shape[1])
    return float(rows @ img.sum(axis=1) / total), float(cols @ img.sum(axis=0) / total)


def preprocess_steps(img, box=20, size=28, floor=0.25):
    """Every stage of the MNIST-style preparation (for the lesson to show).

    Parameters
    ----------
    img : (H, W) gray or (H, W, 3) RGB array in [0, 1]
    box : the digit's longer side after resizing (MNIST: 20)
    size : the output frame (MNIST: 28)
    floor : after stretching, values below this fraction count as background

    Returns
    -------
    dict with ``gray`` (H, W), ``inverted`` (bool), ``clean`` (H, W) white on
    black in [0, 1], ``crop`` (h, w), ``digit`` (size, size) float32 in [0, 1].
    """
    a = np.asarray(img, dtype=np.float64)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        a = a[:, :, :3] @ np.array([0.299, 0.587, 0.114])
    if a.ndim != 2 or min(a.shape) < 4:
        raise LessonError("train_digit_shape", "the digit image must be a 2-D picture at least 4x4 pixels.")
    if not np.all(np.isfinite(a)):
        raise LessonError("not_finite", "the image contains values that are not finite.", name="input")
    gray = np.clip(a, 0, 1)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    inverted = bool(np.median(border) > 0.5)
    x = 1.0 - gray if inverted else gray
    bg = float(np.median(np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])))
    top = float(np.percentile(x, 99.5))
    top = max(top, float(x.max()) * 0.9)
    if top - bg < 0.1:
        raise LessonError("train_digit_empty", "no digit found: the picture has almost no contrast.")
    x = np.clip((x - bg) / (top - bg), 0, 1)
    x = np.where(x < floor, 0.0, (x - floor) / (1 - floor))
    rows = np.flatnonzero(x.max(axis=1) > 0)
    cols = np.flatnonzero(x.max(axis=0) > 0)
    if rows.size == 0:
        raise LessonError("train_digit_empty", "no digit found: the picture has almost no contrast.")
    crop = x[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.clip(resize_area(crop, nh, nw), 0, 1)
    cy, cx = center_of_mass(small)
    top_row = int(np.clip(round(size / 2 - 0.5 - cy), 0, size - nh))
    left = int(np.clip(round(size / 2 - 0.5 - cx), 0, size - nw))
    digit = np.zeros((size, size), F32)
    digit[top_row:top_row + nh, left:left + nw] = small
    return {"gray": gray, "inverted": inverted, "clean": x, "crop": crop, "digit": digit}


def preprocess_digit(img, **kw):
    """The MNIST-style ``(28, 28)`` float32 input for a photo of one digit (see :func:`preprocess_steps`)."""
    return preprocess_steps(img, **kw)["digit"]
