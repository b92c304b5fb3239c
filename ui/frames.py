"""Animation drawn by the browser: Plotly frames with the chart's own Play / Pause buttons.

One mechanism for every player (issue 18 Major 2). A step of ``ui.player`` is a round trip to the
server and a redraw of every chart (1–3 s on a loaded school laptop); here the lesson sends, once, a
figure plus a list of small *frames*, and the browser plays them at ``FRAME_MS`` (about 14 frames a second)
with no server in the loop. The server's Step / Back / slider stay for exact positions.

A frame changes only what moves, so a long walk stays small: patches of some *scatter* traces (by
index), e.g. new ``x`` / ``y`` of a window outline, a marker ring, a cover over the cells not computed
yet, or the ``text`` of a caption drawn as a text trace. Frames change no layout: with a layout in its
frames the same walk drew 4.7 instead of 9.8 frames a second (measured under a load of 40 on two
cores), and Plotly's fast path (``redraw=False``) draws only scatter traces: heatmaps and contours are
kept on screen by a picture under them (:func:`keep_still`).

Usage::

    keys = [frames.frame(p, {3: dict(x=..., y=...), 4: dict(text=[caption(p)])}) for p in positions]
    frames.add_play(fig, frames.glide(keys, 3, moving={3}), *ui.player.play_labels(t))
"""

from __future__ import annotations

import base64
import math
import re

import numpy as np
import plotly.graph_objects as go

from ui.frames_still import NUMBER_CELL, keep_still  # noqa: F401  (NUMBER_CELL: part of this kit)

FRAME_MS = 70          # 14 frames per second asked; a loaded laptop draws fewer (keep well below 100 ms)


def spaced(lo, hi, most):
    """At most ``most`` positions from ``lo`` to ``hi`` (both included), evenly spaced integers."""
    if hi <= lo:
        return [lo]
    every = max(1, math.ceil((hi - lo) / max(1, most - 1)))
    return sorted({*range(lo, hi + 1, every), hi})


