"""Train: a small CNN for the working size, Train / Stop / Resume through the shared trainer pool."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

from app_pages.own_classes import figures as fig
from app_pages.own_classes.prepare import DEFAULTS as PREP_DEFAULTS
from app_pages.own_classes.prepare import VAL_FRACTION
from app_pages.own_classes.presets import BATCHES, DEFAULTS, PRESETS, preset
from cnnlab.nn.data import stratified_split
from cnnlab.nn.model import Model
from cnnlab.vision.augment import batch_augmenter
from services.job_budget import plan
from services.own_data import LIMITS
from services.training import Job, resume, trainer_pool
from ui import errors, figures
from ui.network_editor import NetworkEditor
from ui.state import UrlState

logger = logging.getLogger(__name__)
#: The live panel's poll while a run is active: once a second still reads as live (the bar moves every
#: second), and costs the server half the polls of 0.5 s (benchmarks/bench_busy.py, docs/deployment.md).
POLL_SECONDS = 1.0
#: Until the lesson's running job has its first batch the panel polls this often (see the training lesson).
START_POLL_SECONDS = 0.3




@dataclass(frozen=True)
class Trained:
    """A finished model and what it was trained on (so later tabs label and prepare images alike)."""

    model: object
    classes: tuple
    gray: bool
    version: int          # the OwnData version it was trained on
    val: tuple            # (x (N, C, S, S) uint8, y)
    how: str              # done | stopped | loaded


def build(t, width, num_classes, gray, seed=0):
    """The preset ``width`` itself (the shortcut experiment's fixed network); None with the reason shown."""
    try:
        return Model(preset(width, num_classes), input_shape=input_shape(gray), num_classes=num_classes, seed=seed)
    except ValueError as exc:
        errors.show(exc, t)
        return None


def input_shape(gray):
    return (1 if gray else 3, LIMITS.working_size, LIMITS.working_size)


def url_state():
    """The lesson's settings in the link: network, training and preparation (no picture ever is)."""
    defaults = {"preset": DEFAULTS["preset"], "epochs": DEFAULTS["epochs"], "lr": DEFAULTS["lr"],
                "batch": DEFAULTS["batch"], "arch": "", **PREP_DEFAULTS}
    bounds = {"epochs": (1, 100), "lr": (0.0001, 0.1), "shift": (0.0, 0.3), "degrees": (0, 180),
              "scale": (0.0, 0.3), "brightness": (0.0, 0.4), "contrast": (0.0, 0.6)}
    return UrlState("own", defaults, choices={"preset": list(PRESETS), "batch": BATCHES}, bounds=bounds)


def network(url, data):
    """The shared network editor (ui/network_editor.py) for the working size and the classes collected."""
    k = max(len(data.classes), LIMITS.min_classes)
    net = NetworkEditor(url, {w: preset(w, k) for w in PRESETS}, input_shape(url.get("gray")), num_classes=k)
    net.fit_outputs(url.get("preset"), k)          # one score per class, whatever the table said before
    return net


def settings_ui(t, url):
    """The network and training widgets (values as the student left them, or the link's); returns settings."""
    c1, c2, c3, c4 = st.columns(4)
    c1.selectbox(t("own.preset"), PRESETS, key=url.key("preset"), format_func=lambda p: t(f"own.preset_{p}"),
                 help=t("own.preset_help"))
    c2.number_input(t("own.epochs"), 1, 100, step=1, key=url.key("epochs"), help=t("own.epochs_help"))
    c3.number_input(t("own.lr"), 0.0001, 0.1, step=0.001, format="%.4f", key=url.key("lr"), help=t("own.lr_help"))
    c4.select_slider(t("own.batch"), BATCHES, key=url.key("batch"), help=t("own.batch_help"))
    return settings_of(url)


def settings_of(url):
    return {"optimizer": "adam", "lr": float(url.get("lr")), "schedule": "cosine", "batch_size": int(url.get("batch")),
            "epochs": int(url.get("epochs")), "seed": DEFAULTS["seed"]}


def _submit(t, job, what):
    """Queue a job (called from a button's callback, before the page is drawn)."""
    if trainer_pool().submit(job):
        st.session_state["own.job"] = job
        logger.info("own classes: %s queued (%d training images)", what, len(job.data[0][1]))
    else:
        st.session_state["own.train_note"] = "own.queue_full"


def _plan(t, description, data, prep, settings):
    """The run's budget (services/job_budget.py: memory refused, time shortened), or None with the reason."""
    try:
        return plan(description, data, settings, input_shape(prep.gray))
    except ValueError as exc:
        errors.show(exc, t)
        return None


def _on_train(t, data, prep, net, description, settings):
    model = net.build(t, description)
    if model is None:
        return
    ds = data.dataset(prep.gray, seed=settings["seed"])
    p = plan(description, ds, settings, input_shape(prep.gray))     # checked before the button was drawn
    aug = batch_augmenter(prep.augment) if prep.augment.active else False
    job = Job(model, ds, {**p.settings, "augment": aug}, max_batches=p.max_batches, planned_seconds=p.seconds)
    job.meta = {"version": data.version, "gray": prep.gray, "classes": tuple(data.names())}
    _submit(t, job, "training")


def _on_resume(t, job, settings, data=None, prep=None):
    """Continue the last run's model, or (``job`` None) an uploaded model on the collected pictures."""
    if job is not None:
        _submit(t, resume(job, {**job.settings, **settings, "augment": job.settings.get("augment")}), "resume")
        return
    trained = st.session_state["own.model"]
    aug = batch_augmenter(prep.augment) if prep.augment.active else False
    new = Job(trained.model, data.dataset(trained.gray, seed=settings["seed"]), {**settings, "augment": aug})
    new.meta = {"version": data.version, "gray": trained.gray, "classes": tuple(data.names())}
    _submit(t, new, "resume of an uploaded model")


def _on_stop(job):
    job.stop()
    logger.info("own classes: training stopped by the student")


def _sizes(data):
    """Stand-ins with the sizes of the (train, val) split, for the budget before anything is prepared."""
    labels = data.images_and_labels()[1]
    if labels.size == 0:
        return ((None, ()), (None, ()))
    tr, va, _ = stratified_split(labels, (1 - VAL_FRACTION, VAL_FRACTION, 0.0), 0)
    return ((None, tr), (None, va))


def section(t, data, prep, net, url):
    """Network (the shared editor), settings, Train / Stop / Resume and the live curves."""
    st.markdown(t("own.train_intro"))
    settings = settings_ui(t, url)
    preset_name = url.get("preset")
    with st.expander(t("own.net_title"), expanded=True):
        description = net.editor(t, preset_name)
        st.caption(t("own.editor_help", k=net.num_classes))
        model = net.build(t, description)
        if model is not None:
            net.summary_table(t, model)
    job = st.session_state.get("own.job")
    active = job is not None and job.active
    if not active:
        trainer_pool().warm()                     # a trainer process ready before Train (services/trainer_pool.py)
    p = _plan(t, description, _sizes(data), prep, settings) if model is not None and not active else None
    if p is not None and p.shortened:
        st.info(t("own.shortened", epochs=p.settings["epochs"], asked=settings["epochs"]), icon=":material/timer:")
    meta = getattr(job, "meta", {}) if job is not None else {}
    can_resume = (job is not None and not active and job.step > 0 and meta.get("version") == data.version
                  and meta.get("gray") == prep.gray)
    trained = st.session_state.get("own.model")
    uploaded = (trained is not None and trained.how == "loaded" and not active and trained.version == data.version
                and (job is None or job.model is not trained.model))
    if uploaded:                                  # Resume goes on with the uploaded model
        can_resume, job_to_resume = True, None
    else:
        job_to_resume = job
    c1, c2, c3, _ = st.columns([1, 1, 1, 2])
    c1.button(t("own.train"), type="primary", icon=":material/play_arrow:", key="own.train_btn",
              disabled=active or not data.ready() or p is None, on_click=_on_train,
              args=(t, data, prep, net, description, settings))
    c2.button(t("own.stop"), icon=":material/stop:", disabled=not active, key="own.stop_btn",
              on_click=_on_stop, args=(job,))
    c3.button(t("own.resume"), icon=":material/resume:", disabled=not can_resume, key="own.resume_btn",
              help=t("own.resume_help"), on_click=_on_resume, args=(t, job_to_resume, settings, data, prep))
    note = st.session_state.pop("own.train_note", None)
    if note:
        st.warning(t(note), icon=":material/hourglass_empty:")
    if not data.ready():
        st.caption(t("own.need_data", n=LIMITS.min_classes))
    live_panel(t)


def _jobs():
    return [st.session_state.get(k) for k in ("own.job", "own.exp.shortcut", "own.exp.fix")]


def live_panel(t, compact=False):
    """The live panel of the training run; ``compact``: only a progress line, on the other tabs.

    The poll is what tells the pool that the page still watches a job (services/training.py stops
    abandoned jobs), so it goes on, for the shortcut experiment's runs too, whichever tab is open.
    """
    active = any(j is not None and j.active for j in _jobs())
    job = st.session_state.get("own.job")
    starting = job is not None and job.state == "running" and job.step == 0
    every = (START_POLL_SECONDS if starting else POLL_SECONDS) if active else None
    st.fragment(live, run_every=every)(t, compact, active, starting)


def live(t, compact=False, polling=False, starting=False):
    for other in _jobs()[1:]:
        if other is not None and other.active:
            other.snapshot()                      # the shortcut experiment's runs: still watched
    job = st.session_state.get("own.job")
    if starting and job is not None and job.step > 0 and job.state == "running":
        st.rerun(scope="app")                     # the first batch is there: draw it, poll at POLL_SECONDS
    if compact:
        _compact(t, job)
    elif job is None:
        st.info(t("own.not_trained"), icon=":material/model_training:")
    else:
        _full(t, job)
    if polling and not any(j is not None and j.active for j in _jobs()):
        st.rerun(scope="app")                     # everything ended: draw the page once more, stop polling


def _full(t, job):
    snap = job.snapshot()
    state = snap["state"]
    if state == "waiting":
        st.info(t("own.waiting", ahead=trainer_pool().position(job)), icon=":material/hourglass_top:")
    else:
        steps = max(snap["steps"], 1)
        st.progress(min(1.0, snap["step"] / steps),
                    text=t("own.progress", epoch=snap["epoch"], epochs=snap["epochs"], step=snap["step"],
                           steps=steps, seconds=f"{snap['elapsed']:.1f}"))
    last = snap["vals"][-1][2] if snap["vals"] else None
    if state == "done":
        st.success(t("own.done", seconds=f"{snap['elapsed']:.1f}", acc=f"{last:.0%}" if last is not None else "–"),
                   icon=":material/check_circle:")
    elif state == "stopped":
        st.warning(t("own.stopped", step=snap["step"]), icon=":material/stop_circle:")
    elif state == "error":
        errors.show(snap["error"], t)
    c1, c2 = st.columns(2)
    figures.chart(c1, fig.curves(snap, t, "loss"), key="own.curve_loss", config={"displayModeBar": False})
    figures.chart(c2, fig.curves(snap, t, "accuracy"), key="own.curve_acc", config={"displayModeBar": False})
    _finish(job, snap)


def _compact(t, job):
    """The progress line of the lesson's training run, on the other tabs."""
    if job is not None:
        snap = job.snapshot()
        if snap["state"] == "running":
            steps = max(snap["steps"], 1)
            st.progress(min(1.0, snap["step"] / steps),
                        text=t("own.progress", epoch=snap["epoch"], epochs=snap["epochs"], step=snap["step"],
                               steps=steps, seconds=f"{snap['elapsed']:.1f}"))
        _finish(job, snap)


def _finish(job, snap):
    """A job that ended: its model becomes the lesson's model (once), and the page is drawn again."""
    state = snap["state"]
    if state not in ("waiting", "running") and st.session_state.get("own.finished") is not job:
        st.session_state["own.finished"] = job
        logger.info("own classes: training %s after %d steps", state, snap["step"])
        if snap["step"] > 0 and state in ("done", "stopped"):
            meta = job.meta
            st.session_state["own.model"] = Trained(job.model, meta["classes"], meta["gray"], meta["version"],
                                                    job.data[1], state)
        st.rerun(scope="app")
