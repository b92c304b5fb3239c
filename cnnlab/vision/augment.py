"""Data augmentation: random flips, shifts, rotations, scale, brightness and contrast of a batch.

>>> settings = Augment(flip=True, shift=0.1, degrees=15, scale=0.1, brightness=0.1, contrast=0.2)
>>> xa = augment(x, np.random.default_rng(0), settings)     # x : (N, C, H, W) float in [0, 1]

Every image gets its own random transform, drawn by :func:`random_params`
from a ``numpy.random.Generator``; :func:`apply` then computes the whole batch
at once (no loop over images). Geometry first, one inverse map per image:
an output pixel ``(r, c)``, measured from the image centre and less the shift
``(tr, tc)``, is rotated back by the angle ``a`` and divided by the scale ``s``:

    src_r = ( cos a * (r - tr) + sin a * (c - tc)) / s + centre_r
    src_c = (-sin a * (r - tr) + cos a * (c - tc)) / s + centre_c

then mirrored (``src_c -> W - 1 - src_c``) when the image is flipped, and read
with bilinear interpolation; outside the image the nearest edge pixel is used
(a photo's background continues instead of a black frame appearing). A positive
angle turns the picture counter-clockwise, as ``numpy.rot90`` does.
Then the colours: ``out = (v - m) * contrast + m + brightness`` with ``m`` the
image's mean, clipped to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import LessonError
from .images import to_gray

F32 = np.float32


@dataclass(frozen=True)
class Augment:
    """How strong each random change may be (0 / False: never).

    flip : mirror left-right with probability 1/2
    shift : up to this fraction of the side, each direction (0 to 0.5)
    degrees : rotate by up to +- this many degrees (0 to 180)
    scale : zoom by a factor in [1 - scale, 1 + scale] (0 to 0.5)
    brightness : add up to +- this (0 to 0.5)
    contrast : multiply the contrast by a factor in [1 - contrast, 1 + contrast] (0 to 0.9)
    """

    flip: bool = False
    shift: float = 0.0
    degrees: float = 0.0
    scale: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0

    def __post_init__(self):
        for name, hi in (("shift", 0.5), ("degrees", 180.0), ("scale", 0.5), ("brightness", 0.5),
                         ("contrast", 0.9)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 <= v <= hi):
                raise LessonError("augment_bad_setting", f"augmentation: {name} must be from 0 to {hi}, "
                                  f"got {v!r}.", setting=name, hi=hi, value=str(v))

    @property
    def active(self):
        return bool(self.flip or self.shift or self.degrees or self.scale or self.brightness or self.contrast)


NONE = Augment()


def random_params(n, rng, settings):
    """One random transform per image: a dict of ``(n,)`` arrays.

    Keys: ``flip`` (bool), ``shift_r``, ``shift_c`` (fractions of the side),
    ``angle`` (degrees), ``scale``, ``brightness``, ``contrast`` (factors).
    """
    s = settings
    return {
        "flip": rng.random(n) < 0.5 if s.flip else np.zeros(n, bool),
        "shift_r": rng.uniform(-s.shift, s.shift, n),
        "shift_c": rng.uniform(-s.shift, s.shift, n),
        "angle": rng.uniform(-s.degrees, s.degrees, n),
        "scale": rng.uniform(1 - s.scale, 1 + s.scale, n),
        "brightness": rng.uniform(-s.brightness, s.brightness, n),
        "contrast": rng.uniform(1 - s.contrast, 1 + s.contrast, n),
    }


def _check_batch(x):
    x = np.asarray(x)
    if x.ndim != 4 or not np.issubdtype(x.dtype, np.floating):
        raise LessonError("augment_bad_input", f"augmentation needs a float batch (N, C, H, W), got "
                          f"{x.dtype} {x.shape}.", shape=str(x.shape))
    return x


def apply(x, params):
    """Apply the per-image transforms ``params`` (see :func:`random_params`) to ``x``.

    Parameters
    ----------
    x : (N, C, H, W) float in [0, 1]
    params : dict of (N,) arrays

    Returns
    -------
    (N, C, H, W) float32 in [0, 1]
    """
    x = _check_batch(x)
    n, c, h, w = x.shape
    p = {k: np.asarray(v) for k, v in params.items()}
    a = np.deg2rad(p["angle"].astype(np.float64))[:, None, None]
    cos, sin = np.cos(a), np.sin(a)
    s = p["scale"].astype(np.float64)[:, None, None]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    rr = np.arange(h, dtype=np.float64)[None, :, None] - cy - (p["shift_r"] * h)[:, None, None]
    cc = np.arange(w, dtype=np.float64)[None, None, :] - cx - (p["shift_c"] * w)[:, None, None]
    src_r = (cos * rr + sin * cc) / s + cy                 # (N, H, W)
    src_c = (-sin * rr + cos * cc) / s + cx
    src_c = np.where(p["flip"][:, None, None], (w - 1) - src_c, src_c)
    src_r = np.clip(src_r, 0, h - 1)
    src_c = np.clip(src_c, 0, w - 1)
    r0 = np.minimum(np.floor(src_r).astype(np.int64), h - 2) if h > 1 else np.zeros(src_r.shape, np.int64)
    c0 = np.minimum(np.floor(src_c).astype(np.int64), w - 2) if w > 1 else np.zeros(src_c.shape, np.int64)
    fr = (src_r - r0)[:, None]
    fc = (src_c - c0)[:, None]
    r1 = np.minimum(r0 + 1, h - 1)
    c1 = np.minimum(c0 + 1, w - 1)
    flat = x.reshape(n, c, h * w).astype(np.float64, copy=False)

    def at(r, q):                                          # (N, H, W) indices -> (N, C, H, W) values
        idx = (r * w + q).reshape(n, 1, h * w)
        return np.take_along_axis(flat, np.broadcast_to(idx, (n, c, h * w)), axis=2).reshape(n, c, h, w)

    out = (at(r0, c0) * (1 - fr) * (1 - fc) + at(r0, c1) * (1 - fr) * fc
           + at(r1, c0) * fr * (1 - fc) + at(r1, c1) * fr * fc)
    m = out.mean(axis=(1, 2, 3), keepdims=True)
    k = p["contrast"].astype(np.float64)[:, None, None, None]
    b = p["brightness"].astype(np.float64)[:, None, None, None]
    out = (out - m) * k + m + b
    return np.clip(out, 0, 1).astype(F32)


def augment(x, rng, settings):
    """Random augmentation of a batch: :func:`apply` with :func:`random_params` drawn from ``rng``."""
    x = _check_batch(x)
    if not settings.active:
        return x.astype(F32, copy=False)
    return apply(x, random_params(x.shape[0], rng, settings))


def batch_augmenter(settings):
    """A function ``(x, rng) -> x`` for :func:`cnnlab.nn.train.train`'s ``augment`` argument."""
    def fn(x, rng):
        return augment(x, rng, settings)
    fn.settings = settings
    return fn


