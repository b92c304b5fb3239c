"""The fast engine (cnnlab.nn.fast) against the readable layers, and its gradients against finite differences.

The readable layers (cnnlab.nn.layers) are the oracle: they are checked by
finite differences in test_layers.py. Every network here is one the training
editor allows (its layer types and settings), built at random.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from cnnlab.calculus.optim import make_optimizer
from cnnlab.checks import LessonError
from cnnlab.nn import fast, fast_ops, fast_train
from cnnlab.nn.data import load_digits, make_shapes, to_float
from cnnlab.nn.fast import FastNet
from cnnlab.nn.layers import softmax_cross_entropy
from cnnlab.nn.model import LENET5, LENET5_CLASSIC, MLP, SMALL_CNN, Model, load_model
from cnnlab.nn.train import augment_batch, fit, train

TOL = 1e-5
ROOT_MODEL = "assets/lenet5_mnist.npz"


# --------------------------------------------------------------------------
# The readable model as oracle (stateless API: forward -> (out, caches); also the older one)
# --------------------------------------------------------------------------
def reference(model, x, y, rng=None):
    """Logits, mean loss and the gradients {layer index: {name: array}} of the readable layers."""
    out = model.forward(x, train=True, rng=rng) if rng is not None else model.forward(x, train=True)
    if isinstance(out, tuple):
        logits, caches = out
        loss, d, _ = softmax_cross_entropy(logits, y)
        _, flat = model.backward(d, caches)
    else:                                                   # the older API: layers keep their caches
        logits = out
        loss, d, _ = softmax_cross_entropy(logits, y)
        model.backward(d)
        flat = model.parameters()[1]
    grads, k = {}, 0
    for layer in model.layers:
        for name in layer.params:
            grads.setdefault(layer.index, {})[name] = flat[k]
            k += 1
    return logits, loss, grads


def params_of(model):
    return [(layer.index, name, layer.params[name].copy()) for layer in model.layers for name in layer.params]


def assert_close(actual, expected, what, tol=TOL):
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    err = float(np.max(np.abs(np.asarray(actual, np.float64) - expected))) if expected.size else 0.0
    assert err <= tol * scale, f"{what}: max error {err:.3g} > {tol * scale:.3g}"


# --------------------------------------------------------------------------
# Random networks of the editor's layer types
# --------------------------------------------------------------------------
def random_description(rng, in_shape):
    """A random network over ``in_shape`` that Model accepts (None if the draw does not fit)."""
    desc = []
    for _ in range(int(rng.integers(1, 3))):
        desc.append({"type": "conv", "filters": int(rng.integers(1, 6)), "kernel": int(rng.integers(1, 6)),
                     "stride": int(rng.integers(1, 4)), "padding": int(rng.integers(0, 3))})
        act = rng.choice(["relu", "sigmoid", "tanh", "none"])
        if act != "none":
            desc.append({"type": str(act)})
        if rng.random() < 0.7:
            size = int(rng.integers(1, 4))
            desc.append({"type": str(rng.choice(["maxpool", "avgpool"])), "size": size,
                         "stride": int(rng.integers(1, 4))})
            if rng.random() < 0.3:
                desc.append({"type": "relu"})
    try:
        shape = Model(desc + [{"type": "flatten"}, {"type": "dense", "units": 10}], in_shape).layers[
            len(desc) - 1].out_shape
    except LessonError:
        return None
    if shape[1] == shape[2] and shape[1] <= 11 and rng.random() < 0.6:     # a conv over the whole map
        desc += [{"type": "conv", "filters": int(rng.integers(2, 9)), "kernel": int(shape[1])},
                 {"type": str(rng.choice(["relu", "tanh"]))}]
    if rng.random() < 0.5:
        desc.append({"type": "dropout", "rate": 0.0})
    desc.append({"type": "flatten"})
    if rng.random() < 0.6:
        desc += [{"type": "dense", "units": int(rng.integers(3, 20))},
                 {"type": str(rng.choice(["relu", "sigmoid", "tanh"]))}, {"type": "dropout", "rate": 0.0}]
    desc.append({"type": "dense", "units": 10})
    try:
        Model(desc, in_shape)
    except LessonError:
        return None
    return desc


def random_networks(count, seed=0):
    rng = np.random.default_rng(seed)
    nets = []
    while len(nets) < count:
        in_shape = [(1, 28, 28), (2, 11, 13), (3, 9, 9)][len(nets) % 3]
        desc = random_description(rng, in_shape)
        if desc is not None:
            nets.append((desc, in_shape))
    return nets


NETS = random_networks(18) + [(LENET5, (1, 28, 28)), (LENET5_CLASSIC, (1, 28, 28)), (MLP, (1, 28, 28)),
                              ([d if d["type"] != "dropout" else {"type": "dropout", "rate": 0.0}
                                for d in SMALL_CNN], (1, 28, 28))]


def model_and_batch(desc, in_shape, n=6, seed=0):
    model = Model([dict(d) for d in desc], in_shape, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for layer in model.layers:                 # nonzero biases: the folded bias row must matter
        if "b" in layer.params:
            layer.params["b"][:] = rng.normal(0, 0.2, layer.params["b"].shape)
    x = rng.random((n,) + tuple(in_shape), dtype=np.float32)
    x[:, :, : in_shape[1] // 3] = 0            # a black band: equal values, ties in max pooling
    y = rng.integers(0, 10, n)
    return model, x, y


def test_the_random_networks_cover_every_layer_type_and_setting():
    kinds = {d["type"] for desc, _ in NETS for d in desc}
    assert kinds == {"conv", "maxpool", "avgpool", "relu", "sigmoid", "tanh", "flatten", "dropout", "dense"}
    convs = [d for desc, _ in NETS for d in desc if d["type"] == "conv"]
    pools = [d for desc, _ in NETS for d in desc if d["type"].endswith("pool")]
    assert any(d.get("stride", 1) > 1 for d in convs) and any(d.get("padding", 0) > 0 for d in convs)
    assert any(d["stride"] < d["size"] for d in pools) and any(d["stride"] > d["size"] for d in pools)
    ops = {type(op).__name__ for desc, shape in NETS for op in FastNet(Model(desc, shape)).ops}
    assert ops == {"Conv", "Matmul", "Pool", "Act"}
    assert any(op.relu for desc, shape in NETS for op in FastNet(Model(desc, shape)).ops
               if isinstance(op, fast_ops.Pool))


@pytest.mark.parametrize("k", range(len(NETS)))
def test_forward_and_every_gradient_equal_the_readable_layers(k):
    desc, in_shape = NETS[k]
    model, x, y = model_and_batch(desc, in_shape, seed=k)
    logits, loss, grads = reference(model, x, y)
    net = FastNet(model)
    fast_loss, correct = net.gradient(x, y)
    assert_close(net.forward(x).T, logits, "logits")
    assert abs(fast_loss - loss) <= TOL * max(1.0, abs(loss))
    assert correct == int(np.sum(logits.argmax(axis=1) == y))
    fast_grads = net.grad_arrays()
    for index, named in grads.items():
        for name, g in named.items():
            assert fast_grads[index][name].shape == g.shape
            assert_close(fast_grads[index][name], g, f"layer {index} d{name}")


@pytest.mark.parametrize("k", range(0, len(NETS), 3))
def test_convolutions_by_blocks_of_one_row_and_products_in_pieces_give_the_same_result(k, monkeypatch):
    monkeypatch.setattr(fast_ops, "CONV_BLOCK_BYTES", 1)         # every output row its own im2col block
    monkeypatch.setattr(fast_ops, "PRODUCT_PIECE_VALUES", 1)     # and its products in pieces of 7 columns
    monkeypatch.setattr(fast_ops, "PRODUCT_PIECE_MIN", 7)
    desc, in_shape = NETS[k]
    model, x, y = model_and_batch(desc, in_shape, seed=k)
    logits, _, grads = reference(model, x, y)
    net = FastNet(model)
    net.gradient(x, y)
    assert_close(net.forward(x).T, logits, "logits")
    for index, named in grads.items():
        for name, g in named.items():
            assert_close(net.grad_arrays()[index][name], g, f"layer {index} d{name}")


@pytest.mark.parametrize("k", range(0, len(NETS), 2))
def test_parameters_after_five_adam_steps_equal_the_readable_trainer(k):
    desc, in_shape = NETS[k]
    model, x, y = model_and_batch(desc, in_shape, n=8, seed=k)
    twin = Model([dict(d) for d in desc], in_shape, seed=k)
    for (_, _, p), layer_params in zip(params_of(model), [lp for layer in twin.layers
                                                           for lp in layer.params.values()]):
        layer_params[...] = p
    opt_ref, opt_fast = make_optimizer("adam", lr=1e-3), make_optimizer("adam", lr=1e-3)
    net = FastNet(twin)
    rng = np.random.default_rng(k)
    for _ in range(5):
        xb = np.clip(x + rng.normal(0, 0.1, x.shape).astype(np.float32), 0, 1)
        _, _, grads = reference(model, xb, y)
        opt_ref.step([layer.params[n] for layer in model.layers for n in layer.params],
                     [grads[layer.index][n] for layer in model.layers for n in layer.params])
        net.train_step(xb, y, opt_fast)
    net.write_to(twin)
    for (index, name, p), (_, _, q) in zip(params_of(model), params_of(twin)):
        assert_close(q, p, f"layer {index} {name} after 5 steps")


@pytest.mark.parametrize("opt_name", ["sgd", "momentum", "nesterov", "rmsprop"])
def test_other_optimizers_run_the_readable_rule_on_the_flat_vector(opt_name):
    model, x, y = model_and_batch(LENET5_CLASSIC, (1, 28, 28), n=8)
    twin = Model(LENET5_CLASSIC, seed=0)
    for (_, _, p), q in zip(params_of(model), [q for layer in twin.layers for q in layer.params.values()]):
        q[...] = p
    lr = 1e-3 if opt_name == "rmsprop" else 0.01     # rmsprop's first steps are ~lr whatever |g|
    opt_ref, opt_fast = make_optimizer(opt_name, lr=lr), make_optimizer(opt_name, lr=lr)
    net = FastNet(twin)
    for _ in range(3):
        _, _, grads = reference(model, x, y)
        opt_ref.step([layer.params[n] for layer in model.layers for n in layer.params],
                     [grads[layer.index][n] for layer in model.layers for n in layer.params])
        net.train_step(x, y, opt_fast)
    net.write_to(twin)
    for (index, name, p), (_, _, q) in zip(params_of(model), params_of(twin)):
        assert_close(q, p, f"{opt_name}: layer {index} {name}")


def test_a_batch_larger_than_a_chunk_adds_up_the_chunks_gradients(monkeypatch):
    monkeypatch.setattr(fast, "TRAIN_CHUNK", 16)
    model, x, y = model_and_batch(LENET5, (1, 28, 28), n=45)
    logits, loss, grads = reference(model, x, y)
    net = FastNet(model)
    fast_loss, _ = net.gradient(x, y)
    assert abs(fast_loss - loss) <= TOL
    for index, named in grads.items():
        for name, g in named.items():
            assert_close(net.grad_arrays()[index][name], g, f"layer {index} d{name}")


def test_dropout_draws_the_readable_layers_masks_from_the_same_generator():
    desc = [d if d["type"] != "dropout" else {"type": "dropout", "rate": 0.4} for d in SMALL_CNN]
    desc = desc[:-1] + [{"type": "dense", "units": 20}, {"type": "relu"}, {"type": "dropout", "rate": 0.5},
                        {"type": "dense", "units": 10}]
    model, x, y = model_and_batch(desc, (1, 28, 28), n=40)
    probe = model.forward(x[:1], train=False)
    if not isinstance(probe, tuple):
        pytest.skip("the readable dropout takes its generator from forward(rng=...) only in the stateless API")
    logits, loss, grads = reference(model, x, y, rng=np.random.default_rng(7))
    net = FastNet(model)
    fast_loss, _ = net.gradient(x, y, rng=np.random.default_rng(7))
    assert abs(fast_loss - loss) <= TOL
    for index, named in grads.items():
        for name, g in named.items():
            assert_close(net.grad_arrays()[index][name], g, f"layer {index} d{name}")


# --------------------------------------------------------------------------
# Finite differences, float64
# --------------------------------------------------------------------------
@pytest.mark.parametrize("desc", [
    [{"type": "conv", "filters": 3, "kernel": 3, "stride": 2, "padding": 1}, {"type": "tanh"},
     {"type": "avgpool", "size": 2, "stride": 1}, {"type": "conv", "filters": 4, "kernel": 3},
     {"type": "sigmoid"}, {"type": "flatten"}, {"type": "dense", "units": 10}],
    [{"type": "conv", "filters": 3, "kernel": 2, "padding": 1}, {"type": "relu"},
     {"type": "maxpool", "size": 3, "stride": 2}, {"type": "conv", "filters": 5, "kernel": 3},
     {"type": "relu"}, {"type": "flatten"}, {"type": "dense", "units": 10}],
])
def test_fast_gradients_match_finite_differences_in_float64(desc):
    model = Model(desc, (2, 7, 7), seed=3)
    rng = np.random.default_rng(4)
    x = rng.random((5, 2, 7, 7))
    y = rng.integers(0, 10, 5)
    net = FastNet(model, dtype=np.float64)
    net.theta += rng.normal(0, 0.05, net.theta.shape)     # nonzero biases
    net.gradient(x, y)
    grad = net.grad.copy()

    def loss():
        logits = net.forward(x)
        return net.loss(logits, y)[0] / x.shape[0]

    h = 1e-6
    for i in rng.choice(net.theta.size, 60, replace=False):
        keep = net.theta[i]
        net.theta[i] = keep + h
        up = loss()
        net.theta[i] = keep - h
        down = loss()
        net.theta[i] = keep
        assert abs((up - down) / (2 * h) - grad[i]) <= 1e-6 * max(1.0, abs(grad[i])), i


# --------------------------------------------------------------------------
# Inference, memory, the trainer
# --------------------------------------------------------------------------
def test_predict_equals_the_readable_model_on_the_pretrained_lenet5():
    model = load_model(ROOT_MODEL)
    x = to_float(load_digits()[2][0][:300])
    assert_close(fast.predict(model, x, batch_size=128), model.predict_readable(x), "probabilities")


@pytest.mark.parametrize("k", range(len(NETS)))
def test_model_predict_and_evaluate_on_the_fast_path_equal_the_readable_layers(k):
    """Model.predict runs the fast engine in chunks; the readable layers (predict_readable) are the oracle.
    75 images: two full chunks of 32 and a smaller last one."""
    from cnnlab.nn.train import evaluate

    desc, in_shape = NETS[k]
    model, x, y = model_and_batch(desc, in_shape, seed=k, n=75)
    expected = model.predict_readable(x, batch_size=75)
    probs = model.predict(x)
    assert probs.dtype == np.float32 and probs.shape == expected.shape
    assert_close(probs, expected, "probabilities")
    assert_close(model.predict(x, batch_size=7), expected, "probabilities in chunks of 7")
    ev = evaluate(model, x, y)
    loss = -float(np.mean(np.log(np.maximum(expected[np.arange(y.size), y], 1e-12))))
    assert abs(ev["loss"] - loss) <= TOL * max(1.0, loss)
    top2 = np.sort(expected, axis=1)[:, -2:]
    near_tie = top2[:, 1] - top2[:, 0] < 1e-4                # either class is right to float32 rounding
    assert np.all((ev["pred"] == expected.argmax(1)) | near_tie)


def test_predict_refuses_input_of_the_wrong_shape_or_type():
    model = load_model(ROOT_MODEL)
    with pytest.raises(LessonError) as err:
        fast.predict(model, np.zeros((2, 28, 28), np.float32))
    assert err.value.code == "train_bad_input"
    with pytest.raises(LessonError):
        fast.predict(model, np.zeros((2, 1, 28, 28), np.uint8))
    one = fast.predict(model, np.zeros((1, 28, 28), np.float32))      # a single image
    assert one.shape == (1, 10) and abs(float(one.sum()) - 1) < 1e-5
    assert fast.predict(model, np.zeros((0, 1, 28, 28), np.float32)).shape == (0, 10)


def test_predicting_ten_thousand_digits_stays_under_150_mb():
    model = load_model(ROOT_MODEL)
    (a, _), (b, _), (c, _) = load_digits()
    x = to_float(np.concatenate([a, b, c]))
    assert x.shape[0] == 10_000
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        probs = fast.predict(model, x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert probs.shape == (10_000, 10)
    assert peak < 150e6, f"peak {peak / 1e6:.0f} MB"
    assert peak > probs.nbytes                              # the measurement saw the work


def test_fast_augmentation_is_the_trainers_augmentation():
    x = to_float(load_digits()[0][0][:150])
    a = augment_batch(x, np.random.default_rng(11))
    b = fast_train.augment_batch(x, np.random.default_rng(11))
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32
    assert np.max(np.abs(a - b)) < 1e-5
    assert np.max(np.abs(a - x)) > 0.1                     # it did move the digits


@pytest.mark.parametrize("desc", [LENET5, SMALL_CNN], ids=["lenet5", "small_cnn_with_dropout"])
def test_fast_trainer_follows_the_readable_trainer_step_for_step(desc):
    # the loop (batches, augmentation, schedule, validation) with momentum: Adam's first step moves a
    # weight whose gradient is ~1e-9 (near its eps) by up to lr, so float rounding decides it (measured:
    # one weight of 48,000 off by 7e-5); Adam itself is checked over 5 steps above
    data = make_shapes(30, seed=0)
    settings = {"optimizer": "momentum", "lr": 0.002, "batch_size": 32, "epochs": 1, "augment": True, "seed": 5,
                "max_batches": 4}
    slow, quick = Model(desc, seed=2), Model(desc, seed=2)
    ref = [r for r in train(slow, data, **settings)]
    got = [r for r in train(quick, data, engine="fast", **settings)]
    assert [r["kind"] for r in got] == [r["kind"] for r in ref]
    for a, b in zip(ref, got):
        if a["kind"] == "batch":
            assert abs(a["loss"] - b["loss"]) < 1e-4 and a["accuracy"] == b["accuracy"]
        if a["kind"] == "val":
            assert abs(a["val_loss"] - b["val_loss"]) < 1e-4
    for (index, name, p), (_, _, q) in zip(params_of(slow), params_of(quick)):
        assert_close(q, p, f"layer {index} {name}")


def test_fast_trainer_learns_and_writes_back_when_stopped():
    data = make_shapes(40, seed=1)
    model = Model(SMALL_CNN, seed=0)
    before = params_of(model)
    reports = fit(model, data, epochs=3, batch_size=32, augment=False, seed=0, engine="fast")
    assert reports[-1]["kind"] == "end" and not reports[-1]["stopped"]
    assert reports[-2]["val_accuracy"] > 0.5                # 10 classes: chance is 0.1
    assert any(np.max(np.abs(p - q)) > 0 for (_, _, p), (_, _, q) in zip(before, params_of(model)))
    # a caller that stops asking: the model holds the weights of the last step taken
    model2 = Model(SMALL_CNN, seed=0)
    gen = train(model2, data, batch_size=32, seed=0, engine="fast")
    for r in gen:
        if r["kind"] == "batch" and r["step"] == 3:
            break
    gen.close()
    assert any(np.max(np.abs(p - q)) > 0 for (_, _, p), (_, _, q) in zip(before, params_of(model2)))


def test_fast_trainer_refuses_bad_settings_like_the_readable_one():
    with pytest.raises(LessonError):
        next(train(Model(MLP), make_shapes(5), lr=5.0, engine="fast"))
    with pytest.raises(LessonError) as err:
        next(train(Model(LENET5), make_shapes(5), engine="fast", max_step_bytes=1000))
    assert err.value.code == "train_too_much_memory"
    with pytest.raises(ValueError):
        next(train(Model(MLP), make_shapes(5), engine="turbo"))
