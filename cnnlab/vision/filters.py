"""Filter banks and the convolution -> ReLU -> pooling pipeline on a whole image.

Every kernel is indexed ``k[row, col]`` and applied as a cross-correlation
(what CNN frameworks call convolution), with "same" zero padding so each
feature map has the size of the image.

The bank is applied in one batched call of :func:`cnnlab.ops.conv.conv2d`: the
image is an ``(N=1, C=1, H, W)`` batch and the ``F`` kernels are the
``(F, 1, KH, KW)`` weights of one convolution layer, exactly how a CNN's
first layer sees a gray image. :func:`apply_bank_loop` is the slow
reference: one :func:`cnnlab.ops.conv.correlate2d` per kernel.
"""

from __future__ import annotations

import re

import numpy as np

from ..checks import LessonError, check_positive_int
from ..ops.conv import channel_contributions, conv2d, correlate2d, output_shape, window_terms
from ..ops.pooling import pool2d, pool2d_selected
from .kernels import EDGE_KERNELS, gabor_kernel, gaussian_kernel, kernel, rgb_kernel

__all__ = ["DEFAULT_BANK", "EDGE_KERNELS", "FILTER_NAMES", "RGB_KERNEL_NAMES", "apply_bank", "gabor_kernel",
           "gaussian_kernel", "mosaic", "named_kernel", "parse_kernel", "pipeline", "rgb_feature_map",
           "rgb_kernel", "stack_kernels", "trace_pixel"]

# --------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------
#: Every named kernel of the lesson, in menu order.
FILTER_NAMES = ("edge_0", "edge_45", "edge_90", "edge_135", "gabor_0", "gabor_45", "gabor_90", "gabor_135",
                "blur", "box_blur", "sharpen", "laplacian")
#: The default bank: eight filters.
DEFAULT_BANK = ("edge_0", "edge_45", "edge_90", "edge_135", "gabor_45", "blur", "sharpen", "laplacian")


def named_kernel(name):
    """The kernel called ``name`` (one of :data:`FILTER_NAMES`) as a float64 array."""
    if name.startswith("edge_") and name[5:].isdigit() and int(name[5:]) in EDGE_KERNELS:
        return EDGE_KERNELS[int(name[5:])].copy()
    if name.startswith("gabor_") and name[6:].isdigit() and int(name[6:]) in EDGE_KERNELS:
        return gabor_kernel(int(name[6:]))
    if name == "blur":
        return gaussian_kernel(5, 1.0)
    if name in ("box_blur", "sharpen", "laplacian"):
        return kernel(name, 3)
    raise LessonError("unknown_kernel", f"unknown kernel '{name}'.", name=name)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
MAX_CUSTOM = 9


def parse_kernel(text):
    """Read a kernel typed by a student: rows on lines (or separated by ``;``), numbers by spaces or commas.

    ``"1 0 -1; 2 0 -2; 1 0 -1"`` gives a 3 x 3 kernel. Fractions like ``1/9`` are allowed.
    Nothing is evaluated: each entry must match a number pattern.

    Returns
    -------
    (KH, KW) float64 ndarray, 1 <= KH, KW <= 9.

    Raises
    ------
    LessonError with code ``fm_kernel_empty``, ``fm_kernel_number``, ``fm_kernel_ragged``
    or ``fm_kernel_size``.
    """
    text = (text or "").strip()
    if len(text) > 2000:
        raise LessonError("fm_kernel_size", "a kernel can have at most 9 rows and 9 columns.",
                          limit=MAX_CUSTOM)
    lines = [ln for ln in re.split(r"[;\n]+", text) if ln.strip()]
    if not lines:
        raise LessonError("fm_kernel_empty", "type the kernel's numbers, one row per line.")
    rows = []
    for ln in lines:
        row = []
        for tok in re.split(r"[,\s]+", ln.strip().strip("[]").strip()):
            if not tok:
                continue
            parts = tok.split("/")
            if len(parts) > 2 or not all(_NUMBER.match(p) for p in parts):
                raise LessonError("fm_kernel_number", f"'{tok[:20]}' is not a number.", token=tok[:20])
            value = float(parts[0])
            if len(parts) == 2:
                if float(parts[1]) == 0:
                    raise LessonError("fm_kernel_number", f"'{tok[:20]}' divides by zero.", token=tok[:20])
                value /= float(parts[1])
            row.append(value)
        rows.append(row)
    if any(len(r) != len(rows[0]) for r in rows):
        raise LessonError("fm_kernel_ragged", "every row of the kernel needs the same number of values.",
                          counts=", ".join(str(len(r)) for r in rows))
    k = np.array(rows, dtype=np.float64)
    if k.shape[0] > MAX_CUSTOM or k.shape[1] > MAX_CUSTOM or k.size == 0:
        raise LessonError("fm_kernel_size", "a kernel can have at most 9 rows and 9 columns.",
                          limit=MAX_CUSTOM)
    if not np.all(np.isfinite(k)) or np.abs(k).max() > 1e6:
        raise LessonError("fm_kernel_number", "the kernel's numbers must be finite and below a million.",
                          token="∞")
    return k


