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
* **Cache-sized chunks, buffers preallocated.** A training batch runs as chunks
  of :data:`TRAIN_CHUNK` images whose gradients add up, inference as chunks of
  :data:`PREDICT_CHUNK` (500 digits at once: 32 per chunk measured ~1.5x faster
  than 500, and the peak memory stays a few MB whatever N). Buffers are made
  once per chunk size (a few kept: the chunk, the last smaller one).
* The gradient of the weights is computed as ``cols @ dout^T`` (then
  transposed, it is tiny): OpenBLAS runs this order about 2x faster than
  ``dout @ cols^T`` for these shapes (measured). The im2col products run in
  pieces of ~2,048 columns: one long product with 6 rows (LeNet's C1) is about
  2x slower in OpenBLAS (measured: the whole training step 15 % faster).

Measured and left out: im2col by cache-sized blocks of output rows (kept as an
option, :data:`cnnlab.nn.fast_ops.CONV_BLOCK_BYTES`, but no faster for LeNet-5),
chunks of 32 or 128 images in training (no faster than 64), the input-gradient
product in pieces (no clear change).

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

from ..checks import LessonError
from .fast_ops import Dropout, act_buffer, compile_ops
from .layers import F32

logger = logging.getLogger(__name__)

PREDICT_CHUNK = 32       # images per inference chunk: its buffers (~5 MB for LeNet-5) stay in cache (measured fastest)
TRAIN_CHUNK = 64         # images per forward/backward chunk of a training step (buffers stay in cache)
_MAX_PLANS = 4           # batch sizes whose buffers are kept


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
        self.ops = compile_ops(model, self.dtype)
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
            plan = {"x": act_buffer(d, n, self.dtype), "bufs": [op.alloc(n, train) for op in self.ops],
                    "dlogits": act_buffer(self.num_classes, n, self.dtype), "n": n, "train": train}
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
        drops = [op for op in self.ops if isinstance(op, Dropout)]
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
    shape = tuple(model.input_shape)
    if x.shape == shape:
        x = x[None]
    if x.ndim != 4 or x.shape[1:] != shape:
        raise LessonError("train_bad_input", f"the model expects input of shape (N, {', '.join(map(str, shape))}), "
                          f"got {x.shape}.", shape=str(x.shape))
    if not np.issubdtype(x.dtype, np.floating):
        raise LessonError("train_bad_input", "the input must be floats in [0, 1] (divide uint8 images by 255).",
                          shape=str(x.shape))
    return FastNet(model).predict(x, batch_size)


def evaluate(net, x, y, batch_size=PREDICT_CHUNK):
    """Loss and accuracy of a :class:`FastNet` on ``x (N, C, H, W)``, ``y (N,)``: a dict like train.evaluate."""
    probs = net.predict(x, batch_size)
    y = np.asarray(y)
    if not y.size:
        return {"loss": 0.0, "accuracy": 0.0, "pred": probs.argmax(axis=1), "probs": probs}
    loss = -float(np.mean(np.log(np.maximum(probs[np.arange(y.size), y], 1e-12))))
    pred = probs.argmax(axis=1)
    return {"loss": loss, "accuracy": float(np.mean(pred == y)), "pred": pred, "probs": probs}
