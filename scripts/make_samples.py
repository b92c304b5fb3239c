"""Draw the project's own sample images into assets/samples (licence: CC0, made by CNN Lab).

Run: python scripts/make_samples.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

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


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    shapes().save(OUT / "shapes.png", optimize=True)
    print("wrote", OUT / "shapes.png")
