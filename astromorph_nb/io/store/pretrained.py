"""Weights shipped with the package as the default model's starting point (io layer).

BYOL learns faster from a start that already knows generic sky shapes: the astromorph paper
names transfer of encoder weights as one of its advantages. The shipped state dict was
trained by ``tools/pretrain_default_model.py`` (BYOL, no labels) on generated images of three
families (galaxy morphologies, ALMA-like protoplanetary disks, column-density clouds) and the
285 Hubble XDF stamps, for one-channel images; :func:`default_weights_provenance` says
exactly what they saw. Images with several channels (bands) start from the same weights: the
first layer's weights are repeated for every channel and divided by their number, so an
image whose channels are all equal gives exactly the one-channel features. Start from
scratch by not loading them (``Session(..., pretrained=False)``).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import torch

from astromorph_nb._validation import check_positive_int
from astromorph_nb.exceptions import NotReadyError

__all__ = ["default_weights", "default_weights_provenance", "has_default_weights"]

_FILE = "default_1ch.pt"


def has_default_weights(in_channels: int) -> bool:
    """Return True when weights are shipped for images with ``in_channels`` channels.

    They are shipped for one channel and widened for any other count (see the module).
    """
    check_positive_int(in_channels, name="in_channels", where="has_default_weights")
    return resources.files("astromorph_nb.io.store").joinpath("weights").joinpath(_FILE).is_file()


@functools.lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    path = resources.files("astromorph_nb.io.store").joinpath("weights").joinpath(_FILE)
    with resources.as_file(path) as file:
        return dict(torch.load(file, map_location="cpu", weights_only=True))


def default_weights(in_channels: int = 1) -> dict[str, Any]:
    """Return the shipped state dict of ``model.defaults.default_model(in_channels)``.

    Examples
    --------
    >>> from astromorph_nb.io.store.pretrained import default_weights
    >>> from astromorph_nb.model.defaults import default_model
    >>> model = default_model(in_channels=3)
    >>> model.load_state_dict(default_weights(3))
    <All keys matched successfully>

    Raises
    ------
    NotReadyError
        When the weights file is missing from the installation; train from scratch then.
    """
    in_channels = check_positive_int(in_channels, name="in_channels", where="default_weights")
    if not has_default_weights(in_channels):
        msg = (
            f"The pretrained default weights ({_FILE}) are missing from this installation of "
            "astromorph_nb; reinstall it, or train from scratch (pretrained=False)."
        )
        raise NotReadyError(msg)
    state = {key: value.clone() for key, value in _shipped()["model"].items()}
    if in_channels > 1:
        for key in _first_layer_keys(state):
            state[key] = state[key].repeat(1, in_channels, 1, 1) / in_channels
    return state


def _first_layer_keys(state: dict[str, torch.Tensor]) -> list[str]:
    """Keys of the first convolution of the online and target encoders."""
    keys = [key for key in state if key.endswith("encoder.body.features.0.weight")]
    if len(keys) != 2:  # a format this version does not know: refuse rather than guess
        msg = f"Unexpected layout of {_FILE}: first-layer weights {keys}."
        raise NotReadyError(msg)
    return keys


def default_weights_provenance() -> dict[str, Any]:
    """Return what the shipped weights saw: ``seen`` (the data), ``steps``, ``n_images``.

    Examples
    --------
    >>> from astromorph_nb.io.store.pretrained import default_weights_provenance
    >>> sorted(default_weights_provenance())[:3]
    ['config', 'n_images', 'seen']
    """
    return {key: value for key, value in _shipped().items() if key != "model"}
