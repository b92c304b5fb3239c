"""The one confusion-matrix figure (ui/confusion.py) that the training and own-classes lessons share."""

import numpy as np

from cnnlab.nn.train import confusion_matrix
from ui.confusion import confusion
from ui.i18n import catalog


def test_cells_are_the_counts_counted_by_hand_rows_true_columns_predicted():
    true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    pred = [0, 1, 0, 1, 1, 2, 0, 2, 1]
    # by hand: class 0 -> 0,1,0; class 1 -> 1,1; class 2 -> 2,0,2,1
    by_hand = [[2, 1, 0], [0, 2, 0], [1, 1, 2]]
    fig = confusion(confusion_matrix(np.array(true), np.array(pred), 3), ["a", "b", "c"], catalog("en").get)
    heat = fig.data[0]
    assert np.asarray(heat.z).tolist() == by_hand
    assert list(heat.x) == ["a", "b", "c"] and list(heat.y) == ["a", "b", "c"]
    assert fig.layout.yaxis.autorange == "reversed"            # the first class on the top row


def test_titles_and_axes_in_the_page_language_and_each_lessons_title():
    zh = catalog("zh")
    t = lambda key, **kw: zh[key]  # noqa: E731
    for key in ("train.confusion_title", "own.confusion_title"):
        fig = confusion([[1, 0], [0, 1]], ["猫", "狗"], t, title_key=key)
        assert fig.layout.title.text == zh[key]
        assert fig.layout.xaxis.title.text == "预测类别" and fig.layout.yaxis.title.text == "真实类别"
        assert "真实" in fig.data[0].hovertemplate


def test_both_lessons_draw_this_figure():
    from app_pages.own_classes import figures as own
    from app_pages.training import figures as training
    assert own.confusion.func is confusion and training.confusion.func is confusion


def test_counts_are_written_large_and_with_aa_contrast_on_their_cells():
    """Each count in its cell at 16 px for 10 classes, black or white by the cell's colour (>= 4.5:1, WCAG
    AA), checked with the published contrast formula (tests/test_kit.py) on the colour Plotly paints."""
    from plotly.colors import sample_colorscale, unlabel_rgb

    from ui.figures import SEQUENTIAL, contrast

    m = np.arange(100).reshape(10, 10) * 3 % 110                # every shade of the scale
    fig = confusion(m, list(range(10)), catalog("en").get)
    text = next(d for d in fig.data if d.type == "scatter" and d.mode == "text")
    assert text.textfont.size >= 16
    written = {(y, x): int(s) for x, y, s in zip(text.x, text.y, text.text)}
    assert written == {(r, c): int(m[r, c]) for r in range(10) for c in range(10)}
    for x, y, colour in zip(text.x, text.y, text.textfont.color):
        cell = unlabel_rgb(sample_colorscale(SEQUENTIAL, [m[y, x] / m.max()])[0])
        ink = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert contrast(cell, ink) >= 4.5, (m[y, x], cell, colour)
