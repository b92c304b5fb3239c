"""A trained network's last hidden layer as a representation: features, PCA and nearest neighbours.

DeepID (Sun, Wang & Tang 2014) keeps the 160 activations of its last hidden layer as the face's
*representation*: two photos of one person land close together, whoever they are. The same idea works
on any classifier; on the bundled digits the pretrained LeNet-5's last hidden layer (84 units) is a
digit representation.

- :func:`hidden_features` - the input of the last dense layer, for a batch of images.
- :func:`pca` - principal components with NumPy's SVD of the centred data.
- :func:`nearest` - the k nearest rows of one row (Euclidean distance).
- :func:`neighbour_agreement` - how often a row's nearest other row has the same label (1-NN,
  leave one out): a number for "same class lands close".
"""

from __future__ import annotations

import numpy as np

from ..checks import LessonError

F32 = np.float32


def hidden_features(model, x, batch_size=100):
    """Activations that feed the last dense layer of ``model`` for ``x (N, C, H, W)`` floats in [0, 1].

    Runs the layers before the last ``dense`` layer in chunks of ``batch_size`` and keeps only the
    result ``(N, D)`` (for LeNet-5: the 84 ReLU outputs of F6).
    """
    dense = [i for i, layer in enumerate(model.layers) if layer.kind == "dense"]
    if not dense:
        raise LessonError("represent_no_dense", "the model has no dense layer.")
    stop = dense[-1]
    x = np.asarray(x, dtype=F32)
    chunks = []
    for i in range(0, x.shape[0], max(1, int(batch_size))):
        a = np.ascontiguousarray(x[i:i + batch_size])
        for layer in model.layers[:stop]:
            a, _ = layer.forward(a)
        chunks.append(a.reshape(a.shape[0], -1))
    if not chunks:
        return np.zeros((0, 0), F32)
    return np.concatenate(chunks).astype(F32, copy=False)


def pca(x, k=2):
    """Principal component analysis of the rows of ``x (N, D)``.

    Returns ``(scores (N, k), components (k, D), explained (k,))``: the centred rows projected on the
    first ``k`` principal directions, those directions (unit rows), and the share of the total
    variance each explains. Signs are fixed so that each component's largest entry is positive.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise LessonError("represent_too_few", "PCA needs at least two rows.", n=int(x.shape[0]) if x.ndim else 0)
    k = max(1, min(int(k), min(x.shape)))
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    comps = vt[:k]
    flip = np.sign(comps[np.arange(k), np.abs(comps).argmax(axis=1)])
    comps = comps * flip[:, None]
    var = s ** 2
    total = var.sum()
    explained = var[:k] / total if total > 0 else np.zeros(k)
    return centred @ comps.T, comps, explained


def _distances_to(x, i):
    diff = x - x[i]
    return np.sqrt(np.einsum("ij,ij->i", diff, diff))


def nearest(x, i, k=8):
    """The ``k`` rows of ``x (N, D)`` nearest to row ``i`` (itself left out), nearest first.

    Returns ``(indices (k,), distances (k,))``; equal distances keep the lower index first.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if not 0 <= int(i) < n:
        raise LessonError("represent_bad_index", f"row {i} is not in 0..{n - 1}.", index=int(i), n=n - 1)
    d = _distances_to(x, int(i))
    d[int(i)] = np.inf
    order = np.argsort(d, kind="stable")[:max(0, min(int(k), n - 1))]
    return order, d[order]


def neighbour_agreement(x, labels, chunk=256):
    """Share of rows whose nearest other row (Euclidean) has the same label: leave-one-out 1-NN accuracy."""
    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels)
    n = x.shape[0]
    if n < 2:
        raise LessonError("represent_too_few", "need at least two rows.", n=n)
    sq = np.einsum("ij,ij->i", x, x)
    hits = 0
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        d = sq[lo:hi, None] - 2.0 * x[lo:hi] @ x.T + sq[None, :]
        d[np.arange(hi - lo), np.arange(lo, hi)] = np.inf
        hits += int(np.sum(labels[d.argmin(axis=1)] == labels[lo:hi]))
    return hits / n
