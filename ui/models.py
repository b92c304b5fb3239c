"""The pretrained network and class labels, shared by every lesson that shows a trained model.

- :func:`pretrained_model` - the LeNet-5 trained on MNIST (``assets/lenet5_mnist.npz``), loaded once
  per server process (``st.cache_resource``) and shared read-only by all sessions: pages only call
  ``predict`` / ``activations`` / ``first_filters`` on it, never train it.
- :func:`class_labels` - the translated names of a dataset's classes (``class.<dataset>.<name>``),
  or the names a student typed for their own classes.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cnnlab.nn.data import class_names
from cnnlab.nn.model import load_model

PRETRAINED = Path(__file__).resolve().parent.parent / "assets" / "lenet5_mnist.npz"
#: What the pretrained model was trained on: the labels of its ten outputs come from this dataset.
PRETRAINED_DATASET = "digits"


def pretrained_available():
    return PRETRAINED.exists()


@st.cache_resource(show_spinner=False)
def pretrained_model():
    """The pretrained LeNet-5: one read-only copy per process (its weights cannot be written)."""
    model = load_model(PRETRAINED.read_bytes())
    for layer in model.layers:
        for array in layer.params.values():
            array.flags.writeable = False        # a page that tried to train it would fail loudly
    return model


def class_labels(t, dataset, n=None, names=None):
    """The shown names of the classes of ``dataset`` (digits stay digits).

    ``names`` - the classes' own names (a student's classes), shown as typed. ``n`` - the number of
    outputs of the model: when the dataset's classes do not match it (an unknown dataset), the
    classes are numbered ``0 .. n-1`` rather than mislabelled.
    """
    if names is not None:
        return [str(c) for c in names]
    try:
        keys = class_names(dataset)
    except KeyError:
        keys = None
    if keys is None or (n is not None and len(keys) != n):
        return [str(i) for i in range(n or 0)]
    return [t(f"class.{dataset}.{c}") if t.has(f"class.{dataset}.{c}") else str(c) for c in keys]
