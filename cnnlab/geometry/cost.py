"""What a network costs, computed from its description before any array exists.

>>> cost = network_cost(LENET5, (1, 28, 28), batch_size=64)
>>> cost.params, cost.macs               # 61,706 parameters, 416,520 multiply-adds per image
>>> cost.peak_bytes / 2**20              # estimated peak memory of one training step (MiB)

:func:`plan_layers` checks every layer's settings against the lesson's limits
(:data:`LIMITS`) and gives each layer's output shape, parameters and
multiply-adds, all by the formulas of :mod:`cnnlab.geometry.shapes`.
:class:`cnnlab.nn.model.Model` calls it first and refuses a network over the
budget before it allocates a single weight.

Memory model of one training step (float32 = 4 bytes, batch ``B``)
-------------------------------------------------------------------
``kept``  what a layer's forward pass leaves for backward: its output
          (``B * out``), plus a convolution's im2col matrix (``B * H'W' * C*K*K``),
          a max pool's argmax (``B * out``, int32), a dropout's mask.
``temp``  what exists only while the layer runs: the padded input and its
          transposed copy, the output before it is made contiguous, and in
          backward the column gradient (as large as the im2col matrix) and the
          padded input gradient.
``state`` parameters, gradients and the two Adam moments (``4 P``), plus the
          Adam update's temporaries of the largest parameter array.
``batch``  the input batch and the augmentation's work arrays (:data:`AUGMENT_COPIES`).

The estimate is ``state + batch + max(forward peak, backward peak)``
where the forward peak at layer ``i`` is everything kept before it plus its
own kept and temporary arrays, and the backward peak is everything kept plus the largest backward temporary.
``tests/test_cost.py`` compares it with the peak ``tracemalloc`` measures for the
trainer's own steps: the estimate is 1.00-1.37 times the measured peak.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from ..checks import LessonError
from .shapes import conv_macs, conv_output_size, conv_params, fc_macs, fc_params, pool_output_size

BYTES = 4                                           # float32
MAX_PARAMS = 2_000_000
MAX_MACS = 30_000_000                               # multiply-adds per image: keeps training responsive
MAX_STEP_BYTES = 200 * 2 ** 20                      # one training step's estimated peak (issue 17)

# setting: (lowest, highest, default); a default of None means the setting is required
LIMITS = {
    "conv": {"filters": (1, 256, None), "kernel": (1, 11, None), "stride": (1, 4, 1), "padding": (0, 5, 0)},
    "maxpool": {"size": (1, 8, 2), "stride": (1, 8, "size")},
    "avgpool": {"size": (1, 8, 2), "stride": (1, 8, "size")},
    "dense": {"units": (1, 4096, None)},
}
KINDS = ("conv", "maxpool", "avgpool", "relu", "sigmoid", "tanh", "flatten", "dropout", "dense")
MAX_DROPOUT = 0.9
AUGMENT_COPIES = 12    # arrays of the batch's size alive in cnnlab.nn.train.augment_batch (int64 counted twice)


@dataclass(frozen=True)
class LayerPlan:
    """One layer of a network, everything known before its weights exist.

    ``settings`` are the checked settings with defaults filled in; ``in_shape`` and
    ``out_shape`` exclude the batch axis; ``macs`` are per image; ``kept``, ``temp_forward``
    and ``temp_backward`` are bytes for the batch size the plan was costed with.
    """

    index: int
    kind: str
    settings: dict
    in_shape: tuple
    out_shape: tuple
    params: int
    macs: int
    kept: int = 0
    temp_forward: int = 0
    temp_backward: int = 0

    @property
    def step_bytes(self):
        """What this layer alone adds to a training step: kept plus its largest temporary."""
        return self.kept + max(self.temp_forward, self.temp_backward)


@dataclass(frozen=True)
class NetworkCost:
    """The cost of a network for one batch size (see the module notes for the memory model)."""

    layers: tuple
    input_shape: tuple
    batch_size: int
    params: int
    macs: int
    state_bytes: int
    peak_bytes: int

    def costliest(self, what="memory"):
        """The layer that costs most in ``"memory"``, ``"params"`` or ``"macs"``."""
        key = {"memory": lambda p: p.step_bytes, "params": lambda p: p.params, "macs": lambda p: p.macs}[what]
        return max(self.layers, key=key)


def _setting(cfg, name, lo, hi, default, layer, kind):
    value = cfg.get(name, default)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and float(value) == int(value) and lo <= value <= hi:
        return int(value)
    raise LessonError("train_bad_setting", f"layer {layer} ({kind}): {name} must be a whole number "
                      f"from {lo} to {hi}, got {value!r}.", layer=layer, setting=name, lo=lo, hi=hi,
                      value=str(value))


def _settings(kind, cfg, index):
    out = {}
    for name, (lo, hi, default) in LIMITS.get(kind, {}).items():
        default = out[default] if isinstance(default, str) else default
        out[name] = _setting(cfg, name, lo, hi, default, index, kind)
    if kind == "dropout":
        rate = cfg.get("rate", 0.5)
        if not (isinstance(rate, numbers.Real) and not isinstance(rate, bool) and 0 <= rate <= MAX_DROPOUT):
            raise LessonError("train_bad_rate", f"layer {index} (dropout): the rate must be from 0 "
                              f"to {MAX_DROPOUT}, got {rate!r}.", layer=index, value=str(rate))
        out["rate"] = float(rate)
    return out


def _needs_maps(shape, index, kind):
    if len(shape) != 3:
        raise LessonError("train_needs_maps", f"layer {index} ({kind}) needs feature maps "
                          "(channels x rows x columns), but its input is already a flat vector.",
                          layer=index, kind=kind)


def _plan_one(kind, s, shape, index):
    """``(out_shape, params, macs)`` of one layer with checked settings ``s``."""
    if kind == "conv":
        _needs_maps(shape, index, kind)
        c, h, w = shape
        k, p = s["kernel"], s["padding"]
        if k > h + 2 * p or k > w + 2 * p:
            raise LessonError("train_kernel_too_large", f"layer {index} (conv): the {k}x{k} kernel does not "
                              f"fit the {h}x{w} input with padding {p}.", layer=index, kernel=k,
                              rows=h, cols=w, padding=p)
        out_hw = (conv_output_size(h, k, s["stride"], p), conv_output_size(w, k, s["stride"], p))
        return (s["filters"],) + out_hw, conv_params(k, c, s["filters"]), conv_macs(out_hw, k, c, s["filters"])
    if kind in ("maxpool", "avgpool"):
        _needs_maps(shape, index, kind)
        c, h, w = shape
        if s["size"] > h or s["size"] > w:
            raise LessonError("train_pool_too_large", f"layer {index} ({kind}): the {s['size']}x{s['size']} "
                              f"window does not fit the {h}x{w} input.", layer=index, size=s["size"],
                              rows=h, cols=w)
        return (c, pool_output_size(h, s["size"], s["stride"]), pool_output_size(w, s["size"], s["stride"])), 0, 0
    if kind == "flatten":
        return (_size(shape),), 0, 0
    if kind == "dense":
        if len(shape) != 1:
            raise LessonError("train_needs_flat", f"layer {index} (dense): a fully connected layer needs "
                              f"a flat vector, but its input has shape {tuple(shape)}; add a flatten "
                              "layer before it.", layer=index, shape=" x ".join(str(d) for d in shape))
        return (s["units"],), fc_params(shape[0], s["units"]), fc_macs(shape[0], s["units"])
    return tuple(shape), 0, 0


def _size(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _memory(kind, s, in_shape, out_shape, batch):
    """``(kept, temp_forward, temp_backward)`` bytes of one layer for a batch (module notes)."""
    b = batch * BYTES
    x, y = _size(in_shape) * b, _size(out_shape) * b
    if kind == "conv":
        c, h, w = in_shape
        p = s["padding"]
        x_pad = c * (h + 2 * p) * (w + 2 * p) * b
        cols = _size(out_shape[1:]) * c * s["kernel"] ** 2 * b
        # forward: padded input + its transposed copy, the product before the contiguous copy
        # backward: dout transposed, column gradient, padded input gradient and its crop
        return cols + y, 2 * x_pad + y, y + cols + x_pad + x
    if kind in ("maxpool", "avgpool"):
        c, h, w = in_shape
        # forward: the padded input view and the running best; backward: the input gradient
        return 2 * y if kind == "maxpool" else y, x + y, 2 * x
    if kind == "flatten":
        return 0, 0, 0
    if kind == "dropout":
        return 2 * y, y, y
    if kind == "dense":
        return y, 0, x + y
    return y, y, 2 * y                                  # activations: output kept; dx and one temporary


def plan_layer(cfg, in_shape, index=0, batch_size=1):
    """Check one layer's description for an input of ``in_shape`` (one sample): a :class:`LayerPlan`."""
    kind = cfg.get("type") if isinstance(cfg, dict) else None
    if kind not in KINDS:
        raise LessonError("train_unknown_layer", f"layer {index}: unknown layer type {kind!r}; use one "
                          f"of {', '.join(KINDS)}.", layer=index, kind=str(kind))
    shape = tuple(int(d) for d in in_shape)
    s = _settings(kind, cfg, index)
    out, params, macs = _plan_one(kind, s, shape, index)
    kept, tf, tb = _memory(kind, s, shape, out, int(batch_size))
    return LayerPlan(index, kind, s, shape, out, params, macs, kept, tf, tb)


