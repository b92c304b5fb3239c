"""The architectures lesson's arithmetic: pure functions of its settings, cached, returning frozen results.

Every number comes from ``cnnlab`` (``cnnlab.geometry.architectures`` for the layer tables,
``cnnlab.nn.represent`` for the digit representation); the views only render these results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnlab.geometry import architectures
from cnnlab.nn import represent
from cnnlab.nn.data import load_digits

NETWORKS = architectures.NETWORKS
FCN_RANGE = (224, 1024)          # input sizes the FCN choice accepts (224: fc6 needs a 7 x 7 map)
SPACES = ("hidden", "pixels")    # the digit representation: LeNet-5's last hidden layer, or raw pixels


@dataclass(frozen=True)
class Layer:
    name: str                  # the paper's / torchvision's name (C3, conv1_1, layer2.0.conv1)
    label: str                 # catalog suffix arch.layer.<label> when the name is a phrase, else ""
    kind: str                  # conv, pool, fc, flatten, concat, add
    kernel: int | None
    stride: int | None
    padding: int | None
    out: tuple
    params: int
    macs: int
    rf: int | None             # receptive field on the input (None: the whole input)
    branch: str = ""
    groups: int = 1
    bn: bool = False
    mode: str = ""             # pooling: max / avg
    regions: int = 1           # > 1: weights shared only within regions (DeepID's conv3, conv4)
    unshared: bool = False     # locally connected: no weight shared at all

    def as_row(self, name):
        """The dict ``ui.shape_figures.network_diagram`` draws, with the shown ``name``."""
        return {"name": name, "kind": self.kind, "out": self.out, "params": self.params, "branch": self.branch}


@dataclass(frozen=True)
class Network:
    key: str
    layers: tuple              # of Layer
    params: int
    macs: int
    what: str                  # what the source publishes: params, macs or dim (the representation's size)
    published: int
    mine: int                  # the same quantity, computed
    input_size: int | None = None

    @property
    def matches(self):
        return self.mine == self.published


@dataclass(frozen=True)
class InceptionSavings:
    params: tuple              # (without the 1x1 reductions, with them)
    macs: tuple
    channels: tuple


@dataclass(frozen=True)
class Representation:
    """Every test digit as a point of the chosen space, its 2-D PCA map and how well classes cluster."""
    space: str
    features: np.ndarray       # (N, D) float32, read-only
    labels: np.ndarray         # (N,) int
    scores: np.ndarray         # (N, 2) PCA coordinates
    explained: tuple           # variance share of the two components
    agreement: float           # leave-one-out 1-NN: share whose nearest digit has the same label

    @property
    def dim(self):
        return int(self.features.shape[1])


@dataclass(frozen=True)
class Neighbours:
    index: int
    label: int
    indices: tuple             # nearest first
    distances: tuple
    labels: tuple

    @property
    def same(self):
        return sum(lab == self.label for lab in self.labels)


def _layer(row):
    return Layer(name=row["name"], label=row.get("label", ""), kind=row["kind"], kernel=row["kernel"],
                 stride=row["stride"], padding=row["padding"], out=tuple(row["out"]), params=row["params"],
                 macs=row["macs"], rf=row["rf"], branch=row.get("branch") or "", groups=row.get("groups", 1),
                 bn=bool(row.get("bn")), mode=row.get("mode", ""), regions=row.get("regions", 1),
                 unshared=bool(row.get("unshared")))


@st.cache_data(show_spinner=False, max_entries=32)
def network(key: str, input_size: int | None = None) -> Network:
    """The layer table of ``key`` with its totals and the published figure it is checked against."""
    result = architectures.network(key, input_size if key == "fcn" else None)
    layers = tuple(_layer(r) for r in result["rows"])
    what, number, _ = result["published"]
    if what == "params":
        mine = result["params"]
    elif what == "macs":
        mine = result["macs"]
    else:                                                   # dim: the representation layer's size
        mine = next(lay.out[0] for lay in layers if lay.label == "deepid")
    return Network(key, layers, result["params"], result["macs"], what, number, mine,
                   input_size if key == "fcn" else None)


@st.cache_data(show_spinner=False)
def inception_savings() -> InceptionSavings:
    s = architectures.inception_savings()
    return InceptionSavings(tuple(s["params"]), tuple(s["macs"]), tuple(s["channels"]))


def clamp_fcn_size(value):
    """A typed FCN input size brought into :data:`FCN_RANGE`: ``(size, was_clamped)``."""
    lo, hi = FCN_RANGE
    size = int(min(max(int(value), lo), hi))
    return size, size != int(value)


# --------------------------------------------------------------------------
# The representation, live on digits
# --------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def test_digits():
    """The bundled test digits ``(images (N, 28, 28) uint8, labels (N,))``."""
    _, _, (x, y) = load_digits()
    return x, y


@st.cache_resource(show_spinner=False)
def features(space: str, _model) -> np.ndarray:
    """The test digits as rows of ``space`` (read-only, once per process): the pretrained model's last
    hidden layer, or the raw pixels in [0, 1]."""
    x, _ = test_digits()
    if space == "hidden":
        feats = represent.hidden_features(_model, x[:, None].astype(np.float32) / 255.0)
    else:
        feats = (x.reshape(x.shape[0], -1) / 255.0).astype(np.float32)
    feats.flags.writeable = False
    return feats


@dataclass(frozen=True)
class Agreement:
    space: str
    dim: int
    share: float               # leave-one-out 1-NN: share of digits whose nearest digit has the same label


@st.cache_resource(show_spinner=False)
def agreement(space: str, _model) -> Agreement:
    feats = features(space, _model)
    return Agreement(space, int(feats.shape[1]), represent.neighbour_agreement(feats, test_digits()[1]))


@st.cache_resource(show_spinner=False)
def representation(space: str, _model) -> Representation:
    """The test digits in ``space`` with their 2-D PCA map, once per process."""
    feats = features(space, _model)
    scores, _, explained = represent.pca(feats, 2)
    scores = scores.astype(np.float32)
    scores.flags.writeable = False
    return Representation(space, feats, test_digits()[1], scores, tuple(float(e) for e in explained),
                          agreement(space, _model).share)


def neighbours(rep: Representation, index: int, k: int) -> Neighbours:
    idx, dist = represent.nearest(rep.features, index, k)
    return Neighbours(int(index), int(rep.labels[index]), tuple(int(i) for i in idx),
                      tuple(float(d) for d in dist), tuple(int(rep.labels[i]) for i in idx))
