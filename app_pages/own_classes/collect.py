"""Collect: name 2 to 6 classes, add images by camera, upload, drawing, a starter set or a set zip."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from cnnlab.checks import LessonError
from cnnlab.vision.dataset_zip import ImageSet, read_set
from services.own_data import LIMITS
from ui import canvas, errors, figures
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
def _starter_parts(name):
    """A bundled set as an immutable tuple (classes, labels, read-only images), read once per server
    through the same safe zip reader as an upload."""
    s = read_set((STARTER / f"{name}.zip").read_bytes(), LIMITS.zip_limits())
    for a in s.images:
        a.setflags(write=False)
    return s.classes, s.labels, s.images


def starter_set(name):
    """A bundled starter set (an :class:`~cnnlab.vision.dataset_zip.ImageSet`, shared read-only)."""
    return ImageSet(*_starter_parts(name))


def _note(kind, text):
    """A message from a callback, shown once where the student is looking (kind: success | error)."""
    st.session_state.setdefault("own.notes", []).append((kind, text))


def _add_many(t, data, index, files, source):
    """Add files one by one; a bad file gets its message, the others stay. Returns how many were added."""
    added = 0
    for f in files:
        try:
            data.add_bytes(index, f.getvalue(), source)
            added += 1
        except LessonError as exc:
            exc.params = {k: plain(v) if isinstance(v, str) else v for k, v in getattr(exc, "params", {}).items()}
            _note("error", f"{plain(f.name)}: {errors.message(exc, t)}")
            if exc.code in ("own_class_full", "own_memory_full"):
                break
    if added:
        _note("success", t.plural("own.added", added, name=plain(data.names()[index])))
    return added


def _target(data):
    return min(int(st.session_state.get("own.target") or 0), max(len(data.classes) - 1, 0))


def _on_upload(t, data, key):
    files = st.session_state.get(key) or []
    _add_many(t, data, _target(data), files, "upload")
    st.session_state["own.upload_round"] = st.session_state.get("own.upload_round", 0) + 1


def _on_camera(t, data):
    shot = st.session_state.get("own.camera")
    if shot is not None:
        _add_many(t, data, _target(data), [shot], "camera")


def _on_drawing(t, data, png):
    try:
        data.add_bytes(_target(data), png, "canvas")
        canvas.clear("own.canvas", png)
        _note("success", t.plural("own.added", 1, name=plain(data.names()[_target(data)])))
    except LessonError as exc:
        exc.params = {k: plain(v) if isinstance(v, str) else v for k, v in getattr(exc, "params", {}).items()}
        _note("error", errors.message(exc, t))


def _on_add_class(t, data):
    try:
        data.add_class(st.session_state.get("own.new_class", ""))
        st.session_state["own.new_class"] = ""
    except LessonError as exc:
        exc.params = {k: plain(v) if isinstance(v, str) else v for k, v in getattr(exc, "params", {}).items()}
        _note("error", errors.message(exc, t))


def _on_set_zip(t, data):
    up = st.session_state.get("own.set_zip")
    if up is None:
        return
    try:
        data.load_zip(up.getvalue())
        classes = t.plural("own.set_classes", len(data.classes))          # "1 class" / "3 classes"
        _note("success", t.plural("own.set_loaded", data.total(), classes=classes))
    except LessonError as exc:
        exc.params = {k: plain(v) if isinstance(v, str) else v for k, v in getattr(exc, "params", {}).items()}
        _note("error", errors.message(exc, t) + " " + t("own.nothing_lost"))


def notes():
    for kind, text in st.session_state.pop("own.notes", []):
        if kind == "error":
            st.error(text, icon=":material/error:")
        else:
            st.success(text, icon=":material/check:")


def class_manager(t, data):
    """Add, clear and remove classes; thumbnails and counts; delete one sample."""
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.text_input(t("own.class_name"), max_chars=40, placeholder=t("own.class_placeholder"), key="own.new_class")
    c2.button(t("own.add_class"), icon=":material/add:", disabled=len(data.classes) >= LIMITS.max_classes,
              key="own.add_class_btn", on_click=_on_add_class, args=(t, data))
    for i, cls in enumerate(list(data.classes)):
        with st.container(border=True):
            c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="center")
            c1.markdown(f"**{plain(cls.name)}** · " + t("own.count", n=len(cls.samples), limit=LIMITS.max_per_class))
            c2.button(t("own.clear_class"), key=f"own.clear.{i}", icon=":material/delete_sweep:",
                      disabled=not cls.samples, on_click=data.clear_class, args=(i,))
            c3.button(t("own.remove_class"), key=f"own.remove.{i}", icon=":material/close:",
                      on_click=data.remove_class, args=(i,))
            if cls.samples:
                shown = cls.samples[-24:]
                first = len(cls.samples) - len(shown)
                figures.picture(st, [s.image for s in shown], width=48,
                                caption=[str(first + k + 1) for k in range(len(shown))])
                if first:
                    st.caption(t("own.thumbs_last", n=len(shown)))
                c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
                n = c1.number_input(t("own.sample_number"), 1, len(cls.samples), len(cls.samples),
                                    key=f"own.del_n.{i}.{len(cls.samples)}")
                c2.button(t("own.delete_sample"), key=f"own.del.{i}", icon=":material/delete:",
                          on_click=data.delete, args=(i, cls.samples[int(n) - 1].id))
    for code, params in data.warnings():
        params = {k: plain(v) if isinstance(v, str) else v for k, v in params.items()}
        st.warning(t(code, **params), icon=":material/warning:")


def add_images(t, data):
    """Choose a class and a source, and add images to it (each add runs in a callback, before the page)."""
    if not data.classes:
        st.info(t("own.no_classes"), icon=":material/info:")
        return
    names = data.names()
    c1, c2 = st.columns(2)
    c1.selectbox(t("own.target_class"), range(len(names)), format_func=lambda i: names[min(i, len(names) - 1)],
                 key="own.target")
    source = c2.radio(t("own.source"), SOURCES, horizontal=True, key="own.source",
                      format_func=lambda s: t(f"own.source_{s}"))
    if source == "upload":
        key = f"own.upload.{st.session_state.get('own.upload_round', 0)}"
        files = st.file_uploader(t("own.upload"), type=IMAGE_TYPES, accept_multiple_files=True, key=key)
        if files:
            st.button(t.plural("own.add_uploads", len(files)), icon=":material/add_photo_alternate:",
                      key="own.add_uploads_btn", on_click=_on_upload, args=(t, data, key))
    elif source == "camera":
        st.camera_input(t("own.camera"), key="own.camera", on_change=_on_camera, args=(t, data))
        st.caption(t("own.camera_help"))
    else:
        png = canvas.drawing(t, "own.canvas", line=14)
        st.caption(t("own.canvas_help"))
        st.button(t("own.add_drawing"), icon=":material/draw:", disabled=png is None, key="own.add_drawing",
                  on_click=_on_drawing, args=(t, data, png))
    notes()


def _zip_bytes(data):
    """The set as zip bytes, made again only when the set changed (kept in the session)."""
    cached = st.session_state.get("own.zip_cache")
    if cached is None or cached[0] != (id(data), data.version):
        cached = ((id(data), data.version), data.to_zip())
        st.session_state["own.zip_cache"] = cached
    return cached[1]


def keep_and_continue(t, data):
    """Starter sets, download the set as a zip, upload a set zip to continue."""
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    which = c1.selectbox(t("own.starter"), STARTER_SETS, key="own.starter_set",
                         format_func=lambda s: t(f"own.starter_{s}"), help=t("own.starter_help"))
    c2.button(t("own.load_starter"), icon=":material/category:", key="own.load_starter",
              on_click=lambda: data.load_set(starter_set(which), "starter"))
    if data.total():
        st.download_button(t("own.download_set"), _zip_bytes(data), file_name="cnnlab_set.zip",
                           mime="application/zip", icon=":material/download:", key="own.download_set",
                           on_click="ignore")
    st.file_uploader(t("own.upload_set"), type=["zip"], key="own.set_zip",
                     help=t("own.upload_set_help", mb=LIMITS.max_zip_bytes // 2**20),
                     on_change=_on_set_zip, args=(t, data))
    if st.session_state.get("own.notes"):
        notes()


def section(t, data):
    st.markdown(t("own.collect_intro", k=LIMITS.max_classes, n=LIMITS.max_per_class))
    class_manager(t, data)
    st.subheader(t("own.add_title"))
    add_images(t, data)
    st.subheader(t("own.keep_title"))
    keep_and_continue(t, data)
