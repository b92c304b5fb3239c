"""Named kernels and small input grids for the lessons (data, not pictures).

Every kernel is indexed ``k[row, col]`` and used as a cross-correlation
kernel (the way frameworks apply it). ``rotate180`` in ``conv.py`` turns it
into the kernel a true convolution would slide.
"""

from __future__ import annotations

import numpy as np

from ..checks import LessonError, check_positive_int

_K3 = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box_blur": np.full((3, 3), 1 / 9),
    "gaussian": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt_x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt_y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    # Deliberately asymmetric: convolution and cross-correlation disagree.
    "asymmetric": [[1, 2, 0], [0, 0, 0], [0, 0, -1]],
}

KERNEL_NAMES = tuple(_K3)

#: Sobel kernels that respond to an edge (a line of change) at 0, 45, 90 and 135 degrees.
#: The angle is the edge's direction on screen, counter-clockwise from horizontal; the
#: kernel is the derivative across the edge (positive where the image brightens going
#: up, up-left, left, down-left), so ``k`` is zero along the edge's own direction.
EDGE_KERNELS = {
    0: np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float64),
    45: np.array([[2, 1, 0], [1, 0, -1], [0, -1, -2]], dtype=np.float64),
    90: np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float64),
    135: np.array([[0, -1, -2], [1, 0, -1], [2, 1, 0]], dtype=np.float64),
}


def gaussian_kernel(size=5, sigma=1.0):
    """A normalised Gaussian ``(size, size)``: a low-pass (blurring) kernel that sums to 1."""
    size = check_positive_int(size, "kernel_size")
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * float(sigma) ** 2))
    return g / g.sum()


def gabor_kernel(theta_deg, wavelength=4.0, sigma=2.0, gamma=0.5, psi=0.0, size=7):
    """The real part of a Gabor filter: a Gaussian envelope times a cosine wave.

    ``g(r, c) = exp(-(u^2 + gamma^2 v^2) / (2 sigma^2)) * cos(2 pi u / wavelength + psi)``
    with ``u`` the coordinate across the stripes, scaled so the positive lobes sum to 4.
    ``theta_deg`` is the direction of
    the stripes it prefers, on screen, counter-clockwise from horizontal (the same
    convention as :data:`EDGE_KERNELS`). The mean is removed, so a flat region gives 0.

    Returns
    -------
    (size, size) float64 ndarray
    """
    size = check_positive_int(size, "kernel_size")
    half = (size - 1) / 2
    rows, cols = np.mgrid[-half:half + 1, -half:half + 1]
    x, y = cols, -rows                                  # screen coordinates, y up
    t = np.deg2rad(theta_deg)
    u = -x * np.sin(t) + y * np.cos(t)                  # across the stripes
    v = x * np.cos(t) + y * np.sin(t)                   # along the stripes
    g = np.exp(-(u ** 2 + gamma ** 2 * v ** 2) / (2 * sigma ** 2)) * np.cos(2 * np.pi * u / wavelength + psi)
    g = g - g.mean()
    return g * (4.0 / g[g > 0].sum())  # positive lobes sum to 4, like a Sobel kernel's


def kernel(name, size=3):
    """A named kernel of ``size`` x ``size`` (3 or 5).

    5x5 versions: box blur and Gaussian are wider; edge, sharpen and
    asymmetric kernels are the 3x3 ones in the middle of a zero border
    (``identity`` too), so students can see that the extra zeros change nothing.
    """
    if name not in _K3:
        raise LessonError("unknown_kernel", f"unknown kernel '{name}'.", name=name)
    size = check_positive_int(size, "kernel_size")
    if size not in (3, 5):
        raise LessonError("kernel_size_3_or_5", "kernel presets come in 3x3 and 5x5.")
    if size == 3:
        return np.array(_K3[name], dtype=np.float64)
    if name == "box_blur":
        return np.full((5, 5), 1 / 25)
    if name == "gaussian":
        return np.round(gaussian_kernel(5, 1.0), 4)
    if name == "laplacian":
        k = -np.ones((5, 5))
        k[2, 2] = 24
        return k
    return np.pad(np.array(_K3[name], dtype=np.float64), 1)


