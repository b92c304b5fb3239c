"""Receptive fields of a stack of convolution and pooling layers.

After Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional
Neural Networks", Distill, 2019 (https://distill.pub/2019/computing-receptive-fields/).
Per axis, for layers ``l = 1..L`` with kernel ``k_l``, stride ``s_l``,
padding ``p_l`` (on the left / top) and dilation ``d_l`` (effective kernel
``k'_l = d_l(k_l - 1) + 1``), starting from ``r_0 = 1``, ``j_0 = 1``, ``P_0 = 0``:

==============================  ==============================================
receptive-field size            ``r_l = r_{l-1} + (k'_l - 1) j_{l-1}``
jump (effective stride)         ``j_l = j_{l-1} s_l``  (product of the strides)
effective padding               ``P_l = P_{l-1} + p_l j_{l-1}``
region of unit ``u`` of layer l ``[u j_l - P_l,  u j_l - P_l + r_l - 1]``
==============================  ==============================================

Coordinates are input pixel indices counted from 0 (the centre of pixel 0 is
0). The ``start`` of a layer is the centre of its first unit,
``(r_l - 1) / 2 - P_l``; add 0.5 for the "pixel edges at integers"
convention of some write-ups. A region can reach outside the input (into the
padding): :func:`unit_region` reports it both raw and clipped.
"""

from __future__ import annotations

import re

from ..checks import LessonError, check_nonnegative_int, check_positive_int
from .shapes import conv_output_size, pool_output_size


def grow(rf, k, s=1, p=0, d=1):
    """One step of the recurrence: ``(r, j, P)`` after a layer with kernel ``k``, stride ``s``,
    padding ``p`` and dilation ``d`` (the one place it is written)."""
    r, j, P = rf
    return r + d * (k - 1) * j, j * s, P + p * j


def _layer(layer, n):
    if not isinstance(layer, dict) or "kernel" not in layer:
        raise ValueError(f"layer {n} must be a dict with at least a 'kernel'.")
    kind = layer.get("type", "conv")
    if kind not in ("conv", "pool"):
        raise ValueError(f"layer {n}: type must be 'conv' or 'pool', got {kind!r}.")
    k = check_positive_int(layer["kernel"], "kernel_size")
    s = check_positive_int(layer.get("stride", 1), "stride")
    p = check_nonnegative_int(layer.get("padding", 0), "padding")
    d = check_positive_int(layer.get("dilation", 1), "dilation")
    return kind, k, s, p, d


def receptive_field(layers, input_size=None):
    """One row per layer: the receptive field of that layer's units on the input.

    Parameters
    ----------
    layers : list of dict
        ``{"kernel": k, "stride": s, "padding": p, "dilation": d}`` (defaults
        1, 0, 1), optionally ``"type"`` (``"conv"`` or ``"pool"``), ``"name"``
        and ``"ceil_mode"`` (pooling).
    input_size : int, optional
        With it every row also gets ``out`` (that layer's output size) and
        ``exceeds`` (the receptive field is larger than the input).

    Returns
    -------
    list of dict, one per layer, with ``name, type, kernel, stride, padding,
    dilation, keff`` (the layer) and ``size`` (``r``), ``jump`` (``j``),
    ``eff_padding`` = ``padding_eff`` (``P``), ``start`` (centre of unit 0) and
    ``growth`` (``r_l - r_{l-1}``). ``padding`` is the effective padding
    ``P``; the layer's own padding is ``layer_padding``.
    """
    if not layers:
        raise LessonError("empty_stack", "the stack has no layers; add at least one.")
    r, j, P = 1, 1, 0
    size = None if input_size is None else check_positive_int(input_size, "input")
    rows = []
    for n, layer in enumerate(layers, start=1):
        kind, k, s, p, d = _layer(layer, n)
        keff = d * (k - 1) + 1
        r_new, _, P = grow((r, j, P), k, s, p, d)
        row = {"name": layer.get("name") or f"{kind}{n}", "type": kind, "kernel": k, "stride": s,
               "layer_padding": p, "dilation": d, "keff": keff, "size": r_new, "jump": j * s,
               "padding": P, "eff_padding": P, "start": (r_new - 1) / 2 - P, "growth": r_new - r}
        if size is not None:
            try:
                if kind == "pool":
                    size = pool_output_size(size, k, s, p, d, layer.get("ceil_mode", False))
                else:
                    size = conv_output_size(size, k, s, p, d)
            except LessonError as exc:
                raise LessonError(
                    "stack_layer_invalid", f"layer {n} ({row['name']}) does not fit: {exc}",
                    layer=n, name=row["name"], detail=str(exc)) from exc
            row["out"] = size
            row["exceeds"] = r_new > input_size
        r, j = r_new, j * s
        rows.append(row)
    return rows


