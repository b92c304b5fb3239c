"""Settings, the Train / Stop buttons and the live progress panel of the training lesson."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.training import compute
from app_pages.training import figures as fig
from cnnlab.calculus.optim import OPTIMIZERS, SCHEDULES
from cnnlab.nn.data import fashion_available, load_dataset, mnist_folder
from cnnlab.nn.layers import INITS
from cnnlab.nn.model import PRESETS
from cnnlab.nn.train import DEFAULTS
from services.job_budget import plan
from services.session_models import set_trained_model
from services.training import Job, trainer_pool
from ui import errors, figures
from ui.state import UrlState

BATCHES = [8, 16, 32, 64, 128, 256]
#: The message of a job stopped early, by the reason services/training.py gives.
STOPPED = {"time": "train.stopped_time", "session": "train.stopped_away", "abandoned": "train.stopped_away"}
#: The live panel's poll while a run is active: once a second still reads as live (the bar moves every
#: second), and costs the server half the polls of 0.5 s (benchmarks/bench_busy.py, docs/deployment.md).
POLL_SECONDS = 1.0
#: Until a running job's first batch the panel polls this often, so the first progress shows as soon as it
#: exists; the poll that sees it reruns the page once, which goes on at POLL_SECONDS.
START_POLL_SECONDS = 0.3


def datasets():
    return (["digits"] + (["mnist"] if mnist_folder() else []) + ["shapes"]
            + (["fashion"] if fashion_available() else []))


def url_state():
    defaults = {"dataset": "digits", "preset": "lenet5", "optimizer": DEFAULTS["optimizer"],
                "lr": DEFAULTS["lr"], "schedule": DEFAULTS["schedule"], "batch": DEFAULTS["batch_size"],
                "epochs": DEFAULTS["epochs"], "init": "he", "augment": DEFAULTS["augment"],
                "seed": DEFAULTS["seed"], "arch": ""}
    choices = {"dataset": datasets(), "preset": list(PRESETS), "optimizer": list(OPTIMIZERS),
               "schedule": list(SCHEDULES), "batch": BATCHES, "init": list(INITS)}
    bounds = {name: limits[:2] for name, limits in compute.NUMBER_LIMITS.items()}
    return UrlState("train", defaults, choices=choices, bounds=bounds)


@st.cache_resource(show_spinner=False, max_entries=4)
def dataset(name):
    """A dataset's read-only splits, loaded once per server."""
    return load_dataset(name)


def choose_data(t, url):
    c1, c2 = st.columns(2)
    c1.selectbox(t("train.dataset"), datasets(), key=url.key("dataset"),
                 format_func=lambda d: t(f"train.dataset_{d}"), help=t("train.dataset_help"))
    c2.selectbox(t("train.preset"), list(PRESETS), key=url.key("preset"),
                 format_func=lambda p: t(f"train.preset_{p}"), help=t("train.preset_help"))


def settings(t, url):
    """The training settings widgets; returns the keyword arguments of ``cnnlab.nn.train.train``."""
    c1, c2, c3, c4 = st.columns(4)
    c1.selectbox(t("train.optimizer"), list(OPTIMIZERS), key=url.key("optimizer"),
                 format_func=lambda o: t(f"train.opt_{o}"))
    # no min/max on the number boxes: Streamlit's own range message is English; checked() explains instead
    c2.number_input(t("train.lr"), None, None, step=0.0005, format="%.5g", key=url.key("lr"),
                    help=t("train.lr_help"))
    c3.selectbox(t("train.schedule"), list(SCHEDULES), key=url.key("schedule"),
                 format_func=lambda s: t(f"train.sched_{s}"), help=t("train.schedule_help"))
    c4.select_slider(t("train.batch"), BATCHES, key=url.key("batch"), help=t("train.batch_help"))
    c1, c2, c3, c4 = st.columns(4)
    c1.number_input(t("train.epochs"), None, None, step=1, key=url.key("epochs"), help=t("train.epochs_help"))
    c2.selectbox(t("train.init"), list(INITS), key=url.key("init"),
                 format_func=lambda i: t(f"train.init_{i}"), help=t("train.init_help"))
    c3.number_input(t("train.seed"), None, None, step=1, key=url.key("seed"), help=t("train.seed_help"))
    c4.toggle(t("train.augment"), key=url.key("augment"), help=t("train.augment_help"))
    values = {}
    for name in compute.NUMBER_LIMITS:
        values[name], typed = checked(url, name)
        if typed is not None:
            out_of_range(t, t(f"train.{name}"), compute.NUMBER_LIMITS[name], typed, values[name])
    return {"optimizer": url.get("optimizer"), "lr": float(values["lr"]), "schedule": url.get("schedule"),
            "batch_size": int(url.get("batch")), "epochs": int(values["epochs"]),
            "augment": bool(url.get("augment")), "seed": int(values["seed"])}


