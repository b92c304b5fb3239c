"""CNN layers with their forward and backward passes side by side (float32).

Each layer is a small object with

* ``build(in_shape, rng, init) -> out_shape`` - checks the shape of one sample
  (without the batch axis) and creates the weights;
* ``forward(x, train) -> out`` - keeps what backward needs;
* ``backward(dout) -> dx`` - fills ``grads`` (same keys as ``params``) and
  returns the gradient for the layer below (the chain rule, one layer at a time).

Shapes: images ``x : (N, C, H, W)``, vectors ``x : (N, D)``. A layer is made
from a plain description such as ``{"type": "conv", "filters": 6, "kernel": 5}``
(see :data:`LAYER_TYPES`), so a lesson can edit the list as a table.

The loss is :func:`softmax_cross_entropy`; weight initialisation is
:func:`init_weights` (He or Xavier).
"""

from __future__ import annotations

import numpy as np

from ..checks import LessonError
from ..ops.conv import conv2d_backward, conv2d_forward
from ..ops.pooling import pool2d_backward, pool2d_forward

F32 = np.float32
INITS = ("he", "xavier")


# --------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------
def init_weights(shape, fan_in, fan_out, init, rng):
    """Random weights of ``shape`` (float32).

    he      normal, std = sqrt(2 / fan_in)   (He et al. 2015, for ReLU)
    xavier  uniform in +-sqrt(6 / (fan_in + fan_out))  (Glorot & Bengio 2010, for tanh / sigmoid)
    """
    if init == "he":
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(F32)
    if init == "xavier":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape).astype(F32)
    raise LessonError("train_bad_init", f"unknown initialisation '{init}'; use 'he' or 'xavier'.",
                      name=str(init))


def _int_setting(cfg, name, lo, hi, default=None, layer=0, kind=""):
    value = cfg.get(name, default)
    ok = isinstance(value, (int, np.integer, float)) and not isinstance(value, bool)
    if ok and float(value) == int(value) and lo <= value <= hi:
        return int(value)
    raise LessonError("train_bad_setting", f"layer {layer} ({kind}): {name} must be a whole number "
                      f"from {lo} to {hi}, got {value!r}.", layer=layer, setting=name, lo=lo, hi=hi,
                      value=str(value))


class Layer:
    """Base class: no parameters, shape unchanged."""

    kind = ""

    def __init__(self, cfg=None, index=0):
        self.cfg = dict(cfg or {})
        self.index = index
        self.params, self.grads = {}, {}
        self.in_shape = self.out_shape = None

    def build(self, in_shape, rng, init):
        self.in_shape = self.out_shape = tuple(in_shape)
        return self.out_shape

    def n_params(self):
        return int(sum(p.size for p in self.params.values()))

    def describe(self):
        return {"type": self.kind, **self.cfg}

    def _needs_maps(self, in_shape):
        if len(in_shape) != 3:
            raise LessonError("train_needs_maps", f"layer {self.index} ({self.kind}) needs feature maps "
                              "(channels x rows x columns), but its input is already a flat vector.",
                              layer=self.index, kind=self.kind)


