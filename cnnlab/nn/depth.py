"""Why deep networks are hard to train: a stack of dense layers, its gradients layer by layer.

The network (``N`` dense layers, ``N`` from 2 to 30)::

    h_0 = x                                   x : (B, D) digits, 14 x 14 = 196 pixels
    z_l = h_{l-1} W_l + b_l                   W_l : (D_{l-1}, width), l = 1 .. N-1
    z_l = norm(z_l)                           optional: each row to mean 0, variance 1
    a_l = f(z_l)                              f = sigmoid, tanh or ReLU
    h_l = h_{l-1} + a_l   (residual, l >= 2)  or   h_l = a_l
    logits = h_{N-1} W_N + b_N                W_N : (width, 10)

Backward runs the chain rule one layer at a time, from the loss back to the
first layer (the same ``forward -> cache`` / ``backward(dout, cache)`` pairs
as :mod:`cnnlab.nn.layers`, in float64 so the finite-difference test is exact
to many digits). The lesson looks at ``||dL/dW_l||`` for every ``l``: with
sigmoid each layer multiplies the gradient by at most 1/4 (the largest slope
of the sigmoid) and it vanishes on its way down; ReLU with He initialisation
keeps its size; a skip connection adds an identity path the gradient can take;
a too-large initialisation makes it explode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..checks import LessonError, check_positive_int
from .data import load_digits

logger = logging.getLogger(__name__)

ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITS = ("naive", "xavier", "he", "large")
DEPTH_RANGE = (2, 30)
WIDTH_RANGE = (8, 128)
MAX_STEPS = 400
MAX_BATCH = 256
MAX_MACS = 12_000_000_000    # multiply-adds of one training run (forward + backward): about 3 s on one core
N_IN, N_OUT = 196, 10
NORM_EPS = 1e-5


@dataclass(frozen=True)
class DeepNet:
    """The settings of one stack (no weights: those come from :func:`init_params`)."""

    depth: int = 10
    width: int = 64
    activation: str = "sigmoid"
    init: str = "xavier"
    residual: bool = False
    norm: bool = False

    def shapes(self):
        """``[(fan_in, fan_out)]`` of the ``depth`` weight matrices."""
        sizes = [N_IN] + [self.width] * (self.depth - 1) + [N_OUT]
        return list(zip(sizes[:-1], sizes[1:]))


def check_net(net):
    """Validate a :class:`DeepNet`; returns it."""
    lo, hi = DEPTH_RANGE
    if not isinstance(net.depth, (int, np.integer)) or not lo <= net.depth <= hi:
        raise LessonError("depth_bad_depth", f"the depth must be a whole number from {lo} to {hi}, got "
                          f"{net.depth!r}.", lo=lo, hi=hi, value=str(net.depth))
    lo, hi = WIDTH_RANGE
    if not isinstance(net.width, (int, np.integer)) or not lo <= net.width <= hi:
        raise LessonError("depth_bad_width", f"the width must be a whole number from {lo} to {hi}, got "
                          f"{net.width!r}.", lo=lo, hi=hi, value=str(net.width))
    if net.activation not in ACTIVATIONS:
        raise LessonError("depth_bad_choice", f"unknown activation {net.activation!r}.", value=str(net.activation))
    if net.init not in INITS:
        raise LessonError("depth_bad_choice", f"unknown initialisation {net.init!r}.", value=str(net.init))
    return net


# --------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------
def init_std(init, fan_in, fan_out):
    """Standard deviation of the normal weights.

    naive   0.01                          (small random numbers, the old habit)
    xavier  sqrt(2 / (fan_in + fan_out))  (Glorot & Bengio 2010: keeps the variance for tanh)
    he      sqrt(2 / fan_in)              (He et al. 2015: keeps the variance for ReLU)
    large   4 sqrt(1 / fan_in)            (too large: each layer multiplies the signal)
    """
    if init == "naive":
        return 0.01
    if init == "xavier":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    if init == "he":
        return float(np.sqrt(2.0 / fan_in))
    if init == "large":
        return float(4.0 * np.sqrt(1.0 / fan_in))
    raise LessonError("depth_bad_choice", f"unknown initialisation {init!r}.", value=str(init))


def init_params(net, seed=0):
    """``[(W_l, b_l)]``, ``W_l ~ N(0, std^2)`` (float64), biases zero."""
    check_net(net)
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((fi, fo)) * init_std(net.init, fi, fo), np.zeros(fo))
            for fi, fo in net.shapes()]


# --------------------------------------------------------------------------
# The pieces: forward and backward side by side
# --------------------------------------------------------------------------
def act_forward(z, kind):
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
    if kind == "tanh":
        return np.tanh(z)
    return np.maximum(z, 0.0)


def act_backward(da, z, a, kind):
    """``dz = da * f'(z)``: sigmoid' = a(1 - a) <= 1/4, tanh' = 1 - a^2 <= 1, relu' = [z > 0]."""
    if kind == "sigmoid":
        return da * a * (1.0 - a)
    if kind == "tanh":
        return da * (1.0 - a * a)
    return da * (z > 0)


def norm_forward(z):
    """Each row to mean 0 and variance 1 (layer normalisation without a learned scale)."""
    mu = z.mean(axis=1, keepdims=True)
    inv = 1.0 / np.sqrt(z.var(axis=1, keepdims=True) + NORM_EPS)
    zn = (z - mu) * inv
    return zn, (zn, inv)


def norm_backward(dzn, cache):
    """``dz = inv * (dzn - mean(dzn) - zn * mean(dzn * zn))`` row by row."""
    zn, inv = cache
    return inv * (dzn - dzn.mean(axis=1, keepdims=True) - zn * (dzn * zn).mean(axis=1, keepdims=True))


def forward(params, x, net):
    """Logits ``(B, 10)`` and the caches backward needs."""
    caches = []
    h = x
    last = len(params) - 1
    for i, (w, b) in enumerate(params):
        z = h @ w + b
        if i == last:
            caches.append((h, None, None, None))
            return z, caches
        ncache = None
        if net.norm:
            z, ncache = norm_forward(z)
        a = act_forward(z, net.activation)
        caches.append((h, z, a, ncache))
        h = h + a if _is_residual(i, net) else a
    raise AssertionError("unreachable")


def backward(dlogits, caches, params, net):
    """``[(dW_l, db_l)]`` from ``dL/dlogits``, the chain rule from the last layer down to the first."""
    grads = [None] * len(params)
    dh = dlogits
    for i in range(len(params) - 1, -1, -1):
        h, z, a, ncache = caches[i]
        w = params[i][0]
        if z is None:                       # the output layer: no activation
            dz = dh
        else:
            dz = act_backward(dh, z, a, net.activation)
            if ncache is not None:
                dz = norm_backward(dz, ncache)
        grads[i] = (h.T @ dz, dz.sum(axis=0))
        if i > 0:
            dh_below = dz @ w.T
            if _is_residual(i, net):
                dh_below = dh_below + dh    # the identity path: h_i = h_{i-1} + a_i
            dh = dh_below
    return grads


def _is_residual(i, net):
    """Layer ``i`` (0-based) adds its input to its output."""
    return net.residual and 0 < i < net.depth - 1


def softmax_xent(logits, y):
    """Mean cross-entropy and ``dL/dlogits = (p - onehot(y)) / B``."""
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    loss = -float(logp[np.arange(n), y].mean())
    d = np.exp(logp)
    d[np.arange(n), y] -= 1.0
    return loss, d / n


def loss_and_grads(params, x, y, net):
    logits, caches = forward(params, x, net)
    loss, d = softmax_xent(logits, y)
    return loss, backward(d, caches, params, net)


def first_last_ratio(norms):
    """``||dL/dW_1|| / ||dL/dW_N||`` (NaN when the last norm is 0 or not finite)."""
    first, last = float(norms[0]), float(norms[-1])
    return first / last if last > 0 and np.isfinite(last) and np.isfinite(first) else float("nan")


def diagnose(norms, vanish=1e-3, explode=1e4, tiny=1e-6):
    """What the gradient norms of a stack say, one word:

    exploding   a norm is not finite or above ``explode``
    vanishing   first / last below ``vanish``: the first layers get (almost) nothing
    all_small   every norm below ``tiny``: the signal died on the way forward
    alive       none of these
    """
    norms = np.asarray(norms, dtype=float)
    if not np.all(np.isfinite(norms)) or norms.max() > explode:
        return "exploding"
    ratio = first_last_ratio(norms)
    if np.isfinite(ratio) and ratio < vanish:
        return "vanishing"
    if norms.max() < tiny:
        return "all_small"
    return "alive"


def grad_norms(grads):
    """``||dL/dW_l||`` (Frobenius norm) of every layer, ``(depth,)``."""
    return np.array([float(np.sqrt(np.sum(dw * dw))) for dw, _ in grads])


# --------------------------------------------------------------------------
# Data and a short training run
# --------------------------------------------------------------------------
@lru_cache(maxsize=1)
def digits_14():
    """The bundled digits at 14 x 14 (2 x 2 averages), standardised, shuffled: ``(x_train, y_train, x_val, y_val)``."""
    (xtr, ytr), (xva, yva), _ = load_digits()

    def shrink(x):
        x = x.astype(np.float64) / 255.0
        return x.reshape(len(x), 14, 2, 14, 2).mean(axis=(2, 4)).reshape(len(x), N_IN)

    xtr, xva = shrink(xtr), shrink(xva)
    mu, sd = xtr.mean(), xtr.std()
    # the splits are stored class by class: shuffle once (fixed seed) so any first n images mix all classes
    rng = np.random.default_rng(0)
    ptr, pva = rng.permutation(len(ytr)), rng.permutation(len(yva))
    out = ((xtr[ptr] - mu) / sd, ytr[ptr], (xva[pva] - mu) / sd, yva[pva])
    for a in out:
        a.setflags(write=False)
    return out


def training_cost(net, steps, batch):
    """Multiply-adds of a run: forward + backward ~ 3 x the matrix products, plus the validation passes."""
    per_sample = sum(fi * fo for fi, fo in net.shapes())
    return 3 * per_sample * steps * batch


@dataclass(frozen=True)
class Run:
    net: DeepNet
    steps: np.ndarray          # (R,) the steps at which the gradient norms were recorded (0 = at init)
    norms: np.ndarray          # (R, depth) ||dL/dW_l|| at those steps
    loss: np.ndarray           # (S,) training loss of every step (NaN after a divergence)
    val_acc: np.ndarray        # (R,) validation accuracy at the recorded steps
    diverged_at: int | None    # first step whose loss was not finite, or None



def train(net, lr=0.1, steps=150, batch=64, seed=0, records=10):
    """Plain SGD on the 14 x 14 digits; gradient norms recorded ``records`` times (and at step 0).

    The cost is checked before anything is allocated (:data:`MAX_MACS`).
    """
    check_net(net)
    steps = check_positive_int(steps, "steps")
    batch = check_positive_int(batch, "batch")
    if steps > MAX_STEPS or batch > MAX_BATCH:
        raise LessonError("depth_too_long", f"at most {MAX_STEPS} steps of at most {MAX_BATCH} images.",
                          steps=MAX_STEPS, batch=MAX_BATCH)
    if not (np.isfinite(lr) and 0 < lr <= 10):
        raise LessonError("depth_bad_lr", f"the learning rate must be above 0 and at most 10, got {lr}.",
                          value=f"{lr:g}")
    cost = training_cost(net, steps, batch)
    if cost > MAX_MACS:
        raise LessonError("depth_too_costly", f"this run needs {cost:,} multiply-adds; the lesson allows "
                          f"{MAX_MACS:,}. Use fewer layers, a smaller width or fewer steps.",
                          count=cost, limit=MAX_MACS)
    logger.info("depth run start: %s lr=%g steps=%d batch=%d", net, lr, steps, batch)
    xtr, ytr, xva, yva = digits_14()
    xva, yva = xva[:500], yva[:500]
    rng = np.random.default_rng(seed)
    params = init_params(net, seed)
    record_at = set(np.unique(np.linspace(0, steps, records + 1).round().astype(int)).tolist())
    rec_steps, rec_norms, rec_acc = [], [], []
    losses = np.full(steps, np.nan)
    diverged = None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for step in range(steps + 1):
            idx = rng.integers(0, len(xtr), batch)
            loss, grads = loss_and_grads(params, xtr[idx], ytr[idx], net)
            norms = grad_norms(grads)
            if step in record_at:
                logits, _ = forward(params, xva, net)
                rec_steps.append(step)
                rec_norms.append(norms)
                rec_acc.append(float(np.mean(np.argmax(np.nan_to_num(logits, nan=0.0), axis=1) == yva)))
            if step == steps:
                break
            if not np.isfinite(loss) or not np.all(np.isfinite(norms)):
                diverged = step
                break
            losses[step] = loss
            params = [(w - lr * dw, b - lr * db) for (w, b), (dw, db) in zip(params, grads)]
    logger.info("depth run done: diverged_at=%s final_loss=%s", diverged, losses[~np.isnan(losses)][-1:])
    return Run(net, np.array(rec_steps), np.array(rec_norms), losses, np.array(rec_acc), diverged)


def gradients_at_init(net, n=256, seed=0):
    """``||dL/dW_l||`` of a fresh network on ``n`` training digits, ``(depth,)``: cheap, no training."""
    check_net(net)
    n = min(check_positive_int(n, "n"), 1000)
    xtr, ytr, _, _ = digits_14()
    params = init_params(net, seed)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _, grads = loss_and_grads(params, xtr[:n], ytr[:n], net)
    return grad_norms(grads)