def checked(url, name):
    """``(value to use, None)`` for a number box in range; ``(last good value, typed value)`` otherwise.

    A value out of range (0, -1, 1e9, an empty box) is never used: the last good one is, and the page
    says so (``out_of_range``), also on tabs where the box itself is not drawn.
    """
    value = url.get(name)
    good = f"train._good.{name}"
    if compute.in_range(value, name):
        st.session_state[good] = value
        return value, None
    return st.session_state.get(good, url.defaults[name]), value


def number_text(v):
    """A typed number as a student reads it: ``—`` (empty box), ``999,999``, ``0.00001``, ``1e+09``."""
    if v is None or not np.isfinite(v):
        return "—"
    if abs(v) >= 1e7 or (v and abs(v) < 1e-6):
        return f"{v:g}"
    if float(v) == int(v):
        return f"{int(v):,}"
    return f"{v:.7f}".rstrip("0")


def out_of_range(t, label, limits, typed, used):
    """The translated message for a number box whose value is out of range, and the value used instead."""
    lo, hi, whole = limits
    st.error(t("train.out_of_range_whole" if whole else "train.out_of_range", name=label, lo=number_text(lo),
               hi=number_text(hi), value=number_text(typed), old=number_text(used)), icon=":material/error:")


def duration(t, seconds):
    """``45 s`` / ``3 min 20 s`` in the page's language."""
    seconds = max(1, round(seconds))
    if seconds < 60:
        return t("train.time_s", s=seconds)
    return t("train.time_min_s", m=seconds // 60, s=seconds % 60)


def job_plan(t, description, name, train_settings, input_shape=(1, 28, 28)):
    """The budget of a run (services/job_budget.py), or None with the reason shown."""
    try:
        return plan(description, dataset(name), train_settings, input_shape)
    except ValueError as exc:
        errors.show(exc, t)
        return None


def show_plan(t, p, asked):
    """The ETA before Train, and why a run is shortened."""
    if not p.shortened:
        st.caption(t("train.eta", time=duration(t, p.seconds)), help=t("train.eta_help"))
    elif p.max_batches is None:
        st.info(t("train.shortened", full=duration(t, p.requested_seconds), limit=duration(t, p.limit_seconds),
                  epochs=p.settings["epochs"], asked=asked, time=duration(t, p.seconds)),
                icon=":material/timer:")
    else:
        st.info(t("train.shortened_batches", full=duration(t, p.requested_seconds),
                  limit=duration(t, p.limit_seconds), batches=p.max_batches, time=duration(t, p.seconds)),
                icon=":material/timer:")


def buttons(t, build_model, name, train_settings, max_batches=None, description=None):
    """Train and Stop. ``build_model()`` returns a fresh model or None (shape error already shown);
    ``description`` (the editor's network) gives the time budget before Train is pressed."""
    job = st.session_state.get("train.job")
    active = job is not None and job.active
    if not active:
        trainer_pool().warm()                     # a trainer process ready before Train (services/trainer_pool.py)
    if description is not None and not active:
        p = job_plan(t, description, name, train_settings)
        if p is not None:
            show_plan(t, p, train_settings["epochs"])
    # a row sized to the buttons' text: fixed columns cut "开始训练" to "开始..." at 1024 px
    row = st.container(horizontal=True, gap="small")
    c1 = c2 = row
    if c1.button(t("train.start"), type="primary", icon=":material/play_arrow:", disabled=active,
                 key="train.start"):
        model = build_model()
        if model is not None:
            try:
                data = dataset(name)
            except ValueError as exc:
                errors.show(exc, t)
                return
            p = job_plan(t, model.description(), name, train_settings, model.input_shape)
            if p is None:
                return
            if max_batches is not None:
                batches = max_batches if p.max_batches is None else min(max_batches, p.max_batches)
            else:
                batches = p.max_batches
            job = Job(model, data, p.settings, max_batches=batches, planned_seconds=p.seconds)
            job.dataset = name
            if trainer_pool().submit(job):
                st.session_state["train.job"] = job
                st.rerun()                # draw Train disabled, Stop enabled, start polling
            else:
                st.warning(t("train.queue_full"), icon=":material/hourglass_empty:")
    if c2.button(t("train.stop"), icon=":material/stop:", disabled=not active, key="train.stop"):
        job.stop()
        if not job.active:            # it was still waiting: it has left the queue already
            st.rerun()


def _status(t, job, snap):
    state = snap["state"]
    if state == "waiting":
        ahead = trainer_pool().position(job)
        st.info(t("train.waiting", ahead=ahead) if ahead else t("train.waiting_next"),
                icon=":material/hourglass_top:")
        return
    steps = max(snap["steps"], 1)
    eta = snap["eta"]
    text = t("train.progress", epoch=snap["epoch"], epochs=snap["epochs"], step=snap["step"], steps=steps,
             eta=f"{eta:.0f}" if eta is not None else "–", ips=f"{snap['images_per_s']:,.0f}")
    if snap["step"] or state == "running":      # a job stopped before it started has no progress
        st.progress(min(1.0, snap["step"] / steps), text=text)
    last_val = snap["vals"][-1][2] if snap["vals"] else None
    if state == "done":
        st.success(t("train.done", seconds=f"{snap['elapsed']:.1f}",
                     acc=f"{last_val:.1%}" if last_val is not None else "–"), icon=":material/check_circle:")
    elif state == "stopped":
        key = STOPPED.get(snap.get("reason"), "train.stopped") if snap["step"] else "train.stopped_waiting"
        st.warning(t(key, step=snap["step"], time=duration(t, snap.get("max_seconds") or 0)),
                   icon=":material/stop_circle:")
    elif state == "error":
        errors.show(snap["error"], t)


def live(t, compact=False, starting=False):
    """The progress bar and curves; polls this session's own job while it is active.

    ``compact`` - only the progress line, for the other tabs: the poll is what tells the pool that
    the page still watches the job (services/training.py stops abandoned jobs), so it must go on
    while the student looks at another tab. ``starting``: polled at START_POLL_SECONDS.
    """
    job = st.session_state.get("train.job")
    if job is None:
        if not compact:
            st.info(t("train.not_started"), icon=":material/model_training:")
        return
    snap = job.snapshot()
    if starting and snap["step"] > 0 and snap["state"] == "running":
        st.rerun(scope="app")                 # the first batch is there: draw it, and poll at POLL_SECONDS
    if not compact or job.active:
        _status(t, job, snap)
    if not compact:
        c1, c2 = st.columns(2)
        figures.chart(c1, fig.curves(snap, t, "loss"), theme="streamlit", key="train.curve_loss",
                        config={"displayModeBar": False})
        figures.chart(c2, fig.curves(snap, t, "accuracy"), theme="streamlit", key="train.curve_acc",
                        config={"displayModeBar": False})
    if snap["state"] not in ("waiting", "running") and st.session_state.get("train.finished") is not job:
        st.session_state["train.finished"] = job
        if snap["step"] > 0 and snap["state"] in ("done", "stopped"):
            set_trained_model(job.model, job.dataset, snap["state"])
        st.rerun(scope="app")


def poll_seconds(job):
    """How often the live panel polls ``job``: None when it is not active."""
    if job is None or not job.active:
        return None
    return START_POLL_SECONDS if job.state == "running" and job.step == 0 else POLL_SECONDS


def live_panel(t, compact=False):
    every = poll_seconds(st.session_state.get("train.job"))
    st.fragment(live, run_every=every)(t, compact, every == START_POLL_SECONDS)
