"""Ablations behind the default model: kNN accuracy after a fixed CPU budget, one setting a run.

Downsamples ``datasets.synthetic(n_per_class=430, random_state=0)`` to ``--size`` pixels,
builds a SmallCNN of ``--width`` with BYOL heads ``--projection``/``--hidden``, trains with
``Trainer(max_time_s=--budget-s)`` and the given batch size and learning rate, and prints the
kNN accuracy (k=10, cosine, 5-fold) before and after. Optional augmentation overrides:
``--zoom 0.7 1.4 --shift 0.1 --psf 0 3 --noise 0 2``.

Example (the default setting):
``python benchmarks/ablate_defaults.py --size 32 --width 16 --projection 64 --hidden 256
--batch-size 128 --learning-rate 5e-3``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from astromorph_nb import datasets
from astromorph_nb.analysis import compute_embeddings
from astromorph_nb.augment import (
    AugmentationPipeline,
    FluxScale,
    GaussianNoise,
    PSFBlur,
    RandomAffine,
)
from astromorph_nb.model import BYOL, SmallCNN, build_encoder
from astromorph_nb.train import Trainer


def knn_accuracy(features: np.ndarray, labels: np.ndarray) -> float:
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    knn = KNeighborsClassifier(n_neighbors=10, metric="cosine")
    return float(cross_val_score(knn, features, labels, cv=folds).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--projection", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=5e-3)
    parser.add_argument("--budget-s", type=float, default=120.0)
    parser.add_argument("--zoom", type=float, nargs=2, default=(0.9, 1.1))
    parser.add_argument("--shift", type=float, default=0.05)
    parser.add_argument("--psf", type=float, nargs=2, default=(0.0, 1.5))
    parser.add_argument("--noise", type=float, nargs=2, default=(0.0, 1.0))
    parser.add_argument("--seed", type=int, default=0, help="initialisation and training seed")
    parser.add_argument("--pca", action="store_true", help="only score PCA of the pixels")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)

    data = datasets.synthetic(n_per_class=430, image_size=64, random_state=0)
    labels = np.asarray(data.meta["label_id"])
    images = torch.nn.functional.interpolate(data.images, size=args.size, mode="area")
    if args.pca:
        print(f"PCA(32) kNN {knn_accuracy(PCA(32).fit_transform(images.flatten(1)), labels):.3f}")
        return 0
    torch.manual_seed(args.seed)
    encoder = build_encoder(SmallCNN(1, width=args.width), in_channels=1)
    model = BYOL(encoder, projection_size=args.projection, projection_hidden_size=args.hidden)
    print(f"untrained kNN {knn_accuracy(compute_embeddings(model, images), labels):.3f}")
    augmentations = AugmentationPipeline(
        [
            RandomAffine(
                angle_deg=(-180.0, 180.0),
                flip_prob=0.5,
                shift_fraction=args.shift,
                zoom=tuple(args.zoom),
                fill="reflect",
            ),
            PSFBlur(fwhm_px=tuple(args.psf)),
            GaussianNoise(relative_sigma=tuple(args.noise)),
            FluxScale(factor=(0.8, 1.25)),
        ]
    )
    trainer = Trainer(
        max_time_s=args.budget_s,
        n_epochs=1000,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        device="cpu",
        random_state=args.seed,
        augmentations=augmentations,
    )
    start = time.monotonic()
    trainer.fit(model, images)
    accuracy = knn_accuracy(compute_embeddings(model, images), labels)
    print(f"{trainer.step} steps in {time.monotonic() - start:.0f} s; trained kNN {accuracy:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
