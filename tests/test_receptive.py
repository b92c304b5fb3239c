"""Receptive fields against brute force: the input pixels whose change moves a given output unit."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnlab import receptive_field
from cnnlab.checks import LessonError
from cnnlab.geometry.receptive import PRESET_INPUT, PRESETS, format_stack, parse_stack, stacked_size, unit_region
from cnnlab.ops.conv import conv2d
from cnnlab.ops.pooling import pool2d

layer = st.fixed_dictionaries({
    "type": st.sampled_from(["conv", "pool"]), "kernel": st.integers(1, 4), "stride": st.integers(1, 3),
    "padding": st.integers(0, 2), "dilation": st.integers(1, 2)})


def run_stack(layers, x):
    """Push a 1-D signal through the stack with positive weights (no cancellation): (N,) -> (M,)."""
    a = x[None, None, :, None]
    for lay in layers:
        if lay["type"] == "conv":
            a = conv2d(a, np.ones((1, 1, lay["kernel"], 1)), stride=(lay["stride"], 1),
                       padding=(lay["padding"], 0), dilation=(lay["dilation"], 1))
        else:
            a = pool2d(a, (lay["kernel"], 1), (lay["stride"], 1), (lay["padding"], 0), mode="avg")
    return a[0, 0, :, 0]


@settings(max_examples=80, deadline=None)
@given(st.lists(layer, min_size=1, max_size=4), st.integers(8, 30), st.data())
def test_region_matches_brute_force(layers, n, data):
    for lay in layers:                      # pooling: no dilation, padding at most half the window
        if lay["type"] == "pool":
            lay["dilation"] = 1
            lay["padding"] = min(lay["padding"], lay["kernel"] // 2)
    try:
        rows = receptive_field(layers, n)
    except LessonError:
        assume(False)                       # the stack does not fit this input: not a case
    m = rows[-1]["out"]
    base = run_stack(layers, np.zeros(n))
    assert base.shape == (m,)
    unit = data.draw(st.integers(0, m - 1))
    touched = []
    for i in range(n):
        x = np.zeros(n)
        x[i] = 1.0
        if run_stack(layers, x)[unit] > 0:
            touched.append(i)
    reg = unit_region(rows, unit, n)
    if not touched:                         # a unit that sees only padding
        assert reg["u"] < 0 or reg["v"] > n - 1
        return
    assert reg["u_clip"] <= min(touched) and max(touched) <= reg["v_clip"]
    no_gaps = all(lay["dilation"] == 1 and (lay["stride"] <= lay["kernel"]) for lay in layers)
    if no_gaps:                             # windows that overlap or touch: no holes
        assert len(touched) == max(touched) - min(touched) + 1
        if all(lay["padding"] == 0 for lay in layers):   # then the region is exactly what is touched
            assert (min(touched), max(touched)) == (reg["u"], reg["v"])


def test_published_values():
    assert receptive_field([{"kernel": 3}] * 3)[-1]["size"] == 7 == stacked_size(3, 3)
    two, one = receptive_field(PRESETS["two_3x3"]), receptive_field(PRESETS["one_5x5"])
    assert two[-1]["size"] == one[-1]["size"] == 5
    vgg = receptive_field(PRESETS["vgg16"], 224)[-1]      # Araujo et al. 2019, Table 1
    assert (vgg["size"], vgg["jump"], vgg["padding"], vgg["out"]) == (212, 32, 90, 7)
    alex = receptive_field(PRESETS["alexnet"], 224)[-1]
    assert (alex["size"], alex["jump"], alex["out"]) == (195, 32, 6)
    assert receptive_field(PRESETS["dilated"])[-1]["size"] == 31
    assert receptive_field(PRESETS["lenet5"], 32)[-1]["size"] == 32


def test_rows_keys_and_start():
    rows = receptive_field([{"kernel": 3, "padding": 1}, {"kernel": 2, "stride": 2}])
    for key in ("size", "jump", "padding", "start"):
        assert key in rows[0]
    assert rows[0]["start"] == 0.0 and rows[1]["start"] == 0.5
    reg = unit_region(rows, 1)
    assert (reg["u"], reg["v"], reg["centre"]) == (1, 4, 2.5)


def test_text_form_round_trips_and_rejects_junk():
    for name, layers in PRESETS.items():
        assert format_stack(parse_stack(format_stack(layers))) == format_stack(layers), name
    for junk in ["", "x3", "c3s0", "c3;rm -rf", "c" * 1000, None]:
        with pytest.raises(ValueError):
            parse_stack(junk)


def test_invalid_stack_for_input_size():
    with pytest.raises(LessonError) as err:
        receptive_field([{"kernel": 3}, {"kernel": 5}], 5)
    assert err.value.code == "stack_layer_invalid" and err.value.params["layer"] == 2
    with pytest.raises(LessonError):
        receptive_field([])
    assert receptive_field([{"kernel": 3, "padding": 1}] * 3, 5)[-1]["exceeds"] is True
    assert receptive_field(PRESETS["three_3x3"], 7)[-1]["exceeds"] is False
    assert set(PRESET_INPUT) == set(PRESETS)
