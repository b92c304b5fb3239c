"""The deep stack: its backward pass against finite differences, and what the lesson claims about depth."""

import numpy as np
import pytest

from cnnlab.checks import LessonError
from cnnlab.nn import depth

CASES = [("sigmoid", "xavier", False, False), ("tanh", "naive", True, False), ("relu", "he", True, True),
         ("relu", "large", False, True), ("sigmoid", "he", True, True)]


def _numeric(params, x, y, net, layer, which, idx, eps=1e-6):
    def loss_with(delta):
        ps = [(w.copy(), b.copy()) for w, b in params]
        ps[layer][which][idx] += delta
        return depth.softmax_xent(depth.forward(ps, x, net)[0], y)[0]
    return (loss_with(eps) - loss_with(-eps)) / (2 * eps)


@pytest.mark.parametrize("act,init,residual,norm", CASES)
def test_backward_matches_finite_differences(act, init, residual, norm):
    net = depth.DeepNet(5, 8, act, init, residual, norm)
    params = depth.init_params(net, seed=3)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, depth.N_IN))
    y = rng.integers(0, 10, 6)
    _, grads = depth.loss_and_grads(params, x, y, net)
    for layer in range(net.depth):
        for which in (0, 1):
            shape = params[layer][which].shape
            for _ in range(4):
                idx = tuple(int(rng.integers(0, s)) for s in shape)
                num = _numeric(params, x, y, net, layer, which, idx)
                assert grads[layer][which][idx] == pytest.approx(num, rel=1e-4, abs=1e-8), (layer, which, idx)


def test_sigmoid_gradients_vanish_with_depth_and_relu_he_or_a_skip_keeps_them():
    deep_sigmoid = depth.gradients_at_init(depth.DeepNet(20, 64, "sigmoid", "xavier"))
    shallow_sigmoid = depth.gradients_at_init(depth.DeepNet(3, 64, "sigmoid", "xavier"))
    relu_he = depth.gradients_at_init(depth.DeepNet(20, 64, "relu", "he"))
    skip = depth.gradients_at_init(depth.DeepNet(20, 64, "sigmoid", "xavier", residual=True))
    assert deep_sigmoid[0] / deep_sigmoid[-1] < 1e-8            # sigmoid' <= 1/4 per layer
    assert shallow_sigmoid[0] / shallow_sigmoid[-1] > 1e-2
    assert relu_he[0] / relu_he[-1] > 0.1
    assert skip[0] / skip[-1] > 1e-2


def test_large_init_explodes_and_training_diverges():
    big = depth.gradients_at_init(depth.DeepNet(20, 64, "relu", "large"))
    assert big.min() > 1e6
    run = depth.train(depth.DeepNet(20, 64, "relu", "large"), lr=0.05, steps=30, batch=32)
    assert run.diverged_at is not None and run.diverged_at < 30


def test_short_training_learns_on_a_shallow_net():
    run = depth.train(depth.DeepNet(3, 32, "relu", "he"), lr=0.1, steps=120, batch=64, records=4)
    assert run.diverged_at is None
    assert run.val_acc[-1] > 0.7 > run.val_acc[0]
    assert run.norms.shape == (len(run.steps), 3) and run.steps[0] == 0


def test_budget_and_bad_settings_are_refused():
    with pytest.raises(LessonError) as e:
        depth.train(depth.DeepNet(31, 64))
    assert e.value.code == "depth_bad_depth"
    with pytest.raises(LessonError) as e:
        depth.train(depth.DeepNet(10, 64), steps=1000)
    assert e.value.code == "depth_too_long"
    with pytest.raises(LessonError):
        depth.check_net(depth.DeepNet(10, 64, "swish"))
    assert depth.training_cost(depth.DeepNet(30, 128), 400, 256) > depth.MAX_MACS


def test_diagnosis_words():
    assert depth.diagnose([1e-12, 1e-6, 1.0]) == "vanishing"
    assert depth.diagnose([1e5, 1.0]) == "exploding"
    assert depth.diagnose([np.inf, 1.0]) == "exploding"
    assert depth.diagnose([1e-9, 1e-9]) == "all_small"
    assert depth.diagnose([0.5, 1.0]) == "alive"
    assert np.isnan(depth.first_last_ratio([1.0, 0.0]))


def test_the_digits_used_mix_every_class():
    xtr, ytr, xva, yva = depth.digits_14()
    assert np.bincount(ytr[:256], minlength=10).min() > 10      # the images of gradients_at_init
    assert np.bincount(yva[:500], minlength=10).min() > 20      # the validation images of a run
    assert xtr.shape == (8000, depth.N_IN) and abs(xtr.mean()) < 1e-9
