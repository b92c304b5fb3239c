"""Linear classifiers on 2-D points: softmax, cross-entropy, and why not least squares.

A linear classifier with ``K`` classes gives point ``x = (x1, x2)`` the scores
``s = x W + b`` (``W : (2, K)``, ``b : (K,)``) and predicts the class with the
largest score; the boundary between two classes is the line where their scores
are equal. Two ways to choose ``W, b``:

* cross-entropy: ``p = softmax(s)``, loss ``-log p_y`` averaged over the points
  (plus ``lam/2 ||W||^2``), gradient ``dL/ds = p - onehot(y)``, minimised by
  gradient descent (:func:`train_softmax`);
* least squares on one-hot targets: minimise ``||[X 1] V - Y||^2``, solved in
  closed form by the normal equations (:func:`fit_least_squares`). Far-away
  points on the correct side pull this boundary (their squared error is huge
  although they are classified right), and with three classes in a row the
  middle class can be "masked": it wins nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..checks import LessonError

MAX_POINTS = 200
MAX_ADDED = 60
MAX_STEPS = 2000
COORD_LIMIT = 10.0
PRESETS = ("two_blobs", "two_far", "three_line", "three_blobs")


# --------------------------------------------------------------------------
# Points
# --------------------------------------------------------------------------
def preset(name, seed=0):
    """``(X (N, 2), y (N,), K)`` of a named point set.

    two_blobs    two classes, well separated
    two_far      the same plus a cloud of far-away points of class 1 on its own (correct) side
                 (the classic figure where least squares swings and cross-entropy does not)
    three_line   three classes along a diagonal: least squares masks the middle class
    three_blobs  three classes around a triangle
    """
    rng = np.random.default_rng(seed)

    def blob(cx, cy, n, sd=0.5):
        return rng.normal([cx, cy], sd, size=(n, 2))

    if name in ("two_blobs", "two_far"):
        xs = [blob(-1.5, 1.0, 20), blob(1.0, -1.0, 20)]
        ys = [0] * 20 + [1] * 20
        if name == "two_far":
            xs.append(blob(6.0, -6.5, 12, 0.6))
            ys += [1] * 12
        return np.vstack(xs), np.array(ys), 2
    if name == "three_line":
        xs = [blob(-4, -4, 15, 0.6), blob(0, 0, 15, 0.6), blob(4, 4, 15, 0.6)]
        return np.vstack(xs), np.repeat([0, 1, 2], 15), 3
    if name == "three_blobs":
        xs = [blob(-2.5, -1.5, 15), blob(2.5, -1.5, 15), blob(0, 2.5, 15)]
        return np.vstack(xs), np.repeat([0, 1, 2], 15), 3
    raise LessonError("lin_bad_preset", f"unknown point set {name!r}.", value=str(name))


_POINT = re.compile(r"^(-?\d{1,2}(?:\.\d{1,3})?),(-?\d{1,2}(?:\.\d{1,3})?),([0-2])$")


def parse_points(text, classes):
    """Points added by the student, as kept in a link: ``"x,y,c;x,y,c"``.

    Malformed entries are dropped (never evaluated); coordinates are clipped
    to +-:data:`COORD_LIMIT`, at most :data:`MAX_ADDED` are kept, classes must be < ``classes``.
    Returns ``(X (M, 2), y (M,))``.
    """
    pts, labels = [], []
    for part in str(text or "")[: MAX_ADDED * 24].split(";"):
        m = _POINT.match(part.strip())
        if not m or int(m.group(3)) >= classes:
            continue
        pts.append([float(m.group(1)), float(m.group(2))])
        labels.append(int(m.group(3)))
        if len(pts) >= MAX_ADDED:
            break
    x = np.clip(np.array(pts, dtype=float).reshape(-1, 2), -COORD_LIMIT, COORD_LIMIT)
    return x, np.array(labels, dtype=int)


def format_points(x, y):
    """The inverse of :func:`parse_points` (two decimals)."""
    return ";".join(f"{a:.2f},{b:.2f},{int(c)}" for (a, b), c in zip(np.asarray(x), np.asarray(y)))


def check_points(x, y, classes):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y)
    if x.ndim != 2 or x.shape[1] != 2 or y.shape != (x.shape[0],):
        raise LessonError("lin_bad_points", "points must be an (N, 2) array with N labels.")
    if x.shape[0] > MAX_POINTS:
        raise LessonError("lin_too_many", f"at most {MAX_POINTS} points.", limit=MAX_POINTS)
    if not np.all(np.isfinite(x)):
        raise LessonError("not_finite", "the points contain values that are not finite.", name="points")
    if y.size and (y.min() < 0 or y.max() >= classes):
        raise LessonError("lin_bad_points", "a label is not one of the classes.")
    present = np.unique(y)
    if present.size < 2:
        raise LessonError("lin_need_two_classes", "a classifier needs points of at least two classes.")
    return x, y.astype(int)


# --------------------------------------------------------------------------
# Softmax and cross-entropy, step by step
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class SoftmaxSteps:
    scores: np.ndarray        # (K,) s = x W + b
    shifted: np.ndarray       # (K,) s - max s (same probabilities, no overflow)
    exps: np.ndarray          # (K,) e^(s - max s)
    total: float              # sum of the exponentials
    probs: np.ndarray         # (K,) p = e / total
    label: int
    loss: float               # -log p_label
    grad: np.ndarray          # (K,) dL/ds = p - onehot(label)


def softmax_steps(scores, label):
    """Every intermediate number of ``-log softmax(s)_label`` and its gradient ``p - y``."""
    s = np.asarray(scores, dtype=float)
    if s.ndim != 1 or s.size < 2 or not np.all(np.isfinite(s)):
        raise LessonError("lin_bad_points", "scores must be a vector of finite numbers.")
    if not 0 <= int(label) < s.size:
        raise LessonError("lin_bad_points", "the label is not one of the classes.")
    shifted = s - s.max()
    e = np.exp(shifted)
    total = float(e.sum())
    p = e / total
    g = p.copy()
    g[int(label)] -= 1.0
    loss = float(np.log(total) - shifted[int(label)])     # = -log p_label, without log(0)
    return SoftmaxSteps(s, shifted, e, total, p, int(label), loss, g)


def scores(x, w, b):
    """``(N, K)`` scores ``x W + b``."""
    return np.asarray(x, dtype=float) @ w + b


def xent_loss_grad(w, b, x, y, lam=0.0):
    """Mean cross-entropy of ``softmax(x W + b)`` plus ``lam/2 ||W||^2`` and its gradients ``(dW, db)``.

    ``dL/ds = (p - onehot(y)) / N``, ``dW = x^T dL/ds + lam W``, ``db = sum_n dL/ds``.
    """
    n = x.shape[0]
    s = scores(x, w, b)
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    loss = -float(logp[np.arange(n), y].mean()) + 0.5 * lam * float(np.sum(w * w))
    ds = np.exp(logp)
    ds[np.arange(n), y] -= 1.0
    ds /= n
    return loss, x.T @ ds + lam * w, ds.sum(axis=0)


@dataclass(frozen=True)
class SoftmaxFit:
    w: np.ndarray             # (2, K)
    b: np.ndarray             # (K,)
    losses: np.ndarray        # (steps + 1,) the loss before each step and after the last
    accuracy: float


def train_softmax(x, y, classes, lr=0.5, steps=300, lam=1e-3):
    """Full-batch gradient descent on the cross-entropy, from ``W = 0, b = 0``."""
    x, y = check_points(x, y, classes)
    if not (isinstance(steps, (int, np.integer)) and 1 <= steps <= MAX_STEPS):
        raise LessonError("lin_bad_steps", f"steps must be from 1 to {MAX_STEPS}.", limit=MAX_STEPS)
    if not (np.isfinite(lr) and 0 < lr <= 20) or not (np.isfinite(lam) and lam >= 0):
        raise LessonError("lin_bad_lr", "the learning rate must be above 0 and at most 20.", value=f"{lr:g}")
    w, b = np.zeros((2, classes)), np.zeros(classes)
    losses = []
    for _ in range(steps):
        loss, dw, db = xent_loss_grad(w, b, x, y, lam)
        losses.append(loss)
        w, b = w - lr * dw, b - lr * db
    losses.append(xent_loss_grad(w, b, x, y, lam)[0])
    acc = float(np.mean(np.argmax(scores(x, w, b), axis=1) == y))
    return SoftmaxFit(w, b, np.array(losses), acc)


@dataclass(frozen=True)
class LeastSquaresFit:
    w: np.ndarray             # (2, K)
    b: np.ndarray             # (K,)
    accuracy: float


def fit_least_squares(x, y, classes):
    """Minimise ``||[X 1] V - Y||^2`` with ``Y`` one-hot: ``V = (A^T A)^-1 A^T Y``, ``A = [X 1]``."""
    x, y = check_points(x, y, classes)
    a = np.hstack([x, np.ones((x.shape[0], 1))])
    onehot = np.eye(classes)[y]
    gram = a.T @ a
    if np.linalg.cond(gram) > 1e12:
        raise LessonError("lin_degenerate", "the points lie on one line (or one spot): least squares "
                          "has no unique answer.")
    v = np.linalg.solve(gram, a.T @ onehot)
    w, b = v[:2], v[2]
    acc = float(np.mean(np.argmax(scores(x, w, b), axis=1) == y))
    return LeastSquaresFit(w, b, acc)


def region_grid(w, b, extent, n=120):
    """Predicted class on an ``n x n`` grid over ``extent = (xmin, xmax, ymin, ymax)``: ``(xs, ys, classes)``."""
    xs = np.linspace(extent[0], extent[1], n)
    ys = np.linspace(extent[2], extent[3], n)
    gx, gy = np.meshgrid(xs, ys)
    s = scores(np.column_stack([gx.ravel(), gy.ravel()]), w, b)
    return xs, ys, np.argmax(s, axis=1).reshape(n, n)


def boundary_lines(w, b):
    """For each pair ``(i, j)`` the line ``x . (w_i - w_j) + (b_i - b_j) = 0`` as ``(a1, a2, c)``."""
    k = w.shape[1]
    return {(i, j): (float(w[0, i] - w[0, j]), float(w[1, i] - w[1, j]), float(b[i] - b[j]))
            for i in range(k) for j in range(i + 1, k)}


def extent_of(x, margin=1.0):
    """A square-ish view around the points."""
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def far_points(x, y, cls, n=12, distance=6.0, seed=0):
    """``n`` points of class ``cls`` far out on its own side: its mean pushed ``distance`` times further
    from the centre of all points (they are classified right by any sensible boundary)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y)
    if not np.any(y == cls):
        raise LessonError("lin_no_class_points", "that class has no points yet.", cls=int(cls) + 1)
    centre, mean = x.mean(axis=0), x[y == cls].mean(axis=0)
    target = np.clip(centre + (1.0 + distance) * (mean - centre), -COORD_LIMIT + 1, COORD_LIMIT - 1)
    pts = np.random.default_rng(seed).normal(target, 0.5, size=(n, 2))
    return np.clip(pts.round(2), -COORD_LIMIT, COORD_LIMIT), np.full(n, int(cls))


def boundary_angle(w):
    """Direction (degrees) of the normal of the two-class boundary ``x . (w_0 - w_1) = const``."""
    d = np.asarray(w)[:, 0] - np.asarray(w)[:, 1]
    return float(np.degrees(np.arctan2(d[1], d[0])))
