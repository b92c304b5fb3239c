"""One widget group for every lesson that takes an image: a sample, an upload or the camera.

Decoding goes through ``cnnlab.read_image`` (safe intake); a bad file gives a
translated message and the lesson keeps working with the last good image.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cnnlab.vision.images import load_image, read_image
from ui import errors

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]


def sample_names():
    return sorted(p.stem for p in SAMPLES.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))


def sample_path(name):
    for ext in (".png", ".jpg", ".jpeg"):
        p = SAMPLES / f"{name}{ext}"
        if p.exists():
            return p
    raise FileNotFoundError(name)


@st.cache_data(show_spinner=False, max_entries=64)
def decode(data: bytes, gray: bool, max_side: int | None):
    """Cached safe decoding (a ValueError is re-raised on every call, never cached)."""
    return read_image(data, gray=gray, max_side=max_side)


@st.cache_data(show_spinner=False, max_entries=64)
def decode_info(data: bytes, gray: bool, max_side: int | None):
    """Cached safe decoding that also returns what was done (``cnnlab.vision.images.load_image``)."""
    return load_image(data, gray=gray, max_side=max_side)


def intake_note(t, info):
    """A visible caption when an upload was downscaled to the working size or turned upright."""
    if info.get("scaled"):
        (h0, w0), (h, w) = info["original"], info["shape"]
        st.caption(t("image.scaled_note", orig_h=h0, orig_w=w0, h=h, w=w), help=t("image.scaled_help"))
    if info.get("rotated"):
        st.caption(t("image.rotated_note"))


def load_sample(name, gray=True, max_side=None):
    return decode(sample_path(name).read_bytes(), gray, max_side)


def image_source(t, key, *, gray=True, max_side=64, camera=False, default_sample=None):
    """Widgets to choose an image; returns ``(array, caption)`` (never raises).

    The array is ``(H, W)`` (``gray``) or ``(H, W, 3)`` in [0, 1], at most
    ``max_side`` pixels on a side.
    """
    names = sample_names()
    options = ["sample", "upload"] + (["camera"] if camera else [])
    source = st.radio(t("image.source"), options, key=f"{key}.source", horizontal=True,
                      format_func=lambda o: t(f"image.source_{o}"))
    # "shapes" stays the default of pages that name none (it was the only sample at first)
    fallback_name = (default_sample if default_sample in names
                     else "shapes" if "shapes" in names else names[0])
    if source == "sample":
        # a page may keep the sample in its link (UrlState under the same key): then no index here
        index = None if f"{key}.sample" in st.session_state else names.index(fallback_name)
        name = st.selectbox(t("image.sample"), names, key=f"{key}.sample", index=index or 0,
                            format_func=lambda n: t(f"sample.{n}") if t.has(f"sample.{n}") else n)
        return load_sample(name, gray, max_side), t(f"sample.{name}") if t.has(f"sample.{name}") else name
    if source == "upload":
        up = st.file_uploader(t("image.upload"), type=IMAGE_TYPES, key=f"{key}.upload",
                              help=t("image.upload_help"))
    else:
        up = st.camera_input(t("image.camera"), key=f"{key}.camera")
    if up is None:
        st.info(t("image.waiting"), icon=":material/upload:")
    else:
        try:
            arr, info = decode_info(up.getvalue(), gray, max_side)
            intake_note(t, info)
            name = errors.plain(up.name)       # shown in captions: never Markdown of the student's
            st.session_state[f"{key}.last_good"] = (arr, name)
            return arr, name
        except ValueError as exc:
            # named: the uploader may also list a newer file that the browser refused itself (over the size
            # limit, with Streamlit's own red line) - that refusal never reaches the server, so the page cannot
            # react to it; a message that names its file is never mistaken for one about the newer file
            st.error(t("image.bad_upload", name=errors.plain(up.name), message=errors.message(exc, t)),
                     icon=":material/error:")
    if f"{key}.last_good" in st.session_state:
        arr, name = st.session_state[f"{key}.last_good"]
        st.caption(t("image.using_last", name=name))
        return arr, name
    st.caption(t("image.using_sample"))
    return load_sample(fallback_name, gray, max_side), fallback_name
