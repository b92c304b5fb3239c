"""cnnlab: the NumPy core of CNN Lab.

Pure computation: NumPy (and Pillow in ``images.py`` only). Never Streamlit,
Plotly or Matplotlib. Each lesson's arithmetic lives in one module:

=================  ===========================================================
conv               correlation / convolution, 1-D, 2-D and batched (im2col)
images             safe image intake
optim              optimizers and learning-rate schedules (shared by lessons)
shapes             output-size arithmetic, parameter and multiply-add counts
pooling            max / average / min pooling, forward and backward
receptive          receptive fields of a layer stack
architectures      layer tables of classic networks
autograd, expr     scalar autograd engine and the safe expression reader
surfaces, descent  2-D loss surfaces and optimizer paths
layers, model      CNN layers, models, training; data: bundled digits
filters, spectrum  filter banks and the frequency view
=================  ===========================================================

The public names below are imported lazily, so ``import cnnlab`` stays cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    # foundation
    "correlate2d": "conv", "convolve2d": "conv", "correlate1d": "conv", "convolve1d": "conv",
    "conv2d": "conv", "conv2d_loop": "conv", "conv2d_forward": "conv", "conv2d_backward": "conv",
    "rotate180": "conv", "output_shape": "conv", "window_terms": "conv",
    "channel_contributions": "conv", "conv_param_count": "conv",
    "read_image": "images", "ImageError": "images",
    "make_optimizer": "optim", "make_schedule": "optim",
    # shape arithmetic, pooling, receptive fields
    "conv_output_size": "shapes", "receptive_field": "receptive",
    # backpropagation
    "gradients": "autograd", "Value": "autograd", "trace": "autograd",
    # training
    "load_model": "model", "load_digits": "data",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cnnlab' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
