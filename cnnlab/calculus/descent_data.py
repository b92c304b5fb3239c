"""A data-driven loss: regression with two parameters (w, b) on generated data, walked by BGD, SGD and
mini-batch descent with real sample gradients."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..checks import LessonError, check_positive_int
from .descent_walk import _check_steps, descend

DATA_KINDS = ("linear", "logistic")
MODES = ("bgd", "sgd", "minibatch")


@dataclass(frozen=True)
class RegressionData:
    """``n`` samples ``(x_i, y_i)`` and the model ``z = w x + b`` with parameters ``p = (w, b)``.

    Loss of one sample (``linear``): ``l_i = 1/2 (w x_i + b - y_i)^2``;
    (``logistic``): ``l_i = -[y_i log s(z_i) + (1 - y_i) log(1 - s(z_i))] = softplus(z_i) - y_i z_i``.
    Cost: ``J = mean_i l_i``. Objective: ``J + l2/2 w^2`` (the bias is not penalized).
    """

    kind: str
    x: np.ndarray
    y: np.ndarray
    l2: float = 0.0

    def sample_losses(self, w, b):
        """``(..., N)`` losses of every sample for parameters ``w, b`` of any shape ``(...)``."""
        z = np.asarray(w)[..., None] * self.x + np.asarray(b)[..., None]
        if self.kind == "linear":
            return 0.5 * (z - self.y) ** 2
        return np.logaddexp(0.0, z) - self.y * z

    def objective(self, w, b):
        """Cost plus the L2 term, element-wise over arrays ``w, b``."""
        return self.sample_losses(w, b).mean(axis=-1) + 0.5 * self.l2 * np.asarray(w) ** 2

    def batch_grad(self, p, idx=None):
        """Gradient of the objective on the samples ``idx`` (all when None): ``mean_i dl_i/dp + (l2 w, 0)``.

        dl_i/dz = ``z - y_i`` (linear) or ``s(z) - y_i`` (logistic); dz/dw = ``x_i``, dz/db = 1.
        """
        x = self.x if idx is None else self.x[idx]
        y = self.y if idx is None else self.y[idx]
        z = p[0] * x + p[1]
        r = z - y if self.kind == "linear" else 0.5 * (1 + np.tanh(0.5 * z)) - y
        return np.array([np.mean(r * x) + self.l2 * p[0], np.mean(r)])

    def predict(self, p, x):
        """The model's output at inputs ``x``: ``w x + b`` (linear) or ``s(w x + b)`` (logistic)."""
        z = p[0] * np.asarray(x, dtype=float) + p[1]
        return z if self.kind == "linear" else 0.5 * (1 + np.tanh(0.5 * z))

    def minimum(self):
        """The minimizer of the objective by Newton's method (closed form for linear + L2)."""
        p = np.zeros(2)
        for _ in range(1 if self.kind == "linear" else 50):
            z = p[0] * self.x + p[1]
            s = np.ones_like(z) if self.kind == "linear" else 0.25 / np.cosh(0.5 * z) ** 2
            h = np.array([[np.mean(s * self.x * self.x) + self.l2, np.mean(s * self.x)],
                          [np.mean(s * self.x), np.mean(s)]])
            p = p - np.linalg.solve(h, self.batch_grad(p))
        return p

    def surface(self):
        """The objective as a :class:`~cnnlab.calculus.surfaces.Surface` over (w, b) with the full-batch gradient."""
        from .surfaces import Surface

        w0, b0 = self.minimum()
        window = (round(w0) - 3.0, round(w0) + 3.0, round(b0) - 3.0, round(b0) + 3.0)

        def grad(w, b):
            g = self.batch_grad(np.array([w, b], float))
            return g[0], g[1]

        return Surface("data", self.objective, grad, window, (window[0] + 0.5, window[3] - 0.5),
                       ((float(w0), float(b0)),), params={"kind": self.kind, "l2": self.l2})


def make_data(kind="linear", n=60, seed=0, l2=0.0):
    """Generate ``n`` samples with x ~ N(1, 1): linear ``y = 2x - 1 + 0.5 noise``;
    logistic ``y ~ Bernoulli(s(3x - 1))``."""
    if kind not in DATA_KINDS:
        raise LessonError("gd_unknown_data", f"unknown data kind '{kind}'.", name=str(kind))
    n = check_positive_int(n, "samples")
    if n < 2 or n > 2000:
        raise LessonError("gd_samples", f"between 2 and 2000 samples, got {n}.", value=n)
    if not (math.isfinite(l2) and 0 <= l2 <= 100):
        raise LessonError("gd_l2", f"the L2 weight must be between 0 and 100, got {l2}.", value=f"{l2}")
    rng = np.random.default_rng(seed)
    x = 1.0 + rng.standard_normal(n)  # not centred: w and b are coupled, the bowl is tilted
    if kind == "linear":
        y = 2.0 * x - 1.0 + 0.5 * rng.standard_normal(n)
    else:
        y = (rng.random(n) < 1 / (1 + np.exp(-(3.0 * x - 1.0)))).astype(float)
    return RegressionData(kind, x, y, float(l2))


def batch_size_of(mode, n, batch=8):
    """Samples per update: all ``n`` for BGD, 1 for SGD, ``batch`` for mini-batch."""
    if mode not in MODES:
        raise LessonError("gd_unknown_mode", f"unknown mode '{mode}'.", name=str(mode))
    if mode == "bgd":
        return n
    if mode == "sgd":
        return 1
    batch = check_positive_int(batch, "batch size")
    return min(batch, n)


def data_descent(data, mode="sgd", start=None, steps=100, lr=0.1, batch=8, seed=0, optimizer="sgd",
                 schedule="constant", hyper=None):
    """Descent on the data's objective with real sample gradients.

    Each epoch shuffles the samples (a seeded permutation) and cuts them into
    batches of :func:`batch_size_of` samples; update ``k`` uses batch ``k``.
    The recorded losses are the full objective, so the noisy SGD path can be
    drawn on the contours of the whole cost.
    """
    n = len(data.x)
    size = batch_size_of(mode, n, batch)
    steps = _check_steps(steps)
    rng = np.random.default_rng(seed)
    per_epoch = -(-n // size)
    order = []  # batches, generated epoch by epoch as needed
    while len(order) < steps:
        perm = rng.permutation(n)
        order += [perm[i * size:(i + 1) * size] for i in range(per_epoch)]
    surf = data.surface()
    path = descend(lambda p: float(data.objective(p[0], p[1])), lambda p, k: data.batch_grad(p, order[k - 1]),
                   surf.start if start is None else start, steps, optimizer, lr, schedule,
                   surf.box(), hyper, label=mode)
    path.samples = sum(len(order[k]) for k in range(len(path.lrs)))
    return path
