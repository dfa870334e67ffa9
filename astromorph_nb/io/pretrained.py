"""Weights shipped with the package as the default model's starting point (io layer).

BYOL learns faster from a start that already knows generic sky shapes: the astromorph paper
names transfer of encoder weights as one of its advantages. The shipped state dict was
trained by ``tools/pretrain_default_model.py`` (BYOL, no labels) on 4,200 generated images of
seven morphologies (``datasets.synthetic``) and the 285 Hubble XDF stamps, for one-channel
images; its docstring says exactly what they saw. Start from scratch by not loading them.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import torch

from astromorph_nb.exceptions import NotReadyError

__all__ = ["default_weights", "has_default_weights"]

_FILES = {1: "default_1ch.pt"}


def has_default_weights(in_channels: int) -> bool:
    """Return True when weights are shipped for images with ``in_channels`` channels."""
    if in_channels not in _FILES:
        return False
    return (
        resources.files("astromorph_nb.io")
        .joinpath("weights")
        .joinpath(_FILES[in_channels])
        .is_file()
    )


def default_weights(in_channels: int = 1) -> dict[str, Any]:
    """Return the shipped state dict of ``model.defaults.default_model(in_channels)``.

    Examples
    --------
    >>> from astromorph_nb.io.pretrained import default_weights
    >>> from astromorph_nb.model.defaults import default_model
    >>> model = default_model(in_channels=1)
    >>> model.load_state_dict(default_weights(1))
    <All keys matched successfully>

    Raises
    ------
    NotReadyError
        When no weights are shipped for this number of channels; train from scratch then.
    """
    if not has_default_weights(in_channels):
        shipped = ", ".join(str(c) for c in sorted(_FILES))
        msg = (
            f"No pretrained default weights for {in_channels}-channel images (shipped for: "
            f"{shipped} channel). Train from scratch: skip loading pretrained weights."
        )
        raise NotReadyError(msg)
    path = resources.files("astromorph_nb.io").joinpath("weights").joinpath(_FILES[in_channels])
    with resources.as_file(path) as file:
        state = torch.load(file, map_location="cpu", weights_only=True)
    return dict(state["model"])
