"""Training on the fast engine (:mod:`cnnlab.nn.fast`): the loop of :func:`cnnlab.nn.train.train`, faster.

``cnnlab.nn.train.train(..., engine="fast")`` runs the readable trainer's own loop
with the forward and backward passes, the update and the validation on a
:class:`~cnnlab.nn.fast.FastNet`; the trained weights are written back into the
model (at every validation point, at the end and when the caller stops asking),
so the model stays the readable one.

:func:`augment_batch` is the trainer's augmentation (same random numbers,
same images to float rounding), computed in chunks with 32-bit indices and
two linear interpolations instead of four weights per pixel.
"""

from __future__ import annotations

import logging

import numpy as np

from .layers import F32

logger = logging.getLogger(__name__)

AUGMENT_CHUNK = 64       # images per chunk: the index and weight arrays stay in cache


def augment_batch(x, rng, max_shift=2.0, max_degrees=10.0):
    """Random shifts (up to ``max_shift`` px) and rotations (up to ``max_degrees``) of ``x (N, C, H, W)``.

    The same transformation as :func:`cnnlab.nn.train.augment_batch` for the same
    ``rng`` (it draws the same numbers in the same order): each output pixel
    samples the input at the inverse of its image's rotation about the centre
    plus shift, bilinearly, with black outside the image.
    """
    n, c, h, w = x.shape
    ang = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n)).astype(F32)
    shift = rng.uniform(-max_shift, max_shift, (2, n)).astype(F32)
    out = np.empty((n, c, h, w), F32)
    hp, wp = h + 2, w + 2
    cy, cx = F32((h - 1) / 2), F32((w - 1) / 2)
    rows = np.arange(h, dtype=F32)[None, :, None] - cy
    cols = np.arange(w, dtype=F32)[None, None, :] - cx
    for i in range(0, n, AUGMENT_CHUNK):
        j = min(n, i + AUGMENT_CHUNK)
        m = j - i
        cos, sin = np.cos(ang[i:j])[:, None, None], np.sin(ang[i:j])[:, None, None]
        rr = rows - shift[0, i:j, None, None]
        cc = cols - shift[1, i:j, None, None]
        src_r = cos * rr + sin * cc + cy             # inverse rotation of the destination grid
        src_c = -sin * rr + cos * cc + cx
        r0, c0 = np.floor(src_r), np.floor(src_c)
        fr, fc = src_r - r0, src_c - c0
        # a zero border of one pixel: every out-of-range index is clipped onto it
        ri = np.clip(r0 + 1, 0, hp - 1).astype(np.int32)
        ri1 = np.clip(r0 + 2, 0, hp - 1).astype(np.int32)
        ci = np.clip(c0 + 1, 0, wp - 1).astype(np.int32)
        ci1 = np.clip(c0 + 2, 0, wp - 1).astype(np.int32)
        base = (np.arange(m, dtype=np.int32) * (hp * wp))[:, None, None]
        top, bot = ri * wp + base, ri1 * wp + base
        xp = np.zeros((c, m, hp, wp), F32)
        xp[:, :, 1:-1, 1:-1] = x[i:j].transpose(1, 0, 2, 3)
        for ch in range(c):
            flat = xp[ch].reshape(-1)
            v00, v01 = flat.take(top + ci), flat.take(top + ci1)
            v10, v11 = flat.take(bot + ci), flat.take(bot + ci1)
            v01 -= v00
            v01 *= fc
            v00 += v01                                # the upper row, interpolated along columns
            v11 -= v10
            v11 *= fc
            v10 += v11                                # the lower row
            v10 -= v00
            v10 *= fr
            v00 += v10
            out[i:j, ch] = v00
    return out


