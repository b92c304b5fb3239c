"""Views of the gradient-descent lesson: the animated map, the learning-rate panel, BGD vs SGD, search.

Each view takes plain results from :mod:`app_pages.gradient_descent.controls` and draws them;
every sentence goes through the translator ``t``.
"""

from __future__ import annotations

import streamlit as st

from app_pages.gradient_descent import figures as figs
from app_pages.gradient_descent.controls import ITER_KEY, on_map_click
from cnnlab.calculus import descent
from cnnlab.calculus.optim import SCHEDULES, make_schedule, schedule_values
from ui import figures
from ui import frames as ui_frames
from ui import player as ui_player
from ui.fmt import sig as _fmt

BROWSER_FRAMES = 60  # the map's own play control (Plotly frames, drawn by the browser at 20 per second): 3 s


def _reason(path):
    """The catalog suffix of a divergence: ``start`` when the start itself was no good, ``no_minimum`` when
    the surface has no minimum (whatever the learning rate), else how it diverged."""
    if path.step == 0:
        return "start"
    return "no_minimum" if getattr(path, "why", None) == "no_minimum" else path.diverged


def _last_loss(path):
    return _fmt(path.losses[-1]) if len(path.losses) else "—"


def divergence_notes(t, paths, names):
    """A translated warning for every path that diverged, with the step."""
    for key, path in paths.items():
        if path.diverged:
            st.warning(t(f"gd.diverged.{_reason(path)}", name=names[key], step=path.step),
                       icon=":material/warning:")


def _status(t, path):
    why = getattr(path, "why", None)
    if why in ("no_minimum", "flat"):
        return t(f"gd.status.{why}")
    return t(f"gd.status.{path.diverged or 'ok'}", step=path.step)


def results_table(t, paths, names, lrs=None):
    rows = []
    for key, path in paths.items():
        empty = len(path.points) == 0            # the start itself was no good
        end = "—" if empty else f"({path.points[-1][0]:.3f}, {path.points[-1][1]:.3f})"
        rows.append({t("gd.col.method"): names[key],
                     **({t("gd.col.lr"): _fmt(lrs[key])} if lrs else {}),
                     t("gd.col.steps"): path.steps, t("gd.col.end"): end,
                     t("gd.col.loss"): _last_loss(path),
                     t("gd.col.status"): _status(t, path)})
    st.dataframe(rows, hide_index=True, width="stretch")


def player(t, url, data, paths, names, floor, show3d, start):
    """Contour map and loss curves of all optimizers, played or stepped through together."""
    total = max((p.steps for p in paths.values()), default=0)

    def draw(frame):
        left, right = st.columns([3, 2])
        with left:
            fig = figs.contour_figure(data.xs, data.ys, data.z, data.log, paths, names,
                                      frame=frame, minima=data.minima, start=start, click=True,
                                      title=t("gd.map_title"), click_hover=t("gd.click_hover"),
                                      floor=floor,
                                      play=(ui_frames.spaced(0, total, BROWSER_FRAMES),
                                            *ui_player.play_labels(t)))
            figures.chart(st, fig, key="gd.map", on_select=lambda: on_map_click(url), selection_mode="points",
                            theme="streamlit", alt=t("gd.map_alt"))
            st.caption(t("gd.map_caption"))
        with right:
            figures.chart(st, figs.loss_figure(paths, names, floor, frame=frame, title=t("gd.loss_title"),
                                             xlabel=t("gd.iteration"), ylabel=t("gd.loss_axis"), share=0.6,
                                             height=fig.spec["layout"]["height"]),   # level with the map
                            theme="streamlit", key="gd.loss")
        if show3d:
            figures.chart(st, figs.surface3d_figure(data.xs, data.ys, data.z, data.log, paths,
                                                  names, frame=frame, floor=floor,
                                                  title=t("gd.surface3d_title")),
                            theme="streamlit", key="gd.surface3d")

    # one way to play: the map's own Play (the browser animates it); these controls pick one iteration
    ui_player.player(t, ITER_KEY, 0, max(total, 1), draw, label=t("gd.frame"), start=max(total, 1), buttons="gd",
                     link="it", hint="gd.play_hint",
                     whole_page=lambda: st.session_state.pop("gd._clicked", False))  # a new start: new paths


