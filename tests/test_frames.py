"""ui/frames.py: the browser animation kit, checked against Plotly's own colour sampling and brute force."""

import base64
import io

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go
from PIL import Image

from ui import figures, frames


def _picture(uri):
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA"))


def test_spaced_positions_cover_the_range_evenly():
    for lo, hi, most in [(1, 25, 120), (1, 1444, 120), (0, 7, 3), (5, 5, 10), (0, 100, 101)]:
        got = frames.spaced(lo, hi, most)
        assert got[0] == lo and got[-1] == hi and len(got) <= max(most, 2)
        assert got == sorted(set(got))
        if hi - lo + 1 <= most:
            assert got == list(range(lo, hi + 1))                        # every position when they fit


def test_glide_slides_only_the_moving_trace_and_keeps_the_keys():
    keys = [frames.frame(0, {3: {"x": [0.0, 1.0]}, 4: {"text": ["a"]}}),
            frames.frame(1, {3: {"x": [2.0, 3.0]}, 4: {"text": ["b"]}})]
    out = frames.glide(keys, 4, moving={3})
    assert [f["name"] for f in out] == ["0", "1~1", "1~2", "1~3", "1"]
    assert out[0] is keys[0] and out[-1] is keys[1]
    assert out[2]["traces"] == [3] and out[2]["data"] == [{"x": [1.0, 2.0]}]   # halfway, nothing else sent


def test_keep_still_paints_the_cells_as_plotly_samples_its_colour_scale():
    z = np.arange(12, dtype=float).reshape(3, 4)
    z[1, 2] = np.nan
    fig = figures.grid(z, "t", numbers=False, diverging=False)
    frames.keep_still(fig)
    (img,) = fig.layout.images
    assert (img.x, img.y, img.sizex, img.sizey) == (-0.5, -0.5, 4, 3) and img.layer == "below"
    pic = _picture(img.source)
    assert pic.shape[:2] == (3, 4)                                       # one pixel per cell without gaps
    want = pc.sample_colorscale(pc.get_colorscale("Viridis"), [(v - 0) / 11 for v in z[np.isfinite(z)]],
                                colortype="tuple")
    got = pic[np.isfinite(z)][:, :3] / 255.0
    assert np.max(np.abs(got - np.array(want))) < 2 / 255
    assert pic[1, 2, 3] == 0                                             # an empty cell stays transparent


def test_keep_still_keeps_the_numbers_on_screen():
    """While frames play, a grid's numbers must stay: written into the picture when the heatmap carries them,
    or drawn by a text scatter trace (the kit's grid), which Plotly keeps during a frame."""
    z = np.array([[0.0, 9.0], [9.0, 0.0]])
    with_numbers = figures.grid(z, numbers=True)
    without = figures.grid(z, numbers=False)
    for fig in (with_numbers, without):
        frames.keep_still(fig)
    text_traces = [d for d in with_numbers.data if d.type == "scatter" and d.mode == "text"]
    if text_traces:
        assert [str(v) for v in text_traces[0].text] == ["0", "9", "9", "0"]
        assert not [d for d in without.data if d.type == "scatter" and d.mode == "text"]
        return
    a = _picture(with_numbers.layout.images[0].source).astype(int)
    b = _picture(without.layout.images[0].source)
    assert a.shape[0] == 2 * frames.NUMBER_CELL
    cell = frames.NUMBER_CELL
    centre = a[cell // 4:3 * cell // 4, cell // 4:3 * cell // 4]        # the middle of cell (0, 0)
    plain = np.repeat(np.repeat(b, cell, 0), cell, 1)[cell // 4:3 * cell // 4, cell // 4:3 * cell // 4]
    assert np.abs(centre - plain).max() > 100                            # "0" is written there


def test_a_contour_becomes_a_banded_picture_over_its_own_extent():
    xs, ys = np.linspace(-2, 2, 21), np.linspace(-1, 3, 11)
    z = np.add.outer(ys, xs)
    fig = go.Figure(go.Contour(x=xs, y=ys, z=z, ncontours=8, colorscale="Viridis"))
    frames.keep_still(fig)
    (img,) = fig.layout.images
    assert (img.x, img.y, img.sizex, img.sizey) == (-2, 3, 4, 4)
    pic = _picture(img.source)
    assert len({tuple(p) for p in pic.reshape(-1, 4)}) <= 9             # bands, not a smooth ramp
    assert pic[0, -1, :3].sum() > pic[-1, 0, :3].sum()                  # top right (highest) is brightest


def test_frames_are_stored_without_plotly_validation_and_serialise():
    fig = go.Figure(go.Scatter(x=[0], y=[0]))
    frames.add_play(fig, [frames.frame(k, {0: {"x": [k], "y": [k]}}) for k in range(3)], "Play", "Pause")
    d = fig.to_dict()
    assert [f["name"] for f in d["frames"]] == ["0", "1", "2"]
    assert d["frames"][2]["data"] == [{"x": [2], "y": [2]}]
    assert d["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]["redraw"] is False
    fig.to_json()


def test_titles_wrap_to_fit_their_plot_on_a_phone():
    for text, share in [("Padded input (number = how many windows read the cell)", 0.57),
                        ("Output 3 × 3 (filled in window order)", 0.33), ("填充后的输入与当前窗口", 0.5),
                        ("第 1 个窗口（共 9 个）：它产生输出格（第 0 行，第 0 列）。", 1.0)]:
        lines = frames.wrap(text, share).split("<br>")
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")       # nothing lost
        assert all(frames._width(line) <= max(8, share * frames.WRAP_WIDTH) for line in lines)
        assert not any(line[:1] in "）)，。：" for line in lines)                # no line opens with a closer
    assert frames.wrap("Output so far", 0.38) == "Output so far"
    assert frames.wrap("填充后的输入与当前窗口", 0.5) == "填充后的输入<br>与当前窗口"   # about equal lines


def test_walk_titles_sit_above_the_column_numbers_and_below_the_buttons():
    grid = figures.grid(np.arange(49).reshape(7, 7), title="Padded input (number = how many windows read the cell)")
    out = figures.grid(np.zeros((3, 3)), title="Output so far")
    fig = frames.grid_walk(grid, out, (3, 3), lambda i: frames.box(0, 2, 0, 2), lambda i: f"cell {i}", 0,
                           not_yet="not yet", play="Play", pause="Pause")
    titles = [a for a in fig.layout.annotations if a.yanchor == "bottom" and a.yref == "paper"]
    lines = max(a.text.count("<br>") + 1 for a in titles)
    assert lines >= 2
    assert all(a.yshift >= frames.NUMBERS_PX + frames.TITLE_GAP for a in titles)   # clear of the numbers
    pad = fig.layout.updatemenus[0].pad.b                     # the buttons' bottom, above the plot's top
    assert pad >= titles[0].yshift + lines * frames.TITLE_LINE_PX
    assert fig.layout.margin.t >= pad + frames.BUTTONS_PX
