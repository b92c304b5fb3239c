"""Train the shipped pretrained LeNet-5 (``assets/lenet5_mnist.npz``) from the bundled digits.

Usage::

    python scripts/train_lenet.py [--epochs 20] [--seed 0] [--out assets/lenet5_mnist.npz]

Same code as the lesson (``cnnlab.nn.train.train``): LeNet-5 with ReLU and max
pooling, Adam with a cosine schedule, shifts and small rotations as data
augmentation, on the 8,000 training digits; the validation split picks
nothing (no tuning happens here) and the test split is only reported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnnlab.nn.data import load_digits  # noqa: E402
from cnnlab.nn.model import LENET5, Model  # noqa: E402
from cnnlab.nn.train import evaluate, train  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--out", default=str(ROOT / "assets" / "lenet5_mnist.npz"))
    args = parser.parse_args(argv)
    data = load_digits()
    model = Model(LENET5, seed=args.seed)
    settings = dict(optimizer="adam", lr=args.lr, schedule="cosine", batch_size=64, epochs=args.epochs,
                    augment=True, seed=args.seed)
    for report in train(model, data, **settings):
        if report["kind"] == "val":
            print(f"epoch {report['epoch']:2d} step {report['step']:5d} "
                  f"val acc {report['val_accuracy']:.4f} ({report['elapsed']:.1f} s)")
    test = evaluate(model, *data[2])
    val = evaluate(model, *data[1])
    model.meta = {"name": "LeNet-5", "dataset": "digits", "settings": settings,
                  "val_accuracy": round(val["accuracy"], 4), "test_accuracy": round(test["accuracy"], 4)}
    model.save(args.out)
    print(f"test accuracy {test['accuracy']:.4f}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