def plan_layers(description, input_shape, batch_size=1):
    """Check a description and plan every layer (no arrays): a list of :class:`LayerPlan`."""
    if not isinstance(description, (list, tuple)) or not description:
        raise LessonError("train_empty", "the network has no layers.")
    shape, plans = input_shape, []
    for index, cfg in enumerate(description):
        plans.append(plan_layer(cfg, shape, index, batch_size))
        shape = plans[-1].out_shape
    return plans


def network_cost(description, input_shape=(1, 28, 28), batch_size=64):
    """Parameters, multiply-adds per image and the peak memory of one training step, from a description.

    Returns a :class:`NetworkCost`; raises ``LessonError`` for a description that does not fit.
    """
    batch = int(batch_size)
    plans = plan_layers(description, input_shape, batch)
    params = sum(p.params for p in plans)
    biggest = max((p.params for p in plans), default=0)
    # params, grads, Adam m and v; Adam's update makes about four temporaries of one array
    state = (4 * params + 4 * biggest) * BYTES
    # the batch and the augmentation's work arrays (sample grids, indices, bilinear weights)
    batch_in = _size(input_shape) * batch * BYTES * AUGMENT_COPIES
    kept_before, forward_peak = 0, 0
    for p in plans:
        forward_peak = max(forward_peak, kept_before + p.kept + p.temp_forward)
        kept_before += p.kept
    backward_peak = kept_before + max(p.temp_backward for p in plans)
    peak = state + batch_in + max(forward_peak, backward_peak)
    return NetworkCost(tuple(plans), tuple(int(d) for d in input_shape), batch, params,
                       sum(p.macs for p in plans), state, peak)


