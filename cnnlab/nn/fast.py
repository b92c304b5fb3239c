"""A fast training and inference engine for the networks of the training lesson.

The layers a student reads (:mod:`cnnlab.nn.layers`, NCHW, one forward/backward
pair per layer) stay the reference; this engine computes the same function and
the same gradients with a different memory layout and a few fusions, and is
checked against them (``tests/test_fast_engine.py``).

>>> net = FastNet(model)                         # copies model's weights into one flat vector
>>> loss, correct = net.train_step(xb, yb, opt)  # forward, backward, update (opt from calculus.optim)
>>> net.write_to(model)                          # the trained weights, back into model.layers[i].params
>>> probs = predict(model, x)                    # (N, K), chunked: bounded memory for any N

What makes it fast
------------------
* **Batch innermost.** Every activation is laid out ``(C, H, W, N)`` from the
  input to the loss (vectors ``(D, N)``). A convolution is then one matrix
  product ``(F, C*K*K+1) @ (C*K*K+1, H'*W'*N)`` whose result already *is* the
  next layer's ``(F, H', W', N)`` input: no transposes between layers. The
  im2col matrix is built by ``K*K`` block copies whose inner runs are whole
  rows of ``W'*N`` numbers; padding is never copied (the zero parts of the
  buffer are written once, when it is allocated).
* **A convolution over the whole map** (LeNet's C5: 5x5 kernels on 5x5 maps,
  no padding) is a single product with the flattened input, without im2col.
* **The bias is folded into the product**: every buffer that feeds a product
  ends in a row of ones and every weight matrix in a bias column, so one
  product gives ``W x + b`` and one product gives both ``dW`` and ``db``.
* **ReLU fused into max pooling**: ``maxpool(relu(z)) = relu(maxpool(z))``
  (ReLU is increasing), so a ReLU followed by max pooling pools first and
  applies ReLU to the 4x smaller map.
* **In place where it is safe**: activations overwrite the output of a
  convolution or product (whose backward does not need it); their backward
  multiplies the incoming gradient in place.
* **One flat parameter vector** with a view per layer, one flat gradient
  vector that the products write into (``out=``), and Adam over the flat
  vectors with preallocated temporaries. Other optimizers run the readable
  update rule of :mod:`cnnlab.calculus.optim` on the flat vectors (the rules
  are elementwise, so this is the same update).
* **Buffers preallocated per batch size** (a few sizes kept: the full batch,
  the last smaller batch of an epoch, the inference chunk).

Max pooling routes each gradient to the first maximum of its window in
row-major order, as the readable layer does (ties are common: a convolution
over a black background gives the same value everywhere). Dropout draws its
mask from ``rng`` in the readable layer's NCHW order, so the same generator
gives the same mask.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from .layers import F32

logger = logging.getLogger(__name__)

PREDICT_CHUNK = 32       # images per inference chunk: its buffers (~5 MB for LeNet-5) stay in cache (measured fastest)
TRAIN_CHUNK = 128         # images per forward/backward chunk of a training step (buffers stay in cache)
_MAX_PLANS = 4           # batch sizes whose buffers are kept


# --------------------------------------------------------------------------
# Operations on batch-innermost activations
# --------------------------------------------------------------------------
# Every activation is a flat buffer of (D + 1) * N numbers: the D * N values of
# the (C, H, W, N) or (D, N) activation followed by N ones (the bias row for a
# product that reads it). ``op.alloc(n, train)`` makes the buffers of one batch
# size, ``op.forward(x, b, train, rng)`` and ``op.backward(dy, b, need_dx)``
# use them (``b`` is that dict).

def _act_buffer(d, n, dtype):
    buf = np.empty((d + 1) * n, dtype)
    buf[d * n:] = 1
    return buf


class _Op:
    weighted = False
    needs_output = False      # does backward read this op's output?
    in_place = False

    def __init__(self, in_shape, out_shape, dtype):
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        self.d_in, self.d_out = math.prod(in_shape), math.prod(out_shape)
        self.dtype = dtype

    def alloc(self, n, train):
        b = {}
        if not self.in_place:
            b["y"] = _act_buffer(self.d_out, n, self.dtype)
        return b


class _Conv(_Op):
    """A convolution by im2col in the (C, H, W, N) layout, bias folded in."""

    weighted = True

    def __init__(self, layer, in_shape, out_shape, dtype):
        super().__init__(in_shape, out_shape, dtype)
        cfg = layer.cfg
        self.k, self.s, self.p = int(cfg["kernel"]), int(cfg["stride"]), int(cfg["padding"])
        c = in_shape[0]
        self.f, self.oh, self.ow = out_shape
        self.ckk = c * self.k * self.k
        self.wshape = (self.f, self.ckk + 1)
        self.layer = layer
        # for each kernel offset: the output cells whose input cell is real (not padding)
        self.blocks = []
        for ki in range(self.k):
            r = _valid(in_shape[1], self.oh, ki, self.s, self.p)
            for kj in range(self.k):
                q = _valid(in_shape[2], self.ow, kj, self.s, self.p)
                if r and q:
                    self.blocks.append((ki, kj, r, q))

    def load(self, wb):
        w, b = self.layer.params["w"], self.layer.params["b"]
        wb[:, :self.ckk] = w.reshape(self.f, -1)
        wb[:, self.ckk] = b

    def store(self, wb):
        return {"w": wb[:, :self.ckk].reshape(self.layer.params["w"].shape), "b": wb[:, self.ckk]}

    def alloc(self, n, train):
        b = super().alloc(n, train)
        m = self.oh * self.ow * n
        cols = np.zeros((self.ckk + 1, m), self.dtype)      # zeros where windows reach the padding
        cols[self.ckk] = 1
        b["cols"] = cols
        if train:
            b["gt"] = np.empty(self.wshape[::-1], self.dtype)
            b["dcols"] = np.empty((self.ckk, m), self.dtype)
            b["dx"] = np.zeros(self.d_in * n, self.dtype)
        return b

    def _cols6(self, b, n):
        c = self.in_shape[0]
        return b["cols"][:self.ckk].reshape(c, self.k, self.k, self.oh, self.ow, n)

    def forward(self, x, b, n, train, rng, wb):
        c, h, w = self.in_shape
        x4 = x[:self.d_in * n].reshape(c, h, w, n)
        cols6 = self._cols6(b, n)
        s = self.s
        for ki, kj, (o0, o1, i0), (p0, p1, j0) in self.blocks:
            cols6[:, ki, kj, o0:o1, p0:p1] = x4[:, i0:i0 + s * (o1 - o0 - 1) + 1:s,
                                                j0:j0 + s * (p1 - p0 - 1) + 1:s]
        y = b["y"]
        np.matmul(wb, b["cols"], out=y[:self.d_out * n].reshape(self.f, -1))
        return y

    def backward(self, dy, b, n, need_dx, wb, gwb):
        d2 = dy[:self.d_out * n].reshape(self.f, -1)
        np.matmul(b["cols"], d2.T, out=b["gt"])          # [dW | db]^T: this order is ~2x faster in BLAS
        np.copyto(gwb, b["gt"].T)
        if not need_dx:
            return None
        dcols = b["dcols"]
        np.matmul(wb[:, :self.ckk].T, d2, out=dcols)
        c, h, w = self.in_shape
        dx = b["dx"]
        dx4 = dx.reshape(c, h, w, n)
        dx4.fill(0)
        dcols6 = dcols.reshape(c, self.k, self.k, self.oh, self.ow, n)
        s = self.s
        for ki, kj, (o0, o1, i0), (p0, p1, j0) in self.blocks:
            dx4[:, i0:i0 + s * (o1 - o0 - 1) + 1:s, j0:j0 + s * (p1 - p0 - 1) + 1:s] += \
                dcols6[:, ki, kj, o0:o1, p0:p1]
        return dx


def _valid(size, out, k, s, p):
    """Output cells ``o0:o1`` whose input cell ``o*s + k - p`` is inside ``0:size``, and the first one."""
    o0 = 0
    while o0 < out and o0 * s + k - p < 0:
        o0 += 1
    o1 = out
    while o1 > o0 and (o1 - 1) * s + k - p >= size:
        o1 -= 1
    if o1 <= o0:
        return None
    return o0, o1, o0 * s + k - p


class _Matmul(_Op):
    """``y = [W | b] @ [x; 1]`` over the whole flattened input: dense, or a conv over the whole map."""

    weighted = True

    def __init__(self, layer, in_shape, out_shape, dtype):
        super().__init__(in_shape, out_shape, dtype)
        self.layer = layer
        self.m = self.d_out
        self.wshape = (self.m, self.d_in + 1)
        self.dense = layer.kind == "dense"

    def load(self, wb):
        w, b = self.layer.params["w"], self.layer.params["b"]
        wb[:, :self.d_in] = w.T if self.dense else w.reshape(self.m, -1)
        wb[:, self.d_in] = b

    def store(self, wb):
        w = wb[:, :self.d_in]
        return {"w": w.T if self.dense else w.reshape(self.layer.params["w"].shape), "b": wb[:, self.d_in]}

    def alloc(self, n, train):
        b = super().alloc(n, train)
        if train:
            b["dx"] = np.empty(self.d_in * n, self.dtype)
            b["gt"] = np.empty(self.wshape[::-1], self.dtype)
        return b

    def forward(self, x, b, n, train, rng, wb):
        b["x"] = x
        y = b["y"]
        np.matmul(wb, x.reshape(self.d_in + 1, n), out=y[:self.m * n].reshape(self.m, n))
        return y

    def backward(self, dy, b, n, need_dx, wb, gwb):
        x = b["x"]
        d2 = dy[:self.m * n].reshape(self.m, n)
        np.matmul(x.reshape(self.d_in + 1, n), d2.T, out=b["gt"])
        np.copyto(gwb, b["gt"].T)
        if not need_dx:
            return None
        dx = b["dx"]
        np.matmul(wb[:, :self.d_in].T, d2, out=dx.reshape(self.d_in, n))
        return dx


class _Pool(_Op):
    """Max or average pooling over strided views; max pooling may carry a fused ReLU."""

    def __init__(self, layer, in_shape, out_shape, dtype, relu=False):
        super().__init__(in_shape, out_shape, dtype)
        self.mode = "max" if layer.kind == "maxpool" else "avg"
        self.k, self.s = int(layer.cfg["size"]), int(layer.cfg["stride"])
        self.relu = relu
        self.needs_output = self.mode == "max"     # backward finds the maxima by comparing with the output
        self.overlap = self.s < self.k

    def alloc(self, n, train):
        b = super().alloc(n, train)
        if train:
            b["dx"] = np.zeros(self.d_in * n, self.dtype)      # cells no window covers stay 0
            o = self.d_out * n
            b["g"] = np.empty(o, self.dtype)
            b["t"] = np.empty(o, self.dtype)
            b["eq"] = np.empty(o, bool)
        return b

    def _views(self, a4):
        _, oh, ow = self.out_shape
        s = self.s
        for ki in range(self.k):
            for kj in range(self.k):
                yield a4[:, ki:ki + s * (oh - 1) + 1:s, kj:kj + s * (ow - 1) + 1:s]

    def forward(self, x, b, n, train, rng, wb):
        c, h, w = self.in_shape
        x4 = x[:self.d_in * n].reshape(c, h, w, n)
        y = b["y"]
        y4 = y[:self.d_out * n].reshape(self.out_shape + (n,))
        views = self._views(x4)
        first = next(views)
        second = next(views, None)
        if second is None:
            np.copyto(y4, first)
        else:
            reduce = np.maximum if self.mode == "max" else np.add
            reduce(first, second, out=y4)
            for v in views:
                reduce(y4, v, out=y4)
        if self.mode == "avg":
            y4 *= 1.0 / (self.k * self.k)
        elif self.relu:
            np.maximum(y4, 0, out=y4)
        b["x"] = x
        return y

    def backward(self, dy, b, n, need_dx, wb, gwb):
        if not need_dx:
            return None
        c, h, w = self.in_shape
        x = b["x"]
        o = self.d_out * n
        shape = self.out_shape + (n,)
        dx4 = b["dx"].reshape(c, h, w, n)
        if self.overlap:
            dx4.fill(0)
        g = b["g"].reshape(shape)
        if self.mode == "avg":
            np.multiply(dy[:o].reshape(shape), 1.0 / (self.k * self.k), out=g)
            for dv in self._views(dx4):
                if self.overlap:
                    dv += g
                else:
                    np.copyto(dv, g)
            return b["dx"]
        y4 = b["y"][:o].reshape(shape)
        if self.relu:
            np.greater(y4, 0, out=b["eq"].reshape(shape))
            np.multiply(dy[:o].reshape(shape), b["eq"].reshape(shape), out=g)
        else:
            np.copyto(g, dy[:o].reshape(shape))
        eq, t = b["eq"].reshape(shape), b["t"].reshape(shape)
        x4 = x[:self.d_in * n].reshape(c, h, w, n)
        last = self.k * self.k - 1
        for i, (xv, dv) in enumerate(zip(self._views(x4), self._views(dx4))):
            # the first maximum of each window takes what is left of the gradient; once taken, the
            # rest is 0, so later ties get none; the last cell takes the rest (it is the maximum then)
            if i == last:
                if self.overlap:
                    dv += g
                else:
                    np.copyto(dv, g)
                break
            np.equal(xv, y4, out=eq)
            if self.overlap:
                np.multiply(g, eq, out=t)
                dv += t
            else:
                t = dv
                np.multiply(g, eq, out=t)
            g -= t
        return b["dx"]


class _Act(_Op):
    """ReLU, sigmoid or tanh, elementwise (in place on the previous op's output when that is safe)."""

    needs_output = True

    def __init__(self, kind, in_shape, dtype, in_place):
        super().__init__(in_shape, in_shape, dtype)
        self.kind = kind
        self.in_place = in_place

    def alloc(self, n, train):
        b = super().alloc(n, train)
        if train:
            b["t"] = np.empty(self.d_out * n, bool if self.kind == "relu" else self.dtype)
        return b

    def forward(self, x, b, n, train, rng, wb):
        y = x if self.in_place else b["y"]
        xs, ys = x[:self.d_in * n], y[:self.d_out * n]
        if self.kind == "relu":
            np.maximum(xs, 0, out=ys)
        elif self.kind == "tanh":
            np.tanh(xs, out=ys)
        else:                                   # sigmoid = (1 + tanh(x/2)) / 2, as the readable layer
            np.multiply(xs, 0.5, out=ys)
            np.tanh(ys, out=ys)
            ys += 1
            ys *= 0.5
        b["out"] = y
        return y

    def backward(self, dy, b, n, need_dx, wb, gwb):
        if not need_dx:
            return None
        o = self.d_out * n
        d, y, t = dy[:o], b["out"][:o], b["t"]
        if self.kind == "relu":
            np.greater(y, 0, out=t)
            d *= t
        elif self.kind == "tanh":
            np.multiply(y, y, out=t)
            np.subtract(1, t, out=t)
            d *= t
        else:
            d *= y
            np.subtract(1, y, out=t)
            d *= t
        return dy


class _Dropout(_Op):
    """Inverted dropout; the mask is drawn in the readable layer's (N, C, H, W) order."""

    def __init__(self, rate, in_shape, dtype):
        super().__init__(in_shape, in_shape, dtype)
        self.rate = float(rate)
        self.rows = None

    def alloc(self, n, train):
        b = super().alloc(n, train)
        if train:
            b["mask"] = np.empty((self.d_in, n), self.dtype)
        return b

    def draw(self, n, rng):
        """The mask of a whole batch, ``(N, D)`` in the readable layer's order (its random numbers)."""
        if rng is None:
            raise ValueError("dropout needs rng (a numpy.random.Generator) when training.")
        keep = 1.0 - self.rate
        return ((rng.random((n,) + self.in_shape, dtype=F32) < keep) * F32(1 / keep)).reshape(n, -1)

    def forward(self, x, b, n, train, rng, wb):
        if not train:
            return x
        rows = self.rows if self.rows is not None else self.draw(n, rng)   # rows of the batch's mask
        np.copyto(b["mask"], rows.T)
        y = b["y"]
        np.multiply(x[:self.d_in * n].reshape(self.d_in, n), b["mask"], out=y[:self.d_out * n].reshape(-1, n))
        return y

    def backward(self, dy, b, n, need_dx, wb, gwb):
        if not need_dx:
            return None
        d = dy[:self.d_out * n].reshape(-1, n)
        d *= b["mask"]
        return dy


# --------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------
def _compile(model, dtype):
    """The op list for ``model``: flatten and rate-0 dropout vanish, ReLU before max pooling fuses."""
    layers = [layer for layer in model.layers if not (layer.kind == "flatten"
              or (layer.kind == "dropout" and float(layer.cfg.get("rate", 0)) == 0))]
    ops = []
    i = 0
    while i < len(layers):
        layer = layers[i]
        kind, ins, outs = layer.kind, tuple(layer.in_shape), tuple(layer.out_shape)
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        if kind == "conv":
            k, p = int(layer.cfg["kernel"]), int(layer.cfg["padding"])
            whole = p == 0 and k == ins[1] and k == ins[2]
            ops.append((_Matmul if whole else _Conv)(layer, ins, outs, dtype))
        elif kind == "dense":
            ops.append(_Matmul(layer, ins, outs, dtype))
        elif kind == "relu" and nxt is not None and nxt.kind == "maxpool":
            ops.append(_Pool(nxt, tuple(nxt.in_shape), tuple(nxt.out_shape), dtype, relu=True))
            i += 1
        elif kind == "maxpool" and nxt is not None and nxt.kind == "relu":   # the same function
            ops.append(_Pool(layer, ins, outs, dtype, relu=True))
            i += 1
        elif kind in ("maxpool", "avgpool"):
            ops.append(_Pool(layer, ins, outs, dtype))
        elif kind in ("relu", "sigmoid", "tanh"):
            safe = bool(ops) and not ops[-1].needs_output
            ops.append(_Act(kind, ins, dtype, in_place=safe))
        elif kind == "dropout":
            ops.append(_Dropout(layer.cfg["rate"], ins, dtype))
        else:
            raise ValueError(f"the fast engine has no layer type {kind!r}.")
        i += 1
    return ops


class FastNet:
    """The network of a :class:`cnnlab.nn.model.Model` in the batch-innermost layout.

    Parameters
    ----------
    model : the readable model (its ``layers``, their ``kind``, ``cfg``, shapes and ``params``)
    dtype : float32 (training) or float64 (for finite-difference checks)

    ``theta`` is the flat parameter vector, ``grad`` the flat gradient of the last
    :meth:`backward`; ``views[i]`` / ``gviews[i]`` are the ``[W | b]`` matrices of
    the i-th weighted op in them.
    """

    def __init__(self, model, dtype=F32):
        self.dtype = np.dtype(dtype)
        self.input_shape = tuple(model.input_shape)
        self.num_classes = int(model.num_classes)
        self.ops = _compile(model, self.dtype)
        sizes = [math.prod(op.wshape) for op in self.ops if op.weighted]
        self.theta = np.zeros(sum(sizes), self.dtype)
        self.grad = np.zeros_like(self.theta)
        self.scratch = np.zeros_like(self.theta)     # one chunk's gradient, added to grad
        self.views, self.gviews, self.sviews = [], [], []
        start = 0
        for op in self.ops:
            if op.weighted:
                size = math.prod(op.wshape)
                op.slot = len(self.views)
                self.views.append(self.theta[start:start + size].reshape(op.wshape))
                self.gviews.append(self.grad[start:start + size].reshape(op.wshape))
                self.sviews.append(self.scratch[start:start + size].reshape(op.wshape))
                start += size
        self.first_weighted = next((i for i, op in enumerate(self.ops) if op.weighted), len(self.ops))
        self._plans = {}
        self._adam = None
        self._last = None
        self.load_from(model)

    # ------------------------------------------------------------------ parameters
    def load_from(self, model):
        """Copy ``model``'s weights into :attr:`theta`."""
        for op in self.ops:
            if op.weighted:
                op.load(self.views[op.slot])

    def param_arrays(self, flat=None):
        """``flat`` (default :attr:`theta`) as the model's arrays: a list aligned with ``model.parameters()``."""
        flat = self.theta if flat is None else flat
        out = {}
        start = 0
        for op in self.ops:
            if op.weighted:
                size = math.prod(op.wshape)
                arrays = op.store(flat[start:start + size].reshape(op.wshape))
                out[op.layer.index] = arrays
                start += size
        return out

    def grad_arrays(self):
        """The last gradient as ``{layer index: {"w": ..., "b": ...}}`` in the model's shapes."""
        return self.param_arrays(self.grad)

    def write_to(self, model):
        """Write :attr:`theta` back into ``model.layers[i].params`` (in place when the arrays allow it)."""
        arrays = self.param_arrays()
        for layer in model.layers:
            for name, value in arrays.get(layer.index, {}).items():
                p = layer.params[name]
                if p.shape == value.shape and p.flags.writeable and p.dtype == F32:
                    np.copyto(p, value, casting="unsafe")
                else:
                    layer.params[name] = np.ascontiguousarray(value, dtype=F32)

    # ------------------------------------------------------------------ buffers
    def _plan(self, n, train):
        key = (n, train)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= _MAX_PLANS:
                self._plans.pop(next(iter(self._plans)))
            d = math.prod(self.input_shape)
            plan = {"x": _act_buffer(d, n, self.dtype), "bufs": [op.alloc(n, train) for op in self.ops],
                    "dlogits": _act_buffer(self.num_classes, n, self.dtype), "n": n, "train": train}
            self._plans[key] = plan
        return plan

    # ------------------------------------------------------------------ passes
    def forward(self, x, train=False, rng=None):
        """Logits ``(K, N)`` (a view of an internal buffer) for ``x : (N, C, H, W)``."""
        n = x.shape[0]
        plan = self._plan(n, train)
        d = math.prod(self.input_shape)
        xin = plan["x"]
        np.copyto(xin[:d * n].reshape(d, n), x.reshape(n, d).T)
        a = xin
        for op, b in zip(self.ops, plan["bufs"]):
            a = op.forward(a, b, n, train, rng, self.views[op.slot] if op.weighted else None)
        self._last = plan
        return a[:self.num_classes * n].reshape(self.num_classes, n)

    def loss(self, logits, y, scale=None):
        """Summed softmax cross-entropy of ``logits (K, n)`` and ``y (n,)``, and the probabilities.

        The gradient ``(p - onehot(y)) * scale`` (default ``1 / n``: that of the mean)
        goes into the buffer that :meth:`backward` starts from.
        """
        k, n = logits.shape
        z = logits - logits.max(axis=0)
        e = np.exp(z, out=z)
        e /= e.sum(axis=0)
        cols = np.arange(n)
        loss = -float(np.sum(np.log(np.maximum(e[y, cols], 1e-12))))
        d = self._last["dlogits"][:k * n].reshape(k, n)
        np.copyto(d, e)
        d[y, cols] -= 1
        d *= 1.0 / n if scale is None else scale
        return loss, e

    def backward(self, accumulate=False):
        """Back-propagate the gradient of the last :meth:`loss` into :attr:`grad` (added to it if ``accumulate``)."""
        plan = self._last
        if plan is None or not plan["train"]:
            raise ValueError("backward needs a forward pass with train=True first.")
        g = plan["dlogits"]
        for i in range(len(self.ops) - 1, self.first_weighted - 1, -1):
            op = self.ops[i]
            gviews = self.sviews if accumulate else self.gviews
            w, gw = (self.views[op.slot], gviews[op.slot]) if op.weighted else (None, None)
            g = op.backward(g, plan["bufs"][i], plan["n"], i > self.first_weighted, w, gw)
        if accumulate:
            self.grad += self.scratch

    def train_step(self, x, y, opt, rng=None):
        """One step on a batch: returns ``(loss, correct)``. ``opt`` is a :mod:`cnnlab.calculus.optim` optimizer.

        A batch larger than :data:`TRAIN_CHUNK` runs as chunks whose gradients add up
        (the loss is a mean over the batch, so each chunk's gradient is scaled by
        ``1 / N``): the buffers of a chunk stay in the processor's cache. A loss that
        is not finite is returned without an update.
        """
        loss, correct = self.gradient(x, y, rng)
        if math.isfinite(loss):
            self.update(opt)
        return loss, correct

    def gradient(self, x, y, rng=None):
        """Mean loss over the batch, number correct, and the gradient into :attr:`grad`."""
        n = x.shape[0]
        y = np.asarray(y)
        drops = [op for op in self.ops if isinstance(op, _Dropout)]
        masks = [op.draw(n, rng) for op in drops]       # in layer order, as the readable layers draw them
        total, correct = 0.0, 0
        try:
            for i in range(0, n, TRAIN_CHUNK):
                j = min(n, i + TRAIN_CHUNK)
                for op, mask in zip(drops, masks):
                    op.rows = mask[i:j]
                logits = self.forward(x[i:j], train=True)
                part, probs = self.loss(logits, y[i:j], scale=1.0 / n)
                if not math.isfinite(part) or not np.all(np.isfinite(logits)):
                    return float("nan"), 0
                total += part
                correct += int(np.count_nonzero(probs.argmax(axis=0) == y[i:j]))
                self.backward(accumulate=i > 0)
        finally:
            for op in drops:
                op.rows = None
        return total / n, correct

    def update(self, opt):
        """One update of :attr:`theta` by ``opt`` with :attr:`grad` (Adam on preallocated flat buffers)."""
        if opt.name != "adam":
            opt.step([self.theta], [self.grad])
            return
        if self._adam is None or self._adam[0] is not opt:
            z = np.zeros_like(self.theta)
            self._adam = (opt, z, z.copy(), z.copy())
        _, m, v, t = self._adam
        lr = opt.current_lr()
        opt.t += 1
        b1, b2, step = opt.b1, opt.b2, opt.t
        g = self.grad
        m *= b1
        np.multiply(g, 1 - b1, out=t)
        m += t
        v *= b2
        np.multiply(g, g, out=t)
        t *= 1 - b2
        v += t
        np.multiply(v, 1 / (1 - b2 ** step), out=t)     # v_hat
        np.sqrt(t, out=t)
        t += opt.eps
        np.divide(m, t, out=t)
        t *= lr / (1 - b1 ** step)                      # lr m_hat / (sqrt(v_hat) + eps)
        self.theta -= t

    # ------------------------------------------------------------------ inference
    def predict(self, x, batch_size=PREDICT_CHUNK, out=None):
        """Class probabilities ``(N, K)`` for ``x : (N, C, H, W)`` float, ``batch_size`` images at a time."""
        n = x.shape[0]
        batch_size = max(1, int(batch_size))
        probs = np.empty((n, self.num_classes), F32) if out is None else out
        for i in range(0, n, batch_size):
            chunk = np.asarray(x[i:i + batch_size], dtype=self.dtype)
            logits = self.forward(chunk)
            z = logits - logits.max(axis=0)
            np.exp(z, out=z)
            z /= z.sum(axis=0)
            probs[i:i + chunk.shape[0]] = z.T
        return probs

    def release(self):
        """Drop every preallocated buffer (they come back on the next pass)."""
        self._plans.clear()
        self._last = None


def predict(model, x, batch_size=PREDICT_CHUNK):
    """Class probabilities ``(N, K)`` of ``model`` for ``x : (N, C, H, W)`` float in [0, 1], on the fast path.

    The peak memory is that of one chunk of ``batch_size`` images plus the
    ``(N, K)`` result, whatever ``N``.
    """
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[None]
    net = FastNet(model)
    return net.predict(x, batch_size)


def evaluate(net, x, y, batch_size=PREDICT_CHUNK):
    """Loss and accuracy of a :class:`FastNet` on ``x (N, C, H, W)``, ``y (N,)``: a dict like train.evaluate."""
    probs = net.predict(x, batch_size)
    y = np.asarray(y)
    if not y.size:
        return {"loss": 0.0, "accuracy": 0.0, "pred": probs.argmax(axis=1), "probs": probs}
    loss = -float(np.mean(np.log(np.maximum(probs[np.arange(y.size), y], 1e-12))))
    pred = probs.argmax(axis=1)
    return {"loss": loss, "accuracy": float(np.mean(pred == y)), "pred": pred, "probs": probs}