# --------------------------------------------------------------------------
# Convolution and pooling
# --------------------------------------------------------------------------
class Conv2D(Layer):
    """``out[n, f] = b[f] + sum_c x[n, c] (cross-correlated with) w[f, c]`` via im2col.

    Parameters (description): filters F, kernel K, stride S = 1, padding P = 0.
    ``w : (F, C, K, K)``, ``b : (F,)``; ``H' = (H + 2P - K) // S + 1``.
    """

    kind = "conv"

    def build(self, in_shape, rng, init):
        self._needs_maps(in_shape)
        i, k = self.index, self.kind
        f = _int_setting(self.cfg, "filters", 1, 256, layer=i, kind=k)
        ks = _int_setting(self.cfg, "kernel", 1, 11, layer=i, kind=k)
        self.stride = _int_setting(self.cfg, "stride", 1, 4, 1, layer=i, kind=k)
        self.padding = _int_setting(self.cfg, "padding", 0, 5, 0, layer=i, kind=k)
        self.cfg.update(filters=f, kernel=ks, stride=self.stride, padding=self.padding)
        c, h, w = in_shape
        if ks > h + 2 * self.padding or ks > w + 2 * self.padding:
            raise LessonError("train_kernel_too_large", f"layer {i} (conv): the {ks}x{ks} kernel does not "
                              f"fit the {h}x{w} input with padding {self.padding}.", layer=i, kernel=ks,
                              rows=h, cols=w, padding=self.padding)
        oh = (h + 2 * self.padding - ks) // self.stride + 1
        ow = (w + 2 * self.padding - ks) // self.stride + 1
        fan_in, fan_out = c * ks * ks, f * ks * ks
        self.params = {"w": init_weights((f, c, ks, ks), fan_in, fan_out, init, rng),
                       "b": np.zeros(f, F32)}
        self.in_shape, self.out_shape = tuple(in_shape), (f, oh, ow)
        self.need_dx = True
        return self.out_shape

    def forward(self, x, train=False):
        out, self.cache = conv2d_forward(x, self.params["w"], self.params["b"], self.stride, self.padding)
        return out

    def backward(self, dout):
        dx, dw, db = conv2d_backward(dout, self.cache, need_dx=self.need_dx)
        self.grads = {"w": dw, "b": db}
        return dx


