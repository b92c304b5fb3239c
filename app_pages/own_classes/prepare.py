"""Prepare: the preprocessing on the student's own images, live augmentation, the stratified split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.own_classes.collect import plain
from app_pages.own_classes.figures import chw_to_image, enlarge
from cnnlab.nn.data import stratified_split
from cnnlab.vision.augment import Augment, augment, centre_square, to_working
from services.own_data import LIMITS
from ui import figures

VAL_FRACTION = 0.2
DEFAULTS = {"gray": True, "flip": True, "shift": 0.1, "degrees": 30, "scale": 0.1, "brightness": 0.1,
            "contrast": 0.2}


@dataclass(frozen=True)
class Prep:
    gray: bool
    augment: Augment


def current(url):
    """The preparation settings as the student (or the link) left them, drawn or not: a :class:`Prep`."""
    g = url.get
    return Prep(bool(g("gray")), Augment(flip=bool(g("flip")), shift=float(g("shift")), degrees=float(g("degrees")),
                                         scale=float(g("scale")), brightness=float(g("brightness")),
                                         contrast=float(g("contrast"))))


def settings_ui(t, url):
    """Colour or grey, and the augmentation settings (kept in the link); returns a :class:`Prep`."""
    k = url.key
    st.toggle(t("own.gray"), key=k("gray"), help=t("own.gray_help"))
    c1, c2, c3 = st.columns(3)
    c1.toggle(t("own.aug_flip"), key=k("flip"), help=t("own.aug_flip_help"))
    c2.slider(t("own.aug_shift"), 0.0, 0.3, step=0.05, key=k("shift"), help=t("own.aug_shift_help"))
    c3.slider(t("own.aug_degrees"), 0, 180, step=5, key=k("degrees"), help=t("own.aug_degrees_help"))
    c1, c2, c3 = st.columns(3)
    c1.slider(t("own.aug_scale"), 0.0, 0.3, step=0.05, key=k("scale"), help=t("own.aug_scale_help"))
    c2.slider(t("own.aug_brightness"), 0.0, 0.4, step=0.05, key=k("brightness"))
    c3.slider(t("own.aug_contrast"), 0.0, 0.6, step=0.05, key=k("contrast"))
    return current(url)


@st.cache_data(show_spinner=False, max_entries=16)
def augmented_copies(image, gray, settings, seed, n=12):
    """``n`` random augmentations of one image at the working size, as displayable arrays."""
    x = np.repeat(to_working(image, LIMITS.working_size, gray)[None], n, axis=0)
    out = augment(x, np.random.default_rng(seed), settings)
    return [chw_to_image(a) for a in out]


def split_table(t, data):
    images, labels = data.images_and_labels()
    if labels.size == 0:
        return
    tr, va, _ = stratified_split(labels, (1 - VAL_FRACTION, VAL_FRACTION, 0.0), 0)
    rows = [{t("own.col_class"): name, t("own.col_train"): int(np.sum(labels[tr] == i)),
             t("own.col_val"): int(np.sum(labels[va] == i))} for i, name in enumerate(data.names())]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption(t("own.split_note", train=tr.size, val=va.size, pct=round(VAL_FRACTION * 100)))


def section(t, data, url):
    st.markdown(t("own.prepare_intro", size=LIMITS.working_size))
    prep = settings_ui(t, url)
    images, labels = data.images_and_labels()
    if not images:
        st.info(t("own.no_images"), icon=":material/info:")
        return prep
    names = data.names()
    i = st.slider(t("own.which_image"), 1, len(images), 1, key="own.prep_image") - 1
    i = min(i, len(images) - 1)
    img = images[i]
    st.caption(t("own.image_of", name=plain(names[labels[i]]), n=i + 1))
    size = LIMITS.working_size
    sq = centre_square(img)
    work = chw_to_image(to_working(img, size, prep.gray))
    steps = [(img, t("own.step_stored", h=img.shape[0], w=img.shape[1])),
             (sq, t("own.step_crop", s=sq.shape[0])),
             (enlarge(work, 4), t("own.step_resize", s=size, mode=t("own.mode_gray" if prep.gray else "own.mode_rgb")))]
    cols = st.columns(3)
    for col, (a, cap) in zip(cols, steps):
        figures.picture(col, a, caption=cap, width=128, clamp=True)
    st.caption(t("own.scaling_note"))
    st.subheader(t("own.aug_title"))
    c1, c2 = st.columns([2, 1])
    c1.markdown(t("own.aug_intro"))
    if c2.button(t("own.aug_redraw"), icon=":material/casino:", key="own.aug_redraw"):
        st.session_state["own.aug_seed"] = st.session_state.get("own.aug_seed", 0) + 1
    copies = augmented_copies(img, prep.gray, prep.augment, int(st.session_state.get("own.aug_seed", 0)))
    figures.picture(st, [enlarge(a, 3) for a in copies], width=96, clamp=True)
    st.subheader(t("own.split_title"))
    split_table(t, data)
    return prep