def stack_kernels(kernels):
    """Centre kernels of different sizes in a common ``(F, KH, KW)`` stack (zeros around).

    Each kernel is placed so that its "same"-padded correlation is unchanged:
    offset ``(K - 1) // 2 - (k - 1) // 2`` for a kernel of size ``k`` in the common
    odd size ``K`` (odd kernels are centred; an even one sits half a cell
    down-right, as its own "same" padding puts it). The extra zeros change no value.
    """
    kernels = [np.asarray(k, dtype=np.float64) for k in kernels]
    if not kernels:
        raise LessonError("fm_no_filters", "choose at least one filter.")
    kh = max(k.shape[0] for k in kernels)
    kw = max(k.shape[1] for k in kernels)
    kh += 1 - kh % 2
    kw += 1 - kw % 2
    out = np.zeros((len(kernels), kh, kw))
    for i, k in enumerate(kernels):
        top, left = (kh - 1) // 2 - (k.shape[0] - 1) // 2, (kw - 1) // 2 - (k.shape[1] - 1) // 2
        out[i, top:top + k.shape[0], left:left + k.shape[1]] = k
    return out


# --------------------------------------------------------------------------
# The bank on an image, and the pipeline
# --------------------------------------------------------------------------
def _gray(image):
    x = np.asarray(image, dtype=np.float64)
    if x.ndim != 2 or x.size == 0:
        raise ValueError("a gray image (H, W) is needed.")
    return x


def apply_bank(image, kernels):
    """Every kernel on a gray image at once: one convolution layer with ``F`` filters.

    Parameters
    ----------
    image : (H, W) array
    kernels : (F, KH, KW) array (odd KH, KW), e.g. from :func:`stack_kernels`

    Returns
    -------
    maps : (F, H, W) float64 ndarray, ``maps[f] = correlate2d(image, kernels[f], padding="same")``
    """
    x = _gray(image)
    w = np.asarray(kernels, dtype=np.float64)
    if w.ndim != 3:
        raise ValueError("the kernels must have shape (F, KH, KW).")
    return conv2d(x[None, None], w[:, None], padding="same")[0]


def apply_bank_loop(image, kernels):
    """The slow reference for :func:`apply_bank`: one 2-D correlation per kernel."""
    x = _gray(image)
    return np.stack([correlate2d(x, k, padding="same") for k in np.asarray(kernels, dtype=np.float64)])


def relu(x):
    """``max(0, x)`` element-wise."""
    return np.maximum(x, 0.0)