def unit_region(rows, unit, input_size=None):
    """The input region ``[u, v]`` (inclusive) a unit of the last row's layer sees.

    Parameters
    ----------
    rows : the result of :func:`receptive_field` (or a prefix of it, for an earlier layer)
    unit : int, the unit's index along this axis in that layer's output
    input_size : int, optional, to clip the region to the real input

    Returns
    -------
    dict with ``u, v, centre`` (may reach outside ``[0, input_size - 1]``) and,
    with ``input_size``, ``u_clip, v_clip`` and ``in_padding`` (cells of the
    region that fall in the padding).
    """
    last = rows[-1]
    unit = check_nonnegative_int(unit, "unit")
    if "out" in last and unit >= last["out"]:
        raise LessonError("unit_outside", f"unit {unit} is outside this layer's {last['out']} units.",
                          unit=unit, size=last["out"])
    u = unit * last["jump"] - last["padding"]
    v = u + last["size"] - 1
    res = {"u": u, "v": v, "centre": (u + v) / 2}
    if input_size is not None:
        res["u_clip"], res["v_clip"] = max(u, 0), min(v, input_size - 1)
        res["in_padding"] = max(0, -u) + max(0, v - (input_size - 1))
    return res


def stacked_size(L, k):
    """Receptive field of ``L`` stacked ``k x k`` convolutions with stride 1: ``1 + L(k - 1)``."""
    return 1 + check_positive_int(L, "layers") * (check_positive_int(k, "kernel_size") - 1)


# --------------------------------------------------------------------------
# Presets and a compact text form (for links)
# --------------------------------------------------------------------------
def _c(k, s=1, p=0, d=1, name=None):
    return {"type": "conv", "kernel": k, "stride": s, "padding": p, "dilation": d, "name": name}


def _p(k, s=None, p=0, name=None):
    return {"type": "pool", "kernel": k, "stride": k if s is None else s, "padding": p, "dilation": 1,
            "name": name}


def _vgg16():
    layers = []
    for block, (n, _) in enumerate(((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)), start=1):
        layers += [_c(3, 1, 1, name=f"conv{block}_{i}") for i in range(1, n + 1)]
        layers.append(_p(2, name=f"pool{block}"))
    return layers


PRESETS = {
    "three_3x3": [_c(3, name="conv1"), _c(3, name="conv2"), _c(3, name="conv3")],
    "two_3x3": [_c(3, name="conv1"), _c(3, name="conv2")],
    "one_5x5": [_c(5, name="conv1")],
    "lenet5": [_c(5, name="C1"), _p(2, name="S2"), _c(5, name="C3"), _p(2, name="S4"), _c(5, name="C5")],
    "alexnet": [_c(11, 4, 2, name="conv1"), _p(3, 2, name="pool1"), _c(5, 1, 2, name="conv2"),
                _p(3, 2, name="pool2"), _c(3, 1, 1, name="conv3"), _c(3, 1, 1, name="conv4"),
                _c(3, 1, 1, name="conv5"), _p(3, 2, name="pool5")],
    "vgg16": _vgg16(),
    "dilated": [_c(3, 1, 1, 1, "conv1"), _c(3, 1, 2, 2, "conv2"), _c(3, 1, 4, 4, "conv3"),
                _c(3, 1, 8, 8, "conv4")],
}
PRESET_INPUT = {"three_3x3": 16, "two_3x3": 16, "one_5x5": 16, "lenet5": 32, "alexnet": 224,
                "vgg16": 224, "dilated": 32}

_TOKEN = re.compile(r"^([cp])(\d{1,3})(?:s(\d{1,3}))?(?:p(\d{1,3}))?(?:d(\d{1,3}))?$")


def format_stack(layers):
    """A compact text form of a stack, e.g. ``"c3s1p1d1.p2s2p0d1"`` (for sharing a link)."""
    parts = []
    for n, layer in enumerate(layers, start=1):
        kind, k, s, p, d = _layer(layer, n)
        parts.append(f"{kind[0]}{k}s{s}p{p}d{d}")
    return ".".join(parts)


def parse_stack(text, max_layers=30):
    """Read :func:`format_stack`'s text back; raises ``ValueError`` on anything malformed."""
    if not isinstance(text, str) or not text or len(text) > 20 * max_layers:
        raise ValueError("not a layer stack.")
    layers = []
    for token in text.split("."):
        m = _TOKEN.match(token)
        if not m:
            raise ValueError(f"not a layer: {token!r}.")
        kind, k, s, p, d = m.groups()
        layer = {"type": "conv" if kind == "c" else "pool", "kernel": int(k),
                 "stride": int(s or 1), "padding": int(p or 0), "dilation": int(d or 1)}
        _layer(layer, len(layers) + 1)
        layers.append(layer)
    if len(layers) > max_layers:
        raise ValueError("too many layers.")
    return layers
