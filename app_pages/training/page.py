"""Lesson: build LeNet-5, train it on real handwritten digits live, look inside, try your own digit."""

import streamlit as st

from app_pages.training import editor as arch
from app_pages.training import panel as panel
from app_pages.training import results as res
from ui.i18n import translator

t = translator()
st.title(t("train.title"))
st.markdown(t("train.intro"))

url = panel.url_state()
net_tab, train_tab, inside_tab, try_tab = st.tabs(
    [t("train.tab_network"), t("train.tab_train"), t("train.tab_inside"), t("train.tab_try")])

with net_tab:
    st.markdown(t("train.network_intro"))
    panel.choose_data(t, url)
    description = arch.editor(t, url.get("preset"))
    st.caption(t("train.editor_help"))
    checked = arch.build(t, description, url.get("init"), url.get("seed"))
    if checked is not None:
        arch.summary_table(t, checked)
    st.markdown(t("train.lenet_note"))

with train_tab:
    st.markdown(t("train.train_intro"))
    with st.container(border=True):
        settings = panel.settings(t, url)
    url.publish()
    panel.buttons(t, lambda: arch.build(t, description, url.get("init"), url.get("seed")),
                  url.get("dataset"), settings)
    panel.live_panel(t)
    st.markdown(t("train.train_explain"))

trained = st.session_state.get("train.model")
if trained is not None:
    model, dataset, how = trained
    which = t(f"train.showing_{how}", dataset=t(f"train.dataset_{dataset}"))
else:
    model, dataset, which = res.pretrained_model(), "digits", t("train.showing_pretrained")

with inside_tab:
    st.info(which, icon=":material/info:")
    if trained is not None:
        st.download_button(t("train.download"), model.to_bytes(), file_name="cnnlab_model.npz",
                           mime="application/octet-stream", icon=":material/download:")
    test = panel.dataset(dataset)[2]
    res.results(t, model, dataset, test)
    st.subheader(t("train.maps_title"))
    res.feature_maps(t, model, dataset, test)

with try_tab:
    st.markdown(t("train.try_intro"))
    models = {t("train.try_pretrained"): (res.pretrained_model(), "digits")}
    if trained is not None and dataset in ("digits", "mnist"):
        models[t("train.try_mine")] = (model, dataset)
    res.try_it(t, models)
