"""The digit representation (cnnlab.nn.represent) against outside oracles: an eigen-decomposition of the
covariance for PCA, brute-force loops for neighbours, the model's own last layer for the features."""

import math

import numpy as np
import pytest

from cnnlab.checks import LessonError
from cnnlab.nn import represent


def _data(seed=0, n=60, d=7):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d)


def test_pca_matches_the_eigenvectors_of_the_covariance():
    x = _data()
    scores, comps, explained = represent.pca(x, 3)
    cov = np.cov(x, rowvar=False)                       # the textbook definition, (N - 1) denominator
    vals, vecs = np.linalg.eigh(cov)
    vals, vecs = vals[::-1], vecs[:, ::-1]              # largest first
    for i in range(3):
        assert abs(abs(comps[i] @ vecs[:, i]) - 1) < 1e-9       # same direction up to its sign
        assert explained[i] == pytest.approx(vals[i] / vals.sum(), rel=1e-9)
        # the scores are the centred data on that direction, and their variance is the eigenvalue
        proj = (x - x.mean(axis=0)) @ vecs[:, i]
        assert np.allclose(np.abs(scores[:, i]), np.abs(proj), atol=1e-9)
        assert np.var(scores[:, i], ddof=1) == pytest.approx(vals[i], rel=1e-9)
    assert np.all(comps[np.arange(3), np.abs(comps).argmax(axis=1)] > 0)     # the sign convention


def test_pca_on_points_on_a_line():
    t = np.linspace(-1, 1, 11)
    x = np.stack([3 * t, 4 * t], axis=1) + [10, 20]     # all variance along (3, 4) / 5
    scores, comps, explained = represent.pca(x, 2)
    assert np.allclose(comps[0], [0.6, 0.8]) and explained[0] == pytest.approx(1.0)
    assert np.allclose(scores[:, 0], 5 * t)
    with pytest.raises(LessonError):
        represent.pca(x[:1])


def test_nearest_matches_brute_force():
    x = _data(1, n=40, d=5)
    for i in (0, 17, 39):
        brute = sorted((math.dist(x[i], x[j]), j) for j in range(len(x)) if j != i)[:6]
        idx, dist = represent.nearest(x, i, 6)
        assert list(idx) == [j for _, j in brute]
        assert np.allclose(dist, [d for d, _ in brute])
    with pytest.raises(LessonError):
        represent.nearest(x, 40, 3)


def test_neighbour_agreement_matches_brute_force():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(0, 1, (30, 3)), rng.normal(2, 1, (30, 3))])
    y = np.array([0] * 30 + [1] * 30)
    hits = 0
    for i in range(len(x)):
        j = min((math.dist(x[i], x[j]), j) for j in range(len(x)) if j != i)[1]
        hits += y[j] == y[i]
    assert represent.neighbour_agreement(x, y, chunk=7) == pytest.approx(hits / len(x))
    # two far-apart clusters: every nearest neighbour is in its own cluster
    far = np.concatenate([rng.normal(0, 0.1, (10, 2)), rng.normal(50, 0.1, (10, 2))])
    assert represent.neighbour_agreement(far, [0] * 10 + [1] * 10) == 1.0


def test_hidden_features_feed_the_last_layer():
    """The features are what the last dense layer reads: W h + b gives the model's own scores."""
    from cnnlab.nn.data import load_digits
    from cnnlab.nn.model import load_model
    from ui.models import PRETRAINED

    model = load_model(PRETRAINED.read_bytes())
    _, _, (x, y) = load_digits()
    x = x[:50, None].astype(np.float32) / 255
    h = represent.hidden_features(model, x, batch_size=16)
    last = model.layers[-1]
    assert h.shape == (50, 84) and np.all(h >= 0)          # F6's 84 units after ReLU
    logits = h @ last.params["w"] + last.params["b"]
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert np.allclose(z / z.sum(axis=1, keepdims=True), model.predict(x), atol=1e-5)


def test_the_representation_clusters_digits_better_than_pixels():
    """Measured on the bundled test set: the pretrained LeNet-5's hidden layer puts a digit next to one
    of its own class far more often than raw pixels do (97.5 % vs 87.3 % at the time of writing)."""
    from cnnlab.nn.data import load_digits
    from cnnlab.nn.model import load_model
    from ui.models import PRETRAINED

    model = load_model(PRETRAINED.read_bytes())
    _, _, (x, y) = load_digits()
    h = represent.hidden_features(model, x[:, None].astype(np.float32) / 255)
    hidden = represent.neighbour_agreement(h, y)
    pixels = represent.neighbour_agreement(x.reshape(len(x), -1) / 255.0, y)
    assert hidden > 0.95 and pixels < hidden - 0.05
