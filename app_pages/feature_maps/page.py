"""Feature maps of your own image: filter bank, conv -> ReLU -> pooling, colour, learned features, spectra."""

import streamlit as st

from app_pages.feature_maps import sections as fs
from cnnlab.vision import filters
from cnnlab.vision.images import to_gray
from ui import errors
from ui.i18n import translator
from ui.image_source import image_source
from ui.state import UrlState

t = translator()
st.title(t("fm.title"))
st.markdown(t("fm.intro"))

SIZES = [64, 96, 128, 160, 192, 256]
url = UrlState(
    "fm",
    {"size": 128, "bank": ",".join(filters.DEFAULT_BANK), "custom": False,
     "kernel": "0 -1 0\n-1 4 -1\n0 -1 0", "relu": True, "pool_on": True, "pool": 2, "mode": "max",
     "scale": "shared", "inspect": "edge_90", "rgb": "edge_all", "bias": 0.0, "freq": "blur"},
    choices={"size": SIZES, "pool": [2, 3, 4], "mode": ["max", "avg"], "scale": ["shared", "per_map"],
             "rgb": list(filters.RGB_KERNEL_NAMES)},
    bounds={"bias": (-1.0, 1.0)},
)

left, right = st.columns([1, 2], gap="large")
with left:
    size = st.select_slider(t("fm.size"), SIZES, key=url.key("size"), help=t("fm.size_help"))
    image, caption = image_source(t, "fm.img", gray=False, max_side=size, camera=True, default_sample="cat")
    gray = to_gray(image)
    st.image(image, caption=t("fm.working", name=caption, h=image.shape[0], w=image.shape[1]),
             width="stretch")
with right:
    chosen = fs.chosen_kernels(t, url)
    settings = fs.pipeline_controls(t, url)

tab_bank, tab_rgb, tab_learned, tab_freq = st.tabs(
    [t("fm.tab_bank"), t("fm.tab_rgb"), t("fm.tab_learned"), t("fm.tab_freq")])

with tab_bank:
    if not chosen:
        st.warning(t("fm.no_filters"), icon=":material/warning:")
    else:
        names = [name for name, _ in chosen]
        kernels = [k for _, k in chosen]
        try:
            result = filters.pipeline(gray, filters.stack_kernels(kernels), settings["relu"],
                                      settings["pool"], settings["mode"])
        except ValueError as exc:
            errors.show(exc, t)
        else:
            fs.shapes_line(t, result, settings)
            fs.bank_grid(t, result, names, settings)
            st.markdown(t("fm.bank_explain"))
            fs.inspector(t, image, gray, kernels, names, result, settings, url)

with tab_rgb:
    fs.colour(t, url, image)

with tab_learned:
    fs.learned(t, url, gray)

with tab_freq:
    custom = dict(chosen).get("custom")
    fs.frequency(t, url, gray, custom)

url.publish()
