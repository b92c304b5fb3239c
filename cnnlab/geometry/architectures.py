"""Layer tables of classic CNNs: output shapes, parameters, multiply-adds and receptive fields.

Every number is computed from the layer settings with :mod:`cnnlab.geometry.shapes`;
the totals are checked in the tests against the published counts:

=============  ====================================================  ===========
network        form shown                                            parameters
=============  ====================================================  ===========
lenet5         LeCun et al. 1998: trainable subsampling, sparse C3       60,000
alexnet        torchvision's one-tower AlexNet (64-192-384-256-256)  61,100,840
alexnet_2gpu   Krizhevsky et al. 2012, two GPU towers (groups=2),    60,965,224
               as in Caffe's reference model
vgg16          Simonyan & Zisserman 2014, configuration D           138,357,544
inception3a    GoogLeNet's Inception (3a) module (Szegedy 2014)      ~128 M MACs
resnet_block   ResNet basic block, 64 channels at 56x56 (+ BN)           73,984
resnet18       He et al. 2015, torchvision's ResNet-18               11,689,512
fcn            VGG-16 made fully convolutional (Long et al. 2015)   138,357,544
deepid         Sun, Wang & Tang 2014, Fig. 2: the face network      160-d layer
               whose last hidden layer reads conv3 and conv4
=============  ====================================================  ===========

Multiply-adds count one per weight per output position (biases, activations,
batch normalisation and pooling are not counted). A row's ``rf`` is the
receptive field of its units on the network input (on the module input for
the modules), with the recurrences of :mod:`cnnlab.geometry.receptive`.

A row's ``name`` is the layer's name in the paper or in torchvision (``C3``, ``conv1_1``,
``layer2.0.conv1``); rows whose name is a phrase also carry ``label``, the suffix of a catalog
key ``arch.layer.<label>`` under which the app shows it in the student's language.
"""

from __future__ import annotations

from ..checks import LessonError, check_positive_int
from .receptive import grow
from .shapes import conv_macs, conv_output_size, conv_params, fc_macs, fc_params, pool_output_size

NETWORKS = ("lenet5", "alexnet", "alexnet_2gpu", "vgg16", "inception3a", "resnet_block", "resnet18", "fcn",
            "deepid")

PUBLISHED = {
    "lenet5": ("params", 60_000, "LeCun, Bottou, Bengio, Haffner 1998, Section II.B"),
    "alexnet": ("params", 61_100_840, "torchvision.models.alexnet"),
    "alexnet_2gpu": ("params", 60_965_224, "Caffe bvlc_alexnet (Krizhevsky et al. 2012: '60 million')"),
    "vgg16": ("params", 138_357_544, "Simonyan & Zisserman 2014, Table 2 (138 M); torchvision vgg16"),
    "inception3a": ("macs", 128_000_000, "Szegedy et al. 2014, Table 1: inception (3a), 128 M ops"),
    "resnet_block": ("params", 73_984, "He et al. 2015 (3x3, 64 twice) with batch normalisation"),
    "resnet18": ("params", 11_689_512, "torchvision.models.resnet18"),
    "fcn": ("params", 138_357_544, "Long, Shelhamer & Darrell 2015: same weights as VGG-16"),
    "deepid": ("dim", 160, "Sun, Wang & Tang 2014, Fig. 2: the 160-dimensional DeepID layer"),
}


