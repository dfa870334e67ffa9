"""BYOL's loss: the mean squared error between unit-length vectors (model layer)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = ["normalized_mse", "symmetric_normalized_mse"]


def normalized_mse(prediction: Tensor, target: Tensor) -> Tensor:
    """Return the squared distance between unit-length vectors, ``2 - 2 cos``, per sample.

    Parameters
    ----------
    prediction : Tensor of shape (B, D)
        The online network's predictions.
    target : Tensor of shape (B, D)
        The target network's projections (detach them, or compute them without gradients).

    Returns
    -------
    Tensor of shape (B,)
        ``|p/|p| - t/|t||² = 2 - 2 cos(p, t)``, between 0 (same direction) and 4.

    Notes
    -----
    Equation 2 of Grill et al. (2020), "Bootstrap your own latent", arXiv:2006.07733.
    """
    prediction = F.normalize(prediction, dim=-1)
    target = F.normalize(target, dim=-1)
    return 2 - 2 * (prediction * target).sum(dim=-1)


def symmetric_normalized_mse(
    prediction_a: Tensor, prediction_b: Tensor, target_a: Tensor, target_b: Tensor
) -> Tensor:
    """Return BYOL's symmetrised loss, averaged over the batch.

    The prediction from each view is compared with the target projection of the other view,
    and the two terms are added (Grill et al. 2020, section 3.1: the loss and its
    symmetrised counterpart), as in the seed.

    Parameters
    ----------
    prediction_a, prediction_b : Tensor of shape (B, D)
        Online predictions from view a and from view b.
    target_a, target_b : Tensor of shape (B, D)
        Target projections of view a and of view b.

    Returns
    -------
    Tensor of shape ()
        The batch mean of ``normalized_mse(prediction_a, target_b) +
        normalized_mse(prediction_b, target_a)``, between 0 and 8.
    """
    loss = normalized_mse(prediction_a, target_b) + normalized_mse(prediction_b, target_a)
    return loss.mean()
