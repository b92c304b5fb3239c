"""Hover texts of the Basics lessons, deep gradients, linear classifier and sliding window write numbers the
way the page writes them (ui/fmt: 9 not 9.00) and speak the page's language (issue 16, items 15 and 17)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ui.i18n import Translator, catalog

# a d3 number format in a hover template that keeps trailing zeros (".3g" writes 9 as "9.00"; "~" trims them)
ZEROS_KEPT = re.compile(r"%\{[^}:]+:[^}~]*[efgs%]\}")
OTHERS = ("fm.", "gd.")        # feature maps and gradient descent: other lessons own them


def test_the_zeros_check_can_fail():
    assert ZEROS_KEPT.search("layer %{x}: %{y:.3g}") and ZEROS_KEPT.search("(%{x:.2f}, %{y:.2f})")
    assert not ZEROS_KEPT.search("%{z:.4~g}") and not ZEROS_KEPT.search("%{customdata}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_hover_template_writes_9_as_9_00(lang):
    kept = [k for k, text in catalog(lang).items() if ZEROS_KEPT.search(text) and not k.startswith(OTHERS)]
    assert not kept, kept


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_deep_gradient_bars_hover_with_the_page_numbers(lang):
    from app_pages.deep_gradients import views

    fig = views.norm_bars(Translator(lang), np.array([9.0, 0.5, 0.00123456, 0.0]), "x")
    bar = fig.data[0]
    assert list(bar.customdata) == ["9", "0.5", "0.00123", "0"]
    assert bar.hovertemplate.startswith("第 %{x} 层" if lang == "zh" else "layer %{x}")
    assert "%{customdata}" in bar.hovertemplate


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_class_map_and_window_bars_write_probabilities_like_the_text(lang):
    from app_pages.sliding_window import figures

    probs = np.zeros((10, 2, 3))
    probs[3] = [[1.0, 0.5, 0.25], [0.0, 0.123, 0.999]]
    fig = figures.class_map(Translator(lang), probs, 3, "x", 4)
    assert [list(r) for r in fig.data[0].customdata] == [["1", "0.50", "0.25"], ["0", "0.12", "1.00"]]
    assert ("窗口" in fig.data[0].hovertemplate) == (lang == "zh")
    bars = figures.window_probs(Translator(lang), np.array([1.0, 0.0, 0.5]), "x")
    assert list(bars.data[0].text) == ["1", "0", "0.50"]


def test_linear_points_hover_with_whole_numbers_whole():
    from app_pages.linear_classifier import figures

    x = np.array([[1.0, 2.0], [0.5, -1.25]])
    fig = figures.scene(Translator("zh"), x, np.array([0, 1]), 2, "x", (-3, 3, -3, 3), clickable=True)
    points = [d for d in fig.data if d.hovertemplate and "customdata[0]" in d.hovertemplate]
    assert [list(p) for p in points[0].customdata] == [["1", "2"]]
    assert [list(p) for p in points[1].customdata] == [["0.50", "-1.25"]]
    grid = fig.data[-1]
    assert "点击" in grid.hovertemplate and len(grid.customdata) == len(grid.x)


def test_tiny_numbers_as_powers_of_ten():
    from ui.fmt import sci

    assert sci(2.75e-12) == "2.75 × 10⁻¹²" and sci(-3e-7) == "−3 × 10⁻⁷" and sci(1.5e5) == "1.5 × 10⁵"
    assert sci(0.659) == "0.659" and sci(9.0) == "9" and sci(float("inf")) == "inf"
