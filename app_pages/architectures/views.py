"""Sections of the architectures lesson: network choice, totals, diagram, layer table and notes.

Every number comes from ``compute`` (frozen results); these functions only draw them.
"""

from __future__ import annotations

import streamlit as st

from app_pages.architectures import compute
from ui import errors, figures, shape_figures
from ui.fmt import grouped
from ui.state import UrlState
from ui.style import PLOT

NETWORKS = list(compute.NETWORKS)
# Totals such as 128,049,152 must show whole in a third of the page at 1024 px, and their labels wrap;
# on a phone the layer table keeps each cell on one line and scrolls sideways (Chinese would otherwise
# break "卷积" into one character per line). A constant: no user or URL text goes into it.
PAGE_CSS = """<style>[data-testid="stMetricValue"] { font-size: 1.7rem !important; }
[data-testid="stMetricValue"] div, [data-testid="stMetricLabel"] p { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; overflow-wrap: anywhere; }
@media (max-width: 640px) { [data-testid="stTable"] td, [data-testid="stTable"] th,
  [data-testid="stTable"] td *, [data-testid="stTable"] th * { white-space: nowrap !important; } }</style>"""
FCN_NOTE = "arch._fcn_clamped"          # (typed, used) after the student typed a size out of range


def url_state(n_digits):
    lo, hi = compute.FCN_RANGE
    return UrlState("arch", {"net": "lenet5", "fcn_size": 384, "digit": 0, "k": 8, "space": "hidden"},
                    choices={"net": NETWORKS, "space": compute.SPACES},
                    bounds={"fcn_size": (lo, hi), "digit": (0, n_digits - 1), "k": (1, 16)})


def _clamp_fcn(key):
    """A typed size out of range is brought into range, visibly (the box shows the size in use)."""
    typed = st.session_state.get(key)
    if typed is None:
        st.session_state[key] = 384
        return
    used, clamped = compute.clamp_fcn_size(typed)
    if clamped:
        st.session_state[key] = used
        st.session_state[FCN_NOTE] = (int(typed), used)
    else:
        st.session_state.pop(FCN_NOTE, None)


def choose(t, url):
    st.html(PAGE_CSS)
    c1, c2 = st.columns([3, 1])
    net = c1.selectbox(t("arch.network"), NETWORKS, key=url.key("net"), format_func=lambda n: t(f"arch.net_{n}"))
    size = None
    if net == "fcn":
        lo, hi = compute.FCN_RANGE
        # No min/max on the box: Streamlit would keep a typed 100000 in it and silently use the old
        # value; the callback brings it into range and says so.
        size = c2.number_input(t("arch.fcn_size"), step=32, key=url.key("fcn_size"),
                               help=t("arch.fcn_size_help", lo=lo, hi=hi),
                               on_change=_clamp_fcn, args=(url.key("fcn_size"),))
        note = st.session_state.get(FCN_NOTE)
        if note:
            st.info(t("arch.fcn_clamped", typed=grouped(note[0]), used=note[1], lo=lo, hi=hi),
                    icon=":material/straighten:")
        size = compute.clamp_fcn_size(384 if size is None else size)[0]
    return net, size


def load(t, net, size):
    try:
        return compute.network(net, size)
    except ValueError as exc:
        errors.show(exc, t)
        return None


def layer_name(t, layer):
    """The shown name of a layer: its catalog label when its name is a phrase, else the paper's name."""
    return t(f"arch.layer.{layer.label}") if layer.label else layer.name


def _kind(t, layer):
    if layer.unshared:
        kind = t("arch.kind_local")
    elif layer.kind == "pool":
        kind = t(f"arch.pool_{layer.mode or 'max'}")
    else:
        kind = t(f"arch.kind_{layer.kind}")
    if layer.groups > 1:
        kind += " " + t("arch.groups", g=layer.groups)
    if layer.regions > 1 and not layer.unshared:
        kind += " " + t("arch.shared_regions", n=layer.regions)
    if layer.bn:
        kind += " " + t("arch.with_bn")
    return kind


def summary(t, net, result):
    source = t(f"arch.source_{net}")
    st.markdown(t(f"arch.form_{net}"))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("arch.total_params"), grouped(result.params))
    m2.metric(t("arch.total_macs"), grouped(result.macs), help=t("arch.macs_help"))
    what = t(f"arch.what_{result.what}")
    number = grouped(result.published)
    if result.matches:
        m3.metric(t("arch.published"), number, help=source)
        st.success(t("arch.matches", what=what, number=number, source=source), icon=":material/verified:")
    else:
        m3.metric(t("arch.published"), f"≈ {number}", help=source)
        st.info(t("arch.close", what=what, number=number, mine=grouped(result.mine), source=source),
                icon=":material/info:")


def table(t, result):
    """A static table: every name and number shown whole (no column cuts "3×3 reduce"), numbers grouped.

    No branch column: the names say the branch ("3×3 reduce", "shortcut") and the diagram draws it, and
    without it the receptive field still fits beside the sidebar at 1024 px."""
    data = []
    for lay in result.layers:
        item = {t("arch.col_layer"): layer_name(t, lay), t("arch.col_type"): _kind(t, lay)}
        k = lay.kernel
        item[t("arch.col_ksp")] = "" if k is None else f"{k}×{k} / {lay.stride} / {lay.padding}"
        item[t("arch.col_out")] = "×".join(str(v) for v in lay.out)        # compact: the column stays narrow
        item[t("arch.col_params")] = grouped(lay.params)
        item[t("arch.col_macs")] = grouped(lay.macs)
        item[t("arch.col_rf")] = t("arch.rf_all") if lay.rf is None else f"{lay.rf}×{lay.rf}"
        data.append(item)
    st.table(data, border="horizontal")
    st.caption(t("arch.table_caption"))
    if result.key == "resnet18":
        st.caption(t("arch.torchvision_names"))


def notes(t, net):
    st.markdown(t(f"arch.note_{net}"))
    if net == "inception3a":
        s = compute.inception_savings()
        m1, m2, m3 = st.columns(3)
        m1.metric(t("arch.inc_params"), grouped(s.params[1]), delta=grouped(s.params[1] - s.params[0]),
                  delta_color="inverse", help=t("arch.inc_without", v=grouped(s.params[0])))
        m2.metric(t("arch.inc_macs"), grouped(s.macs[1]), delta=grouped(s.macs[1] - s.macs[0]),
                  delta_color="inverse", help=t("arch.inc_without", v=grouped(s.macs[0])))
        m3.metric(t("arch.inc_channels"), s.channels[1], delta=s.channels[1] - s.channels[0],
                  delta_color="inverse", help=t("arch.inc_without", v=s.channels[0]))


def diagram(t, net, result):
    # the diagram's labels sit side by side: the short form of a phrase ("3×3 reduce", "DeepID")
    rows = [lay.as_row(t(f"arch.layer_short.{lay.label}") if lay.label else lay.name) for lay in result.layers]
    figures.chart(st, shape_figures.network_diagram(t, rows, t("arch.diagram_title")),
                    **PLOT, key="arch.fig_diagram")
    st.caption(t("arch.diagram_caption"))
