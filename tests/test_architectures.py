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
    "deepid": ("dim", 160, "Sun, Wang & Tang 2014, Figure 2: the 160-dimensional DeepID layer"),
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
    elif what == "dim":                     # DeepID: the size of the representation layer
        assert [r["out"] for r in net["rows"] if r["name"] == "DeepID"] == [(number,)]
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


# --- DeepID (Sun, Wang & Tang, CVPR 2014, "Deep Learning Face Representation from Predicting 10,000
# Classes"), Figure 2: input 39 x 31 x k; conv1 36 x 28 x 20, pool1 18 x 14 x 20, conv2 16 x 12 x 40,
# pool2 8 x 6 x 40, conv3 6 x 4 x 60, pool3 3 x 2 x 60, conv4 2 x 1 x 80, DeepID 160, soft-max n.
# Section 3: conv3's weights are shared within 2 x 2 regions, conv4's not at all; the DeepID layer is
# fully connected to pool3 and conv4.
DEEPID_FIG2 = {"conv1": (20, 36, 28), "pool1": (20, 18, 14), "conv2": (40, 16, 12), "pool2": (40, 8, 6),
               "conv3": (60, 6, 4), "pool3": (60, 3, 2), "conv4": (80, 2, 1), "DeepID": (160,)}


def test_deepid_shapes_match_figure_2():
    rows = {r["name"]: r for r in network("deepid")["rows"]}
    for name, shape in DEEPID_FIG2.items():
        assert rows[name]["out"] == shape, name
    assert rows["softmax"]["out"] == (10_000,)


def test_deepid_layer_reads_pool3_and_conv4():
    rows = {r["name"]: r for r in network("deepid")["rows"]}
    deepid = rows["DeepID"]
    assert deepid["inputs"] == 3 * 2 * 60 + 2 * 1 * 80 == 520          # both stages, flattened
    assert deepid["params"] == (520 + 1) * 160 == 83_360
    assert set(deepid["reads"]) == {"pool3", "conv4"}
    # conv3: 6 regions (3 x 2 blocks of 2 x 2 output cells), each its own 3x3x40 kernels and biases;
    # conv4: 2 output positions, each its own 2x2x60 kernels and biases (locally connected)
    assert rows["conv3"]["params"] == 6 * (3 * 3 * 40 * 60 + 60) == 129_960
    assert rows["conv4"]["params"] == 2 * (2 * 2 * 60 * 80 + 80) == 38_560
    assert rows["conv4"]["unshared"] and not rows["conv3"]["unshared"]
    assert rows["conv1"]["params"] == 4 * 4 * 3 * 20 + 20                # colour patch, k = 3
    # multiply-adds do not depend on the sharing: output cells x kernel cells x input maps x maps
    assert rows["conv3"]["macs"] == 6 * 4 * 3 * 3 * 40 * 60 and rows["conv4"]["macs"] == 2 * 1 * 2 * 2 * 60 * 80


def test_layer_names_that_are_phrases_carry_a_catalog_label():
    """Words in a layer name ("reduce", "pool proj", "concat", "block.conv1") are shown through the catalogs."""
    import json
    from pathlib import Path

    cats = {lang: json.loads((Path(__file__).parent.parent / "assets" / "i18n" / f"{lang}.json").read_text("utf-8"))
            for lang in ("en", "zh")}
    for name in NETWORKS:
        for r in network(name)["rows"]:
            wordy = " " in r["name"] or "→" in r["name"] or r["name"].startswith("block.")
            if wordy or r["kind"] in ("concat", "flatten"):
                assert r["label"], (name, r["name"])
            if r["label"]:
                assert all(f"arch.layer.{r['label']}" in c and f"arch.layer_short.{r['label']}" in c
                           for c in cats.values()), r["label"]
    labels = {r["name"]: r["label"] for r in network("inception3a")["rows"]}
    assert labels["3×3 reduce (1×1)"] == "reduce_3x3" and labels["concat"] == "concat"


def test_weights_for_an_image_syllabus_numbers():
    from cnnlab.geometry.architectures import weights_for_an_image

    # SYLLABUS "History and motivation": 1000 x 1000 image, 10^6 hidden units, 10 x 10 windows
    assert weights_for_an_image(1000, 10**6, 10) == (10**12, 10**8, 100)
    assert weights_for_an_image(28, 100, 5) == (78_400, 2_500, 25)
    with pytest.raises(LessonError):
        weights_for_an_image(28, 100, 29)


def test_compute_results_are_frozen_and_match_the_published_counts():
    import dataclasses

    from app_pages.architectures import compute

    for name in NETWORKS:
        net = compute.network(name, 384 if name == "fcn" else None)
        assert net.published == PUBLISHED[name][1]
        if name != "inception3a":                              # the paper rounds to millions
            assert net.matches, name
        with pytest.raises(dataclasses.FrozenInstanceError):
            net.params = 0
    assert compute.network("deepid").mine == 160
    assert compute.clamp_fcn_size(100_000) == (1024, True)
    assert compute.clamp_fcn_size(-5) == (224, True)
    assert compute.clamp_fcn_size(512) == (512, False)
    s = compute.inception_savings()
    assert s.channels == (416, 256)
