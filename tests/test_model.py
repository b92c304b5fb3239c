"""Model: shape checks before training, save / load round trip, rejection of bad files, the pretrained file."""

import io
import json
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import cnnlab
from cnnlab.calculus.gradcheck import numerical_gradient
from cnnlab.checks import LessonError
from cnnlab.nn.layers import softmax_cross_entropy
from cnnlab.nn.model import LENET5, Model, load_model

ROOT = Path(__file__).resolve().parent.parent
PRETRAINED = ROOT / "assets" / "lenet5_mnist.npz"


def test_lenet5_shapes_and_parameter_counts():
    m = Model(LENET5)
    rows = m.summary()
    assert [r["out_shape"] for r in rows if r["type"] in ("conv", "maxpool", "dense")] == [
        (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1), (84,), (10,)]
    # the published counts: C1 156, C3 2,416 (full connection table), C5 48,120, F6 10,164, out 850
    assert [r["params"] for r in rows if r["params"]] == [156, 2416, 48120, 10164, 850]
    assert m.n_params() == 61706


@pytest.mark.parametrize("desc,code", [
    ([], "train_empty"),
    ([{"type": "flatten"}, {"type": "dense", "units": 7}], "train_last_layer"),
    ([{"type": "conv", "filters": 4, "kernel": 3}, {"type": "dense", "units": 10}], "train_needs_flat"),
    ([{"type": "flatten"}, {"type": "conv", "filters": 4, "kernel": 3}], "train_needs_maps"),
    ([{"type": "conv", "filters": 4, "kernel": 3}, {"type": "maxpool", "size": 2}] * 4
     + [{"type": "flatten"}, {"type": "dense", "units": 10}], "train_kernel_too_large"),
    ([{"type": "flatten"}, {"type": "dense", "units": 3000}, {"type": "dense", "units": 10}],
     "train_too_many_params"),
    ([{"type": "conv", "filters": 256, "kernel": 11, "padding": 5}, {"type": "flatten"},
      {"type": "dense", "units": 10}], "train_too_many_params"),
    ([{"type": "pool"}], "train_unknown_layer"),
])
def test_shapes_are_checked_before_training(desc, code):
    with pytest.raises(LessonError) as e:
        Model(desc)
    assert e.value.code == code


def test_save_load_round_trip(tmp_path):
    m = Model(LENET5, seed=3)
    m.meta = {"note": "x"}
    x = np.random.default_rng(0).random((5, 1, 28, 28), dtype=np.float32)
    path = tmp_path / "m.npz"
    m.save(path)
    m2 = load_model(path)
    np.testing.assert_array_equal(m2.predict(x), m.predict(x))
    assert m2.description() == m.description() and m2.meta == {"note": "x"}
    m3 = load_model(path.read_bytes())
    assert m3.n_params() == m.n_params()