# ----------------------------------------------------------------------------
# Preprocessing: any photo or drawing -> the network's working size
# ----------------------------------------------------------------------------
def centre_square(img):
    """The largest centred square of an ``(H, W[, 3])`` image (the longer side is cropped evenly)."""
    h, w = img.shape[:2]
    s = min(h, w)
    r, c = (h - s) // 2, (w - s) // 2
    return img[r:r + s, c:c + s]


def _area_weights(n_in, n_out):
    """``(n_out, n_in)`` matrix: output cell ``i`` averages the input interval
    ``[i n_in / n_out, (i + 1) n_in / n_out)``, each input cell weighted by its overlap."""
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    cells = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, cells + 1) - np.maximum(lo, cells), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def resize_area(img, shape):
    """Resize ``(H, W)`` or ``(H, W, C)`` to ``shape = (rows, cols)`` by area averaging.

    Each output pixel is the mean of the input area it covers (partial pixels weighted by
    their overlap): no aliasing when shrinking a photo; an integer factor gives block means.
    """
    a = np.asarray(img, dtype=np.float64)
    wr = _area_weights(a.shape[0], shape[0])
    wc = _area_weights(a.shape[1], shape[1])
    return np.einsum("ih,hw...,jw->ij...", wr, a, wc)


def to_working(img, size, gray):
    """One image -> network input ``(C, size, size)`` float32 in [0, 1] (C = 1 if ``gray`` else 3).

    Steps: uint8 -> [0, 1]; centre square crop; area resize to ``size`` x ``size``;
    grey = ITU-R BT.601 luminance.
    """
    a = np.asarray(img)
    a = a / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    a = centre_square(a)
    if a.shape[:2] != (size, size):
        a = resize_area(a, (size, size))
    a = np.clip(a, 0, 1)
    if gray:
        return to_gray(a)[None].astype(F32)
    return np.transpose(a, (2, 0, 1)).astype(F32)


def working_batch(images, size, gray):
    """Many images -> ``(N, C, size, size)`` uint8, the form the trainer keeps in memory."""
    c = 1 if gray else 3
    out = np.zeros((len(images), c, size, size), np.uint8)
    for i, img in enumerate(images):
        out[i] = np.round(to_working(img, size, gray) * 255)
    return out
