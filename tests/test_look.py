"""What users see in dark and light themes (issues 16 and 18, the dark-mode look of the lessons)."""

from types import SimpleNamespace

import numpy as np
import pytest

from ui.figures import contrast, ink
from ui.i18n import Translator

DARK_PAGE, LIGHT_PAGE = (14, 17, 23), (255, 255, 255)       # Streamlit's dark and light backgrounds


def _rgb(colour):
    colour = colour.strip()
    if colour.startswith("#"):
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(float(v)) for v in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])


def test_ink_picks_the_more_readable_of_black_and_white():
    assert ink("#ffffff") == "#000000" and ink("#000000") == "#ffffff"
    assert ink("#edc948") == "#000000"                 # yellow: white on it was 1.7:1
    assert ink("rgb(20, 40, 120)") == "#ffffff" and ink("rgba(250, 250, 200, 0.5)") == "#000000"
    for colour in ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                   "#9c755f", "#bab0ac", "#3b82f6", "#64748b"):
        assert contrast(_rgb(ink(colour)), _rgb(colour)) >= 4.5, colour


def test_detection_labels_are_big_and_readable_on_every_digit_colour():
    from app_pages.sliding_window import figures as fg

    t = Translator("en")
    det = SimpleNamespace(boxes=[(2, 2 + 30 * d, 28, 28) for d in range(10)], box_labels=list(range(10)),
                          box_scores=[0.9] * 10)
    fig = fg.detections(t, np.zeros((32, 320)), det, [], [], "boxes")
    labels = [a for a in fig.layout.annotations if a.bgcolor]
    assert [a.text for a in labels] == [str(d) for d in range(10)]       # the digit alone: no wider than a box
    assert all("0.9" in a.hovertext for a in labels)                    # its probability on hover
    assert len(labels) == 10
    for a in labels:
        assert a.font.size >= 14
        assert contrast(_rgb(a.font.color), _rgb(a.bgcolor)) >= 4.5, (a.text, a.font.color, a.bgcolor)


def test_window_probabilities_name_every_digit():
    from app_pages.sliding_window import figures as fg

    fig = fg.window_probs(Translator("en"), np.full(10, 0.1), "p")
    assert fig.layout.xaxis.type == "category"          # ticks 0 1 2 ... 9, not only 0 and 5


@pytest.mark.parametrize("net", ["lenet5", "resnet_block", "vgg16"])
def test_layer_boxes_have_a_solid_outline_that_stands_out_of_the_dark_page(net):
    from app_pages.architectures import compute
    from ui import shape_figures

    t = Translator("en")
    if net not in compute.NETWORKS:
        pytest.skip(f"no network {net}")
    rows = [lay.as_row(lay.name) for lay in compute.network(net).layers]
    fig = shape_figures.network_diagram(t, rows, "boxes")
    boxes = [s for s in fig.layout.shapes if s.type == "rect"]
    assert boxes
    for s in boxes:
        assert s.opacity in (None, 1)                   # the outline is not faded with the fill
        assert contrast(_rgb(s.line.color), DARK_PAGE) >= 3.0, s.line.color
        assert s.fillcolor.startswith("rgba(")           # the fill alone is see-through


def test_pooling_input_title_is_short_enough_for_its_column():
    for lang in ("en", "zh"):
        t = Translator(lang)
        for line in (t("pool.fig_input"), t("pool.fig_input_note")):
            width = sum(1.0 if ord(ch) >= 0x2E80 else 0.55 for ch in line) * 16      # px at 16 px
            assert width <= 320, (lang, line, width)     # the 3/5 column at 1024 px is about 330 px wide


def test_bar_charts_of_feature_maps_write_their_value_title_level_and_name_every_class():
    from app_pages.feature_maps import figures as ff

    fig = ff.bars(np.full(10, 0.1), "p", "数字", "概率", labels=[str(d) for d in range(10)], highlight=7)
    assert not fig.layout.yaxis.title.text               # no upright title to collide with the ticks
    assert [a.text for a in fig.layout.annotations] == ["概率"] and fig.layout.annotations[0].textangle in (None, 0)
    assert fig.layout.xaxis.type == "category"
    assert fig.layout.margin.t >= 40 + 20                # room for the level title under the chart title


MINE = ["ui/figures.py", "ui/shape_figures.py", "app_pages/training/results.py", "app_pages/training/try_digit.py",
        *[f"app_pages/{d}/*.py" for d in ("home", "pooling", "receptive_field", "architectures", "deep_gradients",
                                          "linear_classifier", "sliding_window", "feature_maps", "classroom",
                                          "own_classes")]]


def test_no_chart_text_of_these_lessons_has_a_fixed_colour():
    """Text drawn on the page itself must take the theme's colour (a fixed dark one vanishes on the dark page, a
    white one on the light page); text on a coloured box takes ``ink(box)``."""
    import re

    from tests.conftest import ROOT

    fixed = re.compile(r"""(?:text)?font=dict\([^)]*color=["'](?:#|rgb|white|black|gr[ae]y)""")
    found = [f"{p.relative_to(ROOT)}:{i}" for pattern in MINE for p in ROOT.glob(pattern)
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if fixed.search(line)]
    assert not found, found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pooling_input_title_has_two_lines_and_the_room_for_them(lang):
    from tests.conftest import assert_ok, run_page
    from tests.test_kit import POOL, charts

    at = run_page(POOL, lang)
    assert_ok(at)
    t = Translator(lang)
    fig = next(c for c in charts(at) if c["layout"]["title"]["text"].split("<br>")[0] == t("pool.fig_input"))
    assert fig["layout"]["title"]["text"] == f'{t("pool.fig_input")}<br>{t("pool.fig_input_note")}'
    assert fig["layout"]["margin"]["t"] >= 88 and fig["layout"]["title"]["yanchor"] == "top"



def test_segmentation_key_is_a_legend_of_ten_readable_digits():
    from app_pages.sliding_window import figures as fg

    det = SimpleNamespace(labels=np.arange(12).reshape(2, 6) % 10, scores=np.ones((2, 6)))
    fig = fg.segmentation(Translator("zh"), np.zeros((36, 60)), det, 4, 0.5, "seg")
    assert not any(getattr(tr, "showscale", False) for tr in fig.data if tr.type == "heatmap")
    assert [tr.name for tr in fig.data if tr.type == "scatter"] == [str(d) for d in range(10)]
    assert fig.layout.showlegend and fig.layout.legend.font.size >= 14