def is_symmetric_180(k):
    """True when the kernel equals its 180-degree rotation (so convolution == cross-correlation)."""
    k = np.asarray(k)
    return bool(np.allclose(k, k[::-1, ::-1]))


GRID_NAMES = ("vertical_bar", "diagonal", "checkerboard", "corner", "random")


def grid(name, n=7, seed=0):
    """A small integer input grid (``n`` x ``n``, 5 <= n <= 9) for hand calculation."""
    n = check_positive_int(n, "grid size")
    if not 3 <= n <= 12:
        raise LessonError("grid_size", "the grid must have between 3 and 12 rows.", n=n)
    g = np.zeros((n, n))
    if name == "vertical_bar":
        g[:, n // 2 - (1 if n >= 7 else 0):n // 2 + 1] = 9
    elif name == "diagonal":
        np.fill_diagonal(g, 9)
    elif name == "checkerboard":
        g = 9.0 * ((np.add.outer(np.arange(n), np.arange(n)) % 2) == 0)
    elif name == "corner":
        g[: n // 2 + 1, : n // 2 + 1] = 9
    elif name == "random":
        g = np.random.default_rng(seed).integers(0, 10, size=(n, n)).astype(float)
    else:
        raise LessonError("unknown_grid", f"unknown grid '{name}'.", name=name)
    return g


def decaying_response(length=5, rate=0.5):
    """Impulse response ``h[j] = rate**j`` for ``j = 0 .. length-1``: a past input fades each step."""
    length = check_positive_int(length, "kernel_size")
    if not 0 < rate <= 1:
        raise LessonError("decay_rate", "the decay rate must be between 0 and 1.", rate=rate)
    return rate ** np.arange(length)


def pulse_signal(length=16, pulses=((1, 4.0), (6, 2.0), (10, 3.0))):
    """A signal of zeros with a few pulses ``(time, height)``: inputs arriving at given steps."""
    x = np.zeros(length)
    for t, h in pulses:
        if 0 <= t < length:
            x[t] = h
    return x


def convolve1d_terms(x, h, t):
    """The terms of ``y[t] = sum_j x[t - j] h[j]`` (full convolution, zeros before t = 0).

    Returns a list of ``(j, t - j, x[t - j], h[j], x[t - j] * h[j])`` for the
    ``j`` where ``0 <= t - j < len(x)``.
    """
    x = np.asarray(x, dtype=float)
    h = np.asarray(h, dtype=float)
    if not 0 <= t < len(x) + len(h) - 1:
        raise LessonError("time_outside", f"time step {t} is outside the output.", t=t)
    return [(j, t - j, x[t - j], h[j], x[t - j] * h[j]) for j in range(len(h)) if 0 <= t - j < len(x)]


def _rgb_kernels():
    sobel = EDGE_KERNELS[90]
    zero, centre = np.zeros((3, 3)), np.array(_K3["identity"], dtype=float)
    return {
        "red_minus_green": np.stack([centre, -centre, zero]),   # bright where red is strong and green weak
        "vertical_edges_all": np.stack([-sobel, -sobel, -sobel]) / 3,   # sobel_x on every plane
        "edge_all": np.stack([sobel, sobel, sobel]) / 3,
        "blue_blur": np.stack([zero, zero, np.full((3, 3), 1 / 9)]),
        "blue_edges": np.stack([zero, zero, sobel]),
        "luminance_edges": np.stack([0.299 * sobel, 0.587 * sobel, 0.114 * sobel]),   # BT.601 gray, then edges
    }


#: Every (3, 3, 3) colour kernel, by name (the one registry both lessons' menus draw from).
RGB_KERNEL_TABLE = _rgb_kernels()
RGB_KERNELS = ("red_minus_green", "vertical_edges_all", "blue_blur")   # the convolution lesson's menu


def rgb_kernel(name):
    """A ``(3, 3, 3)`` kernel over the R, G, B planes: one 3-D kernel that gives one feature map."""
    if name not in RGB_KERNEL_TABLE:
        raise LessonError("unknown_kernel", f"unknown kernel '{name}'.", name=name)
    return RGB_KERNEL_TABLE[name].copy()
