"""The arithmetic of the feature-maps lesson: pure functions of the settings, frozen results.

The numbers come from ``cnnlab`` (``vision.filters``: the bank, ReLU, pooling, colour limits, the pixel
trace, the RGB map; ``vision.spectrum``: the spectra; a model's ``activations``); the views
(``sections.py``, ``learned.py``, ``figures.py``) only draw them. This module imports no Streamlit: the page
layer keeps the results in ``st.cache_data`` / ``st.cache_resource`` (``sections.py``, ``learned.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.checks import LessonError
from cnnlab.vision import filters, spectrum

#: percentile of the colour limits: a few extreme border values must not wash out the rest
ROBUST = 99.5


@dataclass(frozen=True)
class Bank:
    """Every chosen filter on the gray image, then ReLU and pooling; the last stage's colour limits."""

    names: tuple              # the filters' names, in the order of the maps
    stages: tuple             # (("conv", (F, H, W)), ("relu", ...), ("pool", (F, h, w)))
    shapes: tuple             # (("input", (1, H, W)), ("conv", (F, H, W)), ...)
    limits: np.ndarray        # (F, 2) colour limits (lo, hi) of each map of the last stage
    shared: tuple             # (lo, hi): one pair for all maps of the last stage

    @property
    def stage(self):
        return self.stages[-1][0]

    @property
    def maps(self):
        return self.stages[-1][1]


def check_fits(shape, pool):
    """Refuse an image too small or too thin for the pooling window, saying so in those words."""
    h, w = shape[:2]
    if pool and pool > 1 and pool > min(h, w):
        raise LessonError("fm_image_too_small", f"the image is {h}x{w} pixels: too small or too thin for a "
                          f"{pool}x{pool} pooling window.", h=h, w=w, pool=pool)


def bank(gray, names, kernels, use_relu=True, pool=2, mode="max"):
    """The filter bank (``cnnlab.vision.filters.pipeline``) with the colour limits of its last stage."""
    check_fits(np.shape(gray), pool)
    res = filters.pipeline(gray, filters.stack_kernels(list(kernels)), use_relu, pool, mode)
    for _, a in res["stages"]:
        a.setflags(write=False)       # shared read-only between reruns and sessions (page.py caches it)
    maps = res["output"]
    per_map = filters.value_range(maps, shared=False, robust=ROBUST)
    per_map.setflags(write=False)
    shared = tuple(float(v) for v in filters.value_range(maps, shared=True, robust=ROBUST))
    return Bank(tuple(names), tuple(tuple(s) for s in res["stages"]),
                tuple((name, tuple(shape)) for name, shape in res["shapes"]), per_map, shared)


def limits_of(result, shared):
    """``(F, 2)`` colour limits: the same pair for every map (``shared``) or each map's own."""
    if shared:
        return np.tile(np.asarray(result.shared, dtype=float), (len(result.names), 1))
    return np.asarray(result.limits, dtype=float)


def checked_cell(value, top):
    """``value`` as a row / column index in ``[0, top)``, or None when it is empty or outside."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer)) or not np.isfinite(value):
        return None
    if float(value) != int(value) or not 0 <= int(value) < top:
        return None
    return int(value)


def _limits(a, robust=ROBUST):
    """One ``(lo, hi)`` pair of floats for all of ``a`` (``filters.value_range``)."""
    return tuple(float(v) for v in filters.value_range(a, shared=True, robust=robust))


def _frozen(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


# ----------------------------------------------------------------------------- pixel inspector
@dataclass(frozen=True)
class Pixel:
    """One pixel of a map followed back to its multiply-add and its receptive field."""

    map_limits: tuple          # (lo, hi) colour limits of the whole map (robust percentile)
    conv_cell: tuple           # (r, c) of the convolution output behind the pixel
    field: tuple               # (r0, r1, c0, c1) receptive field on the input, inclusive, clipped
    window_box: tuple          # (r0, r1, c0, c1) the kernel window of conv_cell on the input (may leave it)
    window: np.ndarray         # the (zero-padded) input values under the kernel
    products: np.ndarray       # window * kernel, cell by cell
    total: float               # the sum of the products: the convolution output
    relu: float                # max(total, 0)
    value: float               # the pixel's value in the map it was taken from


def pixel(gray, kernel, fmap, stage, row, col, pool=2, mode="max", use_relu=True):
    """The pixel ``(row, col)`` of ``fmap`` (the map of ``kernel`` at ``stage``) traced back through
    ``filters.trace_pixel``."""
    tr = filters.trace_pixel(gray, kernel, stage, row, col, pool=pool, pool_mode=mode, use_relu=use_relu)
    terms = tr["terms"]
    top, left = tr["pad"]
    r0, c0 = int(terms["rows"][0]) - top, int(terms["cols"][0]) - left
    box = (r0, r0 + len(terms["rows"]) - 1, c0, c0 + len(terms["cols"]) - 1)
    window, products = (np.array(terms[k], dtype=float) for k in ("window", "products"))
    _frozen(window, products)
    total = float(terms["value"])
    return Pixel(_limits(fmap), tuple(int(v) for v in tr["conv_cell"]), tuple(tr["field"]), box, window,
                 products, total, max(total, 0.0), float(np.asarray(fmap)[row, col]))


# ----------------------------------------------------------------------------- colour
@dataclass(frozen=True)
class Colour:
    """One 3-D kernel over R, G, B: each channel's part, their sum plus the bias, and the colour limits."""

    kernel: np.ndarray         # (3, KH, KW)
    planes: np.ndarray         # (3, H, W) the image's R, G, B planes
    parts: np.ndarray          # (3, H, W) each plane correlated with its kernel slice ("same" padding)
    parts_limits: tuple        # one (lo, hi) for the three parts: they add up, so one scale
    total: np.ndarray          # (H, W) parts.sum(0) + bias
    total_limits: tuple
    max_diff: float            # largest |total - one conv2d call with the (1, 3, KH, KW) weight|


