"""Embedding quality per minute of CPU: ours against byol-pytorch, lightly and baselines.

On ``datasets.synthetic()`` (7 labelled morphologies with varied PSF and noise, 64×64), each
self-supervised method trains for the same wall-clock budget on this machine's CPU, then the
embeddings are scored with labels they never saw: kNN accuracy (k=10, cosine, 5-fold) and a
linear probe (logistic regression, 5-fold). Beside them: PCA of the pixels, our encoder
untrained, and a supervised ceiling (the same encoder trained with the labels, with the same
augmentations, for the same time).

Ours runs with its defaults (``model.defaults.default_model`` and ``Trainer`` defaults with
``max_time_s``), from scratch ("ours") or from the shipped pretrained weights
("ours-pretrained", see ``io/pretrained.py`` for what they saw). The peers get the same
encoder and their own defaults as their READMEs show them (byol-pytorch: Adam 3e-4, its
built-in augmentations on images stacked to 3 channels; lightly: SGD 0.06 with its BYOL
heads and per-image flips/rotations/blur).

Usage: ``python benchmarks/bench_quality.py [--budget-s 120] [--n-per-class 430]
[--methods ours,byol-pytorch,lightly,supervised] [--seed 0] [--init-seed N]`` (peers need
``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch
import torchvision.transforms.v2 as T
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from astromorph_nb import datasets
from astromorph_nb.analysis import compute_embeddings
from astromorph_nb.augment import default_augmentations, two_views
from astromorph_nb.io.pretrained import default_weights
from astromorph_nb.model.defaults import default_model
from astromorph_nb.train import Trainer


def scores(features: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    knn = KNeighborsClassifier(n_neighbors=10, metric="cosine")
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return (
        float(cross_val_score(knn, features, labels, cv=folds).mean()),
        float(cross_val_score(probe, features, labels, cv=folds).mean()),
    )


def embed_encoder(encoder: nn.Module, images: torch.Tensor) -> np.ndarray:
    encoder.eval()
    with torch.inference_mode():
        return np.concatenate([encoder(batch).numpy() for batch in images.split(512)])


def train_ours(images, labels, budget_s, seed, *, pretrained=False):
    torch.manual_seed(seed)
    model = default_model(in_channels=images.shape[1])
    if pretrained:
        model.load_state_dict(default_weights(images.shape[1]))
    trainer = Trainer(max_time_s=budget_s, n_epochs=10_000, device="cpu", random_state=seed)
    trainer.fit(model, images)
    return compute_embeddings(model, images), trainer.step


def train_supervised(images, labels, budget_s, seed):
    torch.manual_seed(seed)
    encoder = default_model(in_channels=images.shape[1]).encoder
    head = nn.Linear(encoder.n_features, int(labels.max()) + 1)
    network = nn.Sequential(encoder, head)
    optimizer = torch.optim.AdamW(network.parameters(), lr=2e-3, weight_decay=1e-4)
    augment, generator = default_augmentations(), torch.Generator().manual_seed(seed)
    targets = torch.as_tensor(labels)
    steps, start = 0, time.monotonic()
    while time.monotonic() - start < budget_s:
        index = torch.randint(len(images), (128,), generator=generator)
        view, _ = two_views(augment, images[index], generator)
        loss = nn.functional.cross_entropy(network(view), targets[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        steps += 1
    return embed_encoder(encoder, images), steps


def train_byol_pytorch(images, labels, budget_s, seed):
    from byol_pytorch import BYOL as LucidBYOL

    torch.manual_seed(seed)
    encoder = default_model(in_channels=3).encoder  # its default augmentations need RGB
    rgb = images.expand(-1, 3, -1, -1)
    learner = LucidBYOL(encoder, image_size=images.shape[-1], hidden_layer=-1)
    optimizer = torch.optim.Adam(learner.parameters(), lr=3e-4)
    steps, start = 0, time.monotonic()
    generator = torch.Generator().manual_seed(seed)
    while time.monotonic() - start < budget_s:
        index = torch.randint(len(images), (128,), generator=generator)
        loss = learner(rgb[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        learner.update_moving_average()
        steps += 1
    return embed_encoder(encoder, rgb), steps


def train_lightly(images, labels, budget_s, seed):
    from lightly.loss import NegativeCosineSimilarity
    from lightly.models.modules import BYOLPredictionHead, BYOLProjectionHead
    from lightly.models.utils import deactivate_requires_grad, update_momentum

    torch.manual_seed(seed)
    backbone = default_model(in_channels=images.shape[1]).encoder
    projection = BYOLProjectionHead(backbone.n_features, 1024, 256)
    prediction = BYOLPredictionHead(256, 1024, 256)
    backbone_m, projection_m = copy.deepcopy(backbone), copy.deepcopy(projection)
    deactivate_requires_grad(backbone_m)
    deactivate_requires_grad(projection_m)
    criterion = NegativeCosineSimilarity()
    params = [*backbone.parameters(), *projection.parameters(), *prediction.parameters()]
    optimizer = torch.optim.SGD(params, lr=0.06)
    transform = T.Compose(
        [
            T.RandomHorizontalFlip(),
            T.RandomVerticalFlip(),
            T.RandomRotation(180),
            T.GaussianBlur(5, sigma=(0.1, 1.5)),
        ]
    )
    steps, start = 0, time.monotonic()
    generator = torch.Generator().manual_seed(seed)
    while time.monotonic() - start < budget_s:
        index = torch.randint(len(images), (128,), generator=generator)
        view_a = torch.stack([transform(image) for image in images[index]])
        view_b = torch.stack([transform(image) for image in images[index]])
        update_momentum(backbone, backbone_m, m=0.99)
        update_momentum(projection, projection_m, m=0.99)
        p_a, p_b = (
            prediction(projection(backbone(view_a))),
            prediction(projection(backbone(view_b))),
        )
        z_a = projection_m(backbone_m(view_a)).detach()
        z_b = projection_m(backbone_m(view_b)).detach()
        loss = 0.5 * (criterion(p_a, z_b) + criterion(p_b, z_a))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        steps += 1
    return embed_encoder(backbone, images), steps


def train_ours_pretrained(images, labels, budget_s, seed):
    return train_ours(images, labels, budget_s, seed, pretrained=True)


METHODS = {
    "ours": train_ours,
    "ours-pretrained": train_ours_pretrained,
    "byol-pytorch": train_byol_pytorch,
    "lightly": train_lightly,
    "supervised": train_supervised,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=120.0)
    parser.add_argument("--n-per-class", type=int, default=430)
    parser.add_argument("--methods", default="ours,byol-pytorch,lightly,supervised")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data set")
    parser.add_argument(
        "--init-seed",
        type=int,
        default=None,
        help="seed of the initial weights, shuffling and views (default: --seed)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(2)

    data = datasets.synthetic(n_per_class=args.n_per_class, image_size=64, random_state=args.seed)
    images, labels = data.images, np.asarray(data.meta["label_id"])
    print(f"{len(images)} images of {len(set(labels))} classes, budget {args.budget_s:.0f} s each")
    rows = [
        ("PCA of pixels (32)", *scores(PCA(32).fit_transform(images.flatten(1).numpy()), labels), 0)
    ]
    torch.manual_seed(args.seed)
    untrained = compute_embeddings(default_model(in_channels=images.shape[1]), images)
    rows.append(("our encoder, untrained", *scores(untrained, labels), 0))
    if "ours-pretrained" in args.methods:
        shipped = default_model(in_channels=images.shape[1])
        shipped.load_state_dict(default_weights(images.shape[1]))
        rows.append(
            (
                "shipped weights, no training",
                *scores(compute_embeddings(shipped, images), labels),
                0,
            )
        )
    for name in args.methods.split(","):
        start = time.monotonic()
        init_seed = args.seed if args.init_seed is None else args.init_seed
        features, steps = METHODS[name](images, labels, args.budget_s, init_seed)
        print(f"  {name}: {steps} steps in {time.monotonic() - start:.0f} s", flush=True)
        rows.append((name, *scores(features, labels), steps))
    print(f"\n{'method':<26}{'kNN acc':>9}{'linear probe':>14}{'steps':>8}")
    for name, knn, probe, steps in rows:
        print(f"{name:<26}{knn:>9.3f}{probe:>14.3f}{steps or '':>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
