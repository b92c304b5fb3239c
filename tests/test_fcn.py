"""Sliding windows vs the fully convolutional LeNet-5: equal maps, a brute-force window, costs, NMS."""

import itertools

import numpy as np
import pytest

import cnnlab
from cnnlab.nn import fcn
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def model():
    return cnnlab.load_model(ROOT / "assets" / "lenet5_mnist.npz")


def test_fully_convolutional_equals_sliding_windows(model):
    page = fcn.compose_page(2, 4, gap=5, seed=3)
    maps = fcn.class_maps(model, page.image)
    assert maps.side == 32 and maps.stride == 4 and maps.pad == 2
    assert maps.fcn.shape == maps.sliding.shape == (10, (page.image.shape[0] + 4 - 32) // 4 + 1,
                                                      (page.image.shape[1] + 4 - 32) // 4 + 1)
    assert maps.max_diff < 1e-6
    np.testing.assert_allclose(maps.fcn.sum(axis=0), 1.0)


def test_a_digit_window_gives_what_the_model_predicts(model):
    """Brute force through the model's own predict: the window over a digit is that digit, padded as trained."""
    page = fcn.compose_page(1, 5, gap=0, seed=4, margin=4)
    maps = fcn.class_maps(model, page.image)
    digits = page.image[4:32, 4:4 + 5 * 28].reshape(28, 5, 28).transpose(1, 0, 2)
    probs = model.predict(digits[:, None].astype(np.float32))
    probs = probs[0] if isinstance(probs, tuple) else probs
    for n in range(5):    # digit n starts at column 4 + 28 n = 4 (1 + 7 n): output column 1 + 7 n, row 1
        np.testing.assert_allclose(maps.fcn[:, 1, 1 + 7 * n], probs[n], atol=1e-4)


def test_multiply_adds_are_counted_by_hand(model):
    page = fcn.compose_page(1, 3, gap=4, seed=0)
    maps = fcn.class_maps(model, page.image)
    # one 32 x 32 window of LeNet-5: conv 6x1x5x5 on 28x28, conv 16x6x5x5 on 10x10, conv 120x16x5x5, 120x84, 84x10
    per_window = 6 * 25 * 28 * 28 + 16 * 6 * 25 * 10 * 10 + 120 * 16 * 25 + 120 * 84 + 84 * 10
    assert maps.macs_sliding == per_window * maps.positions
    h, w = page.image.shape[0] + 4, page.image.shape[1] + 4
    c1 = (h - 4, w - 4)
    p1 = (c1[0] // 2, c1[1] // 2)
    c2 = (p1[0] - 4, p1[1] - 4)
    p2 = (c2[0] // 2, c2[1] // 2)
    c3 = (p2[0] - 4, p2[1] - 4)
    by_hand = (6 * 25 * c1[0] * c1[1] + 16 * 6 * 25 * c2[0] * c2[1] + 120 * 16 * 25 * c3[0] * c3[1]
               + (120 * 84 + 84 * 10) * c3[0] * c3[1])
    assert maps.macs_fcn == by_hand < maps.macs_sliding


def _pixel_iou(a, b):
    grid_a = np.zeros((200, 200), bool)
    grid_b = np.zeros((200, 200), bool)
    grid_a[a[0]:a[0] + a[2], a[1]:a[1] + a[3]] = True
    grid_b[b[0]:b[0] + b[2], b[1]:b[1] + b[3]] = True
    return (grid_a & grid_b).sum() / (grid_a | grid_b).sum()


def test_iou_and_nms_against_brute_force():
    rng = np.random.default_rng(0)
    boxes = np.column_stack([rng.integers(0, 60, 25), rng.integers(0, 60, 25), np.full(25, 28), np.full(25, 28)])
    scores = rng.random(25)
    for a, b in itertools.combinations(boxes[:8], 2):
        assert fcn.iou(a, b) == pytest.approx(_pixel_iou(a, b))
    keep = fcn.non_max_suppression(boxes, scores, 0.2)
    for a, b in itertools.combinations(keep, 2):          # kept boxes do not overlap too much
        assert _pixel_iou(boxes[a], boxes[b]) <= 0.2
    for k in set(range(25)) - set(keep):                  # every dropped box lost to a better kept one
        assert any(scores[j] >= scores[k] and _pixel_iou(boxes[j], boxes[k]) > 0.2 for j in keep)


def test_detection_finds_the_digits_of_a_clean_strip(model):
    page = fcn.compose_page(1, 6, gap=4, seed=0)
    maps = fcn.class_maps(model, page.image)
    det = fcn.detect(maps.fcn, maps.stride, 0.99, 0.1, page.boxes, page.labels)
    assert det.correct >= 5
    assert det.labels.shape == maps.fcn.shape[1:]


def test_bad_pages_are_refused():
    with pytest.raises(cnnlab.checks.LessonError):
        fcn.compose_page(4, 6)
    with pytest.raises(cnnlab.checks.LessonError):
        fcn.compose_page(1, 6, gap=-1)


def test_positions_and_windows_round_trip(model):
    page = fcn.compose_page(1, 4, gap=4, seed=2)
    maps = fcn.class_maps(model, page.image)
    for top, left, _, _ in page.boxes:
        pos = maps.position_of(top, left)
        i, j, (wt, wl, side) = maps.window(pos)
        assert (wt + maps.pad, wl + maps.pad) == (top, left) and side == 32   # the window's core is the digit
    assert 0 < maps.macs_saved < 1 and maps.speedup > 0


def test_chosen_digits_are_placed_in_order():
    page = fcn.compose_page(1, 4, gap=2, seed=5, digits=fcn.parse_digits("2026, 314"))
    assert page.labels.tolist() == [2, 0, 2, 6, 3, 1, 4]
    assert page.image.shape == (2 * 4 + 2 * 28 + 2, 2 * 4 + 4 * 28 + 3 * 2)
    _, _, (x_test, y_test) = cnnlab.load_digits()
    for (top, left, h, w), lab in zip(page.boxes, page.labels):      # each cell holds a test image of that class
        cell = (page.image[top:top + h, left:left + w] * 255).round().astype(np.uint8)
        match = np.flatnonzero((x_test == cell).all(axis=(1, 2)))
        assert match.size and y_test[match[0]] == lab
    for bad in ("12a", "__import__('os')", "😀", "1" * 31):
        with pytest.raises(cnnlab.checks.LessonError) as e:
            fcn.parse_digits(bad)
        assert e.value.code == "fcn_bad_digits"
    assert fcn.parse_digits("") == ()
