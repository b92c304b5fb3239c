"""Lesson: build LeNet-5, train it on real handwritten digits live, look inside, try your own digit."""

import streamlit as st

from app_pages.training import panel as panel
from app_pages.training import questions, try_digit
from app_pages.training import results as res
from cnnlab.nn.model import PRESETS
from services.session_models import trained_model
from ui import quiz
from ui.i18n import translator
from ui.models import PRETRAINED_DATASET, pretrained_model
from ui.network_editor import NetworkEditor
from ui.tabs import tabs

t = translator()
st.title(t("train.title"))
st.markdown(t("train.intro"))

url = panel.url_state()
arch = NetworkEditor(url, PRESETS)     # the layer table (ui/network_editor.py); edits travel in ?arch=
progress = st.container()              # a running training's progress line, above every other tab
tab, boxes = tabs("train", {"network": t("train.tab_network"), "train": t("train.tab_train"),
                            "inside": t("train.tab_inside"), "try": t("train.tab_try")})
preset = url.get("preset")

if tab == "network":                   # only the open tab is built (ui/tabs.py)
    with boxes["network"]:
        st.markdown(t("train.network_intro"))
        panel.choose_data(t, url)
        description = arch.editor(t, preset)
        st.caption(t("train.editor_help"))
        checked = arch.build(t, description, url.get("init"), panel.checked(url, "seed")[0])
        if checked is not None:
            arch.summary_table(t, checked)
        st.markdown(t("train.lenet_note"))

if tab == "train":
    with boxes["train"]:
        st.markdown(t("train.train_intro"))
        with st.container(border=True):
            settings = panel.settings(t, url)
        seed = settings["seed"]
        panel.buttons(t, lambda: arch.build(t, arch.current_description(preset), url.get("init"), seed),
                      url.get("dataset"), settings, description=arch.current_description(preset))
        panel.live_panel(t)
        st.markdown(t("train.train_explain"))
else:
    with progress:                     # the poll goes on, so the pool knows the page still watches the job
        panel.live_panel(t, compact=True)

url.publish(t)

trained = trained_model()
if trained is not None:
    model, dataset = trained.model, trained.dataset
    which = t(f"train.showing_{trained.how}", dataset=t(f"train.dataset_{dataset}"))
else:
    model, dataset, which = pretrained_model(), PRETRAINED_DATASET, t("train.showing_pretrained")

if tab == "inside":
    with boxes["inside"]:
        st.info(which, icon=":material/info:")
        if trained is not None:
            # serialised only when the student asks for the file (to_bytes takes ~0.1 s)
            st.download_button(t("train.download"), model.to_bytes, file_name="cnnlab_model.npz",
                               mime="application/octet-stream", icon=":material/download:")
        test = panel.dataset(dataset)[2]
        res.results(t, model, dataset, test)
        st.subheader(t("train.maps_title"))
        res.feature_maps(t, model, dataset, test)

if tab == "try":
    with boxes["try"]:
        st.markdown(t("train.try_intro"))
        models = {t("train.try_pretrained"): (pretrained_model(), PRETRAINED_DATASET)}
        if trained is not None and dataset in ("digits", "mnist"):
            models[t("train.try_mine")] = (model, dataset)
        try_digit.try_it(t, models)

quiz.show(t, "train", questions.build(quiz.url_values(url)))
