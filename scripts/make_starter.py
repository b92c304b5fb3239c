"""Generate the bundled starter sets of the "Your own classes" lesson (assets/starter/*.zip).

    .venv/bin/python scripts/make_starter.py

All sets have three classes, circle / triangle / star, drawn with Pillow at
4x and scaled down (smooth edges), each shape at a random place, size, angle
and colour. Fixed seeds: the files are the same on every run.

* ``shapes.zip``        - 60 per class, every background a random colour: the plain starter set.
* ``shortcut_train.zip`` - 20 per class; every circle on red, every triangle on green, every star
  on blue (a spurious cue: the background colour alone predicts the class).
* ``shortcut_test.zip``  - 20 per class, the colours shuffled (circles on green or blue, ...).
* ``shortcut_varied.zip`` - 40 per class on random backgrounds: "more varied data", the fix.

The zips are in the lesson's own set format (labels.csv + PNGs), read back by
``cnnlab.vision.dataset_zip.read_set`` like any upload.
"""

from __future__ import annotations

import colorsys
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnnlab.vision.dataset_zip import write_set  # noqa: E402

OUT = ROOT / "assets" / "starter"
SIDE = 48
UP = 4
CLASSES = ("circle", "triangle", "star")
# the shortcut set's background per class, and the shuffled test colours
CUE = {0: (200, 40, 40), 1: (40, 170, 60), 2: (50, 70, 200)}
SHUFFLED = {0: (1, 2), 1: (0, 2), 2: (0, 1)}


def _hsv(h, s, v):
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(h % 1.0, s, v))


def _polygon(kind, cx, cy, r, angle):
    if kind == 1:
        k = np.arange(3)
        t = angle + 2 * np.pi * k / 3
        return [(cx + r * np.cos(a), cy + r * np.sin(a)) for a in t]
    pts = []
    for k in range(10):
        rad = r if k % 2 == 0 else r * 0.42
        a = angle + np.pi * k / 5
        pts.append((cx + rad * np.cos(a), cy + rad * np.sin(a)))
    return pts


def draw(kind, background, rng):
    """One shape image (SIDE, SIDE, 3) uint8 on ``background`` (an RGB triple)."""
    s = SIDE * UP
    im = Image.new("RGB", (s, s), background)
    d = ImageDraw.Draw(im)
    r = rng.uniform(0.22, 0.36) * s
    cx, cy = rng.uniform(r + 2, s - r - 2, 2)
    bg_v = max(background) / 255
    fg = _hsv(rng.random(), rng.uniform(0, 0.5), 0.95 if bg_v < 0.6 else rng.uniform(0.05, 0.3))
    if kind == 0:
        d.ellipse([cx - r * 0.85, cy - r * 0.85, cx + r * 0.85, cy + r * 0.85], fill=fg)
    else:
        d.polygon(_polygon(kind, cx, cy, r, rng.uniform(0, 2 * np.pi)), fill=fg)
    im = im.resize((SIDE, SIDE), Image.Resampling.LANCZOS)
    a = np.asarray(im, dtype=np.float64)
    a += rng.normal(0, 4, a.shape)                          # a little sensor-like noise
    return np.clip(np.round(a), 0, 255).astype(np.uint8)


def random_background(rng):
    return _hsv(rng.random(), rng.uniform(0.3, 0.9), rng.uniform(0.25, 0.95))


def make(n_per_class, background, seed):
    rng = np.random.default_rng(seed)
    labels, images = [], []
    for k in range(len(CLASSES)):
        for i in range(n_per_class):
            labels.append(k)
            images.append(draw(k, background(k, i, rng), rng))
    return labels, images


def jitter(rgb, rng):
    return tuple(int(np.clip(c + rng.integers(-25, 26), 0, 255)) for c in rgb)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    sets = {
        "shapes": make(60, lambda k, i, rng: random_background(rng), 1),
        "shortcut_train": make(20, lambda k, i, rng: jitter(CUE[k], rng), 2),
        "shortcut_test": make(20, lambda k, i, rng: jitter(CUE[SHUFFLED[k][i % 2]], rng), 3),
        "shortcut_varied": make(40, lambda k, i, rng: random_background(rng), 4),
    }
    for name, (labels, images) in sets.items():
        data = write_set(CLASSES, labels, [img / 255.0 for img in images])
        (OUT / f"{name}.zip").write_bytes(data)
        print(f"{name}.zip: {len(images)} images, {len(data) / 1024:.0f} KB")
    # a contact sheet for the README / for looking at (not used by the app)
    sheet = np.concatenate([np.concatenate(sets[n][1][::10][:6], axis=1) for n in sets], axis=0)
    buf = io.BytesIO()
    Image.fromarray(sheet).save(buf, format="PNG")
    (OUT / "preview.png").write_bytes(buf.getvalue())


if __name__ == "__main__":
    main()
