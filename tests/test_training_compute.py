"""The training lesson's compute.py against outside oracles: SciPy's softmax, central differences of the
loss, a brute-force confusion count, and the number-box limits at their edges."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy.special import log_softmax
from scipy.special import softmax as scipy_softmax

from app_pages.training import compute
from cnnlab import load_model
from cnnlab.vision.images import read_image
from ui.models import PRETRAINED


@pytest.fixture(scope="module")
def lenet():
    return load_model(PRETRAINED)


def drawn(strokes, size=(200, 260), width=16):
    im = Image.new("L", size, 235)
    ImageDraw.Draw(im).line(strokes, fill=20, width=width)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return read_image(buf.getvalue(), gray=True, max_side=512)


SEVEN = [(60, 40), (150, 40), (90, 230)]


def test_read_digit_scores_are_the_networks_and_softmax_matches_scipy(lenet):
    r = compute.read_digit(lenet, drawn(SEVEN))
    assert r.label is None and r.loss is None and r.grad is None
    assert r.best == 7
    # the same network's own predict (softmax inside) gives the same probabilities
    np.testing.assert_allclose(r.probs, lenet.predict(r.digit[None, None])[0], atol=1e-5)
    np.testing.assert_allclose(r.probs, scipy_softmax(r.steps.scores), rtol=1e-12)
    np.testing.assert_allclose(r.steps.exps, np.exp(r.steps.scores - r.steps.scores.max()), rtol=1e-12)
    assert r.steps.total == pytest.approx(float(np.exp(r.steps.scores - r.steps.scores.max()).sum()))
    assert r.steps.shifted.max() == 0.0


@pytest.mark.parametrize("label", [7, 1, 3])
def test_loss_is_minus_log_p_and_its_gradient_matches_central_differences(lenet, label):
    r = compute.read_digit(lenet, drawn(SEVEN), label=label)
    s = r.steps.scores
    assert r.loss == pytest.approx(-log_softmax(s)[label], rel=1e-10)
    assert r.loss == pytest.approx(-np.log(r.probs[label]), rel=1e-9)

    def loss(z):
        return -log_softmax(z)[label]

    h = 1e-5
    numeric = np.array([(loss(s + h * e) - loss(s - h * e)) / (2 * h) for e in np.eye(s.size)])
    np.testing.assert_allclose(r.grad, numeric, atol=1e-8)
    assert r.grad.sum() == pytest.approx(0.0, abs=1e-12)          # p sums to 1, y sums to 1
    assert r.grad[label] < 0 and np.all(np.delete(r.grad, label) >= 0)


def test_a_confident_right_answer_has_a_small_loss_and_a_wrong_label_a_large_one(lenet):
    right = compute.read_digit(lenet, drawn(SEVEN), label=7)
    wrong = compute.read_digit(lenet, drawn(SEVEN), label=0)
    assert right.loss < 0.7 < wrong.loss


def test_an_empty_picture_is_refused_with_a_lesson_error(lenet):
    from cnnlab.checks import LessonError

    with pytest.raises(LessonError) as err:
        compute.read_digit(lenet, np.full((60, 60), 0.9))
    assert err.value.code == "train_digit_empty"


def test_evaluation_counts_match_a_brute_force_loop(lenet):
    from cnnlab.nn.data import load_dataset

    x, y = load_dataset("digits")[2]
    x, y = x[:300], y[:300]
    ev = compute.evaluation(lenet, x, y)
    pred = np.array([int(np.argmax(lenet.predict(xi[None, None].astype(np.float32) / 255))) for xi in x[:40]])
    np.testing.assert_array_equal(ev.pred[:40], pred)
    brute = np.zeros((10, 10), int)
    for true, guess in zip(y, ev.pred):
        brute[true, guess] += 1
    np.testing.assert_array_equal(ev.confusion, brute)
    assert ev.accuracy == pytest.approx(np.trace(brute) / len(y))
    np.testing.assert_array_equal(ev.wrong, [i for i in range(len(y)) if ev.pred[i] != y[i]])


def test_example_layers_split_maps_from_vectors(lenet):
    from cnnlab.nn.data import load_dataset

    x = load_dataset("digits")[2][0]
    layers = compute.example_layers(lenet, x[0])
    assert layers.probs.shape == (10,) and layers.probs.sum() == pytest.approx(1, abs=1e-5)
    assert layers.maps[0][2].shape == (6, 28, 28)             # C1 of LeNet-5 (padding 2)
    assert all(a.ndim == 3 and a.shape[1] > 1 for _, _, a in layers.maps)
    assert all(a.ndim == 1 or a.shape[1] == 1 for _, _, a in layers.vectors)


@pytest.mark.parametrize(("name", "value", "ok"), [
    ("lr", 1e-5, True), ("lr", 1.0, True), ("lr", 0.0, False), ("lr", -1.0, False), ("lr", 1e9, False),
    ("lr", None, False), ("lr", float("nan"), False), ("epochs", 1, True), ("epochs", 30, True),
    ("epochs", 31, False), ("epochs", 0, False), ("epochs", 2.5, False), ("seed", 0, True),
    ("seed", 999_999, True), ("seed", 1_000_000, False), ("seed", -1, False), ("seed", True, False),
])
def test_number_limits_at_their_edges(name, value, ok):
    assert compute.in_range(value, name) is ok
