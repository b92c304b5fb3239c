"""Lesson: why deep networks are hard to train. Gradient norms layer by layer, at init and while training."""

import dataclasses

import numpy as np
import streamlit as st

from app_pages.deep_gradients import questions
from app_pages.deep_gradients import views as v
from ui import errors, figures, quiz
from ui.i18n import translator
from ui.style import PLOT

t = translator()
url = v.url_state()

st.title(t("deep.title"))
st.markdown(t("deep.intro"))

with st.container(border=True):
    v.scenarios(t, url)
    net = v.controls(t, url)
view = st.segmented_control(t("deep.view"), v.SECTIONS, key=url.key("view"),
                            format_func=lambda s: t(f"deep.view.{s}")) or "init"

if view == "init":
    try:
        norms = v.norms_at_init(net)
    except ValueError as exc:
        errors.show(exc, t)
    else:
        figures.chart(st, v.norm_bars(t, norms, t("deep.bars_init_title", n=net.depth)), **PLOT,
                        alt=t("deep.bars_alt", n=net.depth))
        st.caption(t("deep.bars_caption"))
        v.ratio_line(t, norms)
        st.markdown(t("deep.init_explain"))
else:
    lr, steps = v.train_controls(t, url)
    shallow_net = dataclasses.replace(net, depth=v.SHALLOW)
    try:
        with st.spinner(t("deep.training")):
            deep = v.run(net, lr, steps)
            shallow = v.run(shallow_net, lr, steps)
    except ValueError as exc:
        errors.show(exc, t)
    else:
        names = {"deep": t("deep.name_deep", n=net.depth), "shallow": t("deep.name_shallow", n=v.SHALLOW)}
        for r, name in ((deep, names["deep"]), (shallow, names["shallow"])):
            if r.diverged_at is not None:
                st.error(t("deep.diverged", name=name, step=r.diverged_at), icon=":material/error:")
        c1, c2 = st.columns(2)
        xs = np.arange(1, steps + 1)
        figures.chart(c1, v.curves(t, {names["deep"]: (xs, deep.loss), names["shallow"]: (xs, shallow.loss)},
                                 t("deep.loss_title"), t("deep.axis_loss"), "loss"), **PLOT,
                        alt=t("deep.loss_alt"))
        figures.chart(c2, v.curves(t, {names["deep"]: (deep.steps, deep.val_acc),
                                     names["shallow"]: (shallow.steps, shallow.val_acc)},
                                 t("deep.acc_title"), t("deep.axis_acc"), "acc"), **PLOT, alt=t("deep.acc_alt"))
        st.markdown(t("deep.result", name=names["deep"], acc=f"{deep.val_acc[-1]:.0%}",
                      name2=names["shallow"], acc2=f"{shallow.val_acc[-1]:.0%}"))
        recorded = [int(s) for s in deep.steps]
        at = st.select_slider(t("deep.at_step"), recorded, value=recorded[-1], key=f"deep.at_step.{steps}")
        k = recorded.index(at)
        figures.chart(st, v.norm_bars(t, deep.norms[k], t("deep.bars_train_title", n=net.depth, step=at),
                                    ref=deep.norms[0], ref_name=t("deep.at_init")), **PLOT,
                        alt=t("deep.bars_alt", n=net.depth))
        v.ratio_line(t, deep.norms[k])
        figures.chart(st, v.curves(t, {t("deep.first_layer"): (deep.steps, deep.norms[:, 0]),
                                     t("deep.last_layer"): (deep.steps, deep.norms[:, -1])},
                                 t("deep.fl_title"), t("deep.axis_norm"), "norm"), **PLOT, alt=t("deep.fl_alt"))
        st.markdown(t("deep.train_explain"))

st.subheader(t("deep.resnet_title"))
st.markdown(t("deep.resnet_text"))
st.page_link("app_pages/architectures/page.py", label=t("deep.resnet_link"), icon=":material/account_tree:",
             query_params={"net": "resnet_block"})
quiz.show(t, "deep", questions.build(quiz.url_values(url)))
url.publish(t)
