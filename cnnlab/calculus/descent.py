"""Gradient descent on loss surfaces, for the descent lesson: one place to import it all from.

The lesson's arithmetic lives in one module per concept:

===================  =====================================================================
descent_walk         one optimizer's walk (``descend``, ``run_optimizer``), divergence reported,
                     ``DescentPath``, ``lowest_value``
descent_shape        curvature (``hessian``, ``curvature``, ``lr_regimes``) and whether a surface
                     has a minimum (``surface_shape``, ``why``)
descent_tuning       learning rates tuned for a surface (``suggested_settings``, ``Suggestion``)
descent_search       before gradients: ``random_search``, ``random_local_search``, ``follow_slope``
descent_data         a data-driven loss: ``RegressionData``, ``make_data``, ``data_descent`` (BGD / SGD)
===================  =====================================================================

Every name stays importable from here (``from cnnlab.calculus.descent import ...``).
"""

from __future__ import annotations

from .descent_data import DATA_KINDS, MODES, RegressionData, batch_size_of, data_descent, make_data
from .descent_search import follow_slope, numerical_gradient, random_local_search, random_search
from .descent_shape import SHAPES, curvature, hessian, lr_regimes, surface_shape, why
from .descent_tuning import ADAPTIVE, Suggestion, suggested_lrs, suggested_settings
from .descent_walk import HYPER, MAX_LR, MAX_STEPS, OVERFLOW, DescentPath, descend, lowest_value, run_optimizer

__all__ = ["ADAPTIVE", "DATA_KINDS", "HYPER", "MAX_LR", "MAX_STEPS", "MODES", "OVERFLOW", "SHAPES",
           "DescentPath", "RegressionData", "Suggestion", "batch_size_of", "curvature", "data_descent",
           "descend", "follow_slope", "hessian", "lowest_value", "lr_regimes", "make_data",
           "numerical_gradient", "random_local_search", "random_search", "run_optimizer",
           "suggested_lrs", "suggested_settings", "surface_shape", "why"]
