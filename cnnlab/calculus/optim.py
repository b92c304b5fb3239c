"""Optimizers and learning-rate schedules: one implementation for every lesson.

The gradient-descent lesson runs them on 2-D surfaces; the CNN trainer runs
the very same update rules on the network's weight arrays. Each optimizer
keeps its own state (velocities, squared-gradient averages) per parameter and
updates the parameter arrays in place:

>>> opt = make_optimizer("adam", lr=0.01)
>>> opt.step([w], [dw])          # w -= update, in place

Update rules (``g`` the gradient, ``lr`` the learning rate at this step)
-------------------------------------------------------------------------
sgd       w <- w - lr g
momentum  v <- mu v - lr g;              w <- w + v
nesterov  v <- mu v - lr g(w + mu v);    w <- w + v   (look-ahead form, Sutskever 2013)
adagrad   G <- G + g^2;                  w <- w - lr g / (sqrt(G) + eps)
rmsprop   E <- rho E + (1-rho) g^2;      w <- w - lr g / (sqrt(E) + eps)
adam      m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
          w <- w - lr m_hat / (sqrt(v_hat) + eps),  m_hat = m/(1-b1^t), v_hat = v/(1-b2^t)

Nesterov here uses the equivalent "gradient at the current point" rewrite
(Bengio et al. 2012) so every optimizer needs only ``g(w)``:
``v <- mu v - lr g;  w <- w + mu v - lr g``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..checks import LessonError

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
SCHEDULES = ("constant", "step", "linear", "cosine", "cyclic")


class Optimizer:
    """Base class: ``step(params, grads)`` updates each array of ``params`` in place."""

    name = "sgd"

    def __init__(self, lr=0.01, schedule=None):
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr <= 0:
            raise LessonError("bad_learning_rate", f"the learning rate must be a positive number, got {lr}.",
                              value=str(lr))
        self.lr = float(lr)
        self.schedule = schedule or constant_schedule()
        self.t = 0
        self.state = {}

    def current_lr(self):
        """Learning rate used by the next step (the schedule at step ``t``)."""
        return self.lr * self.schedule(self.t)

    def step(self, params, grads):
        lr = self.current_lr()
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            self._update(i, p, g, lr)

    def _update(self, i, p, g, lr):
        p -= lr * g

    def _slot(self, name, i, like):
        key = (name, i)
        if key not in self.state:
            self.state[key] = np.zeros_like(like)
        return self.state[key]


class SGD(Optimizer):
    name = "sgd"


class Momentum(Optimizer):
    name = "momentum"

    def __init__(self, lr=0.01, momentum=0.9, schedule=None):
        super().__init__(lr, schedule)
        self.mu = float(momentum)

    def _update(self, i, p, g, lr):
        v = self._slot("v", i, p)
        v *= self.mu
        v -= lr * g
        p += v


class Nesterov(Momentum):
    name = "nesterov"

    def _update(self, i, p, g, lr):
        v = self._slot("v", i, p)
        v *= self.mu
        v -= lr * g
        p += self.mu * v - lr * g


class AdaGrad(Optimizer):
    name = "adagrad"

    def __init__(self, lr=0.1, eps=1e-8, schedule=None):
        super().__init__(lr, schedule)
        self.eps = float(eps)

    def _update(self, i, p, g, lr):
        acc = self._slot("G", i, p)
        acc += g * g
        p -= lr * g / (np.sqrt(acc) + self.eps)


class RMSProp(Optimizer):
    name = "rmsprop"

    def __init__(self, lr=0.01, rho=0.9, eps=1e-8, schedule=None):
        super().__init__(lr, schedule)
        self.rho, self.eps = float(rho), float(eps)

    def _update(self, i, p, g, lr):
        e = self._slot("E", i, p)
        e *= self.rho
        e += (1 - self.rho) * g * g
        p -= lr * g / (np.sqrt(e) + self.eps)


class Adam(Optimizer):
    name = "adam"

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, schedule=None):
        super().__init__(lr, schedule)
        self.b1, self.b2, self.eps = float(beta1), float(beta2), float(eps)

    def _update(self, i, p, g, lr):
        m = self._slot("m", i, p)
        v = self._slot("v", i, p)
        m *= self.b1
        m += (1 - self.b1) * g
        v *= self.b2
        v += (1 - self.b2) * g * g
        t = self.t  # already incremented: the first step is t = 1
        m_hat = m / (1 - self.b1 ** t)
        v_hat = v / (1 - self.b2 ** t)
        p -= lr * m_hat / (np.sqrt(v_hat) + self.eps)


_CLASSES = {c.name: c for c in (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam)}


def make_optimizer(name, lr=0.01, schedule=None, **hyper):
    """Build an optimizer by name (one of :data:`OPTIMIZERS`)."""
    if name not in _CLASSES:
        raise ValueError(f"unknown optimizer '{name}'; choose one of {', '.join(OPTIMIZERS)}.")
    return _CLASSES[name](lr=lr, schedule=schedule, **hyper)


# --------------------------------------------------------------------------
# Learning-rate schedules: functions of the step t returning a multiplier of lr
# --------------------------------------------------------------------------
def constant_schedule():
    """``factor(t) = 1``."""
    return lambda t: 1.0


def step_schedule(step_size=100, gamma=0.5):
    """``factor(t) = gamma ** floor(t / step_size)`` (step decay)."""
    if step_size < 1:
        raise ValueError("the step size of a step schedule must be at least 1.")
    return lambda t: gamma ** (t // step_size)


def linear_schedule(total_steps, end_factor=0.0):
    """Linear decay from 1 at t = 0 to ``end_factor`` at ``t = total_steps`` (then flat)."""
    if total_steps < 1:
        raise ValueError("a linear schedule needs at least one step.")
    return lambda t: 1.0 + (end_factor - 1.0) * min(t, total_steps) / total_steps


def cosine_schedule(total_steps, end_factor=0.0):
    """``factor(t) = end + (1 - end)(1 + cos(pi t / T)) / 2`` for ``t <= T``."""
    if total_steps < 1:
        raise ValueError("a cosine schedule needs at least one step.")
    return lambda t: end_factor + (1 - end_factor) * 0.5 * (
        1 + math.cos(math.pi * min(t, total_steps) / total_steps))


def cyclic_schedule(half_cycle=50, low=0.1):
    """Triangular cyclic schedule (Smith 2017): from ``low`` up to 1 and back every ``2*half_cycle`` steps."""
    if half_cycle < 1:
        raise ValueError("a cyclic schedule needs a half cycle of at least one step.")

    def factor(t):
        pos = (t % (2 * half_cycle)) / half_cycle  # 0..2
        tri = pos if pos <= 1 else 2 - pos
        return low + (1 - low) * tri
    return factor


def make_schedule(name, total_steps=100, **kw):
    """Build a schedule by name (one of :data:`SCHEDULES`)."""
    if name == "constant":
        return constant_schedule()
    if name == "step":
        return step_schedule(kw.get("step_size", max(1, total_steps // 3)), kw.get("gamma", 0.5))
    if name == "linear":
        return linear_schedule(total_steps, kw.get("end_factor", 0.0))
    if name == "cosine":
        return cosine_schedule(total_steps, kw.get("end_factor", 0.0))
    if name == "cyclic":
        return cyclic_schedule(kw.get("half_cycle", max(1, total_steps // 4)), kw.get("low", 0.1))
    raise ValueError(f"unknown schedule '{name}'; choose one of {', '.join(SCHEDULES)}.")


def schedule_values(schedule, steps):
    """The factors ``schedule(t)`` for ``t = 0 .. steps-1`` as an array (for plotting)."""
    return np.array([schedule(t) for t in range(steps)])


# --------------------------------------------------------------------------
# On a quadratic f = 1/2 p^T A p the linear update rules have closed forms
# --------------------------------------------------------------------------
def iteration_roots(name, lr, eigenvalue, momentum=0.0):
    """The roots ``z`` of the per-eigen-direction recurrence of ``name`` on a quadratic.

    Along an eigenvector of ``A`` with eigenvalue ``lam`` the error ``e_k`` obeys
    (with ``a = lr * lam``)

    - sgd:       ``e_{k+1} = (1 - a) e_k``, so ``z = 1 - a``
    - momentum:  ``e_{k+1} = (1 + mu - a) e_k - mu e_{k-1}``, so ``z^2 - (1 + mu - a) z + mu = 0``
    - nesterov:  ``e_{k+1} = (1 + mu)(1 - a) e_k - mu (1 - a) e_{k-1}``,
      so ``z^2 - (1 + mu)(1 - a) z + mu (1 - a) = 0``

    so ``|e_k|`` shrinks like ``max |z| ** k``.
    """
    a, mu = lr * eigenvalue, momentum
    if name == "sgd":
        return np.array([1.0 - a], dtype=complex)
    if name == "momentum":
        b, c = 1.0 + mu - a, mu
    elif name == "nesterov":
        b, c = (1.0 + mu) * (1.0 - a), mu * (1.0 - a)
    else:
        raise ValueError(f"no closed form for '{name}': only sgd, momentum and nesterov are linear.")
    disc = np.sqrt(complex(b * b - 4 * c))
    return np.array([(b + disc) / 2, (b - disc) / 2])


def contraction(name, lr, eigenvalues, momentum=0.0):
    """Per-step factor ``rho`` by which the error of ``name`` shrinks on a quadratic with these eigenvalues.

    ``rho = max over eigenvalues of max |z|`` (see :func:`iteration_roots`); the
    method converges when ``rho < 1``, and the loss shrinks like ``rho ** (2k)``.
    """
    return float(max(np.abs(iteration_roots(name, lr, lam, momentum)).max() for lam in eigenvalues))


def quadratic_tuning(lmin, lmax):
    """The classic optimal settings for a quadratic whose curvatures lie in ``[lmin, lmax]``.

    With ``kappa = lmax / lmin`` (the condition number):

    - gradient descent: ``lr = 2 / (lmin + lmax)``, ``rho = (kappa - 1) / (kappa + 1)``;
    - heavy-ball momentum (Polyak 1964): ``lr = 4 / (sqrt(lmax) + sqrt(lmin))^2``,
      ``mu = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2``, ``rho = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)``.

    Momentum's ``rho`` has ``sqrt(kappa)`` where gradient descent has ``kappa``:
    to shrink the error ``e`` times takes about ``kappa / 2`` steps of gradient
    descent but ``sqrt(kappa) / 2`` steps with momentum.

    Returns
    -------
    dict with ``kappa``, ``sgd_lr``, ``sgd_rho``, ``momentum_lr``, ``momentum_mu``, ``momentum_rho``
    """
    if not (math.isfinite(lmin) and math.isfinite(lmax) and 0 < lmin <= lmax):
        raise ValueError(f"the curvatures must satisfy 0 < lmin <= lmax, got {lmin} and {lmax}.")
    kappa = lmax / lmin
    sk = math.sqrt(kappa)
    return {"kappa": kappa, "sgd_lr": 2.0 / (lmin + lmax), "sgd_rho": (kappa - 1) / (kappa + 1),
            "momentum_lr": 4.0 / (math.sqrt(lmax) + math.sqrt(lmin)) ** 2,
            "momentum_mu": ((sk - 1) / (sk + 1)) ** 2, "momentum_rho": (sk - 1) / (sk + 1)}


def best_nesterov_lr(momentum, eigenvalues, grid=400):
    """The learning rate that makes Nesterov's :func:`contraction` smallest for a given ``momentum``.

    A dense log grid over ``(0, 4 / lmax]`` refined once around its best point;
    returns ``(lr, rho)``.
    """
    top = 4.0 / max(eigenvalues)
    lrs = np.geomspace(top * 1e-4, top, grid)
    rhos = np.array([contraction("nesterov", lr, eigenvalues, momentum) for lr in lrs])
    i = int(np.argmin(rhos))
    fine = np.linspace(lrs[max(i - 1, 0)], lrs[min(i + 1, grid - 1)], 201)
    rhos = np.array([contraction("nesterov", lr, eigenvalues, momentum) for lr in fine])
    j = int(np.argmin(rhos))
    return float(fine[j]), float(rhos[j])
