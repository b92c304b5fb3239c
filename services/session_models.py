"""The model a student trained in this session, for every lesson that wants to show it.

The training lesson publishes its finished (or stopped) model with :func:`set_trained_model`;
any other lesson (the feature maps, say) reads it with :func:`trained_model` and gets a typed,
frozen record - model, dataset name, input shape and class names - instead of guessing the
layout of another lesson's session entry. One entry per session (``st.session_state``), so a
model never leaves the session that trained it (tests/test_isolation.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnlab.nn.data import class_names as dataset_classes

_KEY = "session_models.trained"


@dataclass(frozen=True)
class TrainedModel:
    """A model trained in this session.

    model : the ``cnnlab.nn.model.Model`` (treat as read-only outside the training lesson)
    dataset : the dataset it was trained on (``digits``, ``mnist``, ``fashion``, ``shapes``, ...)
    input_shape : ``(channels, height, width)`` of one input image
    class_names : the class keys of its outputs, in output order
    how : ``done`` (trained to the end) or ``stopped`` (stopped early; keeps what it learned)
    """

    model: object
    dataset: str
    input_shape: tuple
    class_names: tuple
    how: str = "done"


def set_trained_model(model, dataset, how="done", class_names=None):
    """Publish ``model`` as this session's trained model; returns the :class:`TrainedModel`."""
    if class_names is None:
        try:
            class_names = dataset_classes(dataset)
        except KeyError:
            class_names = [str(i) for i in range(model.num_classes)]
    entry = TrainedModel(model=model, dataset=dataset, input_shape=tuple(model.input_shape),
                         class_names=tuple(class_names), how=how)
    st.session_state[_KEY] = entry
    return entry


def trained_model() -> TrainedModel | None:
    """This session's trained model, or None when it has not trained one."""
    entry = st.session_state.get(_KEY)
    return entry if isinstance(entry, TrainedModel) else None


def clear_trained_model():
    st.session_state.pop(_KEY, None)