def typed(values, dtype="<f4"):
    """``values`` as a plotly.js typed-array spec (``{"dtype", "bdata"}``: base64 of float32 by default,
    with a ``shape`` for a 2-D array such as a contour's ``z``).

    For the numbers of many frames: about 5 characters a number instead of ~19 in a JSON list, and
    nothing for Plotly to copy or convert (validating and deep-copying long lists cost most of a rerun)."""
    arr = np.ascontiguousarray(values, dtype=dtype)
    spec = {"dtype": arr.dtype.str[1:],           # "f4", "f8", "i4", ... (plotly.js names, little-endian)
            "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:
        spec["shape"] = ",".join(str(n) for n in arr.shape)
    return spec


class Plain(go.Figure):
    """A figure written directly as Plotly's JSON (dicts, lists, :func:`typed` arrays), for a chart built on
    every rerun: ``st.plotly_chart`` takes it as a figure (``to_dict``) and sends it as it is, without
    Plotly's validation and deep copies (two thirds of the gradient-descent rerun, issue 15). The tests
    check such figures against Plotly's validation (:meth:`figure`).

    The ``go.Figure`` part stays empty: the figure is ``spec`` (``ui.figures`` copies it through ``to_dict``)."""

    def __init__(self, spec):
        super().__init__()
        self._spec = spec

    @property
    def spec(self):
        return self._spec

    def to_dict(self):
        return self._spec

    def to_plotly_json(self):
        return self._spec

    def figure(self):
        """The same figure as a validated ``go.Figure`` (slow: for tests and projector fonts)."""
        return go.Figure(self._spec)


def frame(name, data):
    """One frame: ``data`` maps the index of a scatter trace to its patch (a dict of new values)."""
    return {"name": str(name), "traces": list(data), "data": [dict(v) for v in data.values()]}


def _mix(a, b, f):
    """``a`` moved a fraction ``f`` of the way to ``b``: numbers (also inside lists of the same length)
    slide; anything else (text, colours, ``None`` gaps, lists that change length) keeps ``a``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a + (b - a) * f
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return [_mix(x, y, f) for x, y in zip(a, b)]
    return a


def glide(keys, sub, moving=()):
    """Key frames with ``sub - 1`` frames in between: the traces ``moving`` slide from one key to the
    next (a window gliding to its next cell); every other change appears when the key frame arrives.
    Returns the frames to play (the first key frame first)."""
    out = [keys[0]] if keys else []
    for prev, key in zip(keys, keys[1:]):
        patches = dict(zip(prev["traces"], prev["data"]))
        nxt = dict(zip(key["traces"], key["data"]))
        for j in range(1, sub):
            f = j / sub
            # only what slides: the browser has less to draw on the frames in between
            data = {i: {k: _mix(v, nxt.get(i, {}).get(k), f) for k, v in p.items()}
                    for i, p in patches.items() if i in moving}
            out.append(frame(f"{key['name']}~{j}", data))
        out.append(key)
    return out


class _Built:
    """A frame this module built (plain lists, numbers and text under known keys), stored without Plotly's
    validation: validating ~150 frames took 0.5–2 s on every step of a player."""

    __slots__ = ("_props",)

    def __init__(self, props):
        self._props = props


def _set_frames(fig, frames):
    if isinstance(getattr(fig, "_frame_objs", None), (list, tuple)):   # plotly's store (to_dict, to_json)
        fig._frame_objs = tuple(_Built(f) for f in frames)
    else:                                                     # another plotly: its own (slower) setter
        fig.frames = frames



def add_play(fig, frames, play_text, pause_text, *, frame_ms=FRAME_MS, x=0.0, y=1.0, xanchor="left",
             yanchor="bottom", pad_below=2):
    """Give ``fig`` the ``frames`` and a Play / Pause button pair (translated labels); returns ``fig``.
    Heatmaps and contours are kept on screen while the frames play (:func:`keep_still`); frames name the
    traces they change by index, so call this after the last trace was added.

    The buttons sit above the plot's top left corner by default (``x``, ``y`` in paper units), where no
    cell or path is hidden under them; ``pad_below`` pixels keep them clear of titles."""
    keep_still(fig)
    _set_frames(fig, frames)
    fig.update_layout(updatemenus=[play_menu(play_text, pause_text, frame_ms=frame_ms, x=x, y=y,
                                             xanchor=xanchor, yanchor=yanchor, pad_below=pad_below)])
    return fig


def play_menu(play_text, pause_text, *, frame_ms=FRAME_MS, x=0.0, y=1.0, xanchor="left", yanchor="bottom",
              pad_below=2):
    """The Play / Pause button pair of :func:`add_play` as a plain ``layout.updatemenus`` entry."""
    play = dict(frame=dict(duration=frame_ms, redraw=False), transition=dict(duration=0), fromcurrent=True,
                mode="immediate")
    stop = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    return dict(
        type="buttons", direction="left", x=x, y=y, xanchor=xanchor, yanchor=yanchor, showactive=False,
        bgcolor="rgba(255,255,255,0.9)", bordercolor="#94a3b8", font=dict(color="#111827", size=16),
        pad=dict(t=2, r=4, b=pad_below), name="play",
        buttons=[dict(label="▶ " + play_text, method="animate", args=[None, play]),
                 dict(label="■ " + pause_text, method="animate", args=[[None], stop])])


# ----------------------------------------------------------------------------- pieces that move on grids
def box(r0, r1, c0, c1, pad=0.5):
    """The outline of cells ``r0..r1`` x ``c0..c1`` as a closed path ``(xs, ys)`` (a scatter trace)."""
    return ([c0 - pad, c1 + pad, c1 + pad, c0 - pad, c0 - pad],
            [r0 - pad, r0 - pad, r1 + pad, r1 + pad, r0 - pad])


def boxes(cells, pad=0.45):
    """Outlines of single cells ``[(r, c), ...]`` as one path with gaps (``None``) between them."""
    xs, ys = [], []
    for r, c in cells:
        bx, by = box(r, r, c, c, pad)
        xs += bx + [None]
        ys += by + [None]
    return xs, ys


def not_yet_cells(r, c, rows, cols):
    """The cells after ``(r, c)`` in reading order (the rest of row ``r``, every row below) as one
    closed polygon ``(xs, ys)`` of seven points, empty when ``(r, c)`` is the last cell."""
    return ([c + 0.5, cols - 0.5, cols - 0.5, -0.5, -0.5, c + 0.5, c + 0.5],
            [r - 0.5, r - 0.5, rows - 0.5, rows - 0.5, r + 0.5, r + 0.5, r - 0.5])


WRAP_WIDTH = 40        # Latin letters of a 16 px title across a whole phone-wide chart (~350 px)


def _width(text):
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)   # a Chinese character is as wide as two letters


def wrap(text, share):
    """A title over a plot ``share`` of the chart's width, broken into lines of about equal width that fit a
    phone (at spaces; Chinese between characters). Lines the text already breaks (``<br>``) stay."""
    limit = max(8.0, share * WRAP_WIDTH)
    out = []
    for part in str(text).split("<br>"):
        if _width(part) <= limit:
            out.append(part)
            continue
        # a Chinese character is a token of its own, a Latin word with its spaces another; closing
        # punctuation stays with what it closes
        tokens = re.findall(r"[\u2e80-\uffff][）)，。：、；]?\s*|[^\s\u2e80-\uffff]+\s*", part)
        lines = math.ceil(_width(part) / limit)
        target = min(limit, 1.25 * _width(part) / lines)        # lines of about equal width
        line = ""
        for tok in tokens:
            if line and _width(line + tok.rstrip()) > target:
                out.append(line.rstrip())
                line = ""
            line += tok
        out.append(line.rstrip())
    return "<br>".join(out)



def side_by_side(figs, weights, gap=0.06, title_shift=0, extra=(), **layout):
    """Put one-plot figures (e.g. ``ui.figures.grid``) side by side in one figure, so that one set of frames
    animates them together. ``weights`` give the widths; each title becomes an annotation above its plot
    (frames never change the layout); ``extra`` traces (dicts naming their axes
    ``x``/``y``, ``x2``/``y2``, ...) and ``layout`` are added. Built with one constructor call (each
    ``update_layout`` validates the whole layout again). Returns the figure."""

    total = float(sum(weights))
    span = 1.0 - gap * (len(figs) - 1)
    x, data, axes, shapes, notes, images = 0.0, [], {}, [], [], []
    for n, (fig, w) in enumerate(zip(figs, weights), 1):
        sx = "" if n == 1 else str(n)
        d0, d1 = x, x + span * w / total
        x = d1 + gap
        data += [{**trace.to_plotly_json(), "xaxis": f"x{sx}", "yaxis": f"y{sx}"} for trace in fig.data]
        xa = fig.layout.xaxis.to_plotly_json()
        ya = fig.layout.yaxis.to_plotly_json()
        xa.update(domain=[d0, d1], anchor=f"y{sx}")
        ya.update(anchor=f"x{sx}")
        if ya.get("scaleanchor"):
            ya["scaleanchor"] = f"x{sx}"
        axes[f"xaxis{sx}"], axes[f"yaxis{sx}"] = xa, ya
        shapes += [{**sh.to_plotly_json(), "xref": f"x{sx}", "yref": f"y{sx}"} for sh in fig.layout.shapes]
        images += [{**im.to_plotly_json(), "xref": f"x{sx}", "yref": f"y{sx}"} for im in fig.layout.images]
        text = fig.layout.title.text
        if text:
            notes.append(dict(text=wrap(text, d1 - d0), x=(d0 + d1) / 2, y=1.0, xref="paper", yref="paper",
                              xanchor="center", yanchor="bottom", yshift=title_shift, showarrow=False,
                              font=dict(size=16)))
    layout = {"shapes": shapes, "annotations": notes, "images": images, **axes, **layout}
    return go.Figure(data=data + list(extra), layout=layout)


WALK_KEYS = 120        # a walk over output cells shows at most this many cells (an image has ~1,500)
WALK_GLIDE = 3         # frames per cell when every cell is shown (the window glides between cells)
NOT_YET = "#64748b"    # slate: output cells not computed yet (readable in light and dark themes)
WINDOW, CELL = "#f59e0b", "#ef4444"   # amber window, red output cell (the colours of ui.figures)


def grid_walk(left, right, out_shape, window, caption, idx, *, not_yet, play, pause):
    """A window walking over the input grid ``left`` while the output grid ``right`` fills in reading order.

    Parameters
    ----------
    left, right : one-grid figures (``ui.figures.grid``) of the input and of the whole output
    out_shape : (rows, cols) of the output; cell ``i`` is ``divmod(i, cols)``
    window : callable(i) -> (xs, ys), the window's outline path on ``left`` for output cell ``i``
    caption : callable(i) -> str, the translated line shown under the input for cell ``i``
    idx : the cell the figure shows first (the server player's position)
    not_yet, play, pause : translated legend and button labels

    The browser plays the whole walk (at most ``WALK_KEYS`` cells); the window glides when every cell is
    shown. Returns the figure.
    """
    oh, ow = out_shape
    lh, lw = (len(left.data[0].z), len(left.data[0].z[0]))

    def moment(i):
        r, c = divmod(i, ow)
        return [dict(zip("xy", window(i))), dict(zip("xy", not_yet_cells(r, c, oh, ow))),
                dict(zip("xy", box(r, r, c, c))), dict(text=[wrap(caption(i), 1.0)])]

    styles = [dict(xaxis="x", yaxis="y", mode="lines", line=dict(color=WINDOW, width=4)),
              # on the output's own axes (an overlaid axis pair lost the output's domain when the grid was
              # narrower than its share: the cover slid off the cells); the numbers are a text trace
              # (ui.figures.grid), drawn before it, so the cover hides the cells not computed yet
              dict(xaxis="x2", yaxis="y2", mode="lines", fill="toself", fillcolor=NOT_YET, line=dict(width=0),
                   name=not_yet, showlegend=True),
              dict(xaxis="x2", yaxis="y2", mode="lines", line=dict(color=CELL, width=4)),
              dict(xaxis="x", yaxis="y", mode="text", x=[-0.5], y=[lh - 0.5], textposition="bottom right",
                   cliponaxis=False, textfont=dict(size=16))]
    small = lh * lw <= 400                      # column numbers are shown above the grids
    # from the plot's top up: the column numbers, a gap, the titles (one or two lines), a gap, the buttons
    shift = (NUMBERS_PX if small else 0) + TITLE_GAP
    gap = 0.1                                   # room for the right grid's row numbers on a phone
    lines = max(wrap(str(f.layout.title.text or ""), (1 - gap) * w / (lw + ow)).count("<br>") + 1
                for f, w in ((left, lw), (right, ow)))      # as side_by_side wraps them
    below_buttons = shift + TITLE_LINE_PX * lines + TITLE_GAP
    fig = side_by_side(
        [left, right], [lw, ow], gap=gap, title_shift=shift,
        extra=[{"type": "scatter", "hoverinfo": "skip", "showlegend": False, **s, **p}
               for s, p in zip(styles, moment(idx))],
        height=int(min(560, max(300, 30 * max(lh, oh) + 170)) + below_buttons - 30), showlegend=True,
        legend=dict(orientation="h", x=1.0, xanchor="right", y=-0.14),
        margin=dict(l=10, r=10, t=below_buttons + BUTTONS_PX, b=70))
    first = len(fig.data) - len(styles)
    keys = [frame(i, dict(enumerate(moment(i), first))) for i in spaced(0, oh * ow - 1, WALK_KEYS)]
    add_play(fig, glide(keys, WALK_GLIDE if len(keys) == oh * ow else 1, moving={first}), play, pause,
             y=1.0, yanchor="bottom", pad_below=below_buttons)
    return fig


NUMBERS_PX = 24        # the column numbers above a small grid (ui.figures.grid)
TITLE_GAP = 8          # between the numbers and a title, and between a title and the buttons
TITLE_LINE_PX = 21     # one line of a 16 px title
BUTTONS_PX = 40        # the Play / Pause buttons
