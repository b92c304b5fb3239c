"""A CNN model: an ordered list of layers built from a plain description.

>>> model = Model(LENET5)                        # shapes are checked here
>>> [row["out_shape"] for row in model.summary()][:3]
[(6, 28, 28), (6, 28, 28), (6, 14, 14)]
>>> probs = model.predict(x)                     # x : (N, 1, 28, 28) float32 in [0, 1]

The description is a list of dicts such as ``{"type": "conv", "filters": 6,
"kernel": 5, "padding": 2}`` (layer types in :data:`cnnlab.nn.layers.LAYER_TYPES`).
``Model`` checks every layer's output shape before any training; a shape that
does not fit raises a :class:`~cnnlab.checks.LessonError` that says which
layer and why.

Files are ``.npz`` archives: the architecture as JSON text (``model.json``)
plus one float32 array per parameter (``layer3.w`` ...). :func:`load_model`
reads them with ``allow_pickle=False`` and rejects a file whose arrays do not
match its architecture.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ..checks import LessonError
from ..geometry.cost import MAX_MACS, MAX_PARAMS, check_budget, network_cost
from . import fast
from .layers import F32, INITS, make_layer, softmax

FORMAT = "cnnlab-model-1"
__all__ = ["LENET5", "LENET5_CLASSIC", "MAX_MACS", "MAX_PARAMS", "MLP", "Model", "PRESETS", "SMALL_CNN",
           "load_model"]

# LeNet-5 (LeCun et al. 1998) for 28x28 MNIST: C1 pads by 2 so it sees 32x32 as in the
# paper; modern choices ReLU and max pooling; C5 is a 5x5 convolution over 5x5 maps.
LENET5 = [
    {"type": "conv", "filters": 6, "kernel": 5, "padding": 2},   # C1
    {"type": "relu"},
    {"type": "maxpool", "size": 2},                               # S2
    {"type": "conv", "filters": 16, "kernel": 5},                 # C3
    {"type": "relu"},
    {"type": "maxpool", "size": 2},                               # S4
    {"type": "conv", "filters": 120, "kernel": 5},                # C5
    {"type": "relu"},
    {"type": "flatten"},
    {"type": "dense", "units": 84},                               # F6
    {"type": "relu"},
    {"type": "dense", "units": 10},                               # output
]

# LeNet-5 as published: tanh and average pooling (the paper's subsampling had a learnt
# coefficient and a bias per map; plain averaging is the usual simplification).
LENET5_CLASSIC = [
    {"type": "conv", "filters": 6, "kernel": 5, "padding": 2}, {"type": "tanh"},
    {"type": "avgpool", "size": 2},
    {"type": "conv", "filters": 16, "kernel": 5}, {"type": "tanh"}, {"type": "avgpool", "size": 2},
    {"type": "conv", "filters": 120, "kernel": 5}, {"type": "tanh"}, {"type": "flatten"},
    {"type": "dense", "units": 84}, {"type": "tanh"}, {"type": "dense", "units": 10},
]
SMALL_CNN = [
    {"type": "conv", "filters": 8, "kernel": 3, "padding": 1}, {"type": "relu"},
    {"type": "maxpool", "size": 2},
    {"type": "conv", "filters": 16, "kernel": 3, "padding": 1}, {"type": "relu"},
    {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dropout", "rate": 0.25},
    {"type": "dense", "units": 10},
]
MLP = [{"type": "flatten"}, {"type": "dense", "units": 128}, {"type": "relu"}, {"type": "dense", "units": 10}]
PRESETS = {"lenet5": LENET5, "lenet5_classic": LENET5_CLASSIC, "small": SMALL_CNN, "mlp": MLP}


class Model:
    """An ordered list of layers; it keeps only its weights (no activations, no gradients).

    Parameters
    ----------
    description : list of dict, one per layer
    input_shape : (C, H, W) of one sample, default ``(1, 28, 28)``
    num_classes : the last layer must be ``dense`` with this many units
    init : "he" or "xavier"
    seed : int, for the initial weights

    The description is costed first (:func:`cnnlab.geometry.cost.network_cost`):
    a network over :data:`MAX_PARAMS` parameters or :data:`MAX_MACS` multiply-adds
    per image is refused before any weight is allocated. ``forward`` returns the
    caches that ``backward`` takes back, so one model can serve several threads
    read-only (``predict``, ``activations``).
    """

    def __init__(self, description, input_shape=(1, 28, 28), num_classes=10, init="he", seed=0):
        if init not in INITS:
            raise LessonError("train_bad_init", f"unknown initialisation '{init}'.", name=str(init))
        self.input_shape = tuple(int(s) for s in input_shape)
        self.num_classes = int(num_classes)
        self.init, self.seed = init, int(seed)
        self.cost = network_cost(description, self.input_shape, batch_size=1)
        last = self.cost.layers[-1]
        if last.kind != "dense" or last.out_shape != (self.num_classes,):
            raise LessonError("train_last_layer", "the last layer must be dense with "
                              f"{self.num_classes} units, one score per class.", classes=self.num_classes)
        check_budget(self.cost, MAX_PARAMS, MAX_MACS)
        self.macs = self.cost.macs
        rng = np.random.default_rng(seed)
        self.layers = []
        for cfg, plan in zip(description, self.cost.layers):
            layer = make_layer(cfg, plan.index)
            layer.configure(plan)
            layer.init_params(rng, init)
            self.layers.append(layer)
        # the first layer with weights needs no input gradient during training
        self._first_weighted = next((i for i, layer in enumerate(self.layers) if layer.params), 0)
        self.meta = {}

    # ------------------------------------------------------------------ structure
    def description(self):
        """The plain description (with defaults filled in) this model was built from."""
        return [layer.describe() for layer in self.layers]

    def summary(self):
        """One row per layer: ``index``, ``type``, ``out_shape``, ``params``, ``macs``."""
        return [{"index": p.index, "type": p.kind, "out_shape": p.out_shape, "params": p.params,
                 "macs": p.macs} for p in self.cost.layers]

    def n_params(self):
        return self.cost.params

    def parameters(self):
        """The weight arrays, in the order of the ``grads`` that :meth:`backward` returns."""
        return [p for layer in self.layers for p in layer.params.values()]

    # ------------------------------------------------------------------ passes
    def forward(self, x, train=False, rng=None):
        """Scores (logits) ``(N, K)`` for a batch ``x : (N, C, H, W)`` float32, and the caches.

        ``rng`` (a ``numpy.random.Generator``) is needed when training with dropout.
        Returns ``(logits, caches)``; pass ``caches`` to :meth:`backward`.
        """
        caches = []
        for layer in self.layers:
            x, cache = layer.forward(x, train, rng)
            caches.append(cache)
        return x, caches

    def backward(self, dlogits, caches, input_grad=True):
        """Back-propagate ``dL/dlogits`` through every layer.

        Returns ``(dx, grads)``: ``dx`` the gradient for the input batch (``None`` with
        ``input_grad=False``, which skips the work below the first layer with weights,
        as training does) and ``grads`` a list aligned with :meth:`parameters`.
        ``caches`` is read, never changed: the caller drops it after the step. (Releasing
        each cache as soon as backward has used it lets glibc hand the freed heap back to the
        OS in the middle of every step, and the next step page-faults it all again: LeNet,
        batch 64, went from 6 to 16 ms a step.)
        """
        d = dlogits
        grads = [None] * len(self.layers)
        stop = 0 if input_grad else self._first_weighted
        for i in range(len(self.layers) - 1, stop - 1, -1):
            layer = self.layers[i]
            d, grads[i] = layer.backward(d, caches[i], need_dx=i > stop or input_grad)
        flat = [grads[i][name] for i, layer in enumerate(self.layers) for name in layer.params]
        return (d if input_grad else None), flat

    def _check_input(self, x):
        x = np.asarray(x)
        if x.ndim == len(self.input_shape) and x.shape == self.input_shape:
            x = x[None]
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise LessonError("train_bad_input", f"the model expects input of shape (N, "
                              f"{', '.join(map(str, self.input_shape))}), got {x.shape}.",
                              shape=str(x.shape))
        if not np.issubdtype(x.dtype, np.floating):
            raise LessonError("train_bad_input", "the input must be floats in [0, 1] (divide uint8 "
                              "images by 255).", shape=str(x.shape))
        return x

    def predict(self, x, batch_size=None):
        """Class probabilities ``(N, K)`` for ``x : (N, C, H, W)`` float in [0, 1].

        Runs on the fast engine (:mod:`cnnlab.nn.fast`, tested equal to the readable layers
        of :meth:`predict_readable`) in chunks of ``batch_size`` images (default
        :data:`cnnlab.nn.fast.PREDICT_CHUNK`, measured fastest) and keeps nothing: the peak
        memory is that of one chunk plus the result, whatever ``N``.
        """
        x = self._check_input(x)
        try:
            net = fast.FastNet(self)
        except ValueError:                       # a layer the fast engine does not have
            return self.predict_readable(x, batch_size or 500)
        try:
            return net.predict(x, batch_size or fast.PREDICT_CHUNK)
        finally:
            net.release()

    def predict_readable(self, x, batch_size=500):
        """:meth:`predict` through the layers a student reads, ``batch_size`` images at a time (the oracle)."""
        x = self._check_input(x)
        batch_size = max(1, int(batch_size))
        probs = np.empty((x.shape[0], self.num_classes), F32)
        for i in range(0, x.shape[0], batch_size):
            out = np.ascontiguousarray(x[i:i + batch_size], dtype=F32)
            for layer in self.layers:
                out, _ = layer.forward(out)         # each cache is dropped at once
            probs[i:i + out.shape[0]] = softmax(out)
        return probs

    def activations(self, x):
        """Every layer's output for ``x`` (N, C, H, W): a list of ``(index, type, array)``.

        The last entry holds the softmax probabilities instead of the raw scores.
        """
        x = np.ascontiguousarray(self._check_input(x), dtype=F32)
        out = []
        for layer in self.layers:
            x, _ = layer.forward(x, False)
            out.append((layer.index, layer.kind, x))
        out[-1] = (out[-1][0], out[-1][1], softmax(x))
        return out

    def first_filters(self):
        """The first convolution's kernels ``(F, C, K, K)``, or None if it has none."""
        for layer in self.layers:
            if layer.kind == "conv":
                return layer.params["w"]
        return None

    # ------------------------------------------------------------------ files
    def to_bytes(self):
        """The model as ``.npz`` bytes (see :func:`load_model`)."""
        head = {"format": FORMAT, "architecture": self.description(), "input_shape": self.input_shape,
                "num_classes": self.num_classes, "init": self.init, "seed": self.seed, "meta": self.meta}
        arrays = {"model.json": np.array(json.dumps(head))}
        for layer in self.layers:
            for name, p in layer.params.items():
                arrays[f"layer{layer.index}.{name}"] = p
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return buf.getvalue()

    def save(self, path):
        Path(path).write_bytes(self.to_bytes())


