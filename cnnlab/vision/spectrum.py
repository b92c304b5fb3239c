"""The frequency view: convolution in space is multiplication of spectra.

The convolution theorem for the 2-D discrete Fourier transform ``F``::

    F(x * k) = F(x) . F(k)        (* : convolution, . : element-wise product)

holds exactly for *circular* convolution. A CNN's (and :mod:`cnnlab.ops.conv`'s)
convolution is *linear*: the image does not wrap around. Zero-padding both
the image ``(H, W)`` and the kernel ``(KH, KW)`` to at least
``(H + KH - 1, W + KW - 1)`` before the transform leaves room for the whole
result, so no value wraps and the identity becomes exact (to rounding).
Without that padding the first ``KH - 1`` rows and ``KW - 1`` columns are
polluted by values from the opposite edge.

Cross-correlation (what CNNs compute) is convolution with the kernel rotated
by 180 degrees; the rotation only changes the spectrum's phase, never its
magnitude, so the magnitude pictures are the same for both.
"""

from __future__ import annotations

import numpy as np

from ..ops.conv import convolve2d


def _real2d(a, name):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains values that are not finite.")
    return a


def full_shape(image_shape, kernel_shape):
    """The smallest transform size that makes the theorem exact: ``(H + KH - 1, W + KW - 1)``."""
    return (image_shape[0] + kernel_shape[0] - 1, image_shape[1] + kernel_shape[1] - 1)


def spectrum(x, shape=None):
    """The 2-D DFT of ``x`` zero-padded (bottom and right) to ``shape``.

    Returns
    -------
    (P, Q) complex ndarray, zero frequency at ``[0, 0]`` (numpy's order).
    """
    x = _real2d(x, "input")
    return np.fft.fft2(x, s=shape or x.shape)


def magnitude(x, shape=None, log=True):
    """Magnitude spectrum for display: ``|F(x)|`` (``log1p`` of it when ``log``), centred.

    Returns
    -------
    (P, Q) float64 ndarray with the zero frequency in the middle (``fftshift``):
    low frequencies (slow changes) near the centre, high frequencies (edges,
    fine texture) towards the border.
    """
    m = np.abs(spectrum(x, shape))
    return np.fft.fftshift(np.log1p(m) if log else m)


def dft2_loop(x):
    """The slow, obvious 2-D DFT: ``X[u, v] = sum_{r, c} x[r, c] exp(-2 pi i (u r / H + v c / W))``.

    Reference for :func:`numpy.fft.fft2` on small arrays.
    """
    x = _real2d(x, "input")
    h, w = x.shape
    out = np.zeros((h, w), dtype=complex)
    for u in range(h):
        for v in range(w):
            total = 0j
            for r in range(h):
                for c in range(w):
                    total += x[r, c] * np.exp(-2j * np.pi * (u * r / h + v * c / w))
            out[u, v] = total
    return out


def fft_convolve(x, k, shape=None):
    """Convolution computed as a product of spectra: ``F^-1(F(x) . F(k))``.

    Parameters
    ----------
    x : (H, W) array; k : (KH, KW) array
    shape : (P, Q), the transform size; default :func:`full_shape` (exact linear
        convolution, ``(H + KH - 1, W + KW - 1)``). A smaller size gives the
        circular convolution of that size (values wrap around).

    Returns
    -------
    (P, Q) float64 ndarray
    """
    x = _real2d(x, "input")
    k = _real2d(k, "kernel")
    shape = tuple(shape) if shape is not None else full_shape(x.shape, k.shape)
    return np.real(np.fft.ifft2(np.fft.fft2(x, s=shape) * np.fft.fft2(k, s=shape)))


