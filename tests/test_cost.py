"""The cost model: shapes, parameters, multiply-adds and a training step's memory, before any array exists."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnlab.checks import LessonError
from cnnlab.geometry.cost import MAX_STEP_BYTES, check_budget, network_cost, plan_layers
from cnnlab.nn.model import LENET5, LENET5_CLASSIC, MLP, PRESETS, SMALL_CNN, Model
from cnnlab.nn.train import train

# issue 17: an edited LeNet within the editor's column limits that took 1.1-3.2 GB at batch 256
HEAVY = [{"type": "conv", "filters": 32, "kernel": 5, "padding": 2}, {"type": "relu"},
         {"type": "conv", "filters": 40, "kernel": 5, "padding": 2}, {"type": "relu"},
         {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}]


def test_lenet5_counts_by_hand():
    cost = network_cost(LENET5, (1, 28, 28), 64)
    # C1 28*28 * 6 * 5*5*1, C3 10*10 * 16 * 5*5*6, C5 120 * 5*5*16, F6 120*84, output 84*10
    assert cost.macs == 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 120 * 400 + 120 * 84 + 84 * 10 == 416_520
    assert cost.params == 61_706      # 156 + 2,416 + 48,120 + 10,164 + 850 (LeCun 1998 with full C3)
    # issue 17 reports "111 k parameters, ~25.7 M multiply-adds per image" for HEAVY; by hand:
    heavy = network_cost(HEAVY, (1, 28, 28), 256)
    assert heavy.params == (25 + 1) * 32 + (25 * 32 + 1) * 40 + (40 * 14 * 14 + 1) * 10 == 111_282
    assert heavy.macs == 28 * 28 * 32 * 25 + 28 * 28 * 40 * 800 + 40 * 14 * 14 * 10 == 25_793_600


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_planned_shapes_are_the_shapes_of_a_real_forward_pass(name):
    model = Model(PRESETS[name])
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    acts = model.activations(x)
    plans = plan_layers(PRESETS[name], (1, 28, 28))
    assert [a.shape[1:] for _, _, a in acts] == [p.out_shape for p in plans]
    assert [p.params for p in plans] == [layer.n_params() for layer in model.layers]   # arrays counted


@settings(max_examples=40, deadline=None)
@given(f=st.integers(1, 8), k=st.integers(1, 7), s=st.integers(1, 3), p=st.integers(0, 3),
       pool=st.integers(1, 3), units=st.integers(1, 20))
def test_random_networks_plan_what_numpy_computes(f, k, s, p, pool, units):
    desc = [{"type": "conv", "filters": f, "kernel": k, "stride": s, "padding": p}, {"type": "relu"},
            {"type": "maxpool", "size": pool}, {"type": "flatten"}, {"type": "dense", "units": units},
            {"type": "dense", "units": 10}]
    side = (12 + 2 * p - k) // s + 1
    assume(k <= 12 + 2 * p and pool <= side)
    model = Model(desc, input_shape=(2, 12, 12))
    logits, caches = model.forward(np.ones((3, 2, 12, 12), np.float32))
    assert logits.shape == (3, 10)
    conv_out = caches[1].shape                         # ReLU's cache is its output
    assert conv_out[1:] == model.cost.layers[0].out_shape
    # multiply-adds by brute force: one per weight per output position
    assert model.cost.layers[0].macs == conv_out[2] * conv_out[3] * model.layers[0].params["w"].size


def test_worst_description_the_editor_allows_is_refused_before_allocating():
    # editor limits: filters <= 256, kernel 1..11, padding <= 5, units <= 4096 (ui/network_editor.py)
    worst = [{"type": "conv", "filters": 256, "kernel": 1, "padding": 5}, {"type": "flatten"},
             {"type": "dense", "units": 4096}, {"type": "dense", "units": 10}]
    tracemalloc.start()
    with pytest.raises(LessonError) as e:
        Model(worst)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert e.value.code == "train_too_many_params" and peak < 5 * 2 ** 20
    # 256 maps of 38x38 flattened into 4,096 units: layer 2 holds almost all of it
    assert e.value.params["layer"] == 2 and e.value.params["part"] == (256 * 38 * 38 + 1) * 4096
    # issue 17's second case: "205,566,090 parameters; at most 2,000,000"
    with pytest.raises(LessonError) as e:
        Model([{"type": "conv", "filters": 64, "kernel": 1}, {"type": "flatten"}, {"type": "dense", "units": 4096},
               {"type": "dense", "units": 10}])
    assert e.value.params["count"] == 205_566_090


def test_too_many_multiply_adds_names_the_costliest_layer():
    desc = [{"type": "conv", "filters": 64, "kernel": 5, "padding": 2},
            {"type": "conv", "filters": 128, "kernel": 5, "padding": 2}, {"type": "maxpool", "size": 8},
            {"type": "flatten"}, {"type": "dense", "units": 10}]
    with pytest.raises(LessonError) as e:
        Model(desc)
    assert e.value.code == "train_too_slow" and e.value.params["layer"] == 1
    assert e.value.params["part"] == 28 * 28 * 128 * 25 * 64


def test_a_training_step_over_the_memory_budget_is_refused_before_it_runs():
    model = Model(HEAVY)
    cost = network_cost(HEAVY, (1, 28, 28), 256)
    assert cost.peak_bytes > MAX_STEP_BYTES and cost.costliest().index == 2   # the 40-filter convolution
    data = [(np.zeros((300, 28, 28), np.uint8), np.zeros(300, np.int64))] * 2
    tracemalloc.start()
    with pytest.raises(LessonError) as e:
        next(train(model, data, batch_size=256, epochs=1))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert e.value.code == "train_too_much_memory" and e.value.params["layer"] == 2
    assert peak < 5 * 2 ** 20
    check_budget(network_cost(HEAVY, (1, 28, 28), 16), max_bytes=MAX_STEP_BYTES)    # a small batch fits


@pytest.mark.parametrize("desc,batch", [(LENET5, 64), (SMALL_CNN, 64), (MLP, 64), (LENET5_CLASSIC, 128),
                                        (HEAVY, 8)])
def test_memory_estimate_against_a_measured_training_step(desc, batch):
    """The estimate against the tracemalloc peak of the trainer's own steps 2 and 3 (Adam's
    moments already exist): measured ratio 1.00-1.37; asserted 0.9-1.7."""
    model = Model(desc)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (batch * 4, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, batch * 4)
    data = [(images, labels), (images[:5], labels[:5])]
    run = train(model, data, batch_size=batch, epochs=1, max_batches=3, val_per_epoch=1)
    next(run), next(run)                              # start, step 1: Adam's moments exist from here on
    tracemalloc.start()
    next(run), next(run)                              # steps 2 and 3 (validation comes after)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    run.close()
    held = 3 * model.n_params() * 4                   # weights and the two moments, allocated before
    estimate = network_cost(desc, (1, 28, 28), batch).peak_bytes
    assert 0.9 <= estimate / (peak + held) <= 1.7, estimate / (peak + held)
