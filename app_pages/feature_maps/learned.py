"""The learned-features tab of the feature-maps lesson: every layer of a trained LeNet-5 on your image.

The network is the pretrained one (``ui.models``) or the one this session trained in the training
lesson, read through ``services.session_models`` (never from the training lesson's own state).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.feature_maps import figures as ff
from cnnlab.vision import filters
from services.session_models import trained_model
from ui import errors, figures
from ui.fmt import math_num
from ui.models import PRETRAINED_DATASET, class_labels, pretrained_available, pretrained_model
from ui.style import PLOT as CHART

MAX_MAPS = 16
MAP_PX = 112                   # a 28 x 28 map at 4 x 4 pixels a value (3 in a phone's row)
FILTER_PX = 60
DIGIT_INPUT = (1, 28, 28)      # what preprocess_digit prepares: one 28 x 28 gray image


def _run(model, x):
    acts = [(i, kind, np.asarray(a)) for i, kind, a in model.activations(x)]
    convs = [(layer.index, np.asarray(layer.params["w"])) for layer in model.layers if layer.kind == "conv"]
    return acts, convs


@st.cache_data(show_spinner=False, max_entries=32)
def _pretrained_run(x):
    """Activations of the pretrained LeNet-5 (one read-only copy per process) for ``x``."""
    return _run(pretrained_model(), x)


def _session_model():
    """The model this session trained (services.session_models), if it takes 28 x 28 gray images."""
    trained = trained_model()
    if trained is None or trained.input_shape != DIGIT_INPUT:
        return None
    return trained


def learned(t, url, gray):
    """Activations of every layer for the image (prepared like an MNIST digit), learned filters beside."""
    from cnnlab.nn.digits import preprocess_digit

    st.markdown(t("fm.learned_intro"))
    sources = ["pretrained"] if pretrained_available() else []
    session = _session_model()
    if session is not None:
        sources.append("session")
    if not sources:
        st.info(t("fm.learned_missing"), icon=":material/hourglass_empty:")
        return
    which = st.radio(t("fm.model_source"), sources, horizontal=True, key="fm.model_source",
                     format_func=lambda s: t(f"fm.model_{s}"))
    try:
        x = preprocess_digit(gray)[None, None]
        if which == "session":
            acts, convs = _run(session.model, x)
            labels_of = {"dataset": session.dataset}
        else:
            acts, convs = _pretrained_run(x)
            labels_of = {"dataset": PRETRAINED_DATASET}
    except ValueError as exc:
        errors.show(exc, t)
        return
    probs = acts[-1][2][0]
    guess = int(np.argmax(probs))
    labels = class_labels(t, n=probs.size, **labels_of)
    left, right = st.columns([1, 2])
    digit, width = ff.png_list([ff.picture(x[0, 0], 0.0, 1.0, px=220, kind="gray")])
    figures.picture(left, digit[0], caption=t("fm.digit_input"), width=width, output_format="PNG")
    figures.chart(right, ff.bars(probs, t("fm.probs_title", digit=labels[guess], p=f"{probs[guess]:.0%}"),
                               t("fm.digit"), t("fm.probability"), labels=labels,
                               highlight=guess), key="fm.probs", **CHART)
    st.caption(t("fm.digit_caption"))
    filters_of = dict(convs)
    layers = [(i, kind, a) for i, kind, a in acts[:-1] if kind != "dropout"]  # dropout: off at inference

    def title(i, kind, a):
        name = t(f"fm.kind.{kind}") if t.has(f"fm.kind.{kind}") else kind
        return t("fm.layer_title", i=i + 1, kind=name, shape=" × ".join(str(s) for s in a.shape[1:]))

    ids = [i for i, _, _ in layers]
    if "fm.layers" not in st.session_state or not set(st.session_state["fm.layers"]) <= set(ids):
        st.session_state["fm.layers"] = [i for i, kind, _ in layers if kind == "conv" or kind.endswith("pool")]
    labels = {i: title(i, kind, a) for i, kind, a in layers}
    shown = st.pills(t("fm.layers"), ids, selection_mode="multi", key="fm.layers",
                     format_func=lambda i: labels[i].split(" — ")[0].split("——")[0], help=t("fm.layers_help"))
    for i, kind, a in layers:
        if i in (shown or []):
            st.markdown(f"**{labels[i]}**")
            _layer(t, i, kind, a[0], filters_of.get(i))


def _layer(t, i, kind, a, w):
    """One layer: its maps as pictures (each with its value range, as a hover would give), its filters."""
    if a.ndim == 3 and a.shape[1] * a.shape[2] > 1:
        maps = a[:MAX_MAPS]
        if w is not None:
            left, right = st.columns([1, 2])
            k = w[:MAX_MAPS, 0]
            lim = filters.value_range(k, shared=True)       # one scale: the filters compare with each other
            pngs, width = ff.png_list(ff.pictures(k, [lim] * len(k), FILTER_PX))
            figures.picture(left, pngs, caption=[str(c + 1) for c in range(len(k))], width=width, output_format="PNG")
            left.caption(t("fm.filters_caption" if w.shape[1] == 1 else "fm.filters_caption_deep",
                           k=w.shape[2], c=w.shape[1]))
        else:
            right = st.container()
        limits = filters.value_range(maps, shared=False, robust=ff.ROBUST)
        pngs, width = ff.png_list(ff.pictures(maps, limits, MAP_PX))
        figures.picture(right, pngs, width=width, output_format="PNG",
                    caption=[f"{c + 1} · {math_num(lo, 2)} … {math_num(hi, 2)}" for c, (lo, hi) in enumerate(limits)])
        right.caption(t("fm.learned_pictures_caption"))
        if len(a) > MAX_MAPS:
            right.caption(t("fm.first_maps", n=MAX_MAPS, total=len(a)))
    else:
        figures.chart(st, ff.bars(a.ravel(), "", t("fm.unit"), t("fm.activation"), height=200),
                        key=f"fm.act{i}", **CHART)

