"""Saliency maps: Grad-CAM's gradient against finite differences, occlusion against a brute-force loop."""

import numpy as np
import pytest

from cnnlab.checks import LessonError
from cnnlab.nn.model import Model
from cnnlab.vision.saliency import (
    conv_maps_and_gradient,
    grad_cam,
    last_conv_index,
    occlusion,
    overlay,
    patch_corners,
    score_after,
    upsample,
)

NET = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1}, {"type": "relu"},
       {"type": "maxpool", "size": 2},
       {"type": "conv", "filters": 5, "kernel": 3, "padding": 1}, {"type": "tanh"},
       {"type": "flatten"}, {"type": "dense", "units": 3}]


@pytest.fixture(scope="module")
def model():
    return Model(NET, input_shape=(3, 10, 10), num_classes=3, seed=4)


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(1).random((3, 10, 10)).astype(np.float32)


def test_gradient_matches_finite_differences(model, image):
    target = 1
    a, grad, logits = conv_maps_and_gradient(model, image, target)
    assert a.shape == grad.shape == (5, 5, 5)
    assert last_conv_index(model) == 3
    assert score_after(model, a, target) == pytest.approx(float(logits[target]), abs=1e-5)
    a64 = a.astype(np.float64)
    eps = 1e-2
    num = np.zeros_like(a64)
    for idx in np.ndindex(a.shape):
        up, down = a64.copy(), a64.copy()
        up[idx] += eps
        down[idx] -= eps
        num[idx] = (score_after(model, up, target) - score_after(model, down, target)) / (2 * eps)
    np.testing.assert_allclose(grad, num, atol=2e-3, rtol=2e-2)
    # the map itself from the numerical gradient: alpha_k = mean gradient, cam = relu(sum alpha_k A_k)
    alpha = num.mean(axis=(1, 2))
    want = np.maximum((alpha[:, None, None] * a64).sum(axis=0), 0)
    cam = grad_cam(model, image, target)
    np.testing.assert_allclose(cam.small, want, atol=1e-3)
    assert cam.map.shape == (10, 10) and cam.map.min() >= 0
    probs = model.predict(image[None])[0]
    assert cam.prob == pytest.approx(float(probs[target]), abs=1e-5)


def test_upsample_keeps_constants_and_matches_block_means():
    np.testing.assert_allclose(upsample(np.full((3, 3), 2.0), (12, 12)), 2.0)
    m = np.arange(4.0).reshape(2, 2)
    big = upsample(m, (4, 4))
    assert big[0, 0] == 0 and big[-1, -1] == 3           # corners keep the corner values
    assert big.mean() == pytest.approx(m.mean())


def brute_force_occlusion(model, image, target, patch, stride, fill):
    c, h, w = image.shape
    base = model.predict(image[None])[0, target]
    rows = list(range(0, h - patch + 1, stride))
    cols = list(range(0, w - patch + 1, stride))
    if rows[-1] != h - patch:
        rows.append(h - patch)
    if cols[-1] != w - patch:
        cols.append(w - patch)
    total = np.zeros((h, w))
    count = np.zeros((h, w))
    for r in rows:
        for q in cols:
            x = image.copy()
            for i in range(r, r + patch):
                for j in range(q, q + patch):
                    x[:, i, j] = fill
            drop = base - model.predict(x[None])[0, target]
            for i in range(r, r + patch):
                for j in range(q, q + patch):
                    total[i, j] += drop
                    count[i, j] += 1
    return total / count


@pytest.mark.parametrize("patch,stride", [(4, 2), (3, 3), (5, 4)])
def test_occlusion_matches_brute_force(model, image, patch, stride):
    res = occlusion(model, image, 2, patch=patch, stride=stride, fill=0.5, batch_size=7)
    want = brute_force_occlusion(model, image, 2, patch, stride, 0.5)
    np.testing.assert_allclose(res.map, want, atol=1e-5)
    assert res.small.size == len(patch_corners(10, patch, stride)) ** 2


def test_occlusion_finds_the_only_pixels_that_matter():
    """A network that only sums the top-left quarter: occlusion must light up that quarter only."""
    m = Model([{"type": "conv", "filters": 1, "kernel": 1}, {"type": "flatten"},
               {"type": "dense", "units": 2}], input_shape=(1, 8, 8), num_classes=2)
    m.layers[0].params["w"][:] = 1
    w = np.zeros((64, 2), np.float32)
    w[[r * 8 + c for r in range(4) for c in range(4)], 0] = 1.0
    m.layers[2].params["w"][:] = w
    img = np.ones((1, 8, 8), np.float32)
    res = occlusion(m, img, 0, patch=2, stride=2, fill=0.0)
    assert np.all(res.map[:4, :4] > 0) and np.allclose(res.map[4:, :], 0) and np.allclose(res.map[:, 4:], 0)
    ov = overlay(img[0], res.map)
    assert ov.shape == (8, 8, 3) and ov.min() >= 0 and ov.max() <= 1


def test_bad_arguments(model, image):
    with pytest.raises(LessonError):
        grad_cam(model, image[:1], 0)
    with pytest.raises(LessonError):
        grad_cam(model, image, 7)
    with pytest.raises(LessonError) as e:
        occlusion(model, image, 0, patch=0)
    assert e.value.code == "saliency_bad_patch"
    mlp = Model([{"type": "flatten"}, {"type": "dense", "units": 3}], input_shape=(3, 10, 10), num_classes=3)
    with pytest.raises(LessonError) as e:
        grad_cam(mlp, image, 0)
    assert e.value.code == "saliency_no_conv"


def test_border_mask_and_share():
    from cnnlab.vision.saliency import border_mask, share_inside
    img = np.zeros((3, 6, 6))
    img[0] = 0.8                      # a red background
    img[1:, 0, 0] = 0.05              # noise on the border does not move the median
    img[:, 2:4, 1:5] = 1.0            # a white bar
    mask = border_mask(img)
    assert mask.sum() == 8 and mask[2:4, 1:5].all()
    m = np.zeros((6, 6))
    m[2, 2] = 3.0
    m[0, 0] = 1.0
    assert share_inside(m, mask) == pytest.approx(0.75)
    assert share_inside(np.zeros((6, 6)), mask) == 0.0