class Pool2D(Layer):
    """Max or average pooling over ``size x size`` windows, stride = size unless given."""

    def __init__(self, cfg=None, index=0, mode="max"):
        super().__init__(cfg, index)
        self.mode = mode
        self.kind = f"{mode}pool"

    def build(self, in_shape, rng, init):
        self._needs_maps(in_shape)
        i, k = self.index, self.kind
        self.size = _int_setting(self.cfg, "size", 1, 8, 2, layer=i, kind=k)
        self.stride = _int_setting(self.cfg, "stride", 1, 8, self.size, layer=i, kind=k)
        self.cfg.update(size=self.size, stride=self.stride)
        c, h, w = in_shape
        if self.size > h or self.size > w:
            raise LessonError("train_pool_too_large", f"layer {i} ({k}): the {self.size}x{self.size} window "
                              f"does not fit the {h}x{w} input.", layer=i, size=self.size, rows=h, cols=w)
        self.in_shape = tuple(in_shape)
        self.out_shape = (c, (h - self.size) // self.stride + 1, (w - self.size) // self.stride + 1)
        return self.out_shape

    def forward(self, x, train=False):
        out, self.cache = pool2d_forward(x, self.size, self.stride, 0, self.mode)
        return out

    def backward(self, dout):
        return pool2d_backward(dout, self.cache)


# --------------------------------------------------------------------------
# Activations, flatten, dropout
# --------------------------------------------------------------------------
class ReLU(Layer):
    """``out = max(x, 0)``; ``dx = dout * [x > 0]``."""

    kind = "relu"

    def forward(self, x, train=False):
        out = np.maximum(x, 0)
        self.out = out
        return out

    def backward(self, dout):
        return dout * (self.out > 0)        # a multiply is ~10x faster than np.where here


class Sigmoid(Layer):
    """``out = 1 / (1 + e^-x)`` (computed as ``(1 + tanh(x/2)) / 2``); ``dx = dout * out (1 - out)``."""

    kind = "sigmoid"

    def forward(self, x, train=False):
        self.out = (np.tanh(x * F32(0.5)) + F32(1)) * F32(0.5)
        return self.out

    def backward(self, dout):
        return dout * self.out * (F32(1) - self.out)


class Tanh(Layer):
    """``out = tanh(x)``; ``dx = dout * (1 - out^2)``."""

    kind = "tanh"

    def forward(self, x, train=False):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (F32(1) - self.out * self.out)


class Flatten(Layer):
    """``(N, C, H, W) -> (N, C*H*W)``; backward reshapes back."""

    kind = "flatten"

    def build(self, in_shape, rng, init):
        self.in_shape = tuple(in_shape)
        self.out_shape = (int(np.prod(in_shape)),)
        return self.out_shape

    def forward(self, x, train=False):
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape((dout.shape[0],) + self.in_shape)


class Dropout(Layer):
    """Inverted dropout: while training keep each value with probability ``1 - rate`` and
    scale by ``1 / (1 - rate)``; at test time pass everything. ``dx = dout * mask``."""

    kind = "dropout"

    def build(self, in_shape, rng, init):
        rate = self.cfg.get("rate", 0.5)
        if not (isinstance(rate, (int, float)) and 0 <= rate <= 0.9):
            raise LessonError("train_bad_rate", f"layer {self.index} (dropout): the rate must be from 0 "
                              f"to 0.9, got {rate!r}.", layer=self.index, value=str(rate))
        self.rate = float(rate)
        self.cfg["rate"] = self.rate
        self.rng = rng
        return super().build(in_shape, rng, init)

    def forward(self, x, train=False):
        if not train or self.rate == 0:
            self.mask = None
            return x
        keep = 1.0 - self.rate
        self.mask = (self.rng.random(x.shape, dtype=F32) < keep) * F32(1 / keep)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask


# --------------------------------------------------------------------------
# Fully connected
# --------------------------------------------------------------------------
class Dense(Layer):
    """``out = x W + b`` with ``x : (N, D)``, ``W : (D, M)``, ``b : (M,)``.

    Backward: ``dW = x^T dout``, ``db = sum_n dout``, ``dx = dout W^T``.
    """

    kind = "dense"

    def build(self, in_shape, rng, init):
        if len(in_shape) != 1:
            raise LessonError("train_needs_flat", f"layer {self.index} (dense): a fully connected layer needs "
                              f"a flat vector, but its input has shape {tuple(in_shape)}; add a flatten "
                              "layer before it.", layer=self.index,
                              shape=" x ".join(str(s) for s in in_shape))
        m = _int_setting(self.cfg, "units", 1, 4096, layer=self.index, kind=self.kind)
        self.cfg["units"] = m
        d = in_shape[0]
        self.params = {"w": init_weights((d, m), d, m, init, rng), "b": np.zeros(m, F32)}
        self.in_shape, self.out_shape = tuple(in_shape), (m,)
        self.need_dx = True
        return self.out_shape

    def forward(self, x, train=False):
        self.x = x
        return x @ self.params["w"] + self.params["b"]

    def backward(self, dout):
        self.grads = {"w": self.x.T @ dout, "b": dout.sum(axis=0)}
        return dout @ self.params["w"].T if self.need_dx else None


LAYER_TYPES = {
    "conv": Conv2D, "maxpool": lambda cfg, i: Pool2D(cfg, i, "max"),
    "avgpool": lambda cfg, i: Pool2D(cfg, i, "avg"), "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh,
    "flatten": Flatten, "dropout": Dropout, "dense": Dense,
}


def make_layer(cfg, index=0):
    """A layer from its description ``{"type": ..., settings}``."""
    kind = cfg.get("type") if isinstance(cfg, dict) else None
    if kind not in LAYER_TYPES:
        raise LessonError("train_unknown_layer", f"layer {index}: unknown layer type {kind!r}; use one "
                          f"of {', '.join(LAYER_TYPES)}.", layer=index, kind=str(kind))
    settings = {k: v for k, v in cfg.items() if k != "type"}
    return LAYER_TYPES[kind](settings, index)


# --------------------------------------------------------------------------
# Loss
# --------------------------------------------------------------------------
def softmax(logits):
    """Row-wise softmax ``p_k = e^{z_k - max z} / sum_j e^{z_j - max z}`` of ``(N, K)`` scores."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax probabilities and its gradient.

    Parameters
    ----------
    logits : (N, K) scores
    labels : (N,) int classes

    Returns
    -------
    loss : float, ``-(1/N) sum_n log p[n, y_n]``
    dlogits : (N, K), ``(p - onehot(y)) / N``
    probs : (N, K)
    """
    n = logits.shape[0]
    p = softmax(logits)
    rows = np.arange(n)
    loss = -float(np.mean(np.log(np.maximum(p[rows, labels], 1e-12))))
    d = p.copy()
    d[rows, labels] -= 1
    d *= F32(1.0 / n) if d.dtype == F32 else 1.0 / n
    return loss, d, p
