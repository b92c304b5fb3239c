"""Safe image intake: bytes from an upload or a camera -> a float array in [0, 1].

The only module of the core that imports Pillow. Anything that is not a
readable image raises ``ValueError`` with a sentence a student understands;
the size is checked from the header *before* the pixels are decoded, so a
decompression bomb is refused without allocating it.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .checks import LessonError

#: Images with more pixels than this are refused before decoding (about 8K x 5K).
MAX_PIXELS = 40_000_000
#: Uploads larger than this many bytes are refused (the server caps uploads too).
MAX_BYTES = 25 * 1024 * 1024
#: Formats the app accepts.
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF", "MPO")


class ImageError(LessonError):
    """A :class:`LessonError` whose code is ``image_<reason>``.

    reason is one of: ``empty``, ``too_large_bytes``, ``too_many_pixels``,
    ``not_image``, ``unsupported_format``, ``corrupt``.
    """

    def __init__(self, reason, message, **details):
        super().__init__(f"image_{reason}", message, **details)
        self.reason = reason


def _open(data):
    if data is None or len(data) == 0:
        raise ImageError("empty", "the file is empty.")
    if len(data) > MAX_BYTES:
        raise ImageError("too_large_bytes",
                         f"the file is {len(data) / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB.",
                         size_mb=len(data) / 2**20, limit_mb=MAX_BYTES // 2**20)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
            raise ImageError("too_many_pixels", "the image has too many pixels to open safely.") from None
        raise ImageError("not_image", "this file is not an image that can be read "
                         "(PNG, JPEG, WebP, BMP, GIF or TIFF).") from None
    if im.format not in FORMATS:
        raise ImageError("unsupported_format",
                         f"{im.format} images are not supported; use PNG, JPEG, WebP, BMP, GIF or TIFF.",
                         format=str(im.format))
    w, h = im.size
    if w < 1 or h < 1:
        raise ImageError("corrupt", "the image has no pixels.")
    if w * h > MAX_PIXELS:
        raise ImageError("too_many_pixels",
                         f"the image is {w} x {h} = {w * h / 1e6:.0f} megapixels; "
                         f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels.",
                         width=w, height=h, limit_mp=MAX_PIXELS / 1e6)
    return im


def _to_rgb_or_gray(im, gray):
    """Convert any Pillow mode to 8-bit RGB or L, compositing transparency on white."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        if mode == "F":
            lo, hi = np.nanmin(a), np.nanmax(a)
            a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        else:
            top = 65535.0 if mode.startswith("I;16") or a.max() > 255 else 255.0
            a = np.clip(a / top, 0, 1)
        a = np.nan_to_num(a)
        return a if gray else np.repeat(a[:, :, None], 3, axis=2)
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode in ("1", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        im = im.convert("RGB")
    elif mode == "PA":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba).convert("RGB")
    if im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    im = im.convert("L" if gray else "RGB")
    return np.asarray(im, dtype=np.float64) / 255.0


def image_size(data):
    """``(height, width)`` from the header, after the same checks as :func:`read_image`."""
    w, h = _open(data).size
    return h, w


def read_image(data, gray=False, max_side=None):
    """Decode image bytes safely.

    Parameters
    ----------
    data : bytes
        The file's content (PNG, JPEG, WebP, BMP, GIF - first frame - or TIFF).
    gray : bool
        Return ``(H, W)`` luminance instead of ``(H, W, 3)`` RGB.
    max_side : int, optional
        Downscale (keeping the aspect ratio) so that neither side exceeds it.

    Returns
    -------
    (H, W, 3) or (H, W) float64 ndarray in [0, 1], EXIF orientation applied,
    transparency composited on white.

    Raises
    ------
    ImageError (a ValueError) for empty, oversized, truncated or non-image data.
    """
    im = _open(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
            if max_side is not None and im.format == "JPEG":
                im.draft("RGB", (max_side, max_side))  # cheap DCT-domain downscale
            im.load()
            im = ImageOps.exif_transpose(im)
            if max_side is not None and max(im.size) > max_side:
                im = _resize_mode_safe(im, max_side)
            arr = _to_rgb_or_gray(im, gray)
    except ImageError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError,
            Image.DecompressionBombError, MemoryError):
        raise ImageError("corrupt", "the image file is damaged or incomplete and cannot be read.") from None
    if not np.all(np.isfinite(arr)):
        raise ImageError("corrupt", "the image file is damaged or incomplete and cannot be read.")
    return arr


def _resize_mode_safe(im, max_side):
    w, h = im.size
    scale = max_side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if im.mode in ("P", "1"):
        im = im.convert("RGBA")
    return im.resize(size, Image.Resampling.LANCZOS)


def resize(arr, shape):
    """Resize a float image ``(H, W)`` or ``(H, W, 3)`` in [0, 1] to ``shape = (rows, cols)``."""
    arr = np.asarray(arr, dtype=np.float64)
    rows, cols = shape
    if arr.ndim == 2:
        im = Image.fromarray(arr.astype(np.float32), mode="F")
        return np.asarray(im.resize((cols, rows), Image.Resampling.BILINEAR), dtype=np.float64)
    planes = [resize(arr[:, :, c], shape) for c in range(arr.shape[2])]
    return np.stack(planes, axis=2)


def to_png_bytes(arr):
    """Encode a float array in [0, 1] (``(H, W)`` or ``(H, W, 3)``) as PNG bytes."""
    a = np.clip(np.asarray(arr, dtype=np.float64), 0, 1)
    im = Image.fromarray((a * 255 + 0.5).astype(np.uint8))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def to_gray(arr):
    """Luminance (ITU-R BT.601) of an ``(H, W, 3)`` image; gray images pass through."""
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 2:
        return arr
    return arr[:, :, :3] @ np.array([0.299, 0.587, 0.114])
