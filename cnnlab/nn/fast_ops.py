"""The operations of the fast engine (:mod:`cnnlab.nn.fast`) on batch-innermost activations.

Every activation is a flat buffer of ``(D + 1) * N`` numbers: the ``D * N``
values of the ``(C, H, W, N)`` or ``(D, N)`` activation followed by ``N`` ones
(the bias row for a product that reads it). ``op.alloc(n, train)`` makes the
buffers of one batch size; ``op.forward(x, b, n, train, rng, wb)`` and
``op.backward(dy, b, n, need_dx, wb, gwb)`` use them (``b`` is that dict, ``wb``
the op's ``[W | b]`` view of the flat parameter vector, ``gwb`` its gradient).
:func:`compile_ops` turns a model's layers into the op list.
"""

from __future__ import annotations

import math

import numpy as np

from .layers import F32

# an im2col product runs in pieces of ~PRODUCT_PIECE_VALUES values of the matrix (at least PRODUCT_PIECE_MIN
# columns): OpenBLAS multiplies LeNet's C1 (26 x 50,176 at batch 64) ~2x faster in pieces of 2,048 columns
PRODUCT_PIECE_VALUES = 65_536
PRODUCT_PIECE_MIN = 2048
CONV_BLOCK_BYTES = 4_000_000   # im2col matrix of one block of output rows (LeNet-5 in chunks of 64: one block)


def act_buffer(d, n, dtype):
    """A flat activation buffer for ``n`` samples of ``d`` values, ending in a row of ``n`` ones."""
    buf = np.empty((d + 1) * n, dtype)
    buf[d * n:] = 1
    return buf


class Op:
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
            b["y"] = act_buffer(self.d_out, n, self.dtype)
        return b


