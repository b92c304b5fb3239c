"""Make the sample images in assets/samples.

Drawn by this script (CC0, made by CNN Lab): ``shapes.png``, ``street.png``, ``digit.png``.
Taken from scikit-image's bundled data (public domain / CC0, see assets/README.md) when
``--skimage-data`` points at the ``skimage/data`` folder of a scikit-image wheel:
``cat.jpg`` (chelsea.png, CC0 by Stefan van der Walt) and ``face.jpg`` (astronaut.png,
NASA, public domain).

Run::

    cd /tmp && pip download --no-deps scikit-image && unzip -o scikit_image-*.whl 'skimage/data/*'
    python scripts/make_samples.py --skimage-data /tmp/skimage/data
"""

import argparse
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parent.parent / "assets" / "samples"


def shapes(size=256):
    """Geometric shapes with edges at 0, 45, 90 and 135 degrees and a circle."""
    im = Image.new("RGB", (size, size), (235, 235, 228))
    d = ImageDraw.Draw(im)
    s = size / 256
    d.rectangle([20 * s, 20 * s, 110 * s, 110 * s], fill=(30, 64, 175))
    d.ellipse([140 * s, 20 * s, 236 * s, 116 * s], fill=(220, 38, 38))
    d.polygon([(20 * s, 236 * s), (110 * s, 236 * s), (65 * s, 140 * s)], fill=(22, 163, 74))
    for i in range(5):
        x = 140 * s + i * 20 * s
        d.line([(x, 140 * s), (x + 60 * s, 236 * s)], fill=(20, 20, 20), width=max(1, int(6 * s)))
    return im


def street(width=320, height=240, seed=7):
    """A street in perspective: buildings with windows, a road with lane marks and a crossing."""
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (width, height), (170, 200, 230))  # sky
    d = ImageDraw.Draw(im)
    horizon = int(height * 0.55)
    vx = width // 2  # vanishing point
    # buildings on both sides, receding towards the vanishing point
    x = 0
    while x < width:
        w = int(rng.integers(38, 70))
        top = int(rng.integers(20, horizon - 30))
        shade = int(rng.integers(90, 170))
        colour = (shade, int(shade * 0.9), int(shade * 0.8))
        d.rectangle([x, top, x + w, horizon], fill=colour, outline=(40, 40, 40))
        for wy in range(top + 8, horizon - 10, 16):
            for wx in range(x + 6, x + w - 10, 12):
                lit = rng.random() < 0.3
                d.rectangle([wx, wy, wx + 6, wy + 9], fill=(250, 220, 120) if lit else (50, 60, 80))
        x += w + int(rng.integers(2, 8))
    # road: a trapezoid to the vanishing point
    d.polygon([(0, height), (width, height), (vx + 25, horizon), (vx - 25, horizon)], fill=(70, 70, 75))
    d.polygon([(0, height), (0, horizon + 18), (vx - 25, horizon)], fill=(150, 150, 145))  # pavement
    d.polygon([(width, height), (width, horizon + 18), (vx + 25, horizon)], fill=(150, 150, 145))
    # dashed centre line
    for k in range(6):
        f0, f1 = 0.08 + k * 0.16, 0.14 + k * 0.16
        y0 = horizon + (height - horizon) * f0 ** 0.7
        y1 = horizon + (height - horizon) * f1 ** 0.7
        w0, w1 = 1 + 5 * f0, 1 + 5 * f1
        d.polygon([(vx - w0, y0), (vx + w0, y0), (vx + w1, y1), (vx - w1, y1)], fill=(245, 245, 240))
    # zebra crossing near the viewer
    for k in range(-4, 5):
        x0 = vx + k * 30
        d.polygon([(x0 - 9, height - 34), (x0 + 9, height - 34),
                   (x0 + 12, height - 12), (x0 - 12, height - 12)],
                  fill=(240, 240, 235))
    # street lamps: vertical and diagonal edges
    for lx, sign in ((60, 1), (width - 60, -1)):
        d.line([(lx, height - 20), (lx, horizon - 50)], fill=(30, 30, 30), width=4)
        d.line([(lx, horizon - 50), (lx + sign * 22, horizon - 62)], fill=(30, 30, 30), width=3)
        d.ellipse([lx + sign * 22 - 5, horizon - 66, lx + sign * 22 + 5, horizon - 56], fill=(255, 240, 170))
    return im


def digit(size=112, seed=3):
    """A handwritten-looking 3: dark ink strokes on light paper, slightly wobbly."""
    rng = np.random.default_rng(seed)
    im = Image.new("L", (size, size), 245)
    d = ImageDraw.Draw(im)
    s = size / 112
    cx = 56 * s

    def arc(cy, r, a0, a1, n=24):
        pts = []
        for a in np.linspace(a0, a1, n):
            wob = 1 + 0.04 * rng.standard_normal()
            pts.append((cx + r * wob * math.cos(a), cy + r * wob * math.sin(a)))
        return pts

    top = arc(36 * s, 20 * s, math.radians(-160), math.radians(90))
    bottom = arc(74 * s, 23 * s, math.radians(-90), math.radians(150))
    d.line(top, fill=20, width=int(9 * s), joint="curve")
    d.line(bottom, fill=20, width=int(10 * s), joint="curve")
    im = im.filter(ImageFilter.GaussianBlur(1.2 * s))
    return im.convert("RGB")


def from_skimage(data_dir, name, box=None, max_side=320):
    """A scikit-image sample, optionally cropped to ``box`` (left, top, right, bottom), downscaled."""
    im = Image.open(Path(data_dir) / name).convert("RGB")
    if box:
        im = im.crop(box)
    im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return im


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skimage-data", help="the skimage/data folder of a scikit-image wheel")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, im in (("shapes", shapes()), ("street", street()), ("digit", digit())):
        im.save(OUT / f"{name}.png", optimize=True)
        print("wrote", OUT / f"{name}.png")
    if args.skimage_data:
        cat = from_skimage(args.skimage_data, "chelsea.png", max_side=320)
        cat.save(OUT / "cat.jpg", quality=88, optimize=True)
        face = from_skimage(args.skimage_data, "astronaut.png", box=(120, 0, 376, 256), max_side=256)
        face.save(OUT / "face.jpg", quality=88, optimize=True)
        print("wrote", OUT / "cat.jpg", OUT / "face.jpg")


if __name__ == "__main__":
    main()
