"""Feature maps of your own image: filter bank, conv -> ReLU -> pooling, colour, learned features, spectra."""

import streamlit as st

from app_pages.feature_maps import learned, questions
from app_pages.feature_maps import sections as fs
from cnnlab.vision import filters
from cnnlab.vision.images import to_gray
from ui import figures, quiz
from ui.i18n import translator
from ui.image_source import image_source, sample_names
from ui.state import UrlState
from ui.tabs import tabs

t = translator()
st.title(t("fm.title"))
st.markdown(t("fm.intro"))

SIZES = [64, 96, 128, 160, 192, 256]
url = UrlState(
    "fm",
    {"size": 128, "bank": ",".join(filters.DEFAULT_BANK), "custom": False,
     "kernel": "0 -1 0\n-1 4 -1\n0 -1 0", "relu": True, "pool_on": True, "pool": 2, "mode": "max",
     "scale": "shared", "inspect": "edge_90", "rgb": "edge_all", "bias": 0.0, "freq": "blur",
     "img.sample": "cat"},                # the sample image (the widget key of ui.image_source): in the link
    choices={"size": SIZES, "pool": [2, 3, 4], "mode": ["max", "avg"], "scale": ["shared", "per_map"],
             "rgb": list(filters.RGB_KERNEL_NAMES),
             "img.sample": sample_names()},
    bounds={"bias": (-1.0, 1.0)},
)

left, right = st.columns([1, 2], gap="large")
with left:
    size = st.select_slider(t("fm.size"), SIZES, key=url.key("size"), help=t("fm.size_help"))
    image, caption = image_source(t, "fm.img", gray=False, max_side=size, camera=True, default_sample="cat")
    gray = to_gray(image)
    figures.picture(st, image, caption=t("fm.working", name=caption, h=image.shape[0], w=image.shape[1]),
             width="stretch")
with right:
    chosen = fs.chosen_kernels(t, url)
    settings = fs.pipeline_controls(t, url)

tab, boxes = tabs("fm", {"bank": t("fm.tab_bank"), "rgb": t("fm.tab_rgb"), "learned": t("fm.tab_learned"),
                         "freq": t("fm.tab_freq")})

with boxes[tab]:                       # only the open tab is built (ui/tabs.py)
    if tab == "bank":
        fs.bank(t, url, image, gray, chosen, settings)
    elif tab == "rgb":
        fs.colour(t, url, image)
    elif tab == "learned":
        learned.learned(t, url, gray)
    else:
        fs.frequency(t, url, gray, dict(chosen).get("custom"))

url.publish(t)

quiz.show(t, "fm", questions.build(quiz.url_values(url)))