def regimes(t, data, lrs, paths, floor, start):
    """Too small, about right, too large: the same surface, start and plain gradient descent."""
    names = {k: t(f"gd.lr.{k}") for k in lrs}
    cols = st.columns(3)
    for col, (key, path) in zip(cols, paths.items()):
        with col:
            figures.chart(st, figs.contour_figure(data.xs, data.ys, data.z, data.log, {key: path},
                                                names, minima=data.minima, start=start, legend=False,
                                                colorbar=False,
                                                title=f"{names[key]}: η = {_fmt(lrs[key])}", height=340,
                                                floor=floor),
                            theme="streamlit", key=f"gd.regime.{key}")
            st.markdown(t(f"gd.lr.{key}.explain"))
            if path.diverged:
                st.error(t(f"gd.diverged.{_reason(path)}", name=f"η = {_fmt(lrs[key])}", step=path.step),
                         icon=":material/warning:")
            else:
                st.caption(t("gd.lr.outcome", steps=path.steps, loss=_fmt(path.losses[-1] - floor)))
    figures.chart(st, figs.loss_figure(paths, names, floor, title=t("gd.loss_title"), height=300,
                                     xlabel=t("gd.iteration"), ylabel=t("gd.loss_axis")),
                    theme="streamlit", key="gd.regime.loss")


def schedules(t, steps):
    """The learning-rate factor of every schedule over the chosen number of steps."""
    series = {s: schedule_values(make_schedule(s, steps), steps) for s in SCHEDULES}
    names = {s: t(f"gd.sched.{s}") for s in SCHEDULES}
    fig = figs.schedule_figure(series, names, title=t("gd.sched_title"), xlabel=t("gd.iteration"),
                               ylabel=t("gd.sched_axis"))
    figures.chart(st, fig, theme="streamlit", key="gd.schedules")
    st.markdown(t("gd.sched_text"))


def data_view(t, run, kind):
    """BGD, SGD and mini-batch on the contours of the full objective, the loss curves, the fitted models."""
    names = {m: t(f"gd.mode.{m}") for m in descent.MODES}
    paths = run.paths
    divergence_notes(t, paths, names)
    left, right = st.columns([3, 2])
    with left:
        figures.chart(st, figs.contour_figure(run.xs, run.ys, run.z, False, paths, names,
                                            minima=[run.minimum], start=run.start, floor=run.floor,
                                            title=t("gd.data.map_title"), axis=("w", "b")),
                        theme="streamlit", key="gd.data.map")
    with right:
        figures.chart(st, figs.loss_figure(paths, names, run.floor, title=t("gd.data.loss_title"),
                                         xlabel=t("gd.iteration"), ylabel=t("gd.loss_axis"), height=300,
                                         share=0.6),
                        theme="streamlit", key="gd.data.loss")
        figures.chart(st, figs.data_figure(run.x, run.y, run.curves, names,
                                         title=t("gd.data.fit_title"), height=260),
                        theme="streamlit", key="gd.data.fit")
    st.caption(t("gd.data.samples", bgd=paths["bgd"].samples, sgd=paths["sgd"].samples,
                 minibatch=paths["minibatch"].samples))
    st.markdown(t(f"gd.data.explain.{kind}"))


def search_view(t, data, paths, floor, start):
    names = {k: t(f"gd.search.{k}") for k in paths}
    left, right = st.columns([3, 2])
    with left:
        figures.chart(st, figs.contour_figure(data.xs, data.ys, data.z, data.log, paths, names,
                                            minima=data.minima, start=start, floor=floor,
                                            tried={"random_search": paths["random_search"].tried},
                                            title=t("gd.search.map_title")),
                        theme="streamlit", key="gd.search.map")
    with right:
        figures.chart(st, figs.loss_figure(paths, names, floor, title=t("gd.loss_title"), height=300,
                                         xlabel=t("gd.iteration"), ylabel=t("gd.loss_axis"), share=0.6),
                        theme="streamlit", key="gd.search.loss")
    rows = [{t("gd.col.method"): names[k], t("gd.col.evals"): p.evaluations,
             t("gd.col.loss"): _last_loss(p)} for k, p in paths.items()]
    st.dataframe(rows, hide_index=True, width="stretch")
    st.markdown(t("gd.search.explain"))
