"""The learned-features tab of the feature-maps lesson: every layer of a trained LeNet-5 on your image.

The network is the pretrained one (``ui.models``) or the one this session trained in the training
lesson, read through ``services.session_models`` (never from the training lesson's own state).
"""

from __future__ import annotations

import streamlit as st

from app_pages.feature_maps import compute
from app_pages.feature_maps import figures as ff
from services.session_models import trained_model
from ui import errors, figures
from ui.fmt import math_num, shape
from ui.models import PRETRAINED_DATASET, class_labels, pretrained_available, pretrained_model
from ui.style import PLOT as CHART

MAP_PX = 112                   # a 28 x 28 map at 4 x 4 pixels a value (3 in a phone's row)
FILTER_PX = 60
DIGIT_INPUT = (1, 28, 28)      # what preprocess_digit prepares: one 28 x 28 gray image
MAX_MAPS = compute.MAX_MAPS


@st.cache_data(show_spinner=False, max_entries=32)
def _pretrained_run(gray):
    """``compute.learned`` with the pretrained LeNet-5 (one read-only copy per process), per image."""
    return compute.learned(pretrained_model(), gray)


def _session_model():
    """The model this session trained (services.session_models), if it takes 28 x 28 gray images."""
    trained = trained_model()
    if trained is None or trained.input_shape != DIGIT_INPUT:
        return None
    return trained


def learned(t, url, gray):
    """Activations of every layer for the image (prepared like an MNIST digit), learned filters beside."""
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
        if which == "session":
            res = compute.learned(session.model, gray)    # a session's own model: not shared, not cached
            labels_of = {"dataset": session.dataset}
        else:
            res = _pretrained_run(gray)
            labels_of = {"dataset": PRETRAINED_DATASET}
    except ValueError as exc:
        errors.show(exc, t)
        return
    probs, guess = res.probs, res.guess
    labels = class_labels(t, n=probs.size, **labels_of)
    left, right = st.columns([1, 2])
    digit, width = ff.png_list([ff.picture(res.digit, 0.0, 1.0, px=220, kind="gray")])
    figures.picture(left, digit[0], caption=t("fm.digit_input"), width=width, output_format="PNG")
    figures.chart(right, ff.bars(probs, t("fm.probs_title", digit=labels[guess], p=f"{probs[guess]:.0%}"),
                                 t("fm.digit"), t("fm.probability"), labels=labels,
                                 highlight=guess), key="fm.probs", **CHART)
    st.caption(t("fm.digit_caption"))

    def title(layer):
        name = t(f"fm.kind.{layer.kind}") if t.has(f"fm.kind.{layer.kind}") else layer.kind
        return t("fm.layer_title", i=layer.index + 1, kind=name, shape=shape(layer.values.shape))

    ids = [layer.index for layer in res.layers]
    if "fm.layers" not in st.session_state or not set(st.session_state["fm.layers"]) <= set(ids):
        st.session_state["fm.layers"] = [layer.index for layer in res.layers
                                         if layer.kind == "conv" or layer.kind.endswith("pool")]
    labels = {layer.index: title(layer) for layer in res.layers}
    shown = st.pills(t("fm.layers"), ids, selection_mode="multi", key="fm.layers",
                     format_func=lambda i: labels[i].split(" — ")[0].split("——")[0], help=t("fm.layers_help"))
    for layer in res.layers:
        if layer.index in (shown or []):
            st.markdown(f"**{labels[layer.index]}**")
            _layer(t, layer)


def _layer(t, layer):
    """One layer: its maps as pictures (each with its value range, as a hover would give), its filters."""
    if layer.is_maps:
        maps = layer.values[:MAX_MAPS]
        if layer.filters is not None:
            left, right = st.columns([1, 2])
            k = layer.filters
            pngs, width = ff.png_list(ff.pictures(k, [layer.filter_limits] * len(k), FILTER_PX))
            figures.picture(left, pngs, caption=[str(c + 1) for c in range(len(k))], width=width,
                            output_format="PNG")
            left.caption(t("fm.filters_caption" if layer.in_channels == 1 else "fm.filters_caption_deep",
                           k=k.shape[1], c=layer.in_channels))
        else:
            right = st.container()
        pngs, width = ff.png_list(ff.pictures(maps, layer.limits, MAP_PX))
        figures.picture(right, pngs, width=width, output_format="PNG",
                        caption=[f"{c + 1} · {math_num(lo, 2)} … {math_num(hi, 2)}"
                                 for c, (lo, hi) in enumerate(layer.limits)])
        right.caption(t("fm.learned_pictures_caption"))
        if len(layer.values) > MAX_MAPS:
            right.caption(t("fm.first_maps", n=MAX_MAPS, total=len(layer.values)))
    else:
        figures.chart(st, ff.bars(layer.values.ravel(), "", t("fm.unit"), t("fm.activation"), height=200),
                      key=f"fm.act{layer.index}", **CHART)
