"""Train: a small CNN for the working size, Train / Stop / Resume through the shared trainer pool."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from app_pages.own_classes import figures as fig
from cnnlab.nn.model import Model
from cnnlab.vision.augment import batch_augmenter
from services.own_data import LIMITS
from services.training import Job, resume, trainer_pool
from ui import errors, figures

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.5


def preset(width):
    """The lesson's network for 32x32 inputs: three 3x3 conv blocks, then a global max pool.

    The global max pool (an 8x8 window over the 8x8 maps) asks "is this pattern anywhere?",
    which suits objects that can be anywhere in a photo; Grad-CAM looks at the 8x8 maps before it.
    """
    f = {"small": (8, 16, 32), "wide": (16, 32, 32)}[width]
    return [{"type": "conv", "filters": f[0], "kernel": 3, "padding": 1}, {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "conv", "filters": f[1], "kernel": 3, "padding": 1}, {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "conv", "filters": f[2], "kernel": 3, "padding": 1}, {"type": "relu"},
            {"type": "maxpool", "size": LIMITS.working_size // 4}, {"type": "flatten"},
            {"type": "dense", "units": 2}]


PRESETS = ("small", "wide")
DEFAULTS = {"preset": "small", "epochs": 40, "lr": 0.005, "batch": 16, "seed": 0}


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
    desc = preset(width)
    desc[-1] = {"type": "dense", "units": int(num_classes)}
    try:
        return Model(desc, input_shape=(1 if gray else 3, LIMITS.working_size, LIMITS.working_size),
                     num_classes=num_classes, seed=seed)
    except ValueError as exc:
        errors.show(exc, t)
        return None


def summary(t, model):
    rows = [{t("own.col_layer"): r["index"], t("own.col_type"): t(f"own.layer.{r['type']}"),
             t("own.col_out"): " × ".join(str(s) for s in r["out_shape"]), t("own.col_params"): r["params"],
             t("own.col_macs"): r["macs"]} for r in model.summary()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(t("own.net_total", params=f"{model.n_params():,}", macs=f"{model.macs:,}"))


def settings_ui(t):
    """The network and training widgets (values as the student left them); returns (preset, settings)."""
    d = DEFAULTS
    c1, c2, c3, c4 = st.columns(4)
    width = c1.selectbox(t("own.preset"), PRESETS, index=PRESETS.index(d["preset"]), key="own.preset",
                         format_func=lambda p: t(f"own.preset_{p}"), help=t("own.preset_help"))
    epochs = c2.number_input(t("own.epochs"), 1, 100, d["epochs"], step=1, key="own.epochs",
                             help=t("own.epochs_help"))
    lr = c3.number_input(t("own.lr"), 0.0001, 0.1, d["lr"], step=0.001, format="%.4f", key="own.lr",
                         help=t("own.lr_help"))
    batch = c4.select_slider(t("own.batch"), [8, 16, 32, 64], value=d["batch"], key="own.batch",
                             help=t("own.batch_help"))
    return width, {"optimizer": "adam", "lr": float(lr), "schedule": "cosine", "batch_size": int(batch),
                   "epochs": int(epochs), "seed": d["seed"]}


def _submit(t, job, what):
    """Queue a job (called from a button's callback, before the page is drawn)."""
    if trainer_pool().submit(job):
        st.session_state["own.job"] = job
        logger.info("own classes: %s queued (%d training images)", what, len(job.data[0][1]))
    else:
        st.session_state["own.train_note"] = "own.queue_full"


def _on_train(t, data, prep, width, settings):
    model = build(t, width, len(data.classes), prep.gray)
    if model is None:
        return
    ds = data.dataset(prep.gray, seed=settings["seed"])
    aug = batch_augmenter(prep.augment) if prep.augment.active else False
    job = Job(model, ds, {**settings, "augment": aug})
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


def section(t, data, prep):
    """Network, settings, Train / Stop / Resume and the live curves."""
    st.markdown(t("own.train_intro"))
    width, settings = settings_ui(t)
    model = build(t, width, max(len(data.classes), 2), prep.gray)
    if model is not None:
        with st.expander(t("own.net_title")):
            summary(t, model)
    job = st.session_state.get("own.job")
    active = job is not None and job.active
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
    c1.button(t("own.train"), type="primary", icon=":material/play_arrow:", disabled=active or not data.ready(),
              key="own.train_btn", on_click=_on_train, args=(t, data, prep, width, settings))
    c2.button(t("own.stop"), icon=":material/stop:", disabled=not active, key="own.stop_btn",
              on_click=_on_stop, args=(job,))
    c3.button(t("own.resume"), icon=":material/resume:", disabled=not can_resume, key="own.resume_btn",
              help=t("own.resume_help"), on_click=_on_resume, args=(t, job_to_resume, settings, data, prep))
    note = st.session_state.pop("own.train_note", None)
    if note:
        st.warning(t(note), icon=":material/hourglass_empty:")
    if not data.ready():
        st.caption(t("own.need_data", n=LIMITS.min_classes))
    st.fragment(live, run_every=POLL_SECONDS if active else None)(t)


def live(t):
    job = st.session_state.get("own.job")
    if job is None:
        st.info(t("own.not_trained"), icon=":material/model_training:")
        return
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
    if state not in ("waiting", "running") and st.session_state.get("own.finished") is not job:
        st.session_state["own.finished"] = job
        logger.info("own classes: training %s after %d steps", state, snap["step"])
        if snap["step"] > 0 and state in ("done", "stopped"):
            meta = job.meta
            st.session_state["own.model"] = Trained(job.model, meta["classes"], meta["gray"], meta["version"],
                                                    job.data[1], state)
        st.rerun(scope="app")
