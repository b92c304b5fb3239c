"""Training a model: mini-batch gradient descent as a generator of progress reports.

>>> for report in train(model, load_digits(), epochs=2):
...     if report["kind"] == "batch":
...         print(report["epoch"], report["batch"], report["loss"])

Each step: take a batch, optionally augment it (random shifts and small
rotations), forward pass, softmax cross-entropy, backward pass, and one
update by an optimizer from :mod:`cnnlab.calculus.optim` (the same code the
gradient-descent lesson uses). The caller can stop between any two batches
(``stop()`` returning True, or simply not asking for the next report); the
model keeps what it has learned so far. Everything random comes from ``seed``.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from ..calculus.optim import OPTIMIZERS, SCHEDULES, make_optimizer, make_schedule
from ..checks import LessonError
from ..geometry.cost import MAX_STEP_BYTES, check_budget, network_cost
from . import fast, fast_train
from .data import to_float
from .layers import F32, softmax_cross_entropy

logger = logging.getLogger(__name__)

DEFAULTS = {"optimizer": "adam", "lr": 0.002, "schedule": "cosine", "batch_size": 64, "epochs": 8,
            "augment": True, "seed": 0}


# --------------------------------------------------------------------------
# Threads of the matrix library
# --------------------------------------------------------------------------
def blas_threads(n):
    """Limit the BLAS libraries (OpenBLAS, MKL, ...) to ``n`` threads, through ``threadpoolctl``.

    Use it as a context manager: ``with blas_threads(1): ...`` applies the limit
    for the block and restores the previous one afterwards. BLAS keeps a single,
    process-wide thread count, so while the block runs the limit holds for every
    thread of the process (called without ``with``, it simply stays set).

    LeNet-sized matrix products are small: one thread each is as fast as two on
    an idle machine, and far faster on a busy one (two BLAS threads that must
    meet at every product stall when other work holds the cores: measured 10x
    slower here). The lesson runs each trainer with one thread.
    """
    return threadpool_limits(limits=int(n), user_api="blas")


def blas_report():
    """The BLAS libraries NumPy uses and their current threads: a list of dicts
    (``internal_api``, ``version``, ``num_threads``, ``threading_layer``, ``filepath``), for the logs."""
    return [{k: info.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer", "filepath")}
            for info in threadpool_info() if info.get("user_api") == "blas"]


# --------------------------------------------------------------------------
# Data augmentation
# --------------------------------------------------------------------------
def augment_batch(x, rng, max_shift=2.0, max_degrees=10.0):
    """Randomly shift (up to ``max_shift`` pixels) and rotate (up to ``max_degrees``) each image.

    Parameters
    ----------
    x : (N, C, H, W) float32
    rng : numpy.random.Generator

    Returns
    -------
    (N, C, H, W) float32. Each output pixel samples the input at the inverse
    of its image's rotation about the centre plus shift, with bilinear
    interpolation; pixels that come from outside the image are 0 (black).
    """
    n, c, h, w = x.shape
    ang = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n)).astype(F32)
    shift = rng.uniform(-max_shift, max_shift, (2, n)).astype(F32)
    cos, sin = np.cos(ang)[:, None, None], np.sin(ang)[:, None, None]
    cy, cx = F32((h - 1) / 2), F32((w - 1) / 2)
    rr = np.arange(h, dtype=F32)[None, :, None] - cy - shift[0][:, None, None]
    cc = np.arange(w, dtype=F32)[None, None, :] - cx - shift[1][:, None, None]
    src_r = cos * rr + sin * cc + cy          # inverse rotation of the destination grid
    src_c = -sin * rr + cos * cc + cx
    r0 = np.floor(src_r)
    c0 = np.floor(src_c)
    fr, fc = src_r - r0, src_c - c0
    # a zero border of one pixel: every out-of-range index is clipped onto it
    hp, wp = h + 2, w + 2
    xp = np.zeros((n * c, hp, wp), F32)
    xp[:, 1:-1, 1:-1] = x.reshape(n * c, h, w)
    ri = np.clip(r0.astype(np.int64) + 1, 0, hp - 1)
    ci = np.clip(c0.astype(np.int64) + 1, 0, wp - 1)
    ri1 = np.clip(r0.astype(np.int64) + 2, 0, hp - 1)
    ci1 = np.clip(c0.astype(np.int64) + 2, 0, wp - 1)
    base = (np.arange(n * c) * (hp * wp))[:, None, None]
    rep = np.repeat(np.arange(n), c)
    flat = xp.reshape(-1)

    def at(r, q):
        return flat[base + (r * wp + q)[rep]]

    frr, fcc = fr[rep], fc[rep]
    out = (at(ri, ci) * (1 - frr) * (1 - fcc) + at(ri, ci1) * (1 - frr) * fcc
           + at(ri1, ci) * frr * (1 - fcc) + at(ri1, ci1) * frr * fcc)
    return out.reshape(n, c, h, w).astype(F32, copy=False)


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------
def evaluate(model, x, y, batch_size=None):
    """Loss, accuracy and predictions on a whole set.

    Parameters
    ----------
    x : (N, C, H, W) float32, or (N, H, W) uint8 images
    y : (N,) int labels

    Returns
    -------
    dict with ``loss`` (mean cross-entropy), ``accuracy`` (fraction correct),
    ``pred`` (N,) predicted classes, ``probs`` (N, K). The probabilities come from
    :meth:`cnnlab.nn.model.Model.predict` (the fast engine, in chunks of ``batch_size``).
    """
    if x.dtype == np.uint8:
        x = to_float(x)
    probs = model.predict(x, batch_size)
    y = np.asarray(y)
    loss = -float(np.mean(np.log(np.maximum(probs[np.arange(y.size), y], 1e-12)))) if y.size else 0.0
    pred = probs.argmax(axis=1)
    return {"loss": loss, "accuracy": float(np.mean(pred == y)) if y.size else 0.0, "pred": pred,
            "probs": probs}


def confusion_matrix(y_true, y_pred, k=10):
    """``m[i, j]`` = how many examples of class ``i`` were predicted as ``j``: (k, k) int."""
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return m


# --------------------------------------------------------------------------
# The training loop
# --------------------------------------------------------------------------
def check_settings(optimizer="adam", lr=0.002, schedule="cosine", batch_size=64, epochs=8, **_):
    """Validate training settings with sentences a student understands."""
    if optimizer not in OPTIMIZERS:
        raise LessonError("train_bad_optimizer", f"unknown optimizer '{optimizer}'.", name=str(optimizer))
    if schedule not in SCHEDULES:
        raise LessonError("train_bad_schedule", f"unknown schedule '{schedule}'.", name=str(schedule))
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and 0 < lr <= 1):
        raise LessonError("train_bad_lr", f"the learning rate must be above 0 and at most 1, got {lr}.",
                          value=str(lr))
    if not (isinstance(batch_size, int) and 1 <= batch_size <= 1024):
        raise LessonError("train_bad_batch", f"the batch size must be from 1 to 1024, got {batch_size}.",
                          value=str(batch_size))
    if not (isinstance(epochs, int) and 1 <= epochs <= 100):
        raise LessonError("train_bad_epochs", f"epochs must be from 1 to 100, got {epochs}.",
                          value=str(epochs))


def train(model, data, optimizer="adam", lr=0.002, schedule="cosine", batch_size=64, epochs=8,
          augment=True, seed=0, val_per_epoch=4, max_batches=None, stop=None, max_step_bytes=MAX_STEP_BYTES,
          engine="readable"):
    """Train ``model`` in place, yielding a progress report after every batch.

    Parameters
    ----------
    model : :class:`cnnlab.nn.model.Model`
    data : ``(train, val, test)`` pairs of (uint8 (N, 28, 28) images, labels); test is not used
    optimizer, lr, schedule : see :mod:`cnnlab.calculus.optim` (the schedule spans the whole run)
    batch_size, epochs : ints
    augment : bool, random shifts (+-2 px) and rotations (+-10 degrees); or a function ``(x, rng) -> x``
    seed : int; the same seed and settings give the same run
    val_per_epoch : how many times per epoch to measure the validation set
    max_batches : stop after this many batches in all (for quick demos and tests)
    stop : callable returning True to stop before the next batch
    max_step_bytes : the budget of one step's estimated peak memory
        (:func:`cnnlab.geometry.cost.network_cost`); a larger network and batch is
        refused with ``LessonError("train_too_much_memory")`` before training starts
    engine : ``"readable"`` (the loop below, these layers) or ``"fast"`` (the same loop on the
        batch-innermost engine of :mod:`cnnlab.nn.fast_train`: same settings, reports and model)

    Yields
    ------
    dict reports, by ``kind``:
      ``"start"``: ``steps`` (total batches), ``steps_per_epoch``, ``train_size``;
      ``"batch"``: ``epoch`` (from 1), ``batch`` (from 1 in the epoch), ``step`` (from 1),
      ``steps``, ``loss``, ``accuracy`` (of this batch), ``images_per_s``, ``lr``, ``elapsed``;
      ``"val"``: ``step``, ``epoch``, ``val_loss``, ``val_accuracy``, ``elapsed``;
      ``"end"``: ``step``, ``stopped`` (bool), ``elapsed`` (seconds of training).
    """
    if engine not in ("readable", "fast"):
        raise ValueError(f"unknown training engine {engine!r}; use 'readable' or 'fast'.")
    check_settings(optimizer, lr, schedule, batch_size, epochs)
    cost = network_cost(model.description(), model.input_shape, batch_size)
    check_budget(cost, max_params=float("inf"), max_macs=float("inf"), max_bytes=max_step_bytes)
    params = model.parameters()

    def readable_step(xb, yb, opt, rng):
        logits, caches = model.forward(xb, train=True, rng=rng)
        loss, dlogits, probs = softmax_cross_entropy(logits, yb)
        if not np.all(np.isfinite(logits)):
            return math.nan, 0
        _, grads = model.backward(dlogits, caches, input_grad=False)
        del caches
        opt.step(params, grads)
        return loss, int(np.sum(probs.argmax(1) == yb))

    settings = dict(optimizer=optimizer, lr=lr, schedule=schedule, batch_size=batch_size, epochs=epochs,
                    augment=augment, seed=seed, val_per_epoch=val_per_epoch, max_batches=max_batches, stop=stop)
    about = f"{model.n_params()} parameters, est. step peak {cost.peak_bytes / 2 ** 20:.0f} MB"
    if engine == "readable":
        yield from _loop("training job", data, readable_step, lambda x, y: evaluate(model, x, y),
                         augment_batch, about=about, **settings)
        return
    net = fast.FastNet(model)
    try:
        yield from _loop("training job on the fast engine", data, net.train_step,
                         lambda x, y: fast.evaluate(net, x, y), fast_train.augment_batch,
                         after_val=lambda: net.write_to(model), about=about, **settings)
    finally:                                  # however it ends, the model keeps what was learned
        net.write_to(model)
        net.release()


def _loop(label, data, step_fn, eval_fn, default_augment, optimizer, lr, schedule, batch_size, epochs, augment,
          seed, val_per_epoch, max_batches, stop, after_val=None, about=""):
    """The training loop both engines share: batches, augmentation, validation points, reports, logging.

    ``step_fn(xb, yb, opt, rng) -> (loss, number correct)`` does one forward/backward/update;
    ``eval_fn(x, y) -> {"loss", "accuracy"}`` measures the validation set; ``after_val()`` runs after it.
    """
    (xtr, ytr), (xva, yva) = data[0], data[1]
    x_train, y_train = to_float(xtr), np.asarray(ytr, dtype=np.int64)
    x_val, y_val = to_float(xva), np.asarray(yva, dtype=np.int64)
    n = x_train.shape[0]
    if n == 0:
        raise LessonError("train_no_data", "the training set is empty.")
    rng = np.random.default_rng(seed)
    per_epoch = math.ceil(n / batch_size)
    steps = per_epoch * epochs
    if max_batches is not None:
        steps = min(steps, int(max_batches))
    opt = make_optimizer(optimizer, lr=lr, schedule=make_schedule(schedule, total_steps=steps))
    val_points = {min(per_epoch, round(per_epoch * (i + 1) / val_per_epoch)) for i in range(val_per_epoch)}
    logger.info("%s started: %d steps, batch %d, %s, lr %g, %s", label, steps, batch_size, optimizer, lr, about)
    step, finished = 0, False
    try:
        yield {"kind": "start", "steps": steps, "steps_per_epoch": per_epoch, "train_size": n}
        t_start = time.perf_counter()
        busy = 0.0
        recent = []
        stopped = False
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n)
            for b in range(per_epoch):
                if step >= steps or (stop is not None and stop()):
                    stopped = step < steps
                    break
                t0 = time.perf_counter()
                idx = order[b * batch_size:(b + 1) * batch_size]
                xb, yb = x_train[idx], y_train[idx]
                if callable(augment):           # a lesson's own augmentation, (x, rng) -> x
                    xb = augment(xb, rng)
                elif augment:
                    xb = default_augment(xb, rng)
                rate = opt.current_lr()
                loss, correct = step_fn(xb, yb, opt, rng)
                if not math.isfinite(loss):
                    raise LessonError("train_diverged", f"training diverged at step {step + 1}: the loss is no "
                                      "longer a finite number; lower the learning rate.", step=step + 1)
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
                    ev = eval_fn(x_val, y_val)
                    if after_val is not None:
                        after_val()
                    busy += time.perf_counter() - t0
                    yield {"kind": "val", "epoch": epoch, "step": step, "val_loss": ev["loss"],
                           "val_accuracy": ev["accuracy"], "elapsed": busy}
            else:
                continue
            break
        finished = True
        logger.info("%s %s at step %d of %d after %.1f s", label, "stopped" if stopped else "finished",
                    step, steps, busy)
        yield {"kind": "end", "step": step, "stopped": stopped, "elapsed": busy,
               "wall": time.perf_counter() - t_start}
    except GeneratorExit:
        if not finished:
            logger.info("%s abandoned by its caller at step %d of %d", label, step, steps)
        raise
    except LessonError as exc:
        logger.warning("%s failed at step %d of %d: %s", label, step, steps, exc.code)
        raise
    except Exception:
        logger.exception("%s failed at step %d of %d", label, step, steps)
        raise


def fit(model, data, **settings):
    """Run :func:`train` to the end; returns the list of ``"val"`` reports and the final one."""
    history = [r for r in train(model, data, **settings) if r["kind"] in ("val", "end")]
    return history
