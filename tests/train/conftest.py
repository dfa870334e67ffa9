from __future__ import annotations

import pytest
import torch


@pytest.fixture
def images() -> torch.Tensor:
    """42 synthetic 16×16 images of seven morphologies."""
    from astromorph_nb import datasets

    return datasets.synthetic(n_per_class=6, image_size=16, random_state=0).images
