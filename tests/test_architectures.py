"""Architecture tables: totals match the published counts; shapes chain from layer to layer."""

import pytest

from cnnlab.checks import LessonError
from cnnlab.geometry.architectures import NETWORKS, fcn, inception_savings, network

# The published figures, written here (not read from the module under test), with their sources.
PUBLISHED = {
    "lenet5": ("params", 60_000, "LeCun, Bottou, Bengio, Haffner 1998, Section II.B: 'about 60,000'"),
    "alexnet": ("params", 61_100_840, "torchvision.models.AlexNet_Weights.IMAGENET1K_V1.meta['num_params']"),
    "alexnet_2gpu": ("params", 60_965_224, "Caffe bvlc_alexnet deploy.prototxt, summed blobs"),
    "vgg16": ("params", 138_357_544, "torchvision.models.VGG16_Weights.IMAGENET1K_V1.meta['num_params']"),
    "inception3a": ("macs", 128_000_000, "Szegedy et al. 2014, Table 1, inception (3a): 128M ops"),
    "resnet_block": ("params", 73_984, "2 x 3x3x64x64 weights + 2 x BN (2 x 64): He et al. 2015, Table 1"),
    "resnet18": ("params", 11_689_512, "torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta['num_params']"),
    "fcn": ("params", 138_357_544, "Long, Shelhamer & Darrell 2015: FCN-32s keeps VGG-16's weights"),
}


def test_every_network_has_a_published_figure():
    assert set(PUBLISHED) == set(NETWORKS)


@pytest.mark.parametrize("name", NETWORKS)
def test_totals_match_published(name):
    net = network(name)
    what, number, _ = PUBLISHED[name]
    if name == "lenet5":                    # the paper says "about 60,000"; the layer sum is exact
        assert net["params"] == 156 + 12 + 1516 + 32 + 48120 + 10164 == 60_000
    elif what == "params":
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


def test_feature_map_sizes_match_the_papers():
    """Output maps of each stage, as the papers and torchvision print them."""
    vgg = {r["name"]: r["out"] for r in network("vgg16")["rows"]}
    # Simonyan & Zisserman 2014, Table 1: 224 -> 112 -> 56 -> 28 -> 14 -> 7 after each max pool
    assert [vgg[f"pool{i}"] for i in range(1, 6)] == [(64, 112, 112), (128, 56, 56), (256, 28, 28),
                                                     (512, 14, 14), (512, 7, 7)]
    alex = {r["name"]: r["out"] for r in network("alexnet")["rows"]}
    # torchvision AlexNet (print(torchsummary)): 64x55x55, 192x27x27, 256x13x13, 256x6x6
    assert (alex["conv1"], alex["conv2"], alex["conv5"], alex["pool5"]) == (
        (64, 55, 55), (192, 27, 27), (256, 13, 13), (256, 6, 6))
    res = {r["name"]: r["out"] for r in network("resnet18")["rows"]}
    # He et al. 2015, Table 1: conv1 112x112, conv2_x 56x56, conv3_x 28x28, conv4_x 14x14, conv5_x 7x7
    assert [res[k][1] for k in ("conv1", "layer1.1.add", "layer2.1.add", "layer3.1.add", "layer4.1.add")] == [
        112, 56, 28, 14, 7]
