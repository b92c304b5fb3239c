"""Where the network looks: Grad-CAM and occlusion overlays for one image (shared by three tabs)."""

from __future__ import annotations

import streamlit as st

from app_pages.own_classes.figures import chw_to_image, enlarge
from cnnlab.vision.saliency import grad_cam, occlusion, overlay
from ui import errors, figures

PATCHES = (4, 6, 8, 12)


def maps(model, x, target, patch=8, stride=4):
    """Grad-CAM and occlusion of class ``target`` for one input ``x : (C, S, S)`` float32."""
    return grad_cam(model, x, target), occlusion(model, x, target, patch=patch, stride=stride)


def show(t, model, x, target, classes, key, *, patch=None, compact=False):
    """The image, its Grad-CAM overlay and its occlusion overlay side by side, with captions."""
    if patch is None:
        patch = st.select_slider(t("own.patch"), PATCHES, value=8, key=f"{key}.patch", help=t("own.patch_help"))
    try:
        cam, occ = maps(model, x, int(target), patch=int(patch), stride=max(1, int(patch) // 2))
    except ValueError as exc:
        errors.show(exc, t)
        return None
    img = chw_to_image(x)
    scale, width = (4, 128) if not compact else (3, 96)
    cols = st.columns(3)
    figures.picture(cols[0], enlarge(img, scale), caption=t("own.look_image"), clamp=True, width=width)
    figures.picture(cols[1], enlarge(overlay(img, cam.map), scale), clamp=True, width=width,
                  caption=t("own.look_gradcam", name=classes[int(target)]))
    figures.picture(cols[2], enlarge(overlay(img, occ.map), scale), clamp=True, width=width,
                  caption=t("own.look_occlusion", name=classes[int(target)], patch=int(patch)))
    return cam, occ