def _npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _rewrite(model, change):
    with np.load(io.BytesIO(model.to_bytes()), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    return _npz(**arrays)


def test_bad_files_are_rejected():
    m = Model([{"type": "flatten"}, {"type": "dense", "units": 10}])
    bad = [
        b"not a zip at all",
        _npz(x=np.zeros(3)),
        _npz(**{"model.json": np.array("{nonsense")}),
        _npz(**{"model.json": np.array(json.dumps({"format": "other"}))}),
        _rewrite(m, lambda a: a.update({"layer1.w": np.zeros((3, 3), np.float32)})),
        _rewrite(m, lambda a: a.pop("layer1.b")),
        _rewrite(m, lambda a: a.update({"extra": np.zeros(2)})),
        _rewrite(m, lambda a: a["layer1.w"].__setitem__((0, 0), np.nan)),
        _rewrite(m, lambda a: a.update({"layer1.w": a["layer1.w"].astype(np.int32)})),
    ]
    for data in bad:
        with pytest.raises(LessonError) as e:
            load_model(data)
        assert e.value.code == "train_bad_model_file"
    # an object array would need pickle: refused by allow_pickle=False
    buf = io.BytesIO()
    np.savez(buf, **{"model.json": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(LessonError):
        load_model(buf.getvalue())


def test_predict_checks_its_input():
    m = Model(LENET5)
    with pytest.raises(LessonError):
        m.predict(np.zeros((2, 28, 28), np.float32)[:, None, :, :14])
    with pytest.raises(LessonError):
        m.predict(np.zeros((2, 1, 28, 28), np.uint8))
    assert m.predict(np.zeros((1, 28, 28), np.float32)).shape == (1, 10)   # one sample


def test_activations_cover_every_layer():
    m = Model(LENET5)
    acts = m.activations(np.zeros((2, 1, 28, 28), np.float32))
    assert [a.shape[1:] for _, _, a in acts] == [r["out_shape"] for r in m.summary()]
    np.testing.assert_allclose(acts[-1][2].sum(1), 1, rtol=1e-5)


def test_pretrained_lenet5_reads_the_bundled_test_digits():
    model = cnnlab.load_model(PRETRAINED)
    (_, _), (_, _), (x, y) = cnnlab.load_digits()
    probs = model.predict(x.astype(np.float32)[:, None] / 255)
    assert probs.shape == (len(y), 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    assert np.mean(probs.argmax(1) == y) >= 0.97


# --------------------------------------------------------------------------
# A core without hidden state (issue 11)
# --------------------------------------------------------------------------
def _arrays_held(obj, exclude, seen=None):
    """Bytes of every ndarray reachable from ``obj``'s attributes, minus the ``exclude`` arrays."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return 0 if any(obj is e for e in exclude) else obj.nbytes
    if isinstance(obj, dict):
        items = obj.values()
    elif isinstance(obj, (list, tuple, set)):
        items = obj
    elif hasattr(obj, "__dict__"):
        items = vars(obj).values()
    else:
        return 0
    return sum(_arrays_held(v, exclude, seen) for v in items)


def test_model_keeps_no_activations_after_predict():
    m = Model(LENET5)
    before = _arrays_held(m, m.parameters())
    m.predict(np.random.default_rng(0).random((1000, 1, 28, 28), dtype=np.float32))
    m.activations(np.zeros((3, 1, 28, 28), np.float32))
    assert _arrays_held(m, m.parameters()) == before < 1_000_000      # was 86 MB with per-layer caches


def test_predict_is_chunked():
    m = Model(LENET5)
    x = np.random.default_rng(0).random((10_000, 1, 28, 28), dtype=np.float32)   # 31 MB, allocated before
    tracemalloc.start()
    probs = m.predict(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert probs.shape == (10_000, 10) and peak < 150 * 2 ** 20                # measured 61 MB (was 147)
    np.testing.assert_allclose(m.predict(x[:7], batch_size=3), probs[:7], rtol=1e-5, atol=1e-7)


def test_backward_grads_match_finite_differences_of_the_model_loss():
    desc = [{"type": "conv", "filters": 2, "kernel": 3}, {"type": "tanh"}, {"type": "avgpool", "size": 2},
            {"type": "flatten"}, {"type": "dense", "units": 3}]
    m = Model(desc, input_shape=(1, 6, 6), num_classes=3, seed=1)
    for layer in m.layers:
        for k in layer.params:
            layer.params[k] = layer.params[k].astype(np.float64)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 1, 6, 6))
    y = np.array([0, 2])

    def loss():
        return softmax_cross_entropy(m.forward(x)[0], y)[0]

    logits, caches = m.forward(x)
    dx, grads = m.backward(softmax_cross_entropy(logits, y)[1], caches)
    assert len(grads) == len(m.parameters())
    for p, g in zip(m.parameters(), grads):
        np.testing.assert_allclose(g, numerical_gradient(loss, p), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(dx, numerical_gradient(loss, x), rtol=1e-5, atol=1e-8)
    _, grads2 = m.backward(softmax_cross_entropy(*m.forward(x)[:1], y)[1], m.forward(x)[1], input_grad=False)
    for g, g2 in zip(grads, grads2):
        np.testing.assert_allclose(g, g2)


def test_one_model_serves_two_threads():
    m = Model(LENET5, seed=4)
    xs = [np.random.default_rng(i).random((60, 1, 28, 28), dtype=np.float32) for i in range(2)]
    alone = [m.predict(x) for x in xs]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda x: m.predict(x, batch_size=16), xs * 3))
    for i, probs in enumerate(together):
        np.testing.assert_allclose(probs, alone[i % 2], rtol=1e-5, atol=1e-7)
