"""BYOL's projection and prediction heads: small MLPs on top of the encoder (model layer)."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["PredictionHead", "ProjectionHead"]


class _MLP(nn.Module):
    """Linear → BatchNorm1d → ReLU → Linear, with explicit sizes."""

    def __init__(self, in_features: int, hidden_features: int, out_features: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_features, hidden_features),
            nn.BatchNorm1d(hidden_features),
            nn.ReLU(inplace=True),
            nn.Linear(hidden_features, out_features),
        )
        self.in_features = in_features
        self.hidden_features = hidden_features
        self.out_features = out_features

    def forward(self, features: Tensor) -> Tensor:
        """Map ``(B, in_features)`` to ``(B, out_features)``."""
        return self.layers(features)


class ProjectionHead(_MLP):
    """BYOL's projector: maps a representation to the space where the loss is computed.

    The multi-layer perceptron of Grill et al. (2020), section 3.3: a linear layer, batch
    normalisation, a ReLU and a second linear layer. Sizes are given explicitly, so building
    it needs no forward pass.

    Parameters
    ----------
    in_features : int
        Length of the encoder's representation (the encoder's ``n_features``).
    hidden_features : int
        Width of the hidden layer (4096 in the paper, for a 2048-long ResNet-50 representation).
    out_features : int
        Length of the projection (256 in the paper).

    Notes
    -----
    Shape: ``(B, in_features)`` → ``(B, out_features)``. Training needs ``B >= 2`` because of
    the batch normalisation.

    References
    ----------
    J.-B. Grill et al., "Bootstrap your own latent: a new approach to self-supervised
    learning", NeurIPS 2020, arXiv:2006.07733.
    """


class PredictionHead(_MLP):
    """BYOL's predictor: predicts the target network's projection from the online one.

    Same architecture as :class:`ProjectionHead` (Grill et al. 2020, section 3.3); it exists
    only in the online network, and this asymmetry is what keeps BYOL from collapsing.

    Parameters
    ----------
    in_features : int
        Length of the projection.
    hidden_features : int
        Width of the hidden layer.
    out_features : int
        Length of the prediction; equal to the projection length.

    Notes
    -----
    Shape: ``(B, in_features)`` → ``(B, out_features)``.

    References
    ----------
    J.-B. Grill et al., "Bootstrap your own latent: a new approach to self-supervised
    learning", NeurIPS 2020, arXiv:2006.07733.
    """
