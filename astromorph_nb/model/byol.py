"""BYOL: self-supervised learning of image representations without labels (model layer)."""

from __future__ import annotations

import copy
import math
import numbers

import torch
from torch import Tensor, nn

from astromorph_nb._validation import check_positive_int
from astromorph_nb.model._modes import eval_mode
from astromorph_nb.model.heads import PredictionHead, ProjectionHead
from astromorph_nb.model.losses import symmetric_normalized_mse

__all__ = ["BYOL", "cosine_momentum"]


class BYOL(nn.Module):
    """Bootstrap Your Own Latent (Grill et al. 2020) around an encoder.

    The online network (encoder → projector → predictor) learns to predict the target
    network's projection of another view of the same images. The target network (encoder →
    projector) is not trained: it follows the online network as an exponential moving average
    (EMA). After training, :meth:`embed` gives the online encoder's representation.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps ``(B, C, ny, nx)`` to ``(B, n_features)`` and has an int attribute ``n_features``,
        as every encoder from :func:`astromorph_nb.model.build_encoder` does. It becomes the
        online encoder; the target encoder is a copy.
    projection_size : int, default=256
        Length of the projections and predictions, where the loss is computed (256 in the
        paper).
    projection_hidden_size : int, default=1024
        Hidden width of the projector and predictor. The paper's 4096 serves a 2048-long
        ResNet-50 representation; 1024 suits encoders of 64 to 512 features and is cheap.

    Attributes
    ----------
    encoder, projector, predictor : torch.nn.Module
        The online network; the optimiser trains these.
    target_encoder, target_projector : torch.nn.Module
        The target network: no gradients, changed only by :meth:`update_target`.
    n_features : int
        Length of the representation that :meth:`embed` returns.

    Notes
    -----
    Both views go through the online network in one forward pass, concatenated along the
    batch axis, and through the target network in another. One pass is faster than two, and
    it means BatchNorm layers in training mode compute their statistics over both views
    together (``2B`` images). That is what BYOL's large-batch implementations do too; it also
    slightly mixes information between the two views, which BYOL does not rely on.

    The target network stays in the same train/eval mode as the online one (BYOL's target
    uses batch statistics during training), and its BatchNorm running statistics are copied
    from the online network at each :meth:`update_target`.

    References
    ----------
    J.-B. Grill et al., "Bootstrap your own latent: a new approach to self-supervised
    learning", NeurIPS 2020, arXiv:2006.07733.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.model import BYOL, SmallCNN
    >>> byol = BYOL(SmallCNN(in_channels=1, width=8), projection_size=32)
    >>> view_a, view_b = torch.rand(2, 4, 1, 16, 16)
    >>> loss = byol.loss(view_a, view_b)
    >>> loss.backward()
    >>> byol.update_target(momentum=0.99)
    >>> byol.embed(view_a).shape
    torch.Size([4, 64])
    """

    def __init__(
        self,
        encoder: nn.Module,
        *,
        projection_size: int = 256,
        projection_hidden_size: int = 1024,
    ) -> None:
        super().__init__()
        n_features = _encoder_n_features(encoder)
        projection_size = check_positive_int(projection_size, name="projection_size", where="BYOL")
        hidden_size = check_positive_int(
            projection_hidden_size, name="projection_hidden_size", where="BYOL"
        )
        self.n_features = n_features
        self.encoder = encoder
        self.projector = ProjectionHead(n_features, hidden_size, projection_size)
        self.predictor = PredictionHead(projection_size, hidden_size, projection_size)
        self.target_encoder = copy.deepcopy(encoder).requires_grad_(False)
        self.target_projector = copy.deepcopy(self.projector).requires_grad_(False)

    def loss(self, view_a: Tensor, view_b: Tensor) -> Tensor:
        """Return BYOL's symmetric loss for two views of the same images.

        Parameters
        ----------
        view_a, view_b : Tensor of shape (B, C, ny, nx)
            Two augmented copies of one batch; image ``i`` of both shows the same object.

        Returns
        -------
        Tensor of shape ()
            The batch mean of ``normalized_mse(p_a, t_b) + normalized_mse(p_b, t_a)``, where
            ``p`` are online predictions and ``t`` target projections; between 0 and 8.
            Gradients reach the online network only.
        """
        views = torch.cat([view_a, view_b])
        # The target first: its activations are freed before the online pass allocates its
        # own, which then reuses that memory (on the CPU ~10 % faster than the other order).
        with torch.no_grad():
            targets = self.target_projector(self.target_encoder(views))
        predictions = self.predictor(self.projector(self.encoder(views)))
        # The loss in float32 also under bfloat16 autocast: 2 - 2·cos loses its digits in
        # bfloat16 (8 bits of mantissa) once the views agree well.
        prediction_a, prediction_b = predictions.float().chunk(2)
        target_a, target_b = targets.float().chunk(2)
        with torch.autocast(views.device.type, enabled=False):
            return symmetric_normalized_mse(prediction_a, prediction_b, target_a, target_b)

    def forward(self, view_a: Tensor, view_b: Tensor) -> Tensor:
        """Return :meth:`loss`; lets wrappers that call the module (DDP) work."""
        return self.loss(view_a, view_b)

    @torch.no_grad()
    def update_target(self, momentum: float) -> None:
        """Move the target network towards the online one: ``t ← m·t + (1 − m)·o``.

        The trainer calls this after each optimiser step. All parameters are updated in one
        fused call; buffers (BatchNorm running statistics) are copied, since they describe
        the data rather than being learned.

        Parameters
        ----------
        momentum : float
            ``m`` in [0, 1]. 1 leaves the target's parameters unchanged; 0 copies the online
            network. See :func:`cosine_momentum` for BYOL's schedule.
        """
        if not isinstance(momentum, numbers.Real) or not 0.0 <= momentum <= 1.0:
            msg = (
                "The 'momentum' parameter of BYOL.update_target must be a number in [0, 1]; "
                f"got {momentum!r}. Use cosine_momentum(step, total_steps) for BYOL's schedule."
            )
            raise ValueError(msg)
        online = [*self.encoder.parameters(), *self.projector.parameters()]
        target = [*self.target_encoder.parameters(), *self.target_projector.parameters()]
        # lerp: t + (1 - m)·(o - t), one read of each tensor and one write of t.
        torch._foreach_lerp_(target, online, 1.0 - float(momentum))
        online_buffers = [*self.encoder.buffers(), *self.projector.buffers()]
        target_buffers = [*self.target_encoder.buffers(), *self.target_projector.buffers()]
        if target_buffers:
            torch._foreach_copy_(target_buffers, online_buffers)

    def embed(self, images: Tensor) -> Tensor:
        """Return the online encoder's representation of each image.

        The encoder runs in evaluation mode (BatchNorm uses its running statistics, so each
        image's vector does not depend on the rest of the batch) without gradients; the
        previous train/eval mode of every layer is restored afterwards.

        Parameters
        ----------
        images : Tensor of shape (B, C, ny, nx)
            Images on the model's device, preprocessed like the training images.

        Returns
        -------
        Tensor of shape (B, n_features)
            One representation vector per image, with no autograd history.
        """
        with eval_mode(self.encoder), torch.inference_mode():
            features = self.encoder(images)
        # A plain copy, so callers may change it in place (inference tensors forbid that).
        return features.clone()