class _Builder:
    """Track the shape ``(C, H, W)`` and the receptive field ``(r, j, P)`` along a path."""

    def __init__(self, shape, rows=None, branch=""):
        self.shape = tuple(shape)
        self.rf = (1, 1, 0)
        self.rows = [] if rows is None else rows
        self.branch = branch

    def fork(self, branch):
        b = _Builder(self.shape, self.rows, branch)
        b.rf = self.rf
        return b

    def _add(self, name, kind, out, params, macs, k=None, s=None, p=None, label="", **extra):
        row = {"name": name, "kind": kind, "kernel": k, "stride": s, "padding": p,
               "out": tuple(out), "params": int(params), "macs": int(macs),
               "rf": None if kind == "fc" else self.rf[0], "branch": self.branch,
               "label": label}
        row.update(extra)
        self.rows.append(row)
        self.shape = tuple(out)
        return row

    def _grow(self, k, s, p):
        self.rf = grow(self.rf, k, s, p)

    def conv(self, name, c_out, k, s=1, p=0, groups=1, bias=True, bn=False, params=None, macs=None, label="",
             regions=1):
        """``regions`` > 1: locally shared weights (DeepID), one set of kernels and biases per region;
        ``regions`` = the number of output positions: locally connected, nothing shared."""
        c, h, w = self.shape
        oh, ow = conv_output_size(h, k, s, p), conv_output_size(w, k, s, p)
        if params is None:
            params = regions * conv_params(k, c, c_out, bias, groups) + (2 * c_out if bn else 0)
        if macs is None:
            macs = conv_macs((oh, ow), k, c, c_out, groups)
        self._grow(k, s, p)
        return self._add(name, "conv", (c_out, oh, ow), params, macs, k, s, p, label, groups=groups, bn=bn,
                         regions=regions, unshared=regions == oh * ow and regions > 1)

    def pool(self, name, k, s=None, p=0, mode="max", ceil_mode=False, params=0, label=""):
        s = k if s is None else s
        c, h, w = self.shape
        oh = pool_output_size(h, k, s, p, ceil_mode=ceil_mode)
        ow = pool_output_size(w, k, s, p, ceil_mode=ceil_mode)
        self._grow(k, s, p)
        return self._add(name, "pool", (c, oh, ow), params, 0, k, s, p, label, mode=mode)

    def global_pool(self, name):
        c, h, w = self.shape
        self._grow(h, 1, 0)
        return self._add(name, "pool", (c, 1, 1), 0, 0, h, 1, 0, mode="avg")

    def fc(self, name, n_out, params=None, label="", n_in=None, **extra):
        if n_in is None:
            n_in = 1
            for v in self.shape:
                n_in *= v
        return self._add(name, "fc", (n_out,), fc_params(n_in, n_out) if params is None else params,
                         fc_macs(n_in, n_out), label=label, inputs=n_in, **extra)

    def flatten(self, name, label=""):
        n = 1
        for v in self.shape:
            n *= v
        return self._add(name, "flatten", (n,), 0, 0, label=label)

    def merge(self, name, kind, shape, rf, label=""):
        self.shape, self.rf = tuple(shape), rf
        self.branch = ""
        return self._add(name, kind, shape, 0, 0, label=label)


# --------------------------------------------------------------------------
# The networks
# --------------------------------------------------------------------------
C3_TABLE = [3] * 6 + [4] * 9 + [6]   # input maps each C3 map reads (LeCun 1998, Table I): 60 in all


def lenet5():
    b = _Builder((1, 32, 32))
    b.conv("C1", 6, 5)
    b.pool("S2", 2, mode="avg", params=2 * 6)       # one trainable coefficient and bias per map
    c3_links = sum(C3_TABLE)
    b.conv("C3", 16, 5, params=c3_links * 25 + 16, macs=10 * 10 * c3_links * 25)
    b.pool("S4", 2, mode="avg", params=2 * 16)
    b.conv("C5", 120, 5)
    b.fc("F6", 84)
    b.fc("OUTPUT", 10, params=0)                    # Euclidean RBF units with fixed, hand-set weights
    return b.rows


def alexnet():
    b = _Builder((3, 224, 224))
    b.conv("conv1", 64, 11, 4, 2)
    b.pool("pool1", 3, 2)
    b.conv("conv2", 192, 5, 1, 2)
    b.pool("pool2", 3, 2)
    b.conv("conv3", 384, 3, 1, 1)
    b.conv("conv4", 256, 3, 1, 1)
    b.conv("conv5", 256, 3, 1, 1)
    b.pool("pool5", 3, 2)
    b.fc("fc6", 4096)
    b.fc("fc7", 4096)
    b.fc("fc8", 1000)
    return b.rows


def alexnet_2gpu():
    b = _Builder((3, 227, 227))
    b.conv("conv1", 96, 11, 4, 0)                   # 48 kernels on each GPU
    b.pool("pool1", 3, 2)
    b.conv("conv2", 256, 5, 1, 2, groups=2)         # each GPU sees only its own 48 maps
    b.pool("pool2", 3, 2)
    b.conv("conv3", 384, 3, 1, 1)                   # the GPUs exchange maps here
    b.conv("conv4", 384, 3, 1, 1, groups=2)
    b.conv("conv5", 256, 3, 1, 1, groups=2)
    b.pool("pool5", 3, 2)
    b.fc("fc6", 4096)
    b.fc("fc7", 4096)
    b.fc("fc8", 1000)
    return b.rows