def check_budget(cost, max_params=MAX_PARAMS, max_macs=MAX_MACS, max_bytes=None):
    """Refuse a network over the lesson's budget, naming the layer that costs most.

    ``max_bytes`` (e.g. :data:`MAX_STEP_BYTES`) bounds the estimated peak of one training
    step for the batch size ``cost`` was computed with; ``None`` skips that check.
    """
    if cost.params > max_params:
        top = cost.costliest("params")
        raise LessonError("train_too_many_params", f"the network has {cost.params:,} parameters; the lesson "
                          f"allows at most {max_params:,} (layer {top.index}, {top.kind}, has {top.params:,}).",
                          count=cost.params, limit=max_params, layer=top.index, kind=top.kind, part=top.params)
    if cost.macs > max_macs:
        top = cost.costliest("macs")
        raise LessonError("train_too_slow", f"the network needs {cost.macs:,} multiply-adds per image; the "
                          f"lesson allows at most {max_macs:,} (layer {top.index}, {top.kind}, needs "
                          f"{top.macs:,}).", count=cost.macs, limit=max_macs, layer=top.index, kind=top.kind,
                          part=top.macs)
    if max_bytes is not None and cost.peak_bytes > max_bytes:
        top = cost.costliest("memory")
        raise LessonError("train_too_much_memory", f"one training step with batch {cost.batch_size} would need "
                          f"about {cost.peak_bytes / 2 ** 20:.0f} MB; the lesson allows {max_bytes / 2 ** 20:.0f} "
                          f"MB (layer {top.index}, {top.kind}, needs {top.step_bytes / 2 ** 20:.0f} MB). Use a "
                          "smaller batch, fewer filters or pool earlier.",
                          mb=round(cost.peak_bytes / 2 ** 20), limit_mb=round(max_bytes / 2 ** 20),
                          batch=cost.batch_size, layer=top.index, kind=top.kind,
                          part_mb=round(top.step_bytes / 2 ** 20))
    return cost
