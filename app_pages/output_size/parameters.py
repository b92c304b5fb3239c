"""The parameters section of the output-size lesson: live calculators for the syllabus's worked numbers.

A convolution layer on a ``size x size x C_in`` input (output shape and parameters, bias yes / no: the
syllabus's 32×32×3 with ten 5×5 filters and padding 2 gives 32×32×10 and 760 parameters; 4 -> 2
channels with 2×2 kernels and no bias gives 32 weights), and a bank of learned features on one image
(96×96 with 400 8×8 features: 89×89 = 7,921 per map, 3,168,400 in all). Numbers from compute.py.
"""

from __future__ import annotations

import streamlit as st

from app_pages.output_size import compute as size_compute
from ui import errors
from ui.number_box import number, show_clamped

#: The syllabus's examples: one click sets the calculator to them
LAYER_EXAMPLES = {"cifar": {"psize": 32, "pcin": 3, "pk": 5, "pcout": 10, "ppad": 2, "pstride": 1, "pbias": True},
                  "four_two": {"psize": 8, "pcin": 4, "pk": 2, "pcout": 2, "ppad": 0, "pstride": 1,
                               "pbias": False}}
CONNECT_FIELDS = ("cimage", "chidden", "cwindow")
LAYER_FIELDS = ("psize", "pcin", "pk", "pcout", "ppad", "pstride")
FEATURE_FIELDS = ("fsize", "fk", "fn")


def _example(url, values):
    for name, value in values.items():
        url.set(name, value)


def _n(v):
    return f"{v:,}"


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _big(v):
    """10¹² for a power of ten from 10⁴ on, else 1,234,567 (the metric; the exact number is its hover)."""
    digits = str(v)
    if v >= 10_000 and digits.strip("0") == "1":
        return "10" + str(len(digits) - 1).translate(_SUPERSCRIPT)
    return _n(v)


def parameters(t, url, fields):
    """The whole section: three ways to connect an image, one layer's parameters, a bank of features."""
    connectivity(t, url, fields)
    layer_calculator(t, url, fields)
    feature_calculator(t, url, fields)


def number_row(t, url, fields, names):
    """One row of the calculator's number boxes (clamped visibly by the lesson, said once)."""
    cols = st.columns(len(names))
    for col, name in zip(cols, names):
        lo, hi, _ = fields[name]
        number(col, t, f"size.{name}", url.key(name), lo, hi, help=t(f"size.{name}_help"))
    show_clamped(t, [url.key(n) for n in names], "size.clamped")


def connectivity(t, url, fields):
    """Fully connected, locally connected and convolutional weights for an image and hidden units."""
    number_row(t, url, fields, CONNECT_FIELDS)
    image, hidden, window = (int(url.get(f)) for f in CONNECT_FIELDS)
    st.markdown(t("size.params_intro", image=image, hidden=_big(hidden), window=window))
    res = size_compute.connectivity(image, hidden, window)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("size.fc_weights"), _big(res.fc), help=_n(res.fc))
    m2.metric(t("size.local_weights"), _big(res.local), help=_n(res.local))
    m3.metric(t("size.conv_weights"), _big(res.conv), help=_n(res.conv))


def layer_calculator(t, url, fields):
    """Output shape and parameters of one convolution layer; ``fields`` maps a setting to (lo, hi, default)."""
    st.subheader(t("size.layer_title"))
    st.markdown(t("size.params_counts_explain"))
    b1, b2 = st.columns(2)
    for col, name in zip((b1, b2), LAYER_EXAMPLES):
        col.button(t(f"size.example_{name}"), on_click=_example, args=(url, LAYER_EXAMPLES[name]),
                   key=f"size.example_{name}", icon=":material/menu_book:", width="stretch")
    cols = st.columns(3) + st.columns(3)                  # two rows of three: labels fit at 1024 px
    for col, name in zip(cols, LAYER_FIELDS):
        lo, hi, _ = fields[name]
        number(col, t, f"size.{name}", url.key(name), lo, hi, help=t(f"size.{name}_help"))
    bias = st.toggle(t("size.pbias"), key=url.key("pbias"), help=t("size.pbias_help"))
    show_clamped(t, [url.key(n) for n in LAYER_FIELDS], "size.clamped")
    v = {n: int(url.get(n)) for n in LAYER_FIELDS}
    try:
        res = size_compute.layer_params(v["psize"], v["pk"], v["pcin"], v["pcout"], v["ppad"], v["pstride"],
                                        bool(bias))
    except ValueError as exc:
        errors.show(exc, t)
        return
    k, cin, cout = v["pk"], v["pcin"], v["pcout"]
    per = rf"{k}\cdot{k}\cdot{cin}" + (" + 1" if bias else "")
    head = r"(k \cdot k \cdot C_{in} + 1)" if bias else r"k \cdot k \cdot C_{in}"
    # two lines, so that the product fits a phone (one line ran off at 390 px)
    st.latex(rf"\begin{{aligned}} {head}\cdot C_{{out}} &= ({per})\cdot{cout} \\ &= {res.per_filter:,}\cdot{cout} = "
             rf"\mathbf{{{res.total:,}}} \end{{aligned}}".replace(",", "{,}"))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("size.layer_output"), f"{res.out} × {res.out} × {cout}")
    m2.metric(t("size.layer_per_filter"), _n(res.per_filter))
    m3.metric(t("size.layer_total"), _n(res.total))
    key = "size.layer_sum_bias" if bias else "size.layer_sum"
    st.caption(t(key, size=v["psize"], cin=cin, k=k, cout=cout, p=v["ppad"], s=v["pstride"], out=res.out,
                 weights=_n(res.weights), biases=cout, total=_n(res.total)))


def feature_calculator(t, url, fields):
    """How many values a bank of learned features gives per image: why pooling follows."""
    st.subheader(t("size.features_title"))
    number_row(t, url, fields, FEATURE_FIELDS)
    size, k, n = (int(url.get(f)) for f in FEATURE_FIELDS)
    try:
        res = size_compute.feature_count(size, k, n)
    except ValueError as exc:
        errors.show(exc, t)
        return
    st.markdown(t("size.features_example", size=size, k=k, n=_n(n), o=res.out, per_map=_n(res.per_map),
                  total=_n(res.total)))