def _vgg_features(b):
    for block, (n, c) in enumerate(((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)), start=1):
        for i in range(1, n + 1):
            b.conv(f"conv{block}_{i}", c, 3, 1, 1)
        b.pool(f"pool{block}", 2)


def vgg16():
    b = _Builder((3, 224, 224))
    _vgg_features(b)
    b.fc("fc6", 4096)
    b.fc("fc7", 4096)
    b.fc("fc8", 1000)
    return b.rows


def fcn(input_size=384):
    """VGG-16 with fc6-fc8 as 7x7, 1x1, 1x1 convolutions: any input of at least 224 pixels."""
    size = check_positive_int(input_size, "input")
    if size < 224:
        raise LessonError("fcn_too_small", f"the input must be at least 224 pixels, got {size}.",
                          size=size, min=224)
    b = _Builder((3, size, size))
    _vgg_features(b)
    b.conv("fc6 → conv 7×7", 4096, 7, label="fc6_conv")
    b.conv("fc7 → conv 1×1", 4096, 1, label="fc7_conv")
    b.conv("fc8 → conv 1×1", 1000, 1, label="fc8_conv")
    return b.rows


INCEPTION_3A = {"in": 192, "1x1": 64, "3x3_reduce": 96, "3x3": 128, "5x5_reduce": 16, "5x5": 32,
                "pool_proj": 32}


def inception3a(reductions=True):
    """GoogLeNet's inception (3a) on a 192x28x28 input; without the 1x1 reductions if asked."""
    cfg = INCEPTION_3A
    b = _Builder((cfg["in"], 28, 28))
    ends = []
    br = b.fork("1x1")
    br.conv("1×1", cfg["1x1"], 1)
    ends.append(br)
    br = b.fork("3x3")
    if reductions:
        br.conv("3×3 reduce (1×1)", cfg["3x3_reduce"], 1, label="reduce_3x3")
    br.conv("3×3", cfg["3x3"], 3, 1, 1)
    ends.append(br)
    br = b.fork("5x5")
    if reductions:
        br.conv("5×5 reduce (1×1)", cfg["5x5_reduce"], 1, label="reduce_5x5")
    br.conv("5×5", cfg["5x5"], 5, 1, 2)
    ends.append(br)
    br = b.fork("pool")
    br.pool("max pool 3×3", 3, 1, 1, label="inc_pool")
    if reductions:
        br.conv("pool proj (1×1)", cfg["pool_proj"], 1, label="pool_proj")
    ends.append(br)
    channels = sum(e.shape[0] for e in ends)
    rf = max((e.rf for e in ends), key=lambda t: t[0])
    b.merge("concat", "concat", (channels, 28, 28), rf, label="concat")
    return b.rows


def _basic_block(b, name, c_out, stride, labels=False):
    """``labels``: the rows of the lone block get catalog labels (in ResNet-18 they keep
    torchvision's module names, ``layer2.0.conv1``, as a student meets them in code)."""
    c_in = b.shape[0]
    entry = b.fork("")
    b.branch = "main"
    b.conv(f"{name}.conv1", c_out, 3, stride, 1, bias=False, bn=True, label="block_conv1" if labels else "")
    b.conv(f"{name}.conv2", c_out, 3, 1, 1, bias=False, bn=True, label="block_conv2" if labels else "")
    skip = entry.fork("skip")
    if stride != 1 or c_in != c_out:
        skip.conv(f"{name}.shortcut", c_out, 1, stride, 0, bias=False, bn=True,
                  label="block_shortcut" if labels else "")
    b.merge(f"{name}.add", "add", b.shape, b.rf, label="block_add" if labels else "")


def resnet_block(channels=64, size=56, stride=1):
    """One basic block: two 3x3 convolutions with batch norm, plus the skip connection."""
    b = _Builder((check_positive_int(channels, "in_channels"), size, size))
    _basic_block(b, "block", channels * stride, stride, labels=True)
    return b.rows


def resnet18():
    b = _Builder((3, 224, 224))
    b.conv("conv1", 64, 7, 2, 3, bias=False, bn=True)
    b.pool("maxpool", 3, 2, 1)
    for stage, c in enumerate((64, 128, 256, 512), start=1):
        _basic_block(b, f"layer{stage}.0", c, 1 if stage == 1 else 2)
        _basic_block(b, f"layer{stage}.1", c, 1)
    b.global_pool("avgpool")
    b.fc("fc", 1000)
    return b.rows


