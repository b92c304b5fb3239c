"""The arithmetic of the training lesson's results and "try it": pure functions, frozen results.

The views (``results.py``) only draw these; the numbers come from ``cnnlab``: ``evaluate`` and
``confusion_matrix`` for the test set, ``Model.activations`` for the layers of one example,
``preprocess_steps`` (MNIST-style preparation) and ``Model.forward`` + ``softmax_steps`` for a digit
the student wrote or drew.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cnnlab.calculus.linear import SoftmaxSteps, softmax_steps
from cnnlab.nn.data import to_float
from cnnlab.nn.digits import preprocess_steps
from cnnlab.nn.train import confusion_matrix, evaluate

#: The number boxes of the training panel: (lowest, highest, whole number?). The same limits as the links.
NUMBER_LIMITS = {"lr": (1e-5, 1.0, False), "epochs": (1, 30, True), "seed": (0, 999_999, True)}


def in_range(value, name):
    """Whether ``value`` (a number box's value, maybe None or out of range) can be used for ``name``."""
    return in_bounds(value, *NUMBER_LIMITS[name])


def in_bounds(value, lo, hi, whole):
    """Whether ``value`` is a finite number in ``[lo, hi]`` (and a whole one if ``whole``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    if whole and float(value) != int(value):
        return False
    return lo <= value <= hi


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    loss: float
    pred: np.ndarray          # (N,) predicted class of every test image
    confusion: np.ndarray     # (K, K) rows: true class, columns: predicted class
    wrong: np.ndarray         # indices of the misclassified test images


def evaluation(model, images, labels):
    """Accuracy, mean cross-entropy, predictions and confusion matrix of ``model`` on a test set."""
    ev = evaluate(model, images, labels)
    pred = np.asarray(ev["pred"])
    k = model.num_classes
    return Evaluation(float(ev["accuracy"]), float(ev["loss"]), pred,
                      confusion_matrix(labels, pred, k), np.flatnonzero(pred != np.asarray(labels)))


@dataclass(frozen=True)
class ExampleLayers:
    probs: np.ndarray         # (K,) softmax of the last layer
    maps: tuple               # ((index, kind, (C, h, w) array), ...) layers with 2-D outputs
    vectors: tuple            # ((index, kind, array), ...) flattened / dense / 1 x 1 outputs


def example_layers(model, image):
    """Every layer's output for one ``(H, W)`` uint8 test image, split into maps and vectors."""
    acts = model.activations(to_float(np.asarray(image)[None]))
    maps, vectors = [], []
    for index, kind, out in acts[:-1]:
        a = out[0]
        if a.ndim == 3 and a.shape[1] > 1:
            maps.append((index, kind, a))
        else:
            vectors.append((index, kind, a))
    return ExampleLayers(acts[-1][2][0], tuple(maps), tuple(vectors))


@dataclass(frozen=True)
class DigitReading:
    """A digit the student gave, prepared like MNIST, its scores and their softmax step by step."""

    digit: np.ndarray         # (28, 28) what the network sees
    inverted: bool            # dark on light, turned to white on black
    steps: SoftmaxSteps       # scores -> shifted -> exponentials -> sum -> probabilities (-> loss, p - y)
    label: int | None         # the true digit the student named, or None

    @property
    def probs(self):
        return self.steps.probs

    @property
    def best(self):
        return int(np.argmax(self.steps.probs))

    @property
    def loss(self):
        """``-log p_true``, or None while the student has not said which digit it is."""
        return None if self.label is None else self.steps.loss

    @property
    def grad(self):
        """``dL/ds = p - y`` (y one-hot at the true digit), or None without a true digit."""
        return None if self.label is None else self.steps.grad


def read_digit(model, image, label=None):
    """Prepare ``image`` (H, W gray in [0, 1]) like an MNIST digit and read it with ``model``.

    Raises ``LessonError`` when there is no digit to find (the message says why).
    """
    prep = preprocess_steps(image)
    x = np.ascontiguousarray(prep["digit"][None, None], dtype=np.float32)
    scores = np.asarray(model.forward(x)[0][0], dtype=np.float64)
    steps = softmax_steps(scores, int(np.argmax(scores)) if label is None else int(label))
    return DigitReading(prep["digit"], bool(prep["inverted"]), steps, None if label is None else int(label))
