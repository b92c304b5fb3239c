"""Where a network looks: occlusion sensitivity and Grad-CAM.

>>> res = occlusion(model, image, target=2, patch=8, stride=4)   # image : (C, H, W) in [0, 1]
>>> cam = grad_cam(model, image, target=2)

Occlusion sensitivity (Zeiler & Fergus 2014): cover one square of the image
with grey, measure the class probability again, and record the drop; slide the
square over the whole image. A pixel's value is the mean drop of all squares
that covered it. Only forward passes: it works for any network.

Grad-CAM (Selvaraju et al. 2017) on the last convolution layer: run the
layers one by one and keep that layer's output ``A : (K, h, w)``; back-propagate
the class score ``y_c`` (the logit, before softmax) down to it, giving
``dy_c/dA``; weight each map by the mean of its gradient,
``alpha_k = mean_ij dy_c/dA_k[i, j]``, and keep the positive part of the
weighted sum, ``cam = max(0, sum_k alpha_k A_k)``, scaled up to the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import LessonError

F32 = np.float32


# ----------------------------------------------------------------------------
# One layer forward / backward, stateless (out, cache) / (dx, grads)
# ----------------------------------------------------------------------------
def _forward(layer, x):
    return layer.forward(x, train=False)


def _backward(layer, dout, cache):
    dx, _ = layer.backward(dout, cache)
    return dx


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _check(model, image, target):
    x = np.asarray(image, dtype=F32)
    if x.shape != tuple(model.input_shape):
        raise LessonError("saliency_bad_input", f"the image must have the model's input shape "
                          f"{tuple(model.input_shape)}, got {x.shape}.", shape=str(x.shape))
    if not (isinstance(target, (int, np.integer)) and 0 <= target < model.num_classes):
        raise LessonError("saliency_bad_target", f"the class must be from 0 to {model.num_classes - 1}, "
                          f"got {target!r}.", value=str(target))
    return x


def last_conv_index(model):
    """Position in ``model.layers`` of the last convolution layer, or None."""
    idx = [i for i, layer in enumerate(model.layers) if layer.kind == "conv"]
    return idx[-1] if idx else None


# ----------------------------------------------------------------------------
# Grad-CAM
# ----------------------------------------------------------------------------
def conv_maps_and_gradient(model, image, target):
    """The last convolution's output ``A`` and ``dy_c/dA`` for one image.

    Returns
    -------
    a : (K, h, w) float32, the feature maps of the last convolution layer
    grad : (K, h, w) float32, the gradient of class ``target``'s score (logit) with respect to ``a``
    logits : (num_classes,) float32
    """
    x = _check(model, image, target)
    k = last_conv_index(model)
    if k is None:
        raise LessonError("saliency_no_conv", "Grad-CAM needs a convolution layer; this network has none.")
    h = x[None]
    for layer in model.layers[:k + 1]:
        h, _ = _forward(layer, h)
    a = h
    caches = []
    for layer in model.layers[k + 1:]:
        h, cache = _forward(layer, h)
        caches.append((layer, cache))
    logits = h[0]
    d = np.zeros_like(h)
    d[0, target] = 1.0
    for layer, cache in reversed(caches):
        d = _backward(layer, d, cache)
    return a[0], d[0].astype(F32), logits


def score_after(model, a, target):
    """The class score computed from the last convolution's output ``a : (K, h, w)`` onwards."""
    k = last_conv_index(model)
    h = np.asarray(a, dtype=F32)[None]
    for layer in model.layers[k + 1:]:
        h, _ = _forward(layer, h)
    return float(h[0, target])


def upsample(m, shape):
    """Bilinear resize of a small map ``(h, w)`` to ``shape = (H, W)`` (pixel centres aligned)."""
    m = np.asarray(m, dtype=np.float64)
    h, w = m.shape
    rows, cols = shape
    r = np.clip((np.arange(rows) + 0.5) * h / rows - 0.5, 0, h - 1)
    c = np.clip((np.arange(cols) + 0.5) * w / cols - 0.5, 0, w - 1)
    r0 = np.minimum(np.floor(r).astype(int), max(h - 2, 0))
    c0 = np.minimum(np.floor(c).astype(int), max(w - 2, 0))
    r1, c1 = np.minimum(r0 + 1, h - 1), np.minimum(c0 + 1, w - 1)
    fr, fc = (r - r0)[:, None], (c - c0)[None, :]
    return (m[np.ix_(r0, c0)] * (1 - fr) * (1 - fc) + m[np.ix_(r0, c1)] * (1 - fr) * fc
            + m[np.ix_(r1, c0)] * fr * (1 - fc) + m[np.ix_(r1, c1)] * fr * fc)


@dataclass(frozen=True)
class Saliency:
    """A saliency map over the image: ``map`` (H, W) float64, larger = more important.

    ``small`` is the map before scaling up (Grad-CAM: the conv layer's grid;
    occlusion: one value per patch position), ``target`` the class, ``prob``
    the class probability of the untouched image.
    """

    map: np.ndarray
    small: np.ndarray
    target: int
    prob: float
    method: str


