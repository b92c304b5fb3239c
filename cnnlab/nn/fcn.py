"""From sliding windows to a fully convolutional network, with the pretrained LeNet-5.

A classifier of 28 x 28 digits can read a wider image in two ways:

* **sliding window**: cut a window at every position, run the network once per
  window (one forward pass per position);
* **fully convolutional**: rewrite each dense layer as a convolution (a dense
  layer after ``flatten`` of ``(C, H, W)`` maps is a convolution with ``H x W``
  kernels; the dense layers after it are ``1 x 1`` convolutions) and run the
  network once over the whole image. Its output is a map of class scores, one
  per window position, and overlapping windows share their computations.

Both give the same numbers at stride ``S`` = the product of all strides (4 for
LeNet-5): output ``(i, j)`` of the fully convolutional net is the window whose
top-left corner is at ``(S i, S j)`` of the padded image. The first layer's
zero padding is applied once to the whole image, so a window is
``28 + 2 P = 32`` pixels wide (classic LeNet-5 read 32 x 32 images).

From the class map: a label per position (segmentation) and boxes after a
threshold and non-maximum suppression (detection).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from ..checks import LessonError
from ..ops.conv import conv2d_forward
from ..ops.pooling import pool2d_forward
from .data import load_digits

logger = logging.getLogger(__name__)

MAX_ROWS, MAX_COLS = 3, 10          # digits on the page
MAX_GAP = 16
DIGIT = 28


# --------------------------------------------------------------------------
# The network as a plain list of operations
# --------------------------------------------------------------------------
def _settings(layer):
    cfg = getattr(layer, "cfg", None)
    if cfg is None:
        cfg = {k: v for k, v in layer.describe().items() if k != "type"}
    return cfg


def plan(model):
    """The model as ``[(kind, settings)]`` with ``conv`` / ``dense`` weights in float64."""
    ops = []
    for layer in model.layers:
        kind, cfg = layer.kind, _settings(layer)
        if kind == "conv":
            ops.append(("conv", {"w": np.asarray(layer.params["w"], np.float64),
                                 "b": np.asarray(layer.params["b"], np.float64),
                                 "stride": int(cfg.get("stride", 1)), "padding": int(cfg.get("padding", 0))}))
        elif kind == "dense":
            ops.append(("dense", {"w": np.asarray(layer.params["w"], np.float64),
                                  "b": np.asarray(layer.params["b"], np.float64)}))
        elif kind in ("maxpool", "avgpool"):
            size = int(cfg.get("size", 2))
            ops.append((kind, {"size": size, "stride": int(cfg.get("stride", size))}))
        elif kind in ("relu", "sigmoid", "tanh", "flatten"):
            ops.append((kind, {}))
        elif kind == "dropout":
            continue                       # identity at inference
        else:
            raise LessonError("fcn_unsupported", f"a {kind} layer cannot be made convolutional here.",
                              kind=kind)
    return ops


def window_plan(ops):
    """The per-window network: the first convolution's padding moved out (applied once to the image).

    Returns ``(ops, pad)``. Only the first layer may pad: padding inside the
    network would see zeros in a window but neighbours in the whole image.
    """
    if not ops or ops[0][0] != "conv":
        raise LessonError("fcn_unsupported", "the network must start with a convolution.", kind="?")
    pad = ops[0][1]["padding"]
    out = [("conv", {**ops[0][1], "padding": 0})]
    for kind, s in ops[1:]:
        if kind == "conv" and s["padding"]:
            raise LessonError("fcn_unsupported", "only the first convolution may use padding.", kind="conv")
        out.append((kind, s))
    return out, pad


def convolutionalize(ops, window):
    """Dense layers rewritten as convolutions, for a ``(C, window, window)`` input.

    ``flatten`` of ``(C, H, W)`` then dense ``W : (C H W, M)`` becomes a
    convolution with ``M`` kernels ``W^T`` reshaped to ``(M, C, H, W)``; a
    dense layer after that (``(D, M)``) becomes a ``1 x 1`` convolution.
    """
    shape = None
    out = []
    c, h, w = 1, window, window
    flat = None
    for kind, s in ops:
        if kind == "conv":
            f, _, k, _ = s["w"].shape
            c, h, w = f, (h + 2 * s["padding"] - k) // s["stride"] + 1, (w + 2 * s["padding"] - k) // s["stride"] + 1
            out.append((kind, s))
        elif kind in ("maxpool", "avgpool"):
            h, w = (h - s["size"]) // s["stride"] + 1, (w - s["size"]) // s["stride"] + 1
            out.append((kind, s))
        elif kind == "flatten":
            flat = (c, h, w)
        elif kind == "dense":
            d, m = s["w"].shape
            shape = flat if flat is not None else (d, 1, 1)
            if int(np.prod(shape)) != d:
                raise LessonError("fcn_unsupported", "a dense layer does not match its input.", kind="dense")
            kernel = s["w"].T.reshape(m, *shape)
            out.append(("conv", {"w": kernel, "b": s["b"], "stride": 1, "padding": 0}))
            flat, c, h, w = None, m, 1, 1
        else:
            out.append((kind, s))
    return out


def run(ops, x):
    """Forward pass of a plan on ``x : (N, C, H, W)`` (``flatten`` / ``dense`` for the window plan)."""
    for kind, s in ops:
        if kind == "conv":
            x, _ = conv2d_forward(x, s["w"], s["b"], s["stride"], s["padding"])
        elif kind in ("maxpool", "avgpool"):
            x, _ = pool2d_forward(x, s["size"], s["stride"], 0, kind[:3])
        elif kind == "relu":
            x = np.maximum(x, 0.0)
        elif kind == "sigmoid":
            x = 1.0 / (1.0 + np.exp(-x))
        elif kind == "tanh":
            x = np.tanh(x)
        elif kind == "flatten":
            x = x.reshape(x.shape[0], -1)
        elif kind == "dense":
            x = x @ s["w"] + s["b"]
    return x


def total_stride(ops):
    s = 1
    for kind, cfg in ops:
        if kind in ("conv", "maxpool", "avgpool"):
            s *= cfg["stride"]
    return s


def macs(ops, in_shape):
    """Multiply-adds of a plan on one ``(C, H, W)`` input (conv: F C K K H' W'; dense: D M)."""
    c, h, w = in_shape
    total = 0
    for kind, s in ops:
        if kind == "conv":
            f, ci, kh, kw = s["w"].shape
            h = (h + 2 * s["padding"] - kh) // s["stride"] + 1
            w = (w + 2 * s["padding"] - kw) // s["stride"] + 1
            total += f * ci * kh * kw * h * w
        elif kind in ("maxpool", "avgpool"):
            h, w = (h - s["size"]) // s["stride"] + 1, (w - s["size"]) // s["stride"] + 1
        elif kind == "dense":
            total += s["w"].size
    return int(total)


def softmax_channels(logits):
    """Softmax over axis 1 of ``(N, K, ...)``."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------
