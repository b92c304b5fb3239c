"""Collect: name 2 to 6 classes, add images by camera, upload, drawing, a starter set or a set zip."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from app_pages.own_classes.figures import enlarge
from cnnlab.checks import LessonError
from cnnlab.vision.dataset_zip import read_set
from services.own_data import LIMITS
from ui import canvas, errors
from ui.image_source import IMAGE_TYPES

logger = logging.getLogger(__name__)
STARTER = Path(__file__).resolve().parents[2] / "assets" / "starter"
SOURCES = ("upload", "camera", "canvas")
_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=")


def plain(text):
    """A class name (student text) escaped for Markdown: shown as typed, never as formatting."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))


STARTER_SETS = ("shapes", "shortcut_train")


def show_error(t, exc):
    """A translated error whose text parameters (file or class names) are escaped first."""
    if isinstance(getattr(exc, "params", None), dict):
        exc.params = {k: plain(v) if isinstance(v, str) else v for k, v in exc.params.items()}
    errors.show(exc, t)


@st.cache_resource(show_spinner=False, max_entries=8)
def starter_set(name):
    """A bundled set, read (through the same safe zip reader as an upload) once per server."""
    return read_set((STARTER / f"{name}.zip").read_bytes(), LIMITS.zip_limits())


def _add_many(t, data, index, files, source):
    """Add uploaded files one by one; a bad file gets its message, the others stay."""
    added = 0
    for f in files:
        try:
            data.add_bytes(index, f.getvalue(), source)
            added += 1
        except LessonError as exc:
            exc.params = {k: plain(v) if isinstance(v, str) else v for k, v in getattr(exc, "params", {}).items()}
            st.error(f"{plain(f.name)}: {errors.message(exc, t)}", icon=":material/error:")
            if exc.code in ("own_class_full", "own_memory_full"):
                break
    return added


def class_manager(t, data):
    """Add, clear and remove classes; thumbnails and counts; delete one sample."""
    with st.form("own.add_class_form", clear_on_submit=True, border=False):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        name = c1.text_input(t("own.class_name"), max_chars=40, placeholder=t("own.class_placeholder"),
                             key="own.new_class")
        if c2.form_submit_button(t("own.add_class"), icon=":material/add:",
                                 disabled=len(data.classes) >= LIMITS.max_classes):
            try:
                data.add_class(name)
            except LessonError as exc:
                show_error(t, exc)
    for i, cls in enumerate(list(data.classes)):
        with st.container(border=True):
            c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="center")
            c1.markdown(f"**{plain(cls.name)}** · "
                        + t("own.count", n=len(cls.samples), limit=LIMITS.max_per_class))
            if c2.button(t("own.clear_class"), key=f"own.clear.{i}", icon=":material/delete_sweep:",
                         disabled=not cls.samples):
                data.clear_class(i)
                st.rerun()
            if c3.button(t("own.remove_class"), key=f"own.remove.{i}", icon=":material/close:"):
                data.remove_class(i)
                st.rerun()
            if cls.samples:
                shown = cls.samples[-24:]
                st.image([enlarge(s.image, 1) for s in shown], width=48,
                         caption=[str(cls.samples.index(s) + 1) for s in shown])
                if len(cls.samples) > len(shown):
                    st.caption(t("own.thumbs_last", n=len(shown)))
                c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
                n = c1.number_input(t("own.sample_number"), 1, len(cls.samples), len(cls.samples),
                                    key=f"own.del_n.{i}")
                if c2.button(t("own.delete_sample"), key=f"own.del.{i}", icon=":material/delete:"):
                    data.delete(i, cls.samples[int(n) - 1].id)
                    st.rerun()
    for code, params in data.warnings():
        params = {k: plain(v) if isinstance(v, str) else v for k, v in params.items()}
        st.warning(t(code, **params), icon=":material/warning:")


def add_images(t, data):
    """Choose a class and a source, and add images to it."""
    if not data.classes:
        st.info(t("own.no_classes"), icon=":material/info:")
        return
    names = data.names()
    c1, c2 = st.columns(2)
    index = c1.selectbox(t("own.target_class"), range(len(names)), format_func=lambda i: names[i],
                         key="own.target")
    index = min(int(index or 0), len(names) - 1)
    source = c2.radio(t("own.source"), SOURCES, horizontal=True, key="own.source",
                      format_func=lambda s: t(f"own.source_{s}"))
    if source == "upload":
        files = st.file_uploader(t("own.upload"), type=IMAGE_TYPES, accept_multiple_files=True,
                                 key=f"own.upload.{st.session_state.get('own.upload_round', 0)}")
        if files and st.button(t("own.add_uploads", n=len(files)), icon=":material/add_photo_alternate:",
                               key="own.add_uploads_btn"):
            added = _add_many(t, data, index, files, "upload")
            st.session_state["own.upload_round"] = st.session_state.get("own.upload_round", 0) + 1
            st.session_state["own.flash"] = t("own.added", n=added, name=plain(names[index]))
            st.rerun()
    elif source == "camera":
        shot = st.camera_input(t("own.camera"), key="own.camera")
        seen = st.session_state.setdefault("own.camera_seen", set())
        if shot is not None and shot.file_id not in seen:
            seen.add(shot.file_id)
            if _add_many(t, data, index, [shot], "camera"):
                st.session_state["own.flash"] = t("own.added", n=1, name=plain(names[index]))
                st.rerun()
        st.caption(t("own.camera_help"))
    else:
        png = canvas.drawing(t, "own.canvas", line=14)
        st.caption(t("own.canvas_help"))
        if st.button(t("own.add_drawing"), icon=":material/draw:", disabled=png is None, key="own.add_drawing"):
            try:
                data.add_bytes(index, png, "canvas")
                canvas.clear("own.canvas", png)
                st.session_state["own.flash"] = t("own.added", n=1, name=plain(names[index]))
                st.rerun()
            except LessonError as exc:
                show_error(t, exc)
    flash = st.session_state.pop("own.flash", None)
    if flash:
        st.success(flash, icon=":material/check:")


def keep_and_continue(t, data):
    """Starter sets, download the set as a zip, upload a set zip to continue."""
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    which = c1.selectbox(t("own.starter"), STARTER_SETS, key="own.starter_set",
                         format_func=lambda s: t(f"own.starter_{s}"), help=t("own.starter_help"))
    if c2.button(t("own.load_starter"), icon=":material/category:", key="own.load_starter"):
        data.load_set(starter_set(which), "starter")
        st.rerun()
    if data.total():
        st.download_button(t("own.download_set"), data.to_zip(), file_name="cnnlab_set.zip",
                           mime="application/zip", icon=":material/download:", key="own.download_set",
                           on_click="ignore")
    up = st.file_uploader(t("own.upload_set"), type=["zip"], key="own.set_zip", help=t("own.upload_set_help",
                          mb=LIMITS.max_zip_bytes // 2**20))
    if up is not None and st.session_state.get("own.set_zip_done") != up.file_id:
        try:
            data.load_zip(up.getvalue())
            st.session_state["own.set_zip_done"] = up.file_id
            st.success(t("own.set_loaded", n=data.total(), k=len(data.classes)), icon=":material/check:")
        except LessonError as exc:
            show_error(t, exc)
            st.caption(t("own.nothing_lost"))


def section(t, data):
    st.markdown(t("own.collect_intro", k=LIMITS.max_classes, n=LIMITS.max_per_class))
    class_manager(t, data)
    st.subheader(t("own.add_title"))
    add_images(t, data)
    st.subheader(t("own.keep_title"))
    keep_and_continue(t, data)
