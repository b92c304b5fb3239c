"""Augmentation against outside oracles: NumPy's flips and rot90, SciPy's affine_transform."""

import numpy as np
import pytest
from scipy import ndimage

from cnnlab.checks import LessonError
from cnnlab.vision.augment import NONE, Augment, apply, augment, random_params


def batch(n=3, c=2, h=9, w=9, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w))


def params(n, **kw):
    p = {"flip": np.zeros(n, bool), "shift_r": np.zeros(n), "shift_c": np.zeros(n), "angle": np.zeros(n),
         "scale": np.ones(n), "brightness": np.zeros(n), "contrast": np.ones(n)}
    p.update({k: np.asarray(v) for k, v in kw.items()})
    return p


def test_identity_and_no_settings():
    x = batch()
    np.testing.assert_allclose(apply(x, params(3)), x, atol=1e-6)
    np.testing.assert_allclose(augment(x, np.random.default_rng(0), NONE), x, atol=1e-6)


def test_flip_is_numpy_flip_per_image():
    x = batch(n=2)
    out = apply(x, params(2, flip=[True, False]))
    np.testing.assert_allclose(out[0], x[0, :, :, ::-1], atol=1e-6)
    np.testing.assert_allclose(out[1], x[1], atol=1e-6)


def test_rotation_by_90_is_rot90_counter_clockwise():
    x = batch(n=1, c=1, h=7, w=7)
    out = apply(x, params(1, angle=[90.0]))
    np.testing.assert_allclose(out[0, 0], np.rot90(x[0, 0], 1), atol=1e-6)


def test_integer_shift_moves_content():
    x = batch(n=1, c=1, h=10, w=10)
    out = apply(x, params(1, shift_r=[0.2], shift_c=[-0.1]))     # 2 rows down, 1 column left
    np.testing.assert_allclose(out[0, 0, 2:, :-1], x[0, 0, :-2, 1:], atol=1e-6)
    np.testing.assert_allclose(out[0, 0, 0, :-1], x[0, 0, 0, 1:], atol=1e-6)   # edge row replicated


@pytest.mark.parametrize("angle,scale,sr,sc,flip", [(23.0, 1.15, 0.07, -0.13, False),
                                                    (-140.0, 0.8, -0.2, 0.05, True)])
def test_general_transform_matches_scipy_affine_transform(angle, scale, sr, sc, flip):
    h, w = 11, 8
    x = batch(n=1, c=2, h=h, w=w, seed=3)
    out = apply(x, params(1, angle=[angle], scale=[scale], shift_r=[sr], shift_c=[sc], flip=[flip]))
    # scipy: input = M @ output + offset; build M as "undo shift, rotate back, unscale, then mirror"
    a = np.deg2rad(angle)
    rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]]) / scale
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    offset = centre - rot @ (centre + np.array([sr * h, sc * w]))
    m = rot
    if flip:
        mirror = np.array([[1.0, 0.0], [0.0, -1.0]])
        m, offset = mirror @ rot, mirror @ offset + np.array([0.0, w - 1])
    for ch in range(2):
        want = ndimage.affine_transform(x[0, ch], m, offset=offset, order=1, mode="nearest")
        np.testing.assert_allclose(out[0, ch], want, atol=1e-5)


def test_brightness_and_contrast():
    x = 0.3 + 0.4 * batch(n=2, c=1)
    out = apply(x, params(2, brightness=[0.1, 0.0], contrast=[1.0, 0.5]))
    np.testing.assert_allclose(out[0], x[0] + 0.1, atol=1e-6)
    m = x[1].mean()
    np.testing.assert_allclose(out[1], (x[1] - m) * 0.5 + m, atol=1e-6)
    assert out[1].std() == pytest.approx(x[1].std() * 0.5, rel=1e-5)
    hot = apply(np.full((1, 1, 4, 4), 0.95), params(1, brightness=[0.3]))
    assert hot.max() == 1.0


def test_random_is_seeded_per_image_and_in_range():
    s = Augment(flip=True, shift=0.1, degrees=20, scale=0.1, brightness=0.1, contrast=0.2)
    x = batch(n=16)
    a = augment(x, np.random.default_rng(5), s)
    b = augment(x, np.random.default_rng(5), s)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    p = random_params(1000, np.random.default_rng(1), s)
    assert 0.4 < p["flip"].mean() < 0.6
    assert np.abs(p["angle"]).max() <= 20 and np.abs(p["shift_r"]).max() <= 0.1
    assert p["scale"].min() >= 0.9 and p["scale"].max() <= 1.1
    assert len({tuple(np.round(img.ravel()[:5], 4)) for img in a}) > 10    # each image its own change


def test_bad_settings_and_input():
    with pytest.raises(LessonError) as e:
        Augment(degrees=400)
    assert e.value.code == "augment_bad_setting"
    with pytest.raises(LessonError):
        augment(np.zeros((2, 8, 8)), np.random.default_rng(0), NONE)


def test_area_resize_against_block_means_and_constants():
    from cnnlab.vision.augment import resize_area, to_working
    a = np.random.default_rng(2).random((96, 60, 3))
    small = resize_area(a, (32, 20))                       # factor 3: the mean of each 3x3 block
    np.testing.assert_allclose(small, a.reshape(32, 3, 20, 3, 3).mean(axis=(1, 3)), atol=1e-12)
    np.testing.assert_allclose(resize_area(np.full((50, 37), 0.3), (32, 32)), 0.3, atol=1e-12)
    odd = resize_area(a[:, :, 0], (7, 11))
    assert odd.shape == (7, 11) and odd.mean() == pytest.approx(a[:, :, 0].mean(), rel=1e-9)
    w = to_working((a * 255).astype(np.uint8), 32, gray=True)
    assert w.shape == (1, 32, 32) and w.dtype == np.float32 and 0 <= w.min() and w.max() <= 1