# A page of digits
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    image: np.ndarray          # (H, W) float in [0, 1]
    boxes: np.ndarray          # (D, 4) int: top, left, height, width of each digit
    labels: np.ndarray         # (D,) the true digits


def parse_digits(text):
    """The digits a student typed (``"2026"``, spaces and commas allowed) as a tuple of ints.

    Anything else is refused with a message; at most ``MAX_ROWS * MAX_COLS`` digits.
    """
    text = str(text or "")
    limit = MAX_ROWS * MAX_COLS
    if len(text) > 4 * limit:
        raise LessonError("fcn_bad_digits", f"type at most {limit} digits.", limit=limit)
    bad = sorted({ch for ch in text if ch not in "0123456789 ,"})
    if bad:
        raise LessonError("fcn_bad_digits", f"only the digits 0 to 9 can be placed (at most {limit}).",
                          limit=limit)
    digits = tuple(int(ch) for ch in text if ch.isdigit())
    if len(digits) > limit:
        raise LessonError("fcn_bad_digits", f"type at most {limit} digits.", limit=limit)
    return digits


def compose_page(rows=1, cols=6, gap=4, seed=0, margin=4, digits=()):
    """Digits of the bundled test set side by side, ``gap`` pixels apart, chosen at random with ``seed``.

    ``digits`` (e.g. ``(2, 0, 2, 6)``) asks for those classes instead, row by row with ``cols`` per row
    (a random test image of each); the number of rows then follows from their count.
    """
    for value, name, lo, hi in ((rows, "rows", 1, MAX_ROWS), (cols, "cols", 1, MAX_COLS), (gap, "gap", 0, MAX_GAP)):
        if not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
            raise LessonError("fcn_bad_page", f"{name} must be a whole number from {lo} to {hi}.",
                              setting=name, lo=lo, hi=hi)
    _, _, (x_test, y_test) = load_digits()
    rng = np.random.default_rng(seed)
    if digits:
        if len(digits) > MAX_ROWS * cols:
            raise LessonError("fcn_too_many_digits", f"{len(digits)} digits do not fit {MAX_ROWS} rows of {cols}.",
                              count=len(digits), rows=MAX_ROWS, cols=cols)
        pick = np.array([rng.choice(np.flatnonzero(y_test == d)) for d in digits])
        cols = min(cols, len(digits))
        rows = -(-len(digits) // cols)
    else:
        pick = rng.choice(len(x_test), rows * cols, replace=False)
    height = 2 * margin + rows * DIGIT + (rows - 1) * gap
    width = 2 * margin + cols * DIGIT + (cols - 1) * gap
    img = np.zeros((height, width))
    boxes = []
    for n, idx in enumerate(pick):
        r, c = divmod(n, cols)
        top, left = margin + r * (DIGIT + gap), margin + c * (DIGIT + gap)
        img[top:top + DIGIT, left:left + DIGIT] = x_test[idx] / 255.0
        boxes.append((top, left, DIGIT, DIGIT))
    return Page(img, np.array(boxes), y_test[pick].astype(int))


# --------------------------------------------------------------------------
# Both ways, timed
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassMaps:
    sliding: np.ndarray        # (K, R, C) probabilities, one window per position
    fcn: np.ndarray            # (K, R, C) probabilities, one fully convolutional pass
    max_diff: float            # largest |sliding - fcn|
    stride: int                # S: output (i, j) = window at (S i, S j) of the padded image
    side: int                  # the window's side in the padded image (32 for LeNet-5)
    pad: int                   # padding applied once around the image
    seconds_sliding: float
    seconds_fcn: float
    macs_sliding: int
    macs_fcn: int
    positions: int

    @property
    def speedup(self):
        """Measured time of the sliding windows / time of the fully convolutional pass."""
        return self.seconds_sliding / max(self.seconds_fcn, 1e-9)

    @property
    def macs_saved(self):
        """Fraction of the sliding window's multiply-adds the fully convolutional pass does not need."""
        return 1.0 - self.macs_fcn / self.macs_sliding

    def window(self, pos):
        """``(row, col, (top, left, side))``: position number ``pos`` (row by row) and its window in page pixels
        (the padding included, so ``top`` and ``left`` can be negative)."""
        cols = self.fcn.shape[2]
        i, j = divmod(int(pos), cols)
        return i, j, (self.stride * i - self.pad, self.stride * j - self.pad, self.side)

    def position_of(self, top, left):
        """The position number of the window whose 28 x 28 core starts nearest ``(top, left)`` of the page."""
        rows, cols = self.fcn.shape[1:]
        i = min(max(int(round(top / self.stride)), 0), rows - 1)
        j = min(max(int(round(left / self.stride)), 0), cols - 1)
        return i * cols + j


def class_maps(model, image):
    """The class map of ``image : (H, W)`` both ways; costs known before any array is made."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise LessonError("fcn_bad_page", "the page must be a gray image.", setting="image", lo=0, hi=0)
    ops = plan(model)
    win_ops, pad = window_plan(ops)
    side = model.input_shape[1] + 2 * pad
    stride = total_stride(win_ops)
    ph, pw = image.shape[0] + 2 * pad, image.shape[1] + 2 * pad
    if ph < side or pw < side:
        raise LessonError("fcn_bad_page", "the page is smaller than one window.", setting="image", lo=side, hi=side)
    rows, cols = (ph - side) // stride + 1, (pw - side) // stride + 1
    per_window = macs(win_ops, (1, side, side))
    fcn_ops = convolutionalize(win_ops, side)
    fcn_macs = macs(fcn_ops, (1, ph, pw))
    padded = np.pad(image, pad)[None, None]

    # warm up both paths on one window (first calls pay for memory and library set-up), then time each once
    run(win_ops, padded[:, :, :side, :side])
    run(fcn_ops, padded[:, :, :side, :side])
    t0 = time.perf_counter()
    sliding = np.empty((model.num_classes, rows, cols))
    for i in range(rows):
        for j in range(cols):
            win = padded[:, :, stride * i:stride * i + side, stride * j:stride * j + side]
            sliding[:, i, j] = softmax_channels(run(win_ops, win))[0]
    t1 = time.perf_counter()
    fcn = softmax_channels(run(fcn_ops, padded))[0]
    t2 = time.perf_counter()
    if fcn.shape != sliding.shape:
        raise AssertionError(f"class maps differ in shape: {fcn.shape} vs {sliding.shape}")
    logger.info("fcn class maps: %d positions, sliding %.3f s, fcn %.3f s", rows * cols, t1 - t0, t2 - t1)
    return ClassMaps(sliding, fcn, float(np.abs(sliding - fcn).max()), stride, side, pad, t1 - t0, t2 - t1,
                     per_window * rows * cols, fcn_macs, rows * cols)


# --------------------------------------------------------------------------
# Segmentation and detection
# --------------------------------------------------------------------------
def position_boxes(shape, stride, digit=DIGIT):
    """``(R, C, 4)`` boxes (top, left, height, width) in page pixels: output ``(i, j)`` covers
    rows ``S i .. S i + 27`` and the same columns (the window minus its padding)."""
    r, c = shape
    ii, jj = np.meshgrid(np.arange(r), np.arange(c), indexing="ij")
    return np.stack([stride * ii, stride * jj, np.full_like(ii, digit), np.full_like(ii, digit)], axis=-1)


def iou(a, b):
    """Intersection over union of two ``(top, left, height, width)`` boxes."""
    top, left = max(a[0], b[0]), max(a[1], b[1])
    bottom, right = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, bottom - top) * max(0, right - left)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def non_max_suppression(boxes, scores, overlap=0.3):
    """Greedy NMS: take the best box, drop every box that overlaps it by more than ``overlap`` (IoU), repeat.

    Returns the indices kept, best first.
    """
    order = list(np.argsort(-np.asarray(scores), kind="stable"))
    keep = []
    while order:
        best = order.pop(0)
        keep.append(int(best))
        order = [k for k in order if iou(boxes[best], boxes[k]) <= overlap]
    return keep


@dataclass(frozen=True)
class Detections:
    labels: np.ndarray         # (R, C) the most likely digit at every position
    scores: np.ndarray         # (R, C) its probability
    boxes: np.ndarray          # (D, 4) kept boxes
    box_labels: np.ndarray     # (D,)
    box_scores: np.ndarray     # (D,)
    candidates: int            # positions above the threshold
    correct: int               # kept boxes that overlap a true digit (IoU >= 0.5) with its label


def detect(probs, stride, threshold=0.9, overlap=0.3, truth_boxes=None, truth_labels=None):
    """Per-position labels, then boxes above ``threshold`` thinned by non-maximum suppression."""
    if not (0 <= threshold <= 1 and 0 <= overlap <= 1):
        raise LessonError("fcn_bad_threshold", "threshold and overlap must be between 0 and 1.")
    labels = probs.argmax(axis=0)
    scores = probs.max(axis=0)
    all_boxes = position_boxes(labels.shape, stride).reshape(-1, 4)
    flat_scores, flat_labels = scores.ravel(), labels.ravel()
    cand = np.flatnonzero(flat_scores >= threshold)
    keep = cand[non_max_suppression(all_boxes[cand], flat_scores[cand], overlap)] if cand.size else cand
    boxes, blabels, bscores = all_boxes[keep], flat_labels[keep], flat_scores[keep]
    correct = 0
    if truth_boxes is not None:
        used = set()
        for box, lab in zip(boxes, blabels):
            for n, (tb, tl) in enumerate(zip(truth_boxes, truth_labels)):
                if n not in used and tl == lab and iou(box, tb) >= 0.5:
                    used.add(n)
                    correct += 1
                    break
    return Detections(labels, scores, boxes.reshape(-1, 4), blabels, bscores, int(cand.size), correct)
