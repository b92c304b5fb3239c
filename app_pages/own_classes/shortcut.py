"""Shortcut learning, shown: a set where the background colour gives the answer away, and the fix."""

from __future__ import annotations

import logging

import numpy as np
import streamlit as st

from app_pages.own_classes import looks
from app_pages.own_classes.collect import starter_set
from app_pages.own_classes.train import POLL_SECONDS, build
from cnnlab.nn.data import to_float
from cnnlab.nn.train import evaluate
from cnnlab.vision.augment import Augment, batch_augmenter, working_batch
from cnnlab.vision.saliency import border_mask, grad_cam, occlusion, share_inside
from services.own_data import LIMITS, split_dataset
from services.training import Job, trainer_pool
from ui import figures

logger = logging.getLogger(__name__)
CLASSES = ("circle", "triangle", "star")
RUNS = ("shortcut", "fix")
SETTINGS = {"optimizer": "adam", "lr": 0.005, "schedule": "cosine", "batch_size": 16, "epochs": 40, "seed": 0}
FIX_AUGMENT = Augment(flip=True, shift=0.1, degrees=30, scale=0.1, brightness=0.1, contrast=0.2)
SHOW = 6


def arrays(name, gray):
    s = starter_set(name)
    return working_batch(s.images, LIMITS.working_size, gray), np.array(s.labels, np.int64)


def experiment_data(run):
    """The run's (train, val, test) data and settings; test = the set with the colours shuffled.

    shortcut: the coloured set as it is, in colour, no augmentation.
    fix: the same set plus more varied pictures (random backgrounds), in grey, with augmentation.
    """
    gray = run == "fix"
    x, y = arrays("shortcut_train", gray)
    if run == "fix":
        xv, yv = arrays("shortcut_varied", gray)
        x, y = np.concatenate([x, xv]), np.concatenate([y, yv])
    (xtr, ytr), (xva, yva), _ = split_dataset(x, y, 0.2, 0)
    test = arrays("shortcut_test", gray)
    settings = {**SETTINGS, "augment": batch_augmenter(FIX_AUGMENT) if run == "fix" else False}
    return ((xtr, ytr), (xva, yva), test), gray, settings


def _busy():
    jobs = [st.session_state.get("own.job")] + [st.session_state.get(f"own.exp.{r}") for r in RUNS]
    return any(j is not None and j.active for j in jobs)


def start(t, run):
    data, gray, settings = experiment_data(run)
    model = build(t, "small", len(CLASSES), gray)
    if model is None:
        return
    job = Job(model, data, settings)
    job.meta = {"gray": gray}
    if trainer_pool().submit(job):
        st.session_state[f"own.exp.{run}"] = job
        logger.info("own classes: shortcut experiment '%s' queued", run)
    else:
        st.session_state["own.train_note"] = "own.queue_full"


def _scores(job):
    """Train, validation and shuffled-test accuracy, and Grad-CAM's share on the shape (test set).

    Kept in the session next to the finished job it belongs to.
    """
    store = st.session_state.setdefault("own.exp.scores", {})
    if store.get(id(job), (None,))[0] is not job:
        store[id(job)] = (job, compute_scores(job.model, job.data))
    return store[id(job)][1]


def compute_scores(m, data):
    (xtr, ytr), (xva, yva), (xte, yte) = data
    out = {"train": evaluate(m, to_float(xtr), ytr)["accuracy"], "val": evaluate(m, to_float(xva), yva)["accuracy"]}
    ev = evaluate(m, to_float(xte), yte)
    out["test"] = ev["accuracy"]
    cam, occ, area = [], [], []
    for x, p in zip(to_float(xte), ev["pred"]):
        mask = border_mask(x)
        cam.append(share_inside(grad_cam(m, x, int(p)).map, mask))
        occ.append(share_inside(occlusion(m, x, int(p), patch=8, stride=4).map, mask))
        area.append(mask.mean())
    out.update(share=float(np.median(cam)), occ=float(np.median(occ)), area=float(np.mean(area)), pred=ev["pred"])
    return out


def report(t, run):
    job = st.session_state.get(f"own.exp.{run}")
    if job is None:
        return
    snap = job.snapshot()
    if snap["state"] in ("waiting", "running"):
        steps = max(snap["steps"], 1)
        st.progress(min(1.0, snap["step"] / steps), text=t("own.exp_running", step=snap["step"], steps=steps))
        return
    if snap["state"] == "error" or snap["step"] == 0:
        st.warning(t("own.exp_failed"), icon=":material/warning:")
        return
    s = _scores(job)
    c1, c2, c3 = st.columns(3)
    c4, c5, _ = st.columns(3)
    c1.metric(t("own.exp_train"), f"{s['train']:.0%}")
    c2.metric(t("own.exp_val"), f"{s['val']:.0%}")
    c3.metric(t("own.exp_test"), f"{s['test']:.0%}")
    c4.metric(t("own.exp_share"), f"{s['share']:.0%}", help=t("own.exp_share_help", area=f"{s['area']:.0%}"))
    c5.metric(t("own.exp_occ"), f"{s['occ']:.0%}", help=t("own.exp_share_help", area=f"{s['area']:.0%}"))
    names = [t(f"own.shape_{c}") for c in CLASSES]
    xte, yte = job.data[2]
    for i in np.linspace(0, len(yte) - 1, SHOW // 2).astype(int):
        x = to_float(xte[i:i + 1])[0]
        st.caption(t("own.look_truth", true=names[yte[i]], pred=names[s["pred"][i]]))
        looks.show(t, job.model, x, int(s["pred"][i]), names, f"own.exp.{run}.{i}", patch=8, compact=True)


def _box(t, run):
    with st.container(border=True):
        st.markdown(t(f"own.exp_{run}_title"))
        report(t, run)


def _running(run):
    job = st.session_state.get(f"own.exp.{run}")
    return job is not None and job.active


def poll(t):
    """The runs in progress (redrawn every half second); finished runs are drawn once, outside."""
    for run in RUNS:
        if _running(run):
            _box(t, run)
    if not _busy() and st.session_state.get("own.exp.polling"):
        st.session_state["own.exp.polling"] = False
        st.rerun(scope="app")


def section(t):
    st.markdown(t("own.exp_intro"))
    cols = st.columns(3)
    shown = [starter_set(n) for n in ("shortcut_train", "shortcut_test", "shortcut_varied")]
    for col, s, cap in zip(cols, shown, ("own.exp_set_train", "own.exp_set_test", "own.exp_set_varied")):
        figures.picture(col, [s.images[k] for k in range(0, len(s), max(1, len(s) // 6))][:6], width=40, clamp=True)
        col.caption(t(cap))
    busy = _busy()
    c1, c2 = st.columns(2)
    c1.button(t("own.exp_start_shortcut"), icon=":material/play_arrow:", disabled=busy, key="own.exp_btn1",
              type="primary", on_click=start, args=(t, "shortcut"))
    c2.button(t("own.exp_start_fix"), icon=":material/healing:", disabled=busy, key="own.exp_btn2",
              on_click=start, args=(t, "fix"))
    if busy:
        st.session_state["own.exp.polling"] = True
    for run in RUNS:
        if not _running(run):
            _box(t, run)                  # its Grad-CAM and occlusion maps are not recomputed at every poll
    st.fragment(poll, run_every=POLL_SECONDS if busy else None)(t)
    st.markdown(t("own.exp_explain"))