def _bad(reason):
    return LessonError("train_bad_model_file", f"this is not a valid CNN Lab model file: {reason}.",
                       detail=reason)


def load_model(source):
    """Load a model saved by :meth:`Model.save` from a path, bytes or a file object.

    Returns a :class:`Model` whose ``predict(x)`` takes ``(N, 1, 28, 28)``
    float32 in [0, 1] (white digit on black) and returns ``(N, 10)``
    probabilities. Raises ``LessonError`` (a ``ValueError``) if the file is not
    an ``.npz`` archive, has no architecture, or its arrays do not match it.
    """
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    try:
        with np.load(source, allow_pickle=False) as z:
            return _read_archive(z)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _bad("not an .npz archive") from exc
    except LessonError:
        raise
    except ValueError as exc:
        raise _bad("not an .npz archive") from exc


def _member_size(z, key):
    """Uncompressed size in bytes of one array of an open ``.npz`` (checked before reading it)."""
    return z.zip.getinfo(f"{key}.npy").file_size


def _read_archive(z):
    if not hasattr(z, "zip"):
        raise _bad("not an .npz archive")
    if "model.json" not in z.files or _member_size(z, "model.json") > 1_000_000:
        raise _bad("no architecture inside")
    try:
        head = json.loads(str(z["model.json"][()]))
    except (ValueError, TypeError) as exc:
        raise _bad("no architecture inside") from exc
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise _bad("unknown format")
    try:
        model = Model(head["architecture"], head["input_shape"], head["num_classes"],
                      head.get("init", "he"), head.get("seed", 0))
    except (KeyError, TypeError) as exc:
        raise _bad("incomplete architecture") from exc
    model.meta = head.get("meta") if isinstance(head.get("meta"), dict) else {}
    expected = {"model.json"}
    for layer in model.layers:
        for name, p in layer.params.items():
            key = f"layer{layer.index}.{name}"
            expected.add(key)
            if key not in z.files or _member_size(z, key) > p.size * 8 + 1024:
                raise _bad(f"{key} is missing or has the wrong shape")
            a = z[key]
            if a.shape != p.shape or not np.issubdtype(a.dtype, np.floating):
                raise _bad(f"{key} is missing or has the wrong shape")
            if not np.all(np.isfinite(a)):
                raise _bad(f"{key} holds values that are not finite")
            layer.params[name] = np.ascontiguousarray(a, dtype=F32)
    if set(z.files) != expected:
        raise _bad("unexpected arrays " + ", ".join(sorted(set(z.files) - expected)))
    return model
