"""Safe image intake: bytes from an upload or a camera -> a float array in [0, 1].

The only module of the core that imports Pillow. Anything that is not a
readable image raises :class:`ImageError` (a ``ValueError``) with a sentence
a student understands and a ``code`` the app translates (``error.image_<reason>``).

Safety, in the order the checks run:

1. the byte count (empty, larger than :data:`MAX_BYTES`);
2. a sniff of the first bytes for formats people often try (PDF, SVG, HEIC, AVIF);
3. ``Image.open`` restricted to :data:`FORMATS`; it reads the *header only*;
4. the pixel count from the header (:data:`MAX_PIXELS`): a decompression
   bomb (say 20000 x 20000 pixels in a few kilobytes) is refused here,
   before a single pixel is decoded or allocated;
5. the memory the decode will take, from the header (:func:`decode_cost`:
   pixels x bands x bytes per band as Pillow stores them, plus the working
   copies); above :data:`MAX_DECODE_BYTES` (64 MB) the image is refused
   (``image_too_much_memory``) before decoding. JPEG is first reduced in the
   DCT domain (``draft``) when a working size is given, and every image larger
   than twice the working size is shrunk by an integer factor (``Image.reduce``,
   or a block mean for 16-bit) before any conversion, so the working copies are
   those of the small image;
6. decoding, EXIF orientation, downscaling to the working size and the
   conversion of any mode (1, L, LA, P with transparency, RGB, RGBA, CMYK,
   YCbCr, 16-bit, 32-bit, float) to RGB or gray.
"""

from __future__ import annotations

import io
import warnings
from struct import error as struct_error  # raised by a few plugins on short headers

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..checks import LessonError

#: Images with more pixels than this are refused before decoding (about 8K x 5K).
MAX_PIXELS = 40_000_000
#: Uploads larger than this many bytes are refused (the server caps uploads too).
MAX_BYTES = 25_000_000  # 25 MB as Streamlit's uploader counts them (server.maxUploadSize = 25)
#: The memory one decode may take (:func:`decode_cost`): Pillow's decoded pixels plus the working copies.
MAX_DECODE_BYTES = 64 * 2 ** 20
#: Formats the app accepts (MPO is what many phone cameras write: JPEG plus extra frames).
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF", "MPO")
_HIGH_DEPTH = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")

#: first bytes -> name of a format people try to upload but that we do not read
_SNIFF = ((b"%PDF", "PDF"), (b"<svg", "SVG"), (b"<?xml", "SVG"), (b"8BPS", "PSD"))


class ImageError(LessonError):
    """A :class:`LessonError` whose code is ``image_<reason>``.

    reason is one of: ``empty``, ``too_large_bytes``, ``too_many_pixels``,
    ``not_image``, ``unsupported_format``, ``truncated``, ``corrupt``.
    """

    def __init__(self, reason, message, **details):
        super().__init__(f"image_{reason}", message, **details)
        self.reason = reason


def _too_many(w=None, h=None):
    size = f"{w} x {h} = {w * h / 1e6:.0f} megapixels; " if w else ""
    return ImageError("too_many_pixels",
                      f"the image is too large to open safely: {size}"
                      f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels.",
                      limit_mp=MAX_PIXELS / 1e6)


def _damaged(exc=None):
    if exc is not None and "truncat" in str(exc).lower():
        return ImageError("truncated", "the image file is incomplete (cut off); "
                          "upload it again or choose another file.")
    return ImageError("corrupt", "the image file is damaged and cannot be read.")


def _sniff(data):
    head = bytes(data[:64]).lstrip()
    for magic, name in _SNIFF:
        if head.startswith(magic):
            return name
    if data[4:8] == b"ftyp":
        brand = bytes(data[8:12])
        if brand.startswith((b"heic", b"heix", b"hevc", b"mif1", b"msf1")):
            return "HEIC"
        if brand.startswith(b"avif"):
            return "AVIF"
    return None


def _open(data):
    """Open the header only; every refusal happens here, before any pixel is decoded."""
    if data is None or len(data) == 0:
        raise ImageError("empty", "the file is empty.")
    if len(data) > MAX_BYTES:
        raise ImageError("too_large_bytes",
                         f"the file is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES // 10**6} MB.",
                         size_mb=len(data) / 1e6, limit_mb=MAX_BYTES // 10**6)
    other = _sniff(data)
    if other:
        raise ImageError("unsupported_format",
                         f"{other} files are not supported; use PNG, JPEG, WebP, BMP, GIF or TIFF.",
                         format=other)
    try:
        # JPEG's opener also returns MPO files, so "MPO" itself is not an opener name
        im = Image.open(io.BytesIO(bytes(data)), formats=[f for f in FORMATS if f != "MPO"])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many() from None
    except UnidentifiedImageError:
        raise ImageError("not_image", "this file is not an image that can be read "
                         "(PNG, JPEG, WebP, BMP, GIF or TIFF).") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError,
            struct_error) as exc:
        raise _damaged(exc) from None
    if im.format not in FORMATS:  # pragma: no cover - Image.open(formats=...) already ensures it
        raise ImageError("unsupported_format",
                         f"{im.format} images are not supported; use PNG, JPEG, WebP, BMP, GIF or TIFF.",
                         format=str(im.format))
    w, h = im.size
    if w < 1 or h < 1:
        raise ImageError("corrupt", "the image has no pixels.")
    if w * h > MAX_PIXELS:
        raise _too_many(w, h)
    return im