class Conv(Op):
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
        self.piece = max(PRODUCT_PIECE_MIN, PRODUCT_PIECE_VALUES // (self.ckk + 1))    # columns per product piece
        self.layer = layer
        # for each kernel offset: the output cells whose input cell is real (not padding)
        self.offsets = []
        for ki in range(self.k):
            r = _valid(in_shape[1], self.oh, ki, self.s, self.p)
            for kj in range(self.k):
                q = _valid(in_shape[2], self.ow, kj, self.s, self.p)
                if r and q:
                    self.offsets.append((ki, kj, r, q))

    def load(self, wb):
        w, b = self.layer.params["w"], self.layer.params["b"]
        wb[:, :self.ckk] = w.reshape(self.f, -1)
        wb[:, self.ckk] = b

    def store(self, wb):
        return {"w": wb[:, :self.ckk].reshape(self.layer.params["w"].shape), "b": wb[:, self.ckk]}

    def alloc(self, n, train):
        b = super().alloc(n, train)
        item = np.dtype(self.dtype).itemsize
        rows = max(1, min(self.oh, CONV_BLOCK_BYTES // ((self.ckk + 1) * self.ow * n * item)))
        y3 = b["y"][:self.d_out * n].reshape(self.f, self.oh, self.ow * n)
        b["row_blocks"] = blocks = []
        for r0 in range(0, self.oh, rows):
            r1 = min(self.oh, r0 + rows)
            cols = np.zeros((self.ckk + 1, (r1 - r0) * self.ow * n), self.dtype)   # 0 where windows
            cols[self.ckk] = 1                                                       # reach the padding
            copies = []
            for ki, kj, (o0, o1, i0), (p0, p1, j0) in self.offsets:
                a, e = max(o0, r0), min(o1, r1)
                if a < e:
                    copies.append((ki, kj, a - r0, e - r0, i0 + (a - o0) * self.s, p0, p1, j0))
            blocks.append((r0, r1, cols, copies, y3[:, r0:r1].reshape(self.f, -1)))
        if train:
            b["gt"] = np.empty(self.wshape[::-1], self.dtype)
            b["gt2"] = np.empty(self.wshape[::-1], self.dtype)
            b["dcols"] = np.empty(self.ckk * rows * self.ow * n, self.dtype)
            b["dx"] = np.zeros(self.d_in * n, self.dtype)
        return b

    def forward(self, x, b, n, train, rng, wb):
        # by blocks of output rows: each block's im2col matrix is multiplied while it is in cache
        c, h, w = self.in_shape
        x4 = x[:self.d_in * n].reshape(c, h, w, n)
        s, k = self.s, self.k
        for r0, r1, cols, copies, yv in b["row_blocks"]:
            cols6 = cols[:self.ckk].reshape(c, k, k, r1 - r0, self.ow, n)
            for ki, kj, a, e, i0, p0, p1, j0 in copies:
                cols6[:, ki, kj, a:e, p0:p1] = x4[:, i0:i0 + s * (e - a - 1) + 1:s, j0:j0 + s * (p1 - p0 - 1) + 1:s]
            m = cols.shape[1]
            for i in range(0, m, self.piece):
                np.matmul(wb, cols[:, i:i + self.piece], out=yv[:, i:i + self.piece])
        return b["y"]

    def backward(self, dy, b, n, need_dx, wb, gwb):
        c, h, w = self.in_shape
        s, k = self.s, self.k
        d3 = dy[:self.d_out * n].reshape(self.f, self.oh, self.ow * n)
        if need_dx:
            dx4 = b["dx"].reshape(c, h, w, n)
            dx4.fill(0)
        first = True
        for r0, r1, cols, copies, _ in b["row_blocks"]:
            d2 = d3[:, r0:r1].reshape(self.f, -1)
            # [dW | db]^T = cols @ dout^T: this order is ~2x faster in BLAS than dout @ cols^T, and
            # so are pieces of a few thousand columns rather than one long product
            for i in range(0, d2.shape[1], self.piece):
                j = i + self.piece
                if first:
                    np.matmul(cols[:, i:j], d2[:, i:j].T, out=b["gt"])
                    first = False
                else:
                    np.matmul(cols[:, i:j], d2[:, i:j].T, out=b["gt2"])
                    b["gt"] += b["gt2"]
            if not need_dx:
                continue
            m = (r1 - r0) * self.ow * n
            dcols = b["dcols"][:self.ckk * m].reshape(self.ckk, m)
            np.matmul(wb[:, :self.ckk].T, d2, out=dcols)
            dcols6 = dcols.reshape(c, k, k, r1 - r0, self.ow, n)
            for ki, kj, a, e, i0, p0, p1, j0 in copies:
                dx4[:, i0:i0 + s * (e - a - 1) + 1:s, j0:j0 + s * (p1 - p0 - 1) + 1:s] += \
                    dcols6[:, ki, kj, a:e, p0:p1]
        np.copyto(gwb, b["gt"].T)
        return b["dx"] if need_dx else None


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


class Matmul(Op):
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


class Pool(Op):
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


class Act(Op):
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


class Dropout(Op):
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


def compile_ops(model, dtype):
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
            ops.append((Matmul if whole else Conv)(layer, ins, outs, dtype))
        elif kind == "dense":
            ops.append(Matmul(layer, ins, outs, dtype))
        elif kind == "relu" and nxt is not None and nxt.kind == "maxpool":
            ops.append(Pool(nxt, tuple(nxt.in_shape), tuple(nxt.out_shape), dtype, relu=True))
            i += 1
        elif kind == "maxpool" and nxt is not None and nxt.kind == "relu":   # the same function
            ops.append(Pool(layer, ins, outs, dtype, relu=True))
            i += 1
        elif kind in ("maxpool", "avgpool"):
            ops.append(Pool(layer, ins, outs, dtype))
        elif kind in ("relu", "sigmoid", "tanh"):
            safe = bool(ops) and not ops[-1].needs_output
            ops.append(Act(kind, ins, dtype, in_place=safe))
        elif kind == "dropout":
            ops.append(Dropout(layer.cfg["rate"], ins, dtype))
        else:
            raise ValueError(f"the fast engine has no layer type {kind!r}.")
        i += 1
    return ops
