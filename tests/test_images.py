"""Safe image intake on a corpus the tests generate: every format and mode, damaged files, bombs, EXIF."""

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from cnnlab.vision.images import MAX_BYTES, ImageError, image_size, load_image, read_image, to_gray, to_png_bytes

ROOT = Path(__file__).resolve().parent.parent


def rgb_array(h=24, w=36):
    """A structured uint8 RGB test picture: gradients and a dark bar."""
    rr, cc = np.mgrid[0:h, 0:w]
    a = np.stack([rr * 255 // (h - 1), cc * 255 // (w - 1), (rr + cc) * 255 // (h + w - 2)], axis=2)
    a[:, w // 3:w // 3 + 4] = 20
    return a.astype(np.uint8)


def encode(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


RGB = rgb_array()
LOSSLESS = {"PNG": {}, "BMP": {}, "TIFF": {}, "WEBP": {"lossless": True}}


# --------------------------------------------------------------------------
# Formats and modes
# --------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", sorted(LOSSLESS))
def test_lossless_formats_give_the_exact_pixels(fmt):
    data = encode(Image.fromarray(RGB), fmt, **LOSSLESS[fmt])
    arr, info = load_image(data)
    assert arr.shape == RGB.shape and arr.dtype == np.float64
    np.testing.assert_allclose(arr, RGB / 255.0, atol=1e-12)
    assert info["format"] == fmt and not info["scaled"] and info["shape"] == RGB.shape[:2]


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_lossy_formats_are_close(fmt):
    data = encode(Image.fromarray(RGB), fmt, quality=95)
    arr = read_image(data)
    assert arr.shape == RGB.shape
    assert np.abs(arr - RGB / 255.0).mean() < 0.03


def test_gif_first_frame_and_palette():
    frames = [Image.fromarray(np.full((10, 12, 3), v, np.uint8)) for v in (200, 30, 90)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    arr, info = load_image(data)
    assert info["frames"] == 3 and info["format"] == "GIF"
    np.testing.assert_allclose(arr, 200 / 255.0, atol=1e-12)


def test_mpo_phone_photo_first_frame():
    """Many phone cameras write MPO: a JPEG followed by more frames."""
    frames = [Image.fromarray(np.full((10, 12, 3), v, np.uint8)) for v in (200, 30)]
    arr, info = load_image(encode(frames[0], "MPO", save_all=True, append_images=frames[1:]), max_side=8)
    assert info["format"] == "MPO" and info["frames"] == 2 and arr.shape == (7, 8, 3)
    assert abs(arr.mean() - 200 / 255) < 0.02


def test_gray_modes_L_1_and_gray_output():
    gray = RGB[:, :, 0]
    arr = read_image(encode(Image.fromarray(gray, "L"), "PNG"))
    assert arr.shape == gray.shape + (3,)
    np.testing.assert_allclose(arr[:, :, 1], gray / 255.0)
    assert read_image(encode(Image.fromarray(gray, "L"), "PNG"), gray=True).shape == gray.shape
    bw = Image.fromarray(gray > 128).convert("1")
    for fmt in ("PNG", "BMP", "TIFF"):
        out = read_image(encode(bw, fmt), gray=True)
        assert set(np.unique(out)) <= {0.0, 1.0}
        np.testing.assert_array_equal(out, (gray > 128).astype(float))


def test_rgb_to_gray_is_bt601_luminance():
    arr = read_image(encode(Image.fromarray(RGB), "PNG"), gray=True)
    expected = (RGB @ np.array([0.299, 0.587, 0.114])) / 255.0
    np.testing.assert_allclose(arr, expected, atol=1e-12)
    np.testing.assert_allclose(to_gray(RGB / 255.0), expected, atol=1e-12)


def test_transparency_is_composited_on_white():
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 255          # red ...
    rgba[:4, :, 3] = 0          # ... fully transparent on top
    rgba[4:, :, 3] = 255        # ... opaque below
    rgba[6:, :, 3] = 128        # ... half transparent at the bottom
    arr = read_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    np.testing.assert_allclose(arr[0, 0], [1, 1, 1])
    np.testing.assert_allclose(arr[4, 0], [1, 0, 0])
    np.testing.assert_allclose(arr[7, 0], [1, 127 / 255, 127 / 255], atol=1.5 / 255)
    la = Image.fromarray(rgba[..., [1, 3]], "LA")   # black ink, same alpha
    out = read_image(encode(la, "PNG"), gray=True)
    assert out[0, 0] == 1.0 and out[4, 0] == 0.0


def test_palette_with_transparent_index():
    p = Image.new("P", (6, 4), 1)
    p.putpalette([0, 0, 255] + [0, 255, 0] + [0] * 762)
    p.putpixel((0, 0), 0)
    for fmt in ("PNG", "GIF"):
        arr = read_image(encode(p, fmt, transparency=0))
        np.testing.assert_allclose(arr[0, 0], [1, 1, 1])     # transparent -> white
        np.testing.assert_allclose(arr[1, 1], [0, 1, 0])     # opaque green


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_cmyk(fmt):
    cmyk = Image.fromarray(RGB).convert("CMYK")
    arr = read_image(encode(cmyk, fmt, **({"quality": 95} if fmt == "JPEG" else {})))
    assert arr.shape == RGB.shape
    assert np.abs(arr - np.asarray(cmyk.convert("RGB")) / 255.0).mean() < 0.03


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16_bit_gray(fmt):
    a16 = (np.arange(24 * 36).reshape(24, 36) * 75).astype(np.uint16)
    im = Image.fromarray(a16)
    arr, info = load_image(encode(im, fmt), gray=True)
    assert info["mode"].startswith("I")
    np.testing.assert_allclose(arr, a16 / 65535.0, atol=1e-6)
    small = read_image(encode(im, fmt), max_side=12)
    assert small.shape == (8, 12, 3) and 0 <= small.min() and small.max() <= 1


def test_float_and_32_bit_images_are_scaled_into_range():
    f = Image.fromarray((np.linspace(-3, 5, 48).reshape(6, 8)).astype(np.float32), "F")
    arr = read_image(encode(f, "TIFF"), gray=True)
    assert arr.min() == 0.0 and arr.max() == 1.0


# --------------------------------------------------------------------------
# Working size and EXIF orientation
# --------------------------------------------------------------------------
def test_downscale_to_working_size_reports_it():
    big = Image.fromarray(rgb_array(200, 300))
    arr, info = load_image(encode(big, "PNG"), max_side=64)
    assert arr.shape == (43, 64, 3)
    assert info["scaled"] and info["original"] == (200, 300) and info["shape"] == (43, 64)
    arr, info = load_image(encode(big, "PNG"), max_side=400)   # never enlarged
    assert arr.shape == (200, 300, 3) and not info["scaled"]


def test_jpeg_draft_downscale_keeps_the_true_original_size():
    big = Image.fromarray(rgb_array(800, 1200))
    arr, info = load_image(encode(big, "JPEG", quality=80), max_side=100)
    assert arr.shape == (67, 100, 3) and info["original"] == (800, 1200) and info["scaled"]
    assert np.abs(arr - np.asarray(big.resize((100, 67)), float) / 255).mean() < 0.05


def exif_bytes(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


@pytest.mark.parametrize("orientation,turn", [(1, lambda a: a), (3, lambda a: np.rot90(a, 2)),
                                              (6, lambda a: np.rot90(a, -1)), (8, lambda a: np.rot90(a, 1))])
def test_exif_orientation_is_applied(orientation, turn):
    """Orientation 6: the camera was turned, the picture must be rotated 90 degrees clockwise."""
    stored = rgb_array(20, 40)
    data = encode(Image.fromarray(stored), "PNG", exif=exif_bytes(orientation))
    arr, info = load_image(data)
    np.testing.assert_allclose(arr, turn(stored) / 255.0)
    assert info["rotated"] == (orientation != 1)
    assert info["original"] == turn(stored).shape[:2]


def test_exif_rotated_jpeg_photo():
    stored = np.zeros((60, 100, 3), np.uint8)
    stored[:30, :50] = (255, 0, 0)      # red in the stored top-left corner
    data = encode(Image.fromarray(stored), "JPEG", quality=95, exif=exif_bytes(6))
    arr, info = load_image(data, max_side=50)
    assert arr.shape == (50, 30, 3) and info["original"] == (100, 60) and info["rotated"]
    assert arr[2, -2, 0] > 0.8 and arr[2, -2, 1] < 0.2   # now top-right
    assert arr[-2, 2, 0] < 0.2


# --------------------------------------------------------------------------
# Refusals: empty, damaged, not an image, too large
# --------------------------------------------------------------------------
def reason(data, **kw):
    with pytest.raises(ImageError) as err:
        read_image(data, **kw)
    assert isinstance(err.value, ValueError)
    assert err.value.code == f"image_{err.value.reason}"
    return err.value.reason


def test_empty_and_zero_byte_files():
    assert reason(b"") == "empty"
    assert reason(None) == "empty"


def test_random_bytes_and_text_are_not_images():
    rng = np.random.default_rng(0)
    assert reason(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()) == "not_image"
    assert reason(b"hello, this is a text file\n" * 20) == "not_image"


@pytest.mark.parametrize("head,name", [(b"%PDF-1.7\n", "PDF"), (b"<svg xmlns='x'>", "SVG"),
                                       (b"\0\0\0\x18ftypheic\0\0\0\0", "HEIC"),
                                       (b"\0\0\0\x1cftypavif\0\0\0\0", "AVIF")])
def test_formats_people_try_are_named(head, name):
    with pytest.raises(ImageError) as err:
        read_image(head + b"\0" * 200)
    assert err.value.reason == "unsupported_format" and err.value.params["format"] == name


def test_other_pillow_formats_are_not_opened():
    ico = encode(Image.fromarray(RGB).resize((16, 16)), "ICO")
    assert reason(ico) == "not_image"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP"])
def test_truncated_files(fmt):
    data = encode(Image.fromarray(rgb_array(64, 96)), fmt)
    got = reason(data[: len(data) * 2 // 3])
    assert got in ("truncated", "corrupt")
    if fmt in ("PNG", "JPEG", "BMP", "GIF", "TIFF"):
        assert got == "truncated"


def test_corrupt_png_data():
    data = bytearray(encode(Image.fromarray(rgb_array(64, 96)), "PNG"))
    data[60:80] = b"\xff" * 20    # inside the compressed pixel data
    assert reason(bytes(data)) in ("corrupt", "truncated")


def test_too_many_bytes_is_refused_before_opening():
    assert reason(b"\0" * (MAX_BYTES + 1)) == "too_large_bytes"


def png_header(width, height):
    """A tiny PNG that claims to be ``width x height``: a decompression bomb's header."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def test_bomb_20000_x_20000_is_refused_without_decoding(monkeypatch):
    def no_decoding(self, *a, **k):
        raise AssertionError("pixels were decoded")
    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(Image.Image, "load", no_decoding)
    data = png_header(20000, 20000)
    assert len(data) < 200
    with pytest.raises(ImageError) as err:
        read_image(data, max_side=128)
    assert err.value.reason == "too_many_pixels" and err.value.params["limit_mp"] == 40
    with pytest.raises(ImageError):
        image_size(data)


def test_bomb_just_over_the_limit_and_a_large_one_under_it(monkeypatch):
    with pytest.raises(ImageError) as err:
        image_size(png_header(8000, 5001))              # 40.008 MP: over
    assert err.value.reason == "too_many_pixels"
    assert image_size(png_header(8000, 4999)) == (4999, 8000)  # header only: fine


def test_every_image_error_code_is_translated():
    cats = {lang: json.loads((ROOT / "assets" / "i18n" / f"{lang}.json").read_text("utf-8"))
            for lang in ("en", "zh")}
    for r in ("empty", "too_large_bytes", "too_many_pixels", "not_image", "unsupported_format",
              "truncated", "corrupt", "too_much_memory"):
        for cat in cats.values():
            assert f"error.image_{r}" in cat, r


# --------------------------------------------------------------------------
# Fuzzing: damaged real files only ever give an ImageError
# --------------------------------------------------------------------------
SEEDS = {fmt: encode(Image.fromarray(rgb_array(16, 20)), fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF")}


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(sorted(SEEDS)), cut=st.floats(0, 1),
       flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6))
def test_damaged_files_never_crash(fmt, cut, flips):
    data = bytearray(SEEDS[fmt][: max(0, int(len(SEEDS[fmt]) * cut))])
    for pos, val in flips:
        if data:
            data[pos % len(data)] = val
    try:
        arr = read_image(bytes(data), max_side=32)
    except ImageError:
        return
    assert arr.ndim == 3 and arr.shape[2] == 3 and np.all(np.isfinite(arr))
    assert 0 <= arr.min() and arr.max() <= 1


# --------------------------------------------------------------------------
# Helpers: PNG out, digits in
# --------------------------------------------------------------------------
def test_png_round_trip():
    a = RGB / 255.0
    np.testing.assert_allclose(read_image(to_png_bytes(a)), a, atol=0.5 / 255 + 1e-12)


def test_samples_are_small_and_readable():
    samples = sorted((ROOT / "assets" / "samples").iterdir())
    assert {p.stem for p in samples} >= {"cat", "face", "street", "digit"}
    assert sum(p.stat().st_size for p in samples) < 400_000
    for p in samples:
        arr = read_image(p.read_bytes())
        assert max(arr.shape[:2]) <= 512


# --------------------------------------------------------------------------
# The decode budget (issue 17): 64 MB, checked from the header
# --------------------------------------------------------------------------
def _rss():
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def _peak_rss_since_reset():
    Path("/proc/self/clear_refs").write_text("5")          # resets VmHWM to the current RSS
    return lambda: int(next(line.split()[1] for line in Path("/proc/self/status").read_text().splitlines()
                            if line.startswith("VmHWM"))) * 1024


def _png16(h, w, value):
    a = np.full((h, w), value, np.uint16)
    a[::97] = 65535                                          # a little structure, still compressible
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG", compress_level=9)
    return buf.getvalue()


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_40_megapixel_16_bit_png_is_refused_within_the_budget():
    import tracemalloc

    from cnnlab.vision.images import MAX_DECODE_BYTES
    data = _png16(6300, 6300, 1000)                          # 39.7 MP x 2 bytes = 79 MB decoded
    assert len(data) < MAX_BYTES and 6300 * 6300 <= 40_000_000
    rss0, peak = _rss(), _peak_rss_since_reset()
    tracemalloc.start()
    with pytest.raises(ImageError) as err:
        read_image(data, max_side=512)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert err.value.reason == "too_much_memory"
    assert err.value.params["bits"] == 16 and err.value.params["limit_mb"] == 64
    assert err.value.params["mb"] > 64
    assert traced < MAX_DECODE_BYTES and peak() - rss0 < MAX_DECODE_BYTES


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_large_16_bit_png_under_the_budget_is_reduced_before_conversion():
    import tracemalloc

    from cnnlab.vision.images import MAX_DECODE_BYTES
    data = _png16(4000, 5000, 30000)                         # 20 MP x 2 bytes = 40 MB decoded
    rss0, peak = _rss(), _peak_rss_since_reset()
    tracemalloc.start()
    arr, info = load_image(data, gray=True, max_side=256)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert arr.shape == (205, 256) and info["original"] == (4000, 5000) and info["scaled"]
    # the value of most pixels survives the block mean and the resize (an outside check: 30000 / 65535)
    assert np.median(arr) == pytest.approx(30000 / 65535, abs=2e-3)
    assert traced < MAX_DECODE_BYTES and peak() - rss0 < MAX_DECODE_BYTES


def test_decode_cost_counts_bands_and_bit_depth():
    from cnnlab.vision.images import decode_cost
    im = Image.new("I;16", (1000, 1000))
    rgb = Image.new("RGB", (1000, 1000))                     # Pillow keeps RGB in 4 bytes a pixel
    mp = 1000 * 1000
    assert decode_cost(im) == mp * (2 + 16 + 32)
    assert decode_cost(rgb) == mp * (4 + 16 + 32)
    assert decode_cost(rgb, max_side=100) == mp * 4 + 200 * 200 * 16 + 100 * 100 * 32   # reduced by 5 first
    assert decode_cost(Image.new("P", (1000, 1000)), max_side=500) == mp * (1 + 4) + mp * 16 + 500 * 500 * 32
