"""Embeddings of an image set from a trained model's encoder (analysis layer)."""

from __future__ import annotations

import numpy as np
import torch

from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.model.byol import BYOL

__all__ = ["compute_embeddings"]


def compute_embeddings(
    model: BYOL,
    images: ImageSet | torch.Tensor,
    *,
    batch_size: int = 512,
    device: torch.device | str | None = None,
) -> np.ndarray:
    """Return the encoder's representation of every image.

    Parameters
    ----------
    model : BYOL
        A (trained) model; its online encoder is run in evaluation mode.
    images : ImageSet or Tensor of shape (n_images, n_channels, ny, nx)
        Preprocessed like the training images.
    batch_size : int, default=512
        Images per forward pass; lower it if the device runs out of memory.
    device : torch.device or str, optional
        Where to run; default: the model's device.

    Returns
    -------
    ndarray of shape (n_images, n_features)
        float32.
    """
    tensor = images.images if isinstance(images, ImageSet) else images
    if device is None:
        device = next(model.parameters()).device
    device = torch.device(device)
    out = np.empty((tensor.shape[0], model.n_features), dtype=np.float32)
    for start in range(0, tensor.shape[0], batch_size):
        batch = tensor[start : start + batch_size].to(device, non_blocking=True)
        out[start : start + batch.shape[0]] = model.embed(batch).float().cpu().numpy()
    return out
