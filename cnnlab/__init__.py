"""cnnlab: the NumPy core of CNN Lab.

Pure computation: NumPy (and Pillow in ``images.py`` only). Never Streamlit,
Plotly or Matplotlib. Each lesson's arithmetic lives in one module:

==================  ==========================================================
ops                 conv (correlation / convolution, im2col), conv_backward, pooling
geometry            shapes (output sizes, parameters, multiply-adds: the one place),
                    cost (a network's cost before any array), receptive, architectures
calculus            expr (safe expression reader), autograd, gradcheck (the one numerical
                    gradient), optim, surfaces, descent
nn                  layers (forward -> (out, cache), backward(dout, cache)), model, train,
                    data, digits, represent (a last hidden layer as a representation: PCA,
                    nearest neighbours)
vision              images (safe intake, the only Pillow user), kernels (the one kernel
                    registry), filters, spectrum
checks              LessonError and argument checks
==================  ==========================================================

The public names below are imported lazily, so ``import cnnlab`` stays cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    # foundation
    "correlate2d": "ops.conv", "convolve2d": "ops.conv", "correlate1d": "ops.conv", "convolve1d": "ops.conv",
    "conv2d": "ops.conv", "conv2d_loop": "ops.conv", "conv2d_forward": "ops.conv", "conv2d_backward": "ops.conv",
    "rotate180": "ops.conv", "output_shape": "ops.conv", "window_terms": "ops.conv",
    "channel_contributions": "ops.conv", "conv_param_count": "geometry.shapes",
    "read_image": "vision.images", "ImageError": "vision.images",
    "make_optimizer": "calculus.optim", "make_schedule": "calculus.optim",
    # shape arithmetic, pooling, receptive fields
    "conv_output_size": "geometry.shapes", "receptive_field": "geometry.receptive",
    # backpropagation
    "gradients": "calculus.autograd", "Value": "calculus.autograd", "trace": "calculus.autograd",
    # training
    "load_model": "nn.model", "load_digits": "nn.data",
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