def cosine_momentum(step: int, total_steps: int, base: float = 0.99) -> float:
    """Return BYOL's target momentum at ``step``: from ``base`` at 0 up to 1 at ``total_steps``.

    ``m = 1 - (1 - base) · (cos(π · step / total_steps) + 1) / 2`` (Grill et al. 2020,
    section 3.2, where ``base`` = τ_base = 0.996 for ImageNet; 0.99 is byol-pytorch's
    constant momentum).

    Parameters
    ----------
    step : int
        Optimiser steps taken so far, 0 ≤ ``step`` ≤ ``total_steps``.
    total_steps : int
        Optimiser steps in the whole training run.
    base : float, default=0.99
        Momentum at the start. Higher values make the target follow more slowly.

    Returns
    -------
    float
        The momentum to pass to :meth:`BYOL.update_target`.
    """
    total_steps = check_positive_int(total_steps, name="total_steps", where="cosine_momentum")
    if not 0 <= step <= total_steps:
        msg = (
            f"The 'step' parameter of cosine_momentum must be in [0, total_steps={total_steps}];"
            f" got {step!r}."
        )
        raise ValueError(msg)
    return 1.0 - (1.0 - base) * (math.cos(math.pi * step / total_steps) + 1.0) / 2.0


def _encoder_n_features(encoder: nn.Module) -> int:
    """Return the encoder's ``n_features``; raise a TypeError that says how to get one."""
    if not isinstance(encoder, nn.Module):
        msg = (
            f"The 'encoder' parameter of BYOL must be a torch.nn.Module; got "
            f"{type(encoder).__name__}. Build one with "
            "astromorph_nb.model.build_encoder('small', in_channels=...)."
        )
        raise TypeError(msg)
    n_features = getattr(encoder, "n_features", None)
    if isinstance(n_features, bool) or not isinstance(n_features, numbers.Integral):
        msg = (
            f"The encoder given to BYOL ({type(encoder).__name__}) has no int attribute "
            f"'n_features' (the length of its output vectors); got {n_features!r}. Wrap it "
            "with astromorph_nb.model.build_encoder(encoder, in_channels=..., n_features=...)."
        )
        raise TypeError(msg)
    return int(n_features)
