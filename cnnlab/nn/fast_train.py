"""Training on the fast engine (:mod:`cnnlab.nn.fast`): the loop of :func:`cnnlab.nn.train.train`, faster.

:func:`run` (``cnnlab.nn.train.train(..., engine="fast")``) takes the same
settings and yields the same reports as the readable trainer; the forward and backward passes, the update and the
validation run on a :class:`~cnnlab.nn.fast.FastNet`, and the trained weights
are written back into the model (at every validation point, at the end and
when the caller stops asking), so the model stays the readable one.

:func:`augment_batch` is the trainer's augmentation (same random numbers,
same images to float rounding), computed in chunks with 32-bit indices and
two linear interpolations instead of four weights per pixel.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from ..calculus.optim import make_optimizer, make_schedule
from ..checks import LessonError
from .data import to_float
from .fast import FastNet, evaluate
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


def run(model, data, optimizer="adam", lr=0.002, schedule="cosine", batch_size=64, epochs=8,
        augment=True, seed=0, val_per_epoch=4, max_batches=None, stop=None, val_size=None):
    """Train ``model`` in place on the fast engine, yielding the reports of :func:`cnnlab.nn.train.train`.

    Called as ``train(model, data, engine="fast", ...)``, which checks the settings and
    the memory budget first. Same parameters and reports as the readable loop, plus ``val_size``: measure
    the validation curve on the first ``val_size`` validation images only (default:
    all of them). The same seed gives the same batches, augmentations and dropout
    masks as the readable trainer (the weights then agree to float rounding).
    """
    (xtr, ytr), (xva, yva) = data[0], data[1]
    x_train, y_train = to_float(xtr), np.asarray(ytr, dtype=np.int64)
    x_val, y_val = to_float(xva), np.asarray(yva, dtype=np.int64)
    if val_size is not None:
        x_val, y_val = x_val[:int(val_size)], y_val[:int(val_size)]
    n = x_train.shape[0]
    if n == 0:
        raise LessonError("train_no_data", "the training set is empty.")
    rng = np.random.default_rng(seed)
    per_epoch = math.ceil(n / batch_size)
    steps = per_epoch * epochs
    if max_batches is not None:
        steps = min(steps, int(max_batches))
    opt = make_optimizer(optimizer, lr=lr, schedule=make_schedule(schedule, total_steps=steps))
    net = FastNet(model)
    val_points = {min(per_epoch, round(per_epoch * (i + 1) / val_per_epoch)) for i in range(val_per_epoch)}
    logger.info("fast training started: %d steps, batch %d, %s", steps, batch_size, optimizer)
    yield {"kind": "start", "steps": steps, "steps_per_epoch": per_epoch, "train_size": n}
    t_start = time.perf_counter()
    busy, recent, step, stopped, finished = 0.0, [], 0, False, False
    try:
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n)
            for b in range(per_epoch):
                if step >= steps or (stop is not None and stop()):
                    stopped = step < steps
                    break
                t0 = time.perf_counter()
                idx = order[b * batch_size:(b + 1) * batch_size]
                xb, yb = x_train[idx], y_train[idx]
                if augment:
                    xb = augment_batch(xb, rng)
                rate = opt.current_lr()
                loss, correct = net.train_step(xb, yb, opt, rng)
                if not math.isfinite(loss):
                    raise LessonError("train_diverged", f"training diverged at step {step + 1}: the loss is "
                                      "no longer a finite number; lower the learning rate.", step=step + 1)
                step += 1
                dt = time.perf_counter() - t0
                busy += dt
                recent = (recent + [(idx.size, dt)])[-20:]
                yield {"kind": "batch", "epoch": epoch, "batch": b + 1, "step": step, "steps": steps,
                       "loss": loss, "accuracy": correct / idx.size,
                       "images_per_s": sum(k for k, _ in recent) / max(sum(t for _, t in recent), 1e-9),
                       "lr": rate, "elapsed": busy}
                if (b + 1) in val_points or step == steps:
                    t0 = time.perf_counter()
                    ev = evaluate(net, x_val, y_val)
                    net.write_to(model)
                    busy += time.perf_counter() - t0
                    yield {"kind": "val", "epoch": epoch, "step": step, "val_loss": ev["loss"],
                           "val_accuracy": ev["accuracy"], "elapsed": busy}
            else:
                continue
            break
        net.write_to(model)
        finished = True
        logger.info("fast training %s at step %d of %d after %.1f s", "stopped" if stopped else "finished",
                    step, steps, busy)
        yield {"kind": "end", "step": step, "stopped": stopped, "elapsed": busy,
               "wall": time.perf_counter() - t_start}
    except GeneratorExit:
        if not finished:
            logger.info("fast training abandoned by its caller at step %d of %d", step, steps)
        raise
    except LessonError as exc:
        logger.warning("fast training failed at step %d of %d: %s", step, steps, exc.code)
        raise
    except Exception:
        logger.exception("fast training failed at step %d of %d", step, steps)
        raise
    finally:                                  # however it ends, the model keeps what was learned
        net.write_to(model)
        net.release()
