"""Questions: the pure model and grading, and every lesson's questions checked against outside oracles."""

import importlib
import json
import math

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab import quiz
from cnnlab.checks import LessonError
from ui.i18n import CATALOG_DIR

LESSONS = ["convolution", "output_size", "pooling", "receptive_field", "architectures", "backprop",
           "gradient_descent", "training", "feature_maps", "deep_gradients", "linear_classifier", "sliding_window"]
CATALOGS = {lang: json.loads((CATALOG_DIR / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("en", "zh")}


def builder(lesson):
    return importlib.import_module(f"app_pages.{lesson}.questions").build


def by_id(questions):
    return {q.qid: q for q in questions}


# --- the model -----------------------------------------------------------------
def test_numeric_grading_and_parsing():
    q = quiz.numeric("t", "p", 4.5, "e", tolerance=0.1)
    assert quiz.grade(q, "4.55") == (4.55, True)
    assert quiz.grade(q, " 4,45 ") == (4.45, True)            # a decimal comma counts
    assert quiz.grade(q, "\u22124.5")[1] is False               # a typographic minus is a minus
    assert quiz.grade(q, "4.7") == (4.7, False)
    for bad in ("", "abc", "1e999", "nan", "inf", "2+2", "__import__('os')", "9" * 50, None):
        with pytest.raises(LessonError) as err:
            quiz.parse_response(q, bad)
        assert err.value.code == "quiz_not_a_number"
    exact = quiz.numeric("t", "p", 0.3, "e")
    assert quiz.is_correct(exact, 0.1 + 0.2) and not quiz.is_correct(exact, 0.31)


def test_choice_grading():
    q = quiz.choice("t", "p", ("a", "b", "c"), 1, "e")
    assert quiz.grade(q, 1) == (1, True) and quiz.grade(q, "2") == (2, False)
    for bad in (-1, 3, "x", None, 1.5):
        with pytest.raises(LessonError):
            quiz.parse_response(q, bad)
    with pytest.raises(ValueError):
        quiz.choice("t", "p", ("a", "b"), 2, "e")
    with pytest.raises(ValueError):
        quiz.choice("t", "p", ("a",), 0, "e")
    with pytest.raises(ValueError):
        quiz.numeric("t", "p", math.nan, "e")


def test_round_trip_and_key():
    q = quiz.numeric("t", "p", 5, "e", tolerance=0.5, n=7, mode="size.mode_conv")
    again = quiz.Question.from_dict(json.loads(json.dumps(q.to_dict())))
    assert again == q and again.key() == q.key()
    assert quiz.numeric("t", "p", 5, "e", n=8).key() != quiz.numeric("t", "p", 5, "e", n=7).key()


def test_distribution_counts_without_names():
    q = quiz.choice("t", "p", ("a", "b", "c"), 2, "e")
    d = quiz.distribution(q, [0, 2, 2, 1, 2])
    assert d.total == 5 and d.correct == 3
    assert d.bars == ((0, 1, False), (1, 1, False), (2, 3, True))
    n = quiz.numeric("t", "p", 4, "e")
    d = quiz.distribution(n, [4, 4, 3, 5.5] + list(range(10, 20)))
    assert d.total == 14 and d.correct == 2
    assert sum(c for _, c, _ in d.bars) == 14 and len(d.bars) == quiz.MAX_BARS + 1
    assert d.bars[-1][0] == "other" and (4, 2, True) in d.bars


# --- every lesson ----------------------------------------------------------------
def _check_renders(q):
    keys = [q.prompt, q.explanation] + [c for c in q.choices if "." in c and not c[0].isdigit()]
    params = {k: (CATALOGS["en"].get(v, v) if isinstance(v, str) else v) for k, v in q.params}
    for lang, cat in CATALOGS.items():
        for key in keys:
            assert key in cat, f"{lang}: {key}"
            cat[key].format(**params)                  # every placeholder is filled
        for _, v in q.params:
            if isinstance(v, str) and v.count(".") == 1 and v.split(".")[0] in ("size", "pool", "arch", "train",
                                                                               "fm", "gd"):
                assert v in cat, f"{lang}: parameter key {v}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_defaults_give_three_questions_that_render(lesson):
    questions = builder(lesson)({})
    assert len(questions) >= 3
    assert len({q.qid for q in questions}) == len(questions)
    for q in questions:
        assert quiz.Question.from_dict(json.loads(json.dumps(q.to_dict()))) == q
        _check_renders(q)


LINKISH = st.dictionaries(st.sampled_from(["n", "k", "s", "p", "d", "ks", "pad", "stride", "mode", "net", "preset",
                                           "size", "pool", "stack", "expr", "vals", "steps", "opts", "i_r", "k_r",
                                           "s_r", "p_r", "d_r", "ceil", "surface", "x0", "y0", "bank", "inspect",
                                           "depth", "width", "act", "init", "res", "added", "lr", "rows", "cols",
                                           "gap", "seed", "digits"]),
                          st.one_of(st.integers(-5, 600), st.text(max_size=12), st.floats(allow_nan=True),
                                    st.booleans()), max_size=6)


@pytest.mark.parametrize("lesson", LESSONS)
@settings(max_examples=25, deadline=None)
@given(values=LINKISH)
def test_any_link_values_give_questions(lesson, values):
    """A hand-edited link never breaks the questions: still >= 3 valid, renderable questions."""
    questions = builder(lesson)(values)
    assert len(questions) >= 3
    for q in questions:
        _check_renders(q)


def test_convolution_against_scipy():
    from cnnlab.vision import kernels
    cases = [("vertical_bar", "sobel_x", 7, 3, 0, 1), ("random", "gaussian", 9, 5, 2, 2),
             ("corner", "sharpen", 6, 3, 1, 3)]
    for grid, kernel, n, ks, pad, stride in cases:
        qs = by_id(builder("convolution")({"grid": grid, "kernel": kernel, "n": n, "ks": ks, "pad": pad,
                                           "stride": stride}))
        x, k = kernels.grid(grid, n), kernels.kernel(kernel, ks)
        full = scipy.signal.correlate2d(np.pad(x, pad), k, mode="valid")[::stride, ::stride]
        positions = len(range(0, n + 2 * pad - ks + 1, stride))           # brute force: window positions
        assert qs["conv.out_side"].answer == positions == full.shape[0]
        assert qs["conv.out_total"].answer == full.size
        assert quiz.is_correct(qs["conv.top_left"], full[0, 0])
        true_conv = scipy.signal.convolve2d(np.pad(x, pad), k, mode="valid")[::stride, ::stride]
        differs = not np.allclose(full, true_conv)
        assert qs["conv.flip"].choices[qs["conv.flip"].answer] == ("quiz.yes" if differs else "quiz.no")


def test_output_size_by_counting_positions():
    for i, k, p, s, d in [(5, 3, 1, 2, 1), (28, 5, 0, 1, 1), (17, 3, 2, 3, 2), (10, 4, 0, 2, 3)]:
        values = {"mode": "conv", "square": True, "i_r": i, "k_r": k, "p_r": p, "s_r": s, "d_r": d}
        qs = by_id(builder("output_size")(values))
        keff = d * (k - 1) + 1
        rows = len(range(0, i + 2 * p - keff + 1, s))
        assert qs["size.rows"].answer == rows and qs["size.total"].answer == rows * rows
        assert qs["size.keff"].answer == keff
        assert qs["size.same"].answer == keff - 1
    bad = by_id(builder("output_size")({"i_r": 2, "k_r": 9, "p_r": 0}))
    assert bad["size.valid"].choices[bad["size.valid"].answer] == "quiz.no"


def _pool_oracle(x, k, s, p, mode):
    xp = np.pad(x.astype(float), p, constant_values=np.nan)
    window = xp[:k, :k]
    return {"max": np.nanmax, "avg": np.nanmean, "min": np.nanmin}[mode](window)


def test_pooling_against_brute_force_and_finite_differences():
    from app_pages.pooling.questions import GRID
    for mode, k, s, p in [("max", 2, 2, 0), ("avg", 3, 1, 1), ("min", 3, 2, 1), ("avg", 2, 2, 0)]:
        qs = by_id(builder("pooling")({"mode": mode, "k": k, "s": s, "p": p}))
        assert qs["pool.side"].answer == len(range(0, 6 + 2 * p - k + 1, s))
        assert quiz.is_correct(qs["pool.top_left"], _pool_oracle(GRID, k, s, p, mode))
        # finite differences: which input cells move the top-left output?
        base = _pool_oracle(GRID, k, s, p, mode)
        moved = 0
        for r in range(6):
            for c in range(6):
                x = GRID.astype(float).copy()
                x[r, c] += 1e-3 if mode != "min" else -1e-3
                moved += abs(_pool_oracle(x, k, s, p, mode) - base) > 1e-9
        assert qs["pool.receivers"].answer == moved


def _rf_oracle(layers):
    """Walk back from one unit of the last layer: the input interval it depends on (independent of cnnlab)."""
    lo, hi = 0, 0
    for layer in reversed(layers):
        k, s, p, d = layer["kernel"], layer.get("stride") or layer["kernel"], layer.get("padding", 0), \
            layer.get("dilation", 1)
        if layer["type"] == "conv":
            s = layer.get("stride", 1)
        lo, hi = lo * s - p, hi * s - p + d * (k - 1)
    return hi - lo + 1


def test_receptive_field_against_walking_back():
    from cnnlab.geometry import receptive
    for preset in ("three_3x3", "lenet5", "alexnet", "vgg16"):
        layers = receptive.PRESETS[preset]
        qs = by_id(builder("receptive_field")({"preset": preset}))
        assert qs["rf.size"].answer == _rf_oracle(layers)
        assert qs["rf.jump"].answer == math.prod(
            (lay.get("stride") or (lay["kernel"] if lay["type"] == "pool" else 1)) for lay in layers)
        more = list(layers) + [{"type": "conv", "kernel": 3, "stride": 1, "padding": 0, "dilation": 1}]
        assert qs["rf.one_more"].answer == _rf_oracle(more)
    assert by_id(builder("receptive_field")({"preset": "three_3x3"}))["rf.size"].answer == 7   # 3 stacked 3x3 = 7x7


def test_architectures_against_published_counts():
    from cnnlab.geometry.architectures import PUBLISHED
    for net in ("lenet5", "alexnet", "vgg16", "resnet18"):
        what, number, _ = PUBLISHED[net]
        assert what == "params"
        qs = by_id(builder("architectures")({"net": net}))
        assert quiz.is_correct(qs["arch.total"], number / 1e6)
        assert qs["arch.most_params"].choices[qs["arch.most_params"].answer] == {
            "lenet5": "C5", "alexnet": "fc6", "vgg16": "fc6", "resnet18": "fc"}.get(net, "?") or net == "resnet18"


def test_backprop_against_finite_differences():
    x, y, z = -2.0, 5.0, -4.0
    qs = by_id(builder("backprop")({"expr": "(x + y) * z", "vals": "x=-2,y=5,z=-4"}))
    def f(x, y, z):
        return (x + y) * z
    h = 1e-6
    assert quiz.is_correct(qs["bp.value"], f(x, y, z))
    assert quiz.is_correct(qs["bp.grad"], (f(x + h, y, z) - f(x - h, y, z)) / (2 * h))
    assert "bp.largest" not in qs          # |df/dx| = |df/dy| = 4: a tie, so that question is not asked
    qs = by_id(builder("backprop")({"expr": "x * y + x", "vals": "x=3,y=-2"}))
    assert qs["bp.largest"].choices[qs["bp.largest"].answer] == "y"      # df/dx = y + 1 = -1, df/dy = x = 3


def test_descent_one_step_against_finite_differences():
    from cnnlab.calculus import surfaces
    surf = surfaces.quadratic()
    qs = by_id(builder("gradient_descent")({"x0": 1.5, "y0": -1.0, "lr_sgd": 0.05}))
    h = 1e-6
    gx = (surf.f(1.5 + h, -1.0) - surf.f(1.5 - h, -1.0)) / (2 * h)
    assert quiz.is_correct(qs["gd.one_step"], 1.5 - 0.05 * gx)
    assert quiz.is_correct(qs["gd.start_loss"], surf.f(1.5, -1.0))
    # on the convex bowl with these small rates nothing diverges, and the winner ends strictly lowest
    assert qs["gd.lowest"].kind == "choice" and len(qs["gd.lowest"].choices) == 3


def test_training_counts_lenet5():
    qs = by_id(builder("training")({"preset": "lenet5"}))
    assert qs["train.params"].answer == 61706          # the LeNet-5 of PyTorch's tutorial, 28x28 input, padding 2
    assert qs["train.first_out"].answer == 6 * 28 * 28
    # C5 (the 7th layer, 16*5*5*120 + 120 = 48,120 weights and biases) outweighs F6 (84*120 + 84 = 10,164)
    assert qs["train.most_params"].choices[qs["train.most_params"].answer] == "7: conv"


def test_feature_maps_flat_response_and_kind():
    from cnnlab.vision import filters
    for name, kind in (("edge_0", "edges"), ("blur", "blur"), ("sharpen", "sharpen"), ("laplacian", "edges")):
        qs = by_id(builder("feature_maps")({"inspect": name, "bank": f"{name},edge_90", "pool": 4}))
        k = filters.named_kernel(name)
        assert quiz.is_correct(qs["fm.flat"], scipy.signal.correlate2d(np.ones_like(k), k, mode="valid")[0, 0])
        assert qs["fm.kind"].choices[qs["fm.kind"].answer] == f"fm.q.kind_{kind}"
        assert qs["fm.numbers"].answer == 2 * 32 * 32


# --- the lessons of the "rest of the syllabus" (issue 14) -------------------------
def _fd_norms(net, n=64, h=1e-5):
    """||dL/dW_l|| of every layer by central differences of the loss (float64), independent of backward()."""
    from cnnlab.nn import depth
    xtr, ytr, _, _ = depth.digits_14()
    x, y = xtr[:n], ytr[:n]
    params = depth.init_params(net, 0)

    def loss(ps):
        logits, _ = depth.forward(ps, x, net)
        z = logits - logits.max(axis=1, keepdims=True)
        return -float(np.mean(z[np.arange(n), y] - np.log(np.exp(z).sum(axis=1))))

    norms = []
    for layer, (w, b) in enumerate(params):
        g = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            for sign in (1, -1):
                w2 = w.copy()
                w2[idx] += sign * h
                ps = list(params)
                ps[layer] = (w2, b)
                g[idx] += sign * loss(ps) / (2 * h)
        norms.append(float(np.linalg.norm(g)))
    return np.array(norms)


def test_deep_gradients_against_closed_forms_and_finite_differences():
    from app_pages.deep_gradients import questions as dq
    from cnnlab.nn import depth
    qs = by_id(builder("deep_gradients")({}))               # the page's defaults: 20 sigmoid layers, 64 wide
    assert qs["deep.params"].answer == (196 * 64 + 64) + 18 * (64 * 64 + 64) + (64 * 10 + 10)
    assert quiz.is_correct(qs["deep.std"], math.sqrt(2 / (64 + 64)))          # Glorot & Bengio 2010
    he = by_id(builder("deep_gradients")({"init": "he", "width": 32, "act": "relu"}))
    assert quiz.is_correct(he["deep.std"], math.sqrt(2 / 32))                # He et al. 2015
    w = depth.init_params(depth.DeepNet(4, 128, "relu", "he"), 3)[1][0]      # the weights really have that spread
    assert quiz.is_correct(by_id(builder("deep_gradients")({"init": "he", "width": 128}))["deep.std"], w.std())
    # the verdict: gradient norms by finite differences on small stacks, the lesson's thresholds
    # (first / last < 1/1000: vanishing; any norm > 1e4: exploding)
    for values, expected in (({"depth": 5, "width": 8, "act": "sigmoid", "init": "naive"}, "vanishing"),
                             ({"depth": 3, "width": 8, "act": "relu", "init": "he"}, "alive")):
        fd = _fd_norms(dq.net_of(values))
        ratio = fd[0] / fd[-1]
        assert (ratio < 1e-3) == (expected == "vanishing") and fd.max() < 1e4
        q = by_id(builder("deep_gradients")(values))["deep.verdict"]
        assert q.choices[q.answer] == f"deep.q.v.{expected}"
    q = by_id(builder("deep_gradients")({"depth": 20, "act": "relu", "init": "large"}))["deep.verdict"]
    assert q.choices[q.answer] == "deep.q.v.exploding"


def test_linear_classifier_against_closed_forms_and_finite_differences():
    import scipy.special

    from cnnlab.calculus import linear
    for preset, k in (("two_blobs", 2), ("three_blobs", 3)):
        qs = by_id(builder("linear_classifier")({"preset": preset, "steps": 50}))
        assert quiz.is_correct(qs["lin.start_loss"], math.log(k))             # uniform softmax: -log(1/k)
        fit = linear.train_softmax(*linear.preset(preset)[:2], k, lr=0.5, steps=50)
        x, y, _ = linear.preset(preset)
        i = int(dict(qs["lin.point_loss"].params)["i"]) - 1
        s = x[i] @ fit.w + fit.b
        logp = scipy.special.log_softmax(s)
        assert quiz.is_correct(qs["lin.point_loss"], -logp[y[i]])
        assert -logp[y[i]] == pytest.approx(max(-scipy.special.log_softmax(x @ fit.w + fit.b, axis=1)[
            np.arange(len(y)), y]))                                          # the hardest point
        h, e = 1e-6, np.eye(k)[y[i]]
        fd = (-scipy.special.log_softmax(s + h * e)[y[i]] + scipy.special.log_softmax(s - h * e)[y[i]]) / (2 * h)
        assert quiz.is_correct(qs["lin.grad"], fd)


def test_sliding_window_against_counting_and_the_readable_model():
    from app_pages.sliding_window import questions as sq
    from cnnlab.nn import fcn
    from ui.models import pretrained_model
    for values in ({}, {"rows": 2, "cols": 3, "gap": 0, "seed": 5}):
        qs = by_id(builder("sliding_window")(values))
        page = fcn.compose_page(*sq.page_of(values)[:4])
        h, w = page.image.shape
        # brute force: top-left corners, 4 pixels apart, of the 32 x 32 windows inside the page padded by 2
        cols = sum(1 for left in range(0, w + 4, 4) if left + 32 <= w + 4)
        rows = sum(1 for top in range(0, h + 4, 4) if top + 32 <= h + 4)
        assert qs["fcn.cols"].answer == cols
        # LeNet-5 layer by layer (C1 6@28x28 of 5x5x1, C3 16@10x10 of 5x5x6, C5 120 of 5x5x16, F6 84, out 10)
        per_window = 6 * 25 * 28 * 28 + 16 * 150 * 10 * 10 + 120 * 400 + 120 * 84 + 84 * 10
        assert per_window == 416_520
        hp, wp = h + 4, w + 4                                                 # the whole padded page at once
        c1 = ((hp - 4), (wp - 4))
        p1 = (c1[0] // 2, c1[1] // 2)
        c3 = (p1[0] - 4, p1[1] - 4)
        p3 = (c3[0] // 2, c3[1] // 2)
        c5 = (p3[0] - 4, p3[1] - 4)
        assert c5 == (rows, cols)
        fcn_macs = (6 * 25 * c1[0] * c1[1] + 16 * 150 * c3[0] * c3[1] + (120 * 400 + 120 * 84 + 84 * 10) * c5[0]
                    * c5[1])
        assert quiz.is_correct(qs["fcn.ratio"], per_window * rows * cols / fcn_macs)
        # the window over the first digit, classified by the readable model (not the plan cnnlab.nn.fcn runs)
        q = qs["fcn.first"]
        i, j = int(dict(q.params)["i"]), int(dict(q.params)["j"])
        padded = np.pad(page.image, 2)
        window = padded[4 * i + 2:4 * i + 30, 4 * j + 2:4 * j + 30]            # the 28 x 28 core of the window
        assert abs(4 * i - page.boxes[0][0]) <= 2 and abs(4 * j - page.boxes[0][1]) <= 2
        guess = int(np.argmax(pretrained_model().predict(window[None, None].astype(np.float32))[0]))
        assert q.answer == guess


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_deep_gradients_page_grades_a_typed_answer(lang):
    """On the page: the first question (the parameter count) counts the closed-form number right, in both
    languages, and a wrong number gets the right answer back."""
    from tests.conftest import run_page
    cat = CATALOGS[lang]
    at = run_page("app_pages/deep_gradients/page.py", lang=lang)
    box = next(w for w in at.text_input if w.label == cat["quiz.your_answer"])
    box.input(str((196 * 64 + 64) + 18 * (64 * 64 + 64) + (64 * 10 + 10)))
    next(b for b in at.button if b.label == cat["quiz.check"]).click()
    at.run()
    assert not at.exception
    right = cat["quiz.right"].split("{")[0]
    assert any(right in s.value for s in at.success), [s.value for s in at.success]
    box = next(w for w in at.text_input if w.label == cat["quiz.your_answer"])
    box.input("5")
    next(b for b in at.button if b.label == cat["quiz.check"]).click()
    at.run()
    assert any("88138" in w.value for w in at.warning), [w.value for w in at.warning]
