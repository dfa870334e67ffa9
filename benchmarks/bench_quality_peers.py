"""The peers of ``bench_quality.py --peers``: byol-pytorch and lightly as their READMEs run them.

Both get our default encoder and the same wall-clock budget. byol-pytorch: Adam 3e-4 and its
built-in augmentations on images stacked to 3 channels. lightly: SGD 0.06 with its BYOL heads
and per-image flips, rotations and blur. Needs ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch
import torchvision.transforms.v2 as T
from torch import nn

from astromorph_nb.model.defaults import default_model


def embed_encoder(encoder: nn.Module, images: torch.Tensor) -> np.ndarray:
    encoder.eval()
    with torch.inference_mode():
        return np.concatenate([encoder(batch).numpy() for batch in images.split(512)])


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


PEERS = {"byol-pytorch": train_byol_pytorch, "lightly": train_lightly}
