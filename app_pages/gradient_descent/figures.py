"""Figures of the gradient-descent lesson: contour maps with paths, loss curves, a 3-D view.

Pages pass arrays from ``cnnlab`` and translated text; nothing here computes a path.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui import frames as ui_frames

COLORS = {"sgd": "#ef4444", "momentum": "#f59e0b", "nesterov": "#22c55e", "adagrad": "#a855f7",
          "rmsprop": "#ec4899", "adam": "#38bdf8", "bgd": "#22c55e", "minibatch": "#f59e0b",
          "small": "#38bdf8", "right": "#22c55e", "large": "#ef4444",
          "random_search": "#f59e0b", "random_local": "#a855f7", "follow_slope": "#22c55e",
          "constant": "#94a3b8", "step": "#38bdf8", "linear": "#ef4444", "cosine": "#a855f7",
          "cyclic": "#f59e0b"}
CONTOUR_SCALE = [[0.0, "#0b1d51"], [0.25, "#2a4f8f"], [0.5, "#4f8fb5"], [0.75, "#9cc9d8"],
                 [1.0, "#eef6f5"]]
CLICK_GRID = 33


def level_values(z, log_levels, floor=None):
    """What the contour shows: ``z`` itself, or ``log10(z - floor + delta)`` for log-spaced levels.

    Returns ``(shown, tickvals, ticktext)``; the ticks label the colour bar in
    the surface's own units.
    """
    z = np.asarray(z, dtype=float)
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return np.zeros_like(z), None, None
    lo = float(finite.min()) if floor is None else min(float(floor), float(finite.min()))
    if not log_levels:
        hi = float(np.percentile(finite, 98))
        return np.clip(np.where(np.isfinite(z), z, hi), lo, hi), None, None
    span = float(finite.max()) - lo
    delta = max(span * 1e-6, 1e-12)
    shown = np.log10(np.where(np.isfinite(z), z, finite.max()) - lo + delta)
    exps = np.arange(np.floor(shown.min()), np.ceil(shown.max()) + 1)
    ticks = [e for e in exps if shown.min() <= e <= shown.max()]
    return shown, ticks, [f"{lo + 10 ** e:.3g}" for e in ticks]


def _frame(path, frame):
    n = len(path.points) if frame is None else min(len(path.points), frame + 1)
    return path.points[:n]


_STATIC = {}                          # (surface grid, levels) -> (contour trace, pictures): see _static


def _static(xs, ys, z, log_levels, floor, colorbar):
    """The contour trace and the picture that keeps it on screen while frames play (ui.frames.keep_still),
    as plain JSON: built once per surface and floor, then shared by every rerun (a steps change redraws
    only the paths)."""
    z = np.asarray(z, dtype=float)
    key = (hash(z.tobytes()), hash(np.asarray(xs, float).tobytes()), hash(np.asarray(ys, float).tobytes()),
           z.shape, bool(log_levels), None if floor is None else float(floor), bool(colorbar))
    if key not in _STATIC:
        shown, tickvals, ticktext = level_values(z, log_levels, floor)
        fig = go.Figure(go.Contour(
            x=xs, y=ys, z=shown, colorscale=CONTOUR_SCALE, ncontours=28, opacity=0.9, showscale=colorbar,
            line=dict(width=0.6, color="rgba(255,255,255,0.45)"), hoverinfo="skip",
            colorbar=dict(thickness=COLORBAR_THICK, tickvals=tickvals, ticktext=ticktext, len=0.9,
                          orientation="h", x=0.5, xanchor="center", yanchor="top", yref="container",
                          ypad=0, outlinewidth=0, tickfont=dict(size=12))))
        ui_frames.keep_still(fig)
        d = fig.to_dict()
        if len(_STATIC) > 32:
            _STATIC.clear()
        _STATIC[key] = (d["data"][0], d["layout"].get("images", []))
    return _STATIC[key]


def _click_grid(xs, ys, hover):
    """An invisible grid of points that a click selects (the start point)."""
    gx, gy = np.meshgrid(np.linspace(xs[0], xs[-1], CLICK_GRID), np.linspace(ys[0], ys[-1], CLICK_GRID))
    return dict(type="scatter", x=ui_frames.typed(gx.ravel(), "<f8"), y=ui_frames.typed(gy.ravel(), "<f8"),
                mode="markers", name="click", showlegend=False, marker=dict(size=14, color="rgba(0,0,0,0)"),
                hovertemplate=hover + "<extra></extra>", selected=dict(marker=dict(opacity=0)),
                unselected=dict(marker=dict(opacity=0)))


def _xy(pts, dtype="<f4"):
    return dict(x=ui_frames.typed(pts[:, 0], dtype), y=ui_frames.typed(pts[:, 1], dtype))


PLOT_PX = 300          # the square map's side when its column is wide enough (at 1024 px its column gives ~265)
AXIS_PX = 50           # under the plot: the x-axis numbers and title
COLORBAR_THICK = 10    # the colour bar lies under the map (the column's width is what limits the square)
COLORBAR_PX = 40       # the bar and its numbers
LEGEND_ROW_PX = 20     # one row of the legend (12 px names)
LEGEND_PX = 260        # the legend's width in the narrowest column (1024 px: the map's column is ~330 px)
BUTTONS_PX = 48        # the Play / Pause buttons above the plot (beside its title they would hide the start ★)


def _legend_rows(labels):
    """Rows of a horizontal legend of ``labels`` in ``LEGEND_PX``: when the names do not fit in one row,
    Plotly puts them in columns as wide as the widest entry (a 30 px line, the name in 12 px letters,
    a Chinese character counting as two)."""
    if not labels:
        return 0
    widths = [48 + 6.5 * sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text)) for text in labels]
    if sum(widths) <= LEGEND_PX:
        return 1
    per_row = max(1, int(LEGEND_PX // max(widths)))
    return -(-len(labels) // per_row)


def _bottom_px(labels, legend, colorbar):
    rows = _legend_rows(labels) if legend else 0
    return AXIS_PX + (COLORBAR_PX if colorbar else 0) + (LEGEND_ROW_PX * rows + 6 if rows else 0)


def contour_figure(xs, ys, z, log_levels, paths, names, *, frame=None, minima=(), start=None,
                   click=False, title="", height=None, axis=("x", "y"), click_hover="", floor=None,
                   tried=None, legend=True, colorbar=True, play=None):
    """Contour map of a surface with the walk of each path up to ``frame``, as a plain figure
    (:class:`ui.frames.Plain`: written as Plotly's JSON, the contour built once per surface).

    Parameters
    ----------
    xs : (n,) array, ys : (m,) array, z : (m, n) array of surface values
    paths : dict key -> DescentPath (keys pick the colours), names : dict key -> legend text
    click : bool, add an invisible grid of points that a click selects (the start point)
    tried : dict key -> (M, 2) array of candidate points (search methods)
    play : optional ``(positions, play_text, pause_text)``: Plotly frames and a play control, so that
        the browser animates the walk by itself (only the paths change; the contour is sent once)
    height : the chart's height in px; by default the height that a square map of ``PLOT_PX`` needs with
        its title, buttons, axis, colour bar and legend (all above or under the map, none beside it:
        in a column of 1024 px the width is what limits the square, issue 18)
    """
    contour, images = _static(xs, ys, z, log_levels, floor, colorbar)
    top = (40 if title else 10) + (BUTTONS_PX if play is not None else 0)
    bottom = _bottom_px([names.get(k, k) for k in paths], legend, colorbar)
    height = height or top + PLOT_PX + bottom
    if colorbar:                      # the bar's place depends on the height (the cached trace stays as it is)
        contour = {**contour, "colorbar": {**contour["colorbar"], "y": (bottom - AXIS_PX) / height}}
    data = [contour]
    if click:
        data.append(_click_grid(xs, ys, click_hover))
    for key, pts in (tried or {}).items():
        data.append(dict(type="scatter", **_xy(pts, "<f8"), mode="markers", hoverinfo="skip", showlegend=False,
                         marker=dict(size=4, color=COLORS.get(key, "#ccc"), opacity=0.45)))
    moving = []                        # (trace index, path, head?) of the traces a frame changes
    for key, path in paths.items():
        pts = _frame(path, frame)
        color = COLORS.get(key, "#f8fafc")
        moving.append((len(data), path, False))
        data.append(dict(type="scatter", **_xy(pts, "<f8"), mode="lines+markers", name=names.get(key, key),
                         line=dict(color=color, width=2.5), marker=dict(size=4, color=color),
                         hovertemplate=f"{names.get(key, key)}<br>%{{x:.3f}}, %{{y:.3f}}<extra></extra>",
                         showlegend=legend))
        if len(pts):
            moving.append((len(data), path, True))
            data.append(dict(type="scatter", **_xy(pts[-1:], "<f8"), mode="markers", showlegend=False,
                             hoverinfo="skip", marker=dict(size=12, color=color, line=dict(width=2, color="white"))))
    if minima:
        m = np.asarray(minima, dtype=float)
        data.append(dict(type="scatter", x=m[:, 0].tolist(), y=m[:, 1].tolist(), mode="markers", showlegend=False,
                         hoverinfo="skip", marker=dict(symbol="x", size=11, color="white",
                                                       line=dict(width=1, color="black"))))
    if start is not None:
        data.append(dict(type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers",
                         showlegend=False, hoverinfo="skip",
                         marker=dict(symbol="star", size=16, color="#fde047", line=dict(width=1, color="black"))))
    legend_top = bottom - AXIS_PX - (COLORBAR_PX if colorbar else 0)
    layout = dict(title=dict(text=title, x=0.5, xanchor="center", y=1.0, yanchor="top", yref="container",
                             pad=dict(t=10)), height=height,
                  margin=dict(l=4, r=4, t=top, b=bottom), hovermode="closest",
                  legend=dict(orientation="h", x=0.0, xanchor="left", y=legend_top / height, yanchor="top",
                              yref="container", itemwidth=30, font=dict(size=12)),
                  clickmode="event+select", images=list(images),
                  xaxis=dict(range=[float(xs[0]), float(xs[-1])], title=dict(text=axis[0]), showgrid=False,
                             zeroline=False, constrain="domain"),
                  yaxis=dict(range=[float(ys[0]), float(ys[-1])], title=dict(text=axis[1]), showgrid=False,
                             zeroline=False, scaleanchor="x", constrain="domain", constraintoward="top"))
    spec = dict(data=data, layout=layout)
    if play is not None and moving:
        positions, play_text, pause_text = play
        spec["frames"] = path_frames(moving, positions)
        layout["updatemenus"] = [ui_frames.play_menu(play_text, pause_text, frame_ms=FRAME_MS, x=0.0, y=1.0,
                                                     yanchor="bottom", pad_below=10)]
    return ui_frames.Plain(spec)


FRAME_MS = 50                          # 20 frames per second, drawn by the browser (only the paths move)


def path_frames(moving, positions):
    """Plotly frames (one per position) that redraw only the path traces ``moving`` (``(trace index,
    path, head?)``): each line up to the position, each head at it, as float32 typed arrays."""
    keys = []
    for pos in positions:
        data = {}
        for i, path, head in moving:
            pts = _frame(path, pos)
            data[i] = _xy(pts[-1:] if head else pts)
        keys.append(ui_frames.frame(pos, data))
    return keys


def loss_figure(paths, names, floor, *, frame=None, title="", xlabel="", ylabel="", height=520, share=1.0):
    """``f - f*`` against the iteration for every path, log scale (f* = the lowest value known); a plain
    figure (:class:`ui.frames.Plain`). ``share``: the chart's width as a share of a phone's, for the title
    to wrap (a column of two fifths at 1024 px is narrower than a phone)."""
    title = ui_frames.wrap(title, share)
    top = 10 + 22 * (title.count("<br>") + 1) if title else 10
    data = []
    for key, path in paths.items():
        n = len(path.losses) if frame is None else min(len(path.losses), frame + 1)
        gap = np.maximum(path.losses[:n] - floor, 1e-16)
        data.append(dict(type="scatter", x=ui_frames.typed(np.arange(n), "<i4"), y=ui_frames.typed(gap, "<f8"),
                         mode="lines", name=names.get(key, key), line=dict(color=COLORS.get(key), width=2.5)))
    steps = max((len(p.losses) for p in paths.values()), default=1)
    layout = dict(title=dict(text=title, x=0.5, xanchor="center"), height=height,
                  margin=dict(l=10, r=10, t=top + 8 if title else 10, b=10),
                  xaxis=dict(title=dict(text=xlabel), range=[0, max(steps - 1, 1)]),
                  yaxis=dict(title=dict(text=ylabel), type="log", exponentformat="power"),
                  legend=dict(orientation="h", yanchor="top", y=-0.38))
    return ui_frames.Plain(dict(data=data, layout=layout))


def surface3d_figure(xs, ys, z, log_levels, paths, names, *, frame=None, floor=None, title="", height=520,
                     axis=("x", "y", "f")):
    """The surface in 3-D (log-scaled height where the contour uses log levels) with the paths on it."""
    shown, _, _ = level_values(z, log_levels, floor)
    lo = float(np.nanmin(np.asarray(z, dtype=float))) if floor is None else float(floor)
    span = float(np.nanmax(z) - lo) if np.isfinite(np.nanmax(z)) else 1.0
    fig = go.Figure(go.Surface(x=xs, y=ys, z=shown, colorscale=CONTOUR_SCALE, opacity=0.9, showscale=False,
                               hoverinfo="skip"))
    x0, x1, y0, y1 = xs[0], xs[-1], ys[0], ys[-1]
    for key, path in paths.items():
        pts = _frame(path, frame)
        f = path.losses[:len(pts)]
        inside = (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
        pts, f = pts[inside], f[inside]   # a diverged path leaves the drawn window: show the part inside
        if log_levels:
            h = np.log10(np.maximum(f - lo, 0) + max(span * 1e-6, 1e-12))
        else:
            h = np.clip(f, None, float(np.max(shown)))
        fig.add_trace(go.Scatter3d(x=pts[:, 0], y=pts[:, 1], z=h, mode="lines+markers",
                                   name=names.get(key, key), line=dict(color=COLORS.get(key), width=6),
                                   marker=dict(size=2.5, color=COLORS.get(key))))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=height,
                      margin=dict(l=0, r=0, t=40 if title else 0, b=0),
                      scene=dict(xaxis=dict(title=axis[0], range=[x0, x1]),
                                 yaxis=dict(title=axis[1], range=[y0, y1]),
                                 zaxis_title=f"log10({axis[2]} − f*)" if log_levels else axis[2]),
                      legend=dict(orientation="h", y=-0.05))
    return fig


def schedule_figure(series, names, *, title="", xlabel="", ylabel="", height=260):
    """Learning rate against the step for each schedule or optimizer (``series``: key -> array)."""
    fig = go.Figure()
    for key, ys in series.items():
        fig.add_trace(go.Scatter(x=np.arange(len(ys)), y=ys, mode="lines", name=names.get(key, key),
                                 line=dict(color=COLORS.get(key), width=2)))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis_title=xlabel, yaxis_title=ylabel, legend=dict(orientation="h", y=-0.3))
    return fig


def data_figure(x, y, curves, names, *, title="", xlabel="x", ylabel="y", height=320):
    """The generated samples and the model each method ended with (``curves``: key -> (xs, ys))."""
    fig = go.Figure(go.Scatter(x=x, y=y, mode="markers", showlegend=False, hoverinfo="skip",
                               marker=dict(size=6, color="rgba(148,163,184,0.8)")))
    for key, (grid, yy) in curves.items():
        fig.add_trace(go.Scatter(x=grid, y=yy, mode="lines", name=names.get(key, key),
                                 line=dict(color=COLORS.get(key), width=2.5)))
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"), height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis_title=xlabel, yaxis_title=ylabel, legend=dict(orientation="h", y=-0.25))
    return fig