def pipeline(image, kernels, use_relu=True, pool=2, pool_mode="max"):
    """Convolution -> ReLU -> pooling on a gray image, keeping every stage.

    Parameters
    ----------
    image : (H, W) array
    kernels : (F, KH, KW) array
    use_relu : bool
    pool : int, pooling window and stride (``1`` or ``None``: no pooling)
    pool_mode : ``"max"`` or ``"avg"``

    Returns
    -------
    dict with
        ``stages`` : list of ``(name, (F, h, w) ndarray)``, starting with
        ``("conv", maps)``, then ``("relu", ...)`` and ``("pool", ...)`` when on;
        ``shapes`` : list of ``(name, (C, h, w))`` from ``("input", (1, H, W))``;
        ``output`` : the last stage's array.
        Pooling output size: ``h' = (h - K) // K + 1 = h // K``.
    """
    x = _gray(image)
    w = np.asarray(kernels, dtype=np.float64)
    maps = apply_bank(x, w)
    stages = [("conv", maps)]
    if use_relu:
        stages.append(("relu", relu(maps)))
    if pool and pool > 1:
        size = check_positive_int(pool, "pool")
        if size > min(maps.shape[1:]):
            raise LessonError("kernel_too_large",
                              f"the pooling window ({size}) is larger than the feature map.",
                              kernel=size, padded=min(maps.shape[1:]))
        pooled = pool2d(stages[-1][1][None], size, mode=pool_mode)[0]
        stages.append(("pool", pooled))
    shapes = [("input", (1,) + x.shape)] + [(name, a.shape) for name, a in stages]
    return {"stages": stages, "shapes": shapes, "output": stages[-1][1]}


def trace_pixel(image, kernel, stage, row, col, pool=2, pool_mode="max", use_relu=True):
    """Follow one feature-map pixel back to the multiply-add that produced it.

    Parameters
    ----------
    image : (H, W) array; kernel : (KH, KW) array (odd sizes)
    stage : ``"conv"``, ``"relu"`` or ``"pool"``, the map the pixel was taken from
    row, col : the pixel in that map

    Returns
    -------
    dict with ``conv_cell`` ``(r, c)``: the convolution output behind the pixel
    (for max pooling the cell the window selected; for average pooling the window's
    top-left cell), ``terms`` (from :func:`cnnlab.ops.conv.window_terms`: ``window``,
    ``products``, ``value``, ``rows``, ``cols`` in padded coordinates),
    ``pad`` ``(top, left)``, ``pool_rows`` / ``pool_cols`` (the pooling window in
    conv-map coordinates, or ``None``), and ``field`` ``(r0, r1, c0, c1)``: the
    receptive field on the input, inclusive, clipped to the image.
    """
    x = _gray(image)
    k = np.asarray(kernel, dtype=np.float64)
    h, w = output_shape(x.shape, k.shape, 1, "same")
    pool_rows = pool_cols = None
    if stage == "pool":
        size = check_positive_int(pool, "pool")
        ph, pw = h // size, w // size
        if not (0 <= row < ph and 0 <= col < pw):
            raise LessonError("cell_outside", f"cell ({row}, {col}) is outside the {ph}x{pw} map.",
                              row=row, col=col, rows=ph, cols=pw)
        pool_rows = row * size + np.arange(size)
        pool_cols = col * size + np.arange(size)
        if pool_mode == "avg":
            r, c = int(pool_rows[0]), int(pool_cols[0])
        else:
            maps = correlate2d(x, k, padding="same")
            if use_relu:
                maps = relu(maps)
            rr, cc = pool2d_selected(maps, size, mode=pool_mode)
            r, c = int(rr[row, col]), int(cc[row, col])
    else:
        r, c = int(row), int(col)
    terms = window_terms(x, k, r, c, padding="same")
    top, left = (k.shape[0] - 1) // 2, (k.shape[1] - 1) // 2
    if pool_rows is not None:
        rows = (pool_rows.min() - top, pool_rows.max() + k.shape[0] - 1 - top)
        cols = (pool_cols.min() - left, pool_cols.max() + k.shape[1] - 1 - left)
    else:
        rows = (r - top, r + k.shape[0] - 1 - top)
        cols = (c - left, c + k.shape[1] - 1 - left)
    field = (max(0, rows[0]), min(x.shape[0] - 1, rows[1]), max(0, cols[0]), min(x.shape[1] - 1, cols[1]))
    return {"conv_cell": (r, c), "terms": terms, "pad": (top, left), "pool_rows": pool_rows,
            "pool_cols": pool_cols, "field": tuple(int(v) for v in field)}


