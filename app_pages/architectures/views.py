"""Sections of the architectures lesson: network choice, layer table, totals, notes and diagram."""

from __future__ import annotations

import streamlit as st

from cnnlab.geometry import architectures
from ui import errors, figures, shape_figures
from ui.state import UrlState
from ui.style import PLOT

NETWORKS = list(architectures.NETWORKS)


def url_state():
    return UrlState("arch", {"net": "lenet5", "fcn_size": 384}, choices={"net": NETWORKS},
                    bounds={"fcn_size": (32, 1024)})


def choose(t, url):
    c1, c2 = st.columns([3, 1])
    net = c1.selectbox(t("arch.network"), NETWORKS, key=url.key("net"), format_func=lambda n: t(f"arch.net_{n}"))
    size = None
    if net == "fcn":
        size = c2.number_input(t("arch.fcn_size"), 32, 1024, step=32, key=url.key("fcn_size"),
                               help=t("arch.fcn_size_help"))
    return net, size


@st.cache_data(show_spinner=False, max_entries=32)
def _network(name, size):
    return architectures.network(name, size)


def load(t, net, size):
    try:
        return _network(net, size)
    except ValueError as exc:
        errors.show(exc, t)
        return None


def _kind(t, row):
    kind = t(f"arch.kind_{row['kind']}")
    if row["kind"] == "pool":
        kind = t(f"arch.pool_{row.get('mode', 'max')}")
    if row.get("groups", 1) > 1:
        kind += " " + t("arch.groups", g=row["groups"])
    if row.get("bn"):
        kind += " + BN"
    return kind


def summary(t, net, result):
    what, number, source = result["published"]
    st.markdown(t(f"arch.form_{net}"))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("arch.total_params"), f"{result['params']:,}")
    m2.metric(t("arch.total_macs"), f"{result['macs']:,}", help=t("arch.macs_help"))
    mine = result["params"] if what == "params" else result["macs"]
    if mine == number:
        m3.metric(t("arch.published"), f"{number:,}", help=source)
        st.success(t("arch.matches", what=t(f"arch.what_{what}"), number=f"{number:,}", source=source),
                   icon=":material/verified:")
    else:
        m3.metric(t("arch.published"), f"≈ {number:,}", help=source)
        st.info(t("arch.close", what=t(f"arch.what_{what}"), number=f"{number:,}", mine=f"{mine:,}",
                  source=source), icon=":material/info:")


def table(t, result):
    data = []
    branches = any(r.get("branch") for r in result["rows"])
    for r in result["rows"]:
        item = {t("arch.col_layer"): r["name"], t("arch.col_type"): _kind(t, r)}
        if branches:
            b = r.get("branch") or ""
            item[t("arch.col_branch")] = t(f"arch.branch_{b}") if t.has(f"arch.branch_{b}") else b
        k = r["kernel"]
        item[t("arch.col_ksp")] = "" if k is None else f"{k}×{k} / {r['stride']} / {r['padding']}"
        item[t("arch.col_out")] = " × ".join(str(v) for v in r["out"])
        item[t("arch.col_params")] = r["params"]
        item[t("arch.col_macs")] = r["macs"]
        item[t("arch.col_rf")] = t("arch.rf_all") if r["rf"] is None else f"{r['rf']}×{r['rf']}"
        data.append(item)
    st.dataframe(data, hide_index=True, width="stretch",
                 column_config={t("arch.col_params"): st.column_config.NumberColumn(format="localized"),
                                t("arch.col_macs"): st.column_config.NumberColumn(format="localized")})
    st.caption(t("arch.table_caption"))


def notes(t, net):
    st.markdown(t(f"arch.note_{net}"))
    if net == "inception3a":
        s = architectures.inception_savings()
        m1, m2, m3 = st.columns(3)
        m1.metric(t("arch.inc_params"), f"{s['params'][1]:,}", delta=f"{s['params'][1] - s['params'][0]:,}",
                  delta_color="inverse", help=t("arch.inc_without", v=f"{s['params'][0]:,}"))
        m2.metric(t("arch.inc_macs"), f"{s['macs'][1]:,}", delta=f"{s['macs'][1] - s['macs'][0]:,}",
                  delta_color="inverse", help=t("arch.inc_without", v=f"{s['macs'][0]:,}"))
        m3.metric(t("arch.inc_channels"), s["channels"][1], delta=s["channels"][1] - s["channels"][0],
                  delta_color="inverse", help=t("arch.inc_without", v=s["channels"][0]))


def diagram(t, net, result):
    figures.chart(st, shape_figures.network_diagram(t, result["rows"],
                                                    t("arch.diagram_title", net=t(f"arch.net_{net}"))),
                    **PLOT, key="arch.fig_diagram")
    st.caption(t("arch.diagram_caption"))
