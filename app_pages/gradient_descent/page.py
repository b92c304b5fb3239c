"""Gradient descent: optimizers walking on loss surfaces, learning rates, BGD vs SGD, search methods."""

import streamlit as st

from app_pages.gradient_descent import compute, questions
from app_pages.gradient_descent import controls as ctl
from app_pages.gradient_descent import views as views
from cnnlab.calculus.optim import OPTIMIZERS
from ui import errors, quiz
from ui.i18n import translator
from ui.tabs import tabs

t = translator()
url = ctl.url_state()

st.title(t("gd.title"))
st.markdown(t("gd.intro"))
with st.expander(t("gd.defs.title"), icon=":material/menu_book:"):
    st.markdown(t("gd.defs.text"))

tab, boxes = tabs("gd", {"map": t("gd.tab.map"), "lr": t("gd.tab.lr"), "data": t("gd.tab.data"),
                         "search": t("gd.tab.search")})
tab_map, tab_lr, tab_data, tab_search = boxes["map"], boxes["lr"], boxes["data"], boxes["search"]

# only the open tab runs (lazy tabs, ui/tabs.py): the page stays quick on a student's laptop
if tab == "map":
    with tab_map:
        view_box = st.container()      # the map before its controls: on screen at 1280 x 720 (issue 18)
        ctl.map_controls(t, url)
s = ctl.map_settings(url)
surface, surface_error = None, None
try:
    surface = compute.surface_data(s.surface, s.kappa, s.formula)
except ValueError as exc:
    surface_error = exc

if tab == "map":
    with tab_map:
        paths = {}
        try:
            if surface_error:
                raise surface_error
            res = compute.optimizer_paths(s.surface, s.kappa, s.formula, s.opts, s.lrs, s.steps, s.sched,
                                          s.start, s.mom)
            paths = res.paths
        except ValueError as exc:
            errors.show(exc, t)
        for o, typed in s.bad_lrs:
            st.error(t("gd.lr_out_of_range", name=t(f"gd.opt.{o}"), limit=f"{ctl.LR_MAX:g}", value=typed),
                     icon=":material/error:")
        if surface is not None and surface.shape:
            st.info(t(f"gd.note.{surface.shape}"), icon=":material/info:")
        if surface is not None:
            names = {o: t(f"gd.opt.{o}") for o in OPTIMIZERS}
            floor = res.floor if paths else surface.floor
            if not paths and not s.bad_lrs:
                st.info(t("gd.no_optimizer"), icon=":material/info:")
            views.divergence_notes(t, paths, names)
            with view_box:
                views.player(t, url, surface, paths, names, floor, s.show3d, s.start)
            views.results_table(t, paths, names, dict(zip(s.opts, s.lrs)))
            st.markdown(t("gd.optimizers_text"))

if tab == "lr":
    with tab_lr:
        st.markdown(t("gd.lr.intro"))
        if surface is None:
            st.info(t("gd.fix_surface_first"), icon=":material/info:")
        else:
            try:
                reg = compute.regime_paths(s.surface, s.kappa, s.formula, s.start)
            except ValueError as exc:
                errors.show(exc, t)
            else:
                views.regimes(t, surface, reg.lrs, reg.paths, reg.floor, s.start)
        views.schedules(t, s.steps)

if tab == "data":
    with tab_data:
        st.markdown(t("gd.data.intro"))
        kind, l2, batch, lr, steps, seed = ctl.data_controls(t, url)
        try:
            run = compute.data_run(kind, l2, batch, lr, steps, seed)
        except ValueError as exc:
            errors.show(exc, t)
        else:
            views.data_view(t, run, kind)

if tab == "search":
    with tab_search:
        st.markdown(t("gd.search.intro"))
        tries, radius, sseed = ctl.search_controls(t, url)
        if surface is None:
            st.info(t("gd.fix_surface_first"), icon=":material/info:")
        else:
            try:
                lr_sgd = url.get("lr_sgd")
                found = compute.search_paths(s.surface, s.kappa, s.formula, s.start, tries, radius, sseed,
                                         float(lr_sgd) if ctl.valid_lr(lr_sgd) else url.defaults["lr_sgd"])
            except ValueError as exc:
                errors.show(exc, t)
            else:
                views.search_view(t, surface, found.paths, found.floor, s.start)

url.publish(t)

quiz.show(t, "gd", questions.build(quiz.url_values(url)))
