"""Benchmark: the "Your own classes" lesson's training time and accuracies, with its default settings.

Usage::

    .venv/bin/python benchmarks/bench_own_classes.py [--repeats 5]

Prints medians, never asserts. One BLAS thread and the trainer pool's engine (``CNNLAB_ENGINE``,
fast by default), as the lesson runs it.

1. Training time for 3 classes x 20 images (the lesson's "a student with a camera" case;
   pictures taken from the bundled shapes set), default network and settings, 32x32 grey.
2. Validation accuracy on the bundled starter set (3 x 60 shapes), default settings, over seeds.
3. The shortcut experiment: training / validation / shuffled-colour test accuracy and the median
   share of Grad-CAM on the shape, before and after the fix, over seeds.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)           # Streamlit's "no runtime" warnings: not a page here

from app_pages.own_classes.prepare import DEFAULTS as PREP  # noqa: E402
from app_pages.own_classes.presets import DEFAULTS, preset  # noqa: E402
from app_pages.own_classes.shortcut import CLASSES, compute_scores, experiment_data  # noqa: E402
from cnnlab.nn.data import to_float  # noqa: E402
from cnnlab.nn.model import Model  # noqa: E402
from cnnlab.nn.train import blas_threads, evaluate, train  # noqa: E402
from cnnlab.vision.augment import Augment, batch_augmenter, working_batch  # noqa: E402
from cnnlab.vision.dataset_zip import read_set  # noqa: E402
from services.own_data import LIMITS, split_dataset  # noqa: E402
from services.training import ENGINE  # noqa: E402

SETTINGS = {"optimizer": "adam", "lr": DEFAULTS["lr"], "schedule": "cosine", "batch_size": DEFAULTS["batch"],
            "epochs": DEFAULTS["epochs"]}
AUGMENT = Augment(**{k: PREP[k] for k in ("flip", "shift", "degrees", "scale", "brightness", "contrast")})


def starter(name, gray=True, per_class=None):
    s = read_set((ROOT / "assets" / "starter" / f"{name}.zip").read_bytes(), LIMITS.zip_limits())
    y = np.array(s.labels)
    keep = np.concatenate([np.flatnonzero(y == k)[:per_class] for k in range(len(s.classes))])
    return working_batch([s.images[i] for i in keep], LIMITS.working_size, gray), y[keep]


def model_for(k, gray, seed):
    d = preset(DEFAULTS["preset"])
    d[-1] = {"type": "dense", "units": k}
    return Model(d, input_shape=(1 if gray else 3, LIMITS.working_size, LIMITS.working_size), num_classes=k,
                 seed=seed)


def run(x, y, seed):
    data = split_dataset(x, y, 0.2, seed)
    m = model_for(len(np.unique(y)), x.shape[1] == 1, seed)
    t0 = time.perf_counter()
    for _ in train(m, data, augment=batch_augmenter(AUGMENT), seed=seed, engine=ENGINE, **SETTINGS):
        pass
    wall = time.perf_counter() - t0
    return wall, evaluate(m, to_float(data[1][0]), data[1][1])["accuracy"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=None, help="seeds for the starter-set accuracy (default: repeats)")
    args = ap.parse_args()
    blas_threads(1)
    print(f"defaults: {DEFAULTS['preset']} CNN, {SETTINGS['epochs']} epochs, batch {SETTINGS['batch_size']}, "
          f"lr {SETTINGS['lr']}, {LIMITS.working_size}x{LIMITS.working_size} grey, augmentation {AUGMENT}")
    x, y = starter("shapes", per_class=20)
    times = [run(x, y, seed)[0] for seed in range(args.repeats)]
    print(f"1. training, 3 classes x 20 images: median {statistics.median(times):.2f} s "
          f"(min {min(times):.2f}, max {max(times):.2f}, {args.repeats} runs)")
    x, y = starter("shapes")
    res = [run(x, y, seed) for seed in range(args.seeds or args.repeats)]
    accs = [a for _, a in res]
    print(f"2. starter set (3 x 60 shapes): validation accuracy median {statistics.median(accs):.1%} "
          f"(min {min(accs):.1%}, max {max(accs):.1%}, {len(accs)} seeds: "
          f"{', '.join(f'{a:.1%}' for a in accs)}); training median {statistics.median([w for w, _ in res]):.2f} s")
    for run_name in ("shortcut", "fix"):
        rows = []
        for seed in range(args.repeats):
            data, gray, settings = experiment_data(run_name)
            settings = {**settings, "seed": seed}
            m = model_for(len(CLASSES), gray, seed)
            for _ in train(m, data, engine=ENGINE, **settings):
                pass
            rows.append(compute_scores(m, data))
        med = {k: statistics.median([r[k] for r in rows]) for k in ("train", "val", "test", "share", "occ")}
        per_seed = ", ".join(f"{r['test']:.0%}" for r in rows)
        print(f"3. shortcut experiment, {run_name:8s}: train {med['train']:.0%}, validation {med['val']:.0%}, "
              f"shuffled-colour test {med['test']:.0%} (per seed: {per_seed}), "
              f"on the shape: Grad-CAM {med['share']:.0%}, occlusion {med['occ']:.0%} "
              f"(the shape covers {rows[0]['area']:.0%})")


if __name__ == "__main__":
    main()