def colour(image, name, bias):
    """The RGB tab: ``filters.rgb_feature_map`` with the named kernel of ``filters.rgb_kernel``."""
    kernel = np.asarray(filters.rgb_kernel(name), dtype=float)
    res = filters.rgb_feature_map(image, kernel, bias)
    planes = np.ascontiguousarray(np.asarray(image, dtype=float).transpose(2, 0, 1))
    parts, total = np.asarray(res["parts"]), np.asarray(res["total"])
    _frozen(kernel, planes, parts, total)
    return Colour(kernel, planes, parts, _limits(parts), total, _limits(total), float(res["max_diff"]))


# ----------------------------------------------------------------------------- frequency
@dataclass(frozen=True)
class Frequency:
    """The convolution theorem on the image and one kernel: spectra, the filtered image, the gain."""

    magnitudes: tuple          # (image, kernel, result): centred log-magnitude spectra at the padded size
    shape: tuple               # (H + KH - 1, W + KW - 1) the padded transform size
    output: np.ndarray         # (H, W) the filtered image (the centre of the full convolution)
    output_limits: tuple
    max_diff: float            # max |convolution in space - via the padded FFT|
    circular_diff: float       # what skipping the padding costs (wrap-around)
    kind: str                  # "low", "high", "boost" or "other" (spectrum.pass_type)
    freqs: np.ndarray          # band centres, cycles per pixel
    gain: np.ndarray           # mean |F(k)| in each band


def frequency(gray, kernel):
    """The frequency tab: ``spectrum.convolution_theorem``, ``radial_gain`` and ``pass_type``."""
    k = np.asarray(kernel, dtype=float)
    res = spectrum.convolution_theorem(gray, k)
    mags = tuple(np.asarray(res[n]) for n in ("x_mag", "k_mag", "y_mag"))
    out = np.ascontiguousarray(res["same"])
    freqs, gain = spectrum.radial_gain(k)
    _frozen(*mags, out, freqs, gain)
    return Frequency(mags, tuple(int(v) for v in res["shape"]), out, _limits(out), float(res["max_diff"]),
                     float(res["circular_diff"]), spectrum.pass_type(k), freqs, gain)


# ----------------------------------------------------------------------------- learned features
MAX_MAPS = 16                  # maps (and filters) of a layer shown at most


@dataclass(frozen=True)
class LearnedLayer:
    """One layer's output for the image, the colour limits of its maps and its first filters."""

    index: int
    kind: str                  # "conv", "relu", "maxpool", "dense", ...
    values: np.ndarray         # this layer's output for the image: (C, H, W) or (units,)
    limits: np.ndarray | None  # (min(C, MAX_MAPS), 2) robust limits of the maps shown; None for a vector
    filters: np.ndarray | None  # (min(F, MAX_MAPS), KH, KW): first input channel of a conv's kernels
    filter_limits: tuple | None  # one (lo, hi) for the filters: they compare with each other
    in_channels: int           # input channels of a conv's kernels (0 for other layers)

    @property
    def is_maps(self):
        return self.values.ndim == 3 and self.values.shape[1] * self.values.shape[2] > 1


@dataclass(frozen=True)
class Learned:
    """Every layer of a network on one image prepared as an MNIST digit."""

    digit: np.ndarray          # (28, 28) the network's input
    probs: np.ndarray          # (classes,) softmax output
    guess: int
    layers: tuple              # LearnedLayer per layer, dropout left out (off at inference)


def learned(model, gray):
    """``model.activations`` of ``gray`` prepared by ``cnnlab.nn.digits.preprocess_digit``."""
    from cnnlab.nn.digits import preprocess_digit

    digit = np.asarray(preprocess_digit(gray), dtype=float)
    acts = model.activations(digit[None, None].astype(np.float32))
    weights = {layer.index: np.asarray(layer.params["w"], dtype=float) for layer in model.layers
               if layer.kind == "conv"}
    layers = []
    for i, kind, a in acts[:-1]:
        if kind == "dropout":
            continue
        v = np.array(a[0], dtype=float)
        limits = filters_ = flim = None
        if v.ndim == 3 and v.shape[1] * v.shape[2] > 1:
            limits = np.asarray(filters.value_range(v[:MAX_MAPS], shared=False, robust=ROBUST), dtype=float)
            _frozen(limits)
        w = weights.get(i)
        if w is not None:
            filters_ = np.ascontiguousarray(w[:MAX_MAPS, 0])
            flim = _limits(filters_, robust=None)
            _frozen(filters_)
        _frozen(v)
        layers.append(LearnedLayer(int(i), str(kind), v, limits, filters_, flim, 0 if w is None else w.shape[1]))
    probs = np.array(acts[-1][2][0], dtype=float)
    _frozen(digit, probs)
    return Learned(digit, probs, int(np.argmax(probs)), tuple(layers))