DEEPID_CLASSES = 10_000     # identities predicted in training: "about 10,000" (the paper's title)


def deepid(channels=3, classes=DEEPID_CLASSES):
    """DeepID (Sun, Wang & Tang 2014, Fig. 2) on a 39 x 31 face patch with ``channels`` (3 colour, 1 grey).

    Four convolutions (20, 40, 60, 80 maps) with ReLU, three 2 x 2 max poolings; conv3's weights are
    shared only within each 2 x 2 region of its output, conv4's not at all (locally connected).
    The 160-unit DeepID layer is fully connected to both pool3 (3 x 2 x 60) and conv4 (2 x 1 x 80),
    so it sees features of two scales; a softmax over the training identities follows.
    """
    b = _Builder((check_positive_int(channels, "in_channels"), 39, 31))
    b.conv("conv1", 20, 4)
    b.pool("pool1", 2)
    b.conv("conv2", 40, 3)
    b.pool("pool2", 2)
    b.conv("conv3", 60, 3, regions=(6 // 2) * (4 // 2))      # 6 x 4 output, 2 x 2 regions: 6 of them
    b.pool("pool3", 2)
    direct = b.fork("pool3")
    direct.flatten("pool3 → DeepID", label="deepid_from_pool3")
    deep = b.fork("conv4")
    deep.conv("conv4", 80, 2, regions=2 * 1)                 # 2 x 1 output: no weight shared
    deep.flatten("conv4 → DeepID", label="deepid_from_conv4")
    b.fc("DeepID", 160, label="deepid", n_in=direct.shape[0] + deep.shape[0], reads=("pool3", "conv4"))
    b.fc("softmax", check_positive_int(classes, "classes"), label="softmax")
    return b.rows


def network(name, input_size=None):
    """The layer table of a named network with its totals.

    Returns
    -------
    dict with ``rows`` (list of dicts: ``name, kind, kernel, stride, padding, out, params,
    macs, rf, branch``), ``params``, ``macs``, ``published`` (``(what, number, source)``).
    """
    builders = {"lenet5": lenet5, "alexnet": alexnet, "alexnet_2gpu": alexnet_2gpu, "vgg16": vgg16,
                "inception3a": inception3a, "resnet_block": resnet_block, "resnet18": resnet18,
                "deepid": deepid}
    if name == "fcn":
        rows = fcn(384 if input_size is None else input_size)
    elif name in builders:
        rows = builders[name]()
    else:
        raise ValueError(f"unknown network {name!r}; choose one of {', '.join(NETWORKS)}.")
    return {"rows": rows, "params": sum(r["params"] for r in rows), "macs": sum(r["macs"] for r in rows),
            "published": PUBLISHED[name]}


def inception_savings():
    """What the 1x1 reductions of inception (3a) save: params and multiply-adds with and without."""
    with_red, without = inception3a(True), inception3a(False)
    return {"params": (sum(r["params"] for r in without), sum(r["params"] for r in with_red)),
            "macs": (sum(r["macs"] for r in without), sum(r["macs"] for r in with_red)),
            "channels": (without[-1]["out"][0], with_red[-1]["out"][0])}


def weights_for_an_image(side, hidden, window):
    """Weights (no biases) that connect a ``side x side`` grey image to ``hidden`` units, three ways.

    Returns ``(full, local, shared)``: every unit sees every pixel (``side² · hidden``); each unit sees
    only its own ``window x window`` patch (local connectivity: ``window² · hidden``); all units use
    the same ``window x window`` kernel (weight sharing: ``window²``). The syllabus example: 1000 x 1000
    pixels, 10⁶ units, 10 x 10 windows -> 10¹², 10⁸, 100.
    """
    side = check_positive_int(side, "size")
    hidden = check_positive_int(hidden, "units")
    window = check_positive_int(window, "kernel")
    if window > side:
        raise LessonError("window_too_large", f"a {window} x {window} window does not fit a {side} x {side} "
                          "image.", window=window, size=side)
    return (fc_params(side * side, hidden, bias=False), fc_params(window * window, hidden, bias=False),
            conv_params(window, 1, 1, bias=False))
