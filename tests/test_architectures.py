"""Architecture tables: totals match the published counts; shapes chain from layer to layer."""

import pytest

from cnnlab.checks import LessonError
from cnnlab.geometry.architectures import NETWORKS, PUBLISHED, fcn, inception_savings, network


@pytest.mark.parametrize("name", NETWORKS)
def test_totals_match_published(name):
    net = network(name)
    what, number, _ = PUBLISHED[name]
    if what == "params":
        assert net["params"] == number
    else:                                   # the paper rounds to millions
        assert abs(net["macs"] - number) / number < 0.001


def test_known_per_layer_numbers():
    rows = {r["name"]: r for r in network("vgg16")["rows"]}
    assert rows["conv1_1"]["params"] == 1792 and rows["fc6"]["params"] == 102_764_544
    assert rows["pool5"]["out"] == (512, 7, 7) and rows["pool5"]["rf"] == 212
    assert abs(network("vgg16")["macs"] - 15.47e9) < 0.01e9      # the usual "15.5 GFLOPs"
    lenet = {r["name"]: r for r in network("lenet5")["rows"]}
    assert [lenet[n]["params"] for n in ("C1", "S2", "C3", "S4", "C5", "F6")] == [
        156, 12, 1516, 32, 48120, 10164]                          # LeCun 1998, Section II.B
    alex = {r["name"]: r for r in network("alexnet_2gpu")["rows"]}
    assert alex["conv1"]["out"] == (96, 55, 55) and alex["conv2"]["groups"] == 2
    assert network("resnet18")["macs"] == pytest.approx(1.81e9, rel=0.01)


def test_inception_reductions_save():
    s = inception_savings()
    assert s["channels"] == (416, 256)
    assert s["params"][1] < s["params"][0] / 2 and s["macs"][1] < s["macs"][0] / 2


def test_fcn_any_input_size():
    assert fcn(224)[-1]["out"] == (1000, 1, 1)
    assert fcn(384)[-1]["out"] == (1000, 6, 6)
    assert network("fcn", 512)["params"] == network("vgg16")["params"]
    with pytest.raises(LessonError):
        fcn(100)
    with pytest.raises(ValueError):
        network("nope")


def test_shapes_chain():
    for name in NETWORKS:
        for row in network(name)["rows"]:
            assert all(v >= 1 for v in row["out"]), (name, row)
            assert row["params"] >= 0 and row["macs"] >= 0