def convolution_theorem(x, k):
    """Check ``F(x * k) = F(x) . F(k)`` numerically, with and without the padding.

    Parameters
    ----------
    x : (H, W) array; k : (KH, KW) array

    Returns
    -------
    dict with
        ``shape`` : (H + KH - 1, W + KW - 1), the padded transform size;
        ``direct`` : (H + KH - 1, W + KW - 1), the full convolution computed in space
        (:func:`cnnlab.ops.conv.convolve2d`, ``padding="full"``);
        ``via_fft`` : the same from the product of padded spectra;
        ``max_diff`` : ``max |direct - via_fft|`` (rounding only, about 1e-15);
        ``spectrum_diff`` : ``max |F(direct) - F(x) . F(k)|`` relative to ``max |F(direct)|``;
        ``circular`` : (H, W) product of *unpadded* spectra, i.e. circular convolution;
        ``circular_diff`` : ``max |circular - direct[:H, :W]|``: what skipping the
        padding costs (the wrap-around in the first KH-1 rows and KW-1 columns);
        ``x_mag``, ``k_mag``, ``y_mag`` : centred log-magnitude spectra of the image,
        the kernel and the result, all at the padded size;
        ``same`` : (H, W) the centre of ``direct``, the filtered image at the input's size
        (what ``convolve2d(x, k, padding="same")`` gives for odd kernels).
    """
    x = _real2d(x, "input")
    k = _real2d(k, "kernel")
    shape = full_shape(x.shape, k.shape)
    direct = convolve2d(x, k, padding="full")
    fx, fk = np.fft.fft2(x, s=shape), np.fft.fft2(k, s=shape)
    via_fft = np.real(np.fft.ifft2(fx * fk))
    fy = np.fft.fft2(direct)
    scale = float(np.abs(fy).max()) or 1.0
    circular = fft_convolve(x, k, shape=x.shape)
    h, w = x.shape
    return {
        "shape": shape, "direct": direct, "via_fft": via_fft,
        "max_diff": float(np.abs(direct - via_fft).max()),
        "spectrum_diff": float(np.abs(fy - fx * fk).max() / scale),
        "circular": circular,
        "circular_diff": float(np.abs(circular - direct[:h, :w]).max()),
        "x_mag": np.fft.fftshift(np.log1p(np.abs(fx))),
        "k_mag": np.fft.fftshift(np.log1p(np.abs(fk))),
        "y_mag": np.fft.fftshift(np.log1p(np.abs(fy))),
        "same": direct[(k.shape[0] - 1) // 2:(k.shape[0] - 1) // 2 + h,
                       (k.shape[1] - 1) // 2:(k.shape[1] - 1) // 2 + w],
    }


def radial_gain(k, n=64, bins=16):
    """How strongly a kernel passes each spatial frequency, averaged over directions.

    Parameters
    ----------
    k : (KH, KW) array
    n : transform size (the kernel is zero-padded to ``n x n``)
    bins : number of frequency bands from 0 to 0.5 cycles per pixel

    Returns
    -------
    freqs : (bins,) band centres in cycles per pixel
    gain : (bins,) mean ``|F(k)|`` in each band. A low-pass (blur) kernel's
        gain falls with frequency; a high-pass (edge) kernel's rises from 0.
    """
    k = _real2d(k, "kernel")
    n = max(n, *k.shape)
    mag = np.abs(np.fft.fft2(k, s=(n, n)))
    fr = np.fft.fftfreq(n)
    radius = np.hypot(fr[:, None], fr[None, :])
    edges = np.linspace(0, 0.5, bins + 1)
    idx = np.clip(np.digitize(radius, edges) - 1, 0, bins - 1)
    inside = radius <= 0.5
    sums = np.bincount(idx[inside], weights=mag[inside], minlength=bins)
    counts = np.bincount(idx[inside], minlength=bins)
    gain = sums / np.maximum(counts, 1)
    return (edges[:-1] + edges[1:]) / 2, gain


def pass_type(k, n=64):
    """What a kernel does to frequencies, from its gain at zero frequency (flat regions).

    Returns
    -------
    ``"low"`` : the gain is largest at zero frequency: flat regions pass, fine detail is
    damped (blur); ``"high"`` : (almost) no gain at zero frequency: flat regions vanish,
    only changes such as edges remain; ``"boost"`` : flat regions pass and high
    frequencies are amplified (sharpen); ``"other"`` otherwise.
    """
    k = _real2d(k, "kernel")
    dc = abs(float(k.sum()))                    # the gain at zero frequency is the kernel's sum
    _, gain = radial_gain(k, n=n, bins=8)
    peak = float(np.abs(np.fft.fft2(k, s=(max(n, *k.shape),) * 2)).max())
    if dc < 0.05 * peak:
        return "high"
    if dc >= peak - 1e-12:
        return "low"
    if gain[-1] > dc:
        return "boost"
    return "other"
