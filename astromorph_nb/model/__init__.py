"""Torch modules for self-supervised learning: encoders, BYOL heads and loss (model layer).

No loops and no I/O here: the trainer (``astromorph_nb.train``) runs these modules.

- :func:`build_encoder`, :class:`Encoder`, :class:`SmallCNN`: networks mapping a batch
  ``(B, C, ny, nx)`` to representation vectors ``(B, n_features)``.
- :func:`default_model`: the BYOL model chosen for quality per minute of CPU.
- :class:`BYOL`: online and target networks, with ``loss``, ``update_target`` and ``embed``;
  :func:`cosine_momentum` gives the target momentum schedule.
- :class:`ProjectionHead`, :class:`PredictionHead`, :func:`normalized_mse`,
  :func:`symmetric_normalized_mse`: BYOL's parts, for building variants.
"""

from astromorph_nb.model.byol import BYOL, cosine_momentum
from astromorph_nb.model.defaults import default_model
from astromorph_nb.model.encoders import Encoder, SmallCNN, build_encoder
from astromorph_nb.model.heads import PredictionHead, ProjectionHead
from astromorph_nb.model.losses import normalized_mse, symmetric_normalized_mse

__all__ = [
    "BYOL",
    "Encoder",
    "PredictionHead",
    "ProjectionHead",
    "SmallCNN",
    "build_encoder",
    "cosine_momentum",
    "default_model",
    "normalized_mse",
    "symmetric_normalized_mse",
]