_T = Image.Transpose
_ORIENT = {2: _T.FLIP_LEFT_RIGHT, 3: _T.ROTATE_180, 4: _T.FLIP_TOP_BOTTOM, 5: _T.TRANSPOSE, 6: _T.ROTATE_270,
           7: _T.TRANSVERSE, 8: _T.ROTATE_90}
# bytes per pixel as Pillow stores a decoded image (RGB and other 3-band modes take 4)
_STORED = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
# modes that Image.reduce cannot shrink, converted first at full size (bytes per pixel of the result)
_CONVERT_FIRST = {"1": 1, "P": 4}
_WORKING = 16         # bytes per pixel of the reduced image: conversions and compositing before the resize
_RESULT = 32          # bytes per pixel of the result: float64 RGB (and its gray luminance)


def _reduce_factor(size, max_side):
    """The integer factor that keeps the image at least twice the working size (1: none)."""
    if max_side is None:
        return 1
    return max(1, max(size) // (2 * int(max_side)))


def decode_cost(im, max_side=None):
    """Bytes a decode of the opened (not yet loaded) image ``im`` takes, from its header.

    ``pixels x bytes per pixel`` as Pillow stores the decoded image (bands x bit depth,
    3-band images padded to 4), plus a full-size conversion for palette and 1-bit images,
    plus :data:`_WORKING` bytes per pixel of the image after the integer reduction and
    :data:`_RESULT` bytes per pixel of the result (at most ``max_side`` on a side).
    """
    w, h = im.size
    f = _reduce_factor(im.size, max_side)
    working = -(-w // f) * -(-h // f)
    scale = 1.0 if max_side is None else min(1.0, int(max_side) / max(w, h))
    result = max(1, round(w * scale)) * max(1, round(h * scale))
    return (w * h * (_STORED.get(im.mode, 4) + _CONVERT_FIRST.get(im.mode, 0)) + working * _WORKING
            + result * _RESULT)


def _check_cost(im, max_side):
    cost = decode_cost(im, max_side)
    if cost > MAX_DECODE_BYTES:
        w, h = im.size
        bands = len(im.getbands())
        bits = 16 if im.mode.startswith("I;16") else (32 if im.mode in ("I", "F") else (1 if im.mode == "1" else 8))
        raise ImageError("too_much_memory", f"decoded, the image would take about {cost / 2 ** 20:.0f} MB "
                         f"({w} x {h} pixels, {bands} channels of {bits} bits); the limit is "
                         f"{MAX_DECODE_BYTES // 2 ** 20} MB.", mb=round(cost / 2 ** 20), width=w, height=h,
                         bands=bands, bits=bits, limit_mb=MAX_DECODE_BYTES // 2 ** 20)


def _reduce(im, f):
    """Shrink a loaded image by the integer factor ``f`` (box mean) before any conversion."""
    if f == 1:
        return im
    if im.mode in _CONVERT_FIRST:
        im = im.convert("L" if im.mode == "1" else ("RGBA" if "transparency" in im.info else "RGB"))
    if im.mode.startswith("I;16"):
        w, h = (im.size[0] // f) * f, (im.size[1] // f) * f
        out = np.empty((h // f, w // f), np.float32)
        step = max(1, 2 ** 20 // (w * f))                  # output rows per slab: ~4 MB of floats at a time
        for r in range(0, h // f, step):
            block = np.asarray(im.crop((0, r * f, w, min(h, (r + step) * f))))     # uint16 slab
            out[r:r + step] = block.reshape(-1, f, w // f, f).mean(axis=(1, 3), dtype=np.float32)
        small = Image.fromarray(out / np.float32(65535.0), mode="F")
        small.info["unit_range"] = True                 # already in [0, 1]: no contrast stretch
        return small
    return im.reduce(f)


def _canonical(im):
    """Any Pillow mode -> ``L``, ``RGB`` or ``F`` (high bit depth scaled to [0, 1]).

    Transparency (RGBA, LA, PA, P with a transparent colour) is composited on white.
    """
    mode = im.mode
    if mode == "F" and im.info.get("unit_range"):
        return im
    if mode in _HIGH_DEPTH:
        a = np.asarray(im, dtype=np.float64)
        if mode == "F":
            a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
            lo, hi = a.min(), a.max()
            a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        else:
            top = 65535.0 if mode.startswith("I;16") or a.max() > 255 else 255.0
            a = np.clip(a / top, 0, 1)
        return Image.fromarray(a.astype(np.float32), mode="F")
    if mode == "1":
        return im.convert("L")
    if mode in ("LA", "La") or (mode == "L" and "transparency" in im.info):
        la = im.convert("LA")
        white = Image.new("LA", la.size, (255, 255))
        return Image.alpha_composite(white.convert("RGBA"), la.convert("RGBA")).convert("L")
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode == "PA":
        im = im.convert("RGBA")
    elif mode == "RGB" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba).convert("RGB")
    if im.mode not in ("RGB", "L"):
        im = im.convert("RGB")  # 1, CMYK, YCbCr, LAB, HSV, RGBX, ...
    return im


def _to_array(im, gray):
    """A canonical (L, RGB or F) image -> float64 (H, W) or (H, W, 3) in [0, 1]."""
    if im.mode == "F":
        a = np.clip(np.asarray(im, dtype=np.float64), 0, 1)
        return a if gray else np.repeat(a[:, :, None], 3, axis=2)
    a = np.asarray(im, dtype=np.float64) / 255.0
    if gray and a.ndim == 3:
        return to_gray(a)
    if not gray and a.ndim == 2:
        return np.repeat(a[:, :, None], 3, axis=2)
    return a


def image_size(data):
    """``(height, width)`` from the header, after the same checks as :func:`read_image`."""
    w, h = _open(data).size
    return h, w


def load_image(data, gray=False, max_side=None):
    """Decode image bytes safely and say what was done to them.

    Parameters
    ----------
    data : bytes
        The file's content (PNG, JPEG, WebP, BMP, GIF - first frame - or TIFF).
    gray : bool
        Return ``(H, W)`` luminance (ITU-R BT.601) instead of ``(H, W, 3)`` RGB.
    max_side : int, optional
        The working size: downscale (keeping the aspect ratio) so that
        neither side exceeds it. Smaller images are never enlarged.

    Returns
    -------
    arr : (H, W, 3) or (H, W) float64 ndarray in [0, 1]
        EXIF orientation applied, transparency composited on white.
    info : dict
        ``format``, ``mode`` (as stored), ``original`` ``(rows, cols)`` after
        the EXIF rotation, ``shape`` ``(rows, cols)`` returned, ``scaled``
        (bool: downscaled to the working size), ``rotated`` (bool: EXIF
        orientation applied), ``frames`` (the first one is used).

    Raises
    ------
    ImageError (a ValueError) for empty, oversized, truncated, damaged or non-image data.
    """
    if max_side is not None and (isinstance(max_side, bool) or int(max_side) < 1):
        raise ValueError(f"max_side must be a positive integer, got {max_side!r}.")
    im = _open(data)
    fmt, mode = im.format, im.mode
    try:
        frames = getattr(im, "n_frames", 1)
        if frames > 1:
            im.seek(0)
        w0, h0 = im.size  # the header's size: draft() below may shrink im.size
        if max_side is not None and fmt in ("JPEG", "MPO"):
            # cheap DCT-domain downscale (1/2, 1/4, 1/8) that stays >= the working size
            im.draft("RGB" if im.mode != "L" else "L", (max_side, max_side))
        _check_cost(im, max_side)   # before getexif(): for PNG it decodes the whole image
        orientation = im.getexif().get(0x0112, 1)
        im.load()
        im = _reduce(im, _reduce_factor(im.size, max_side))
        if orientation in _ORIENT:                      # EXIF orientation, on the reduced image
            im = im.transpose(_ORIENT[orientation])
        original = (w0, h0) if orientation in (5, 6, 7, 8) else (h0, w0)
        im = _canonical(im)
        scaled = False
        if max_side is not None and max(im.size) > max_side:
            im = _resize(im, max_side)
            scaled = True
        scaled = scaled or (im.size[1], im.size[0]) != original
        arr = _to_array(im, gray)
    except ImageError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError,
            struct_error, Image.DecompressionBombError, MemoryError) as exc:
        raise _damaged(exc) from None
    if not np.all(np.isfinite(arr)):
        raise _damaged()
    info = {"format": fmt, "mode": mode, "original": tuple(int(v) for v in original),
            "shape": tuple(int(v) for v in arr.shape[:2]), "scaled": bool(scaled),
            "rotated": orientation not in (1, None), "frames": int(frames)}
    return arr, info


def read_image(data, gray=False, max_side=None):
    """Decode image bytes safely: :func:`load_image` without the info.

    Returns
    -------
    (H, W, 3) or (H, W) float64 ndarray in [0, 1].
    """
    return load_image(data, gray=gray, max_side=max_side)[0]


def _resize(im, max_side):
    w, h = im.size
    scale = max_side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def to_png_bytes(arr):
    """Encode a float array in [0, 1] (``(H, W)`` or ``(H, W, 3)``) as PNG bytes."""
    a = np.clip(np.nan_to_num(np.asarray(arr, dtype=np.float64)), 0, 1)
    im = Image.fromarray((a * 255 + 0.5).astype(np.uint8))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def to_gray(arr):
    """Luminance (ITU-R BT.601) of an ``(H, W, 3)`` image; gray images pass through."""
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 2:
        return arr
    # weights in thousandths sum to exactly 1000, so white stays exactly 1.0
    return arr[:, :, :3] @ np.array([299.0, 587.0, 114.0]) / 1000.0