# --------------------------------------------------------------------------
# Colour: one 3-D kernel over R, G, B gives one feature map
# --------------------------------------------------------------------------
RGB_KERNEL_NAMES = ("edge_all", "red_minus_green", "blue_edges", "luminance_edges")   # this lesson's menu


def rgb_feature_map(image, kernel, bias=0.0):
    """One feature map of a colour image, channel by channel.

    Parameters
    ----------
    image : (H, W, 3) array in [0, 1]
    kernel : (3, KH, KW) array; bias : float

    Returns
    -------
    dict with ``parts`` (3, H, W): each channel correlated with its kernel slice
    ("same" padding), ``total`` (H, W) = ``parts.sum(0) + bias``, ``direct`` (H, W):
    the same map from one call of :func:`cnnlab.ops.conv.conv2d` with a ``(1, 3, KH, KW)``
    weight and the bias, and ``max_diff`` between ``total`` and ``direct``.
    """
    x = np.asarray(image, dtype=np.float64)
    if x.ndim != 3 or x.shape[2] != 3:
        raise ValueError("a colour image (H, W, 3) is needed.")
    w = np.asarray(kernel, dtype=np.float64)
    planes = x.transpose(2, 0, 1)
    parts, total = channel_contributions(planes, w, float(bias), padding="same")
    direct = conv2d(planes[None], w[None], np.array([float(bias)]), padding="same")[0, 0]
    return {"parts": parts, "total": total, "direct": direct,
            "max_diff": float(np.abs(total - direct).max())}


# --------------------------------------------------------------------------
# Pictures of maps as data (for PNG downloads)
# --------------------------------------------------------------------------
def value_range(maps, shared=True, robust=None):
    """Colour limits ``(lo, hi)``: one pair for all maps (``shared``) or an ``(F, 2)`` array, one per map.

    Signed maps get a range symmetric about 0, so 0 has the same colour everywhere.
    ``robust`` (a percentile such as 99.5) ignores the few most extreme values, e.g. the
    strong responses at the image border where the zero padding meets a bright image.
    """
    m = np.asarray(maps, dtype=np.float64)

    def one(a):
        if robust is None:
            lo, hi = float(a.min()), float(a.max())
        else:
            lo, hi = (float(v) for v in np.percentile(a, [100 - robust, robust]))
        if lo < 0 < hi:
            top = max(-lo, hi)
            return -top, top
        return (lo, hi) if hi > lo else (lo, lo + 1.0)

    if shared:
        return one(m)
    return np.array([one(a) for a in m])


def normalize(a, lo, hi):
    """``(a - lo) / (hi - lo)`` clipped to [0, 1]."""
    return np.clip((np.asarray(a, dtype=np.float64) - lo) / ((hi - lo) or 1.0), 0, 1)


def mosaic(maps, cols=4, shared=True, gap=2, robust=None):
    """All feature maps ``(F, h, w)`` tiled in a grid, each scaled to [0, 1], white gaps between.

    Returns
    -------
    (rows*(h+gap)-gap, cols*(w+gap)-gap) float64 ndarray in [0, 1]
    """
    m = np.asarray(maps, dtype=np.float64)
    f, h, w = m.shape
    cols = max(1, min(int(cols), f))
    rows = -(-f // cols)
    out = np.ones((rows * (h + gap) - gap, cols * (w + gap) - gap))
    limits = value_range(m, shared, robust)
    for i in range(f):
        lo, hi = limits if shared else limits[i]
        r, c = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = normalize(m[i], lo, hi)
    return out