def grad_cam(model, image, target):
    """Grad-CAM of class ``target`` on the last convolution layer (see the module text)."""
    a, grad, logits = conv_maps_and_gradient(model, image, target)
    alpha = grad.mean(axis=(1, 2))                                  # (K,)
    cam = np.maximum(np.tensordot(alpha, a, axes=1), 0).astype(np.float64)
    big = upsample(cam, model.input_shape[1:])
    return Saliency(big, cam, int(target), float(_softmax(logits.astype(np.float64))[target]), "gradcam")


# ----------------------------------------------------------------------------
# Occlusion
# ----------------------------------------------------------------------------
def patch_corners(size, patch, stride):
    """Top-left corners along one side so that the patches cover it to the end."""
    last = max(size - patch, 0)
    corners = list(range(0, last + 1, stride))
    if corners[-1] != last:
        corners.append(last)
    return np.array(corners)


def occlusion_cost(input_shape, patch, stride):
    """How many images one occlusion map needs (one forward pass each, batched)."""
    _, h, w = input_shape
    return len(patch_corners(h, min(patch, h), stride)) * len(patch_corners(w, min(patch, w), stride))


MAX_OCCLUSION_IMAGES = 1024


def occlusion(model, image, target, patch=8, stride=4, fill=0.5, batch_size=128):
    """Occlusion sensitivity of class ``target``: the mean probability drop of the patches over a pixel.

    Parameters
    ----------
    image : (C, H, W) float in [0, 1]
    patch, stride : side and step of the grey square, in pixels
    fill : the grey value of the square

    Returns
    -------
    :class:`Saliency`; ``small`` is ``(len(rows), len(cols))`` drops, one per patch position.
    """
    x = _check(model, image, target)
    c, h, w = x.shape
    for name, v in (("patch", patch), ("stride", stride)):
        if not (isinstance(v, (int, np.integer)) and 1 <= v <= max(h, w)):
            raise LessonError("saliency_bad_patch", f"{name} must be from 1 to {max(h, w)}, got {v!r}.",
                              name=name, value=str(v))
    if occlusion_cost(x.shape, patch, stride) > MAX_OCCLUSION_IMAGES:
        raise LessonError("saliency_too_many", f"this patch and stride need more than "
                          f"{MAX_OCCLUSION_IMAGES} forward passes; use a larger stride.",
                          limit=MAX_OCCLUSION_IMAGES)
    ph, pw = min(patch, h), min(patch, w)
    rows, cols = patch_corners(h, ph, stride), patch_corners(w, pw, stride)
    base = float(model.predict(x[None])[0, target])
    drops = np.zeros(rows.size * cols.size)
    positions = [(r, q) for r in rows for q in cols]
    for start in range(0, len(positions), batch_size):
        chunk = positions[start:start + batch_size]
        batch = np.repeat(x[None], len(chunk), axis=0)
        for i, (r, q) in enumerate(chunk):
            batch[i, :, r:r + ph, q:q + pw] = fill
        drops[start:start + len(chunk)] = base - model.predict(batch)[:, target]
    total = np.zeros((h, w))
    count = np.zeros((h, w))
    for d, (r, q) in zip(drops, positions):
        total[r:r + ph, q:q + pw] += d
        count[r:r + ph, q:q + pw] += 1
    return Saliency(total / np.maximum(count, 1), drops.reshape(rows.size, cols.size), int(target), base,
                    "occlusion")


def normalise(m):
    """The positive part of a map divided by its maximum, for an overlay (0 where nothing matters).

    Negative occlusion values (covering a square made the class *more* likely) show as 0.
    """
    m = np.maximum(np.asarray(m, dtype=np.float64), 0)
    hi = m.max()
    return m / hi if hi > 0 else np.zeros_like(m)


def overlay(image, m, alpha=0.5):
    """Blend a [0, 1] map (as a red-yellow heat colour) over an image ``(H, W)`` or ``(H, W, 3)``."""
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    v = normalise(m)[:, :, None]
    heat = np.concatenate([np.ones_like(v), v, np.zeros_like(v)], axis=2)   # red -> yellow
    return (1 - alpha * v) * img + alpha * v * heat


def border_mask(image, threshold=0.1):
    """Pixels of an object on a plain background: those whose colour differs from the median colour
    of the image's border by more than ``threshold`` (mean absolute difference over the channels,
    so grey and colour images are measured alike).

    image : (C, H, W) in [0, 1]; returns (H, W) bool.
    """
    x = np.asarray(image, dtype=np.float64)
    border = np.concatenate([x[:, 0, :], x[:, -1, :], x[:, :, 0], x[:, :, -1]], axis=1)   # (C, 2H + 2W)
    bg = np.median(border, axis=1)
    return np.abs(x - bg[:, None, None]).mean(axis=0) > threshold


def share_inside(m, mask):
    """The fraction of a non-negative map's total that falls on ``mask`` (0 if the map is all zero)."""
    m = np.maximum(np.asarray(m, dtype=np.float64), 0)
    total = m.sum()
    return float(m[np.asarray(mask, bool)].sum() / total) if total > 0 else 0.0
