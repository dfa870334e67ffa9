"""Build a session's BYOL model from a user's choice, and again from a saved description.

A saved session stores state dicts, never pickled modules, so it must also say how to build
the network those weights belong to: the *model spec*, a small JSON-able dict.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from astromorph_nb.io.store.pretrained import default_weights, has_default_weights
from astromorph_nb.model.byol import BYOL
from astromorph_nb.model.defaults import default_model
from astromorph_nb.model.encoders import build_encoder

__all__ = ["build_model", "model_from_spec"]


def build_model(
    model: str | nn.Module | None,
    *,
    in_channels: int,
    pretrained: bool,
    random_state: int | None = None,
) -> tuple[BYOL, dict[str, Any]]:
    """Return ``(BYOL model, spec)`` for the ``model=`` option of :class:`Session`.

    ``None`` or ``"default"`` is the default model (with the shipped weights when
    ``pretrained`` and they exist for ``in_channels``); another string is an encoder name
    for :func:`~astromorph_nb.model.build_encoder`; a ``BYOL`` is used as it is; any other
    module becomes the encoder of a new ``BYOL``. Every weight this function initialises
    (all of them, or the heads around a user's encoder) is drawn from ``random_state``
    when one is given, without touching torch's global generator.
    """
    with torch.random.fork_rng(devices=[]):
        if random_state is not None:
            torch.manual_seed(random_state)
        return _build_model(model, in_channels=in_channels, pretrained=pretrained)


def _build_model(
    model: str | nn.Module | None, *, in_channels: int, pretrained: bool
) -> tuple[BYOL, dict[str, Any]]:
    if model is None or model == "default":
        byol = default_model(in_channels)
        use_weights = pretrained and has_default_weights(in_channels)
        if use_weights:
            byol.load_state_dict(default_weights(in_channels))
        spec = {"kind": "default", "in_channels": in_channels, "pretrained": use_weights}
        return byol, spec
    if isinstance(model, str):
        byol = BYOL(build_encoder(model, in_channels=in_channels))
        spec = {
            "kind": "named",
            "encoder": model,
            "in_channels": in_channels,
            "projection_size": byol.projector.out_features,
            "projection_hidden_size": byol.projector.hidden_features,
        }
        return byol, spec
    if isinstance(model, BYOL):
        byol = model
    elif isinstance(model, nn.Module):
        byol = BYOL(build_encoder(model, in_channels=in_channels))
    else:
        msg = (
            "The 'model' parameter of Session must be None, 'default', an encoder name such as "
            f"'resnet18-layer2', a torch.nn.Module or a BYOL model; got {type(model).__name__}."
        )
        raise TypeError(msg)
    spec = {"kind": "custom", "encoder": type(byol.encoder).__name__, "in_channels": in_channels}
    return byol, spec


def model_from_spec(spec: dict[str, Any], model: nn.Module | None, *, where: str) -> BYOL:
    """Rebuild the (untrained) network that a saved spec describes, for loading weights."""
    if model is not None:
        return build_model(model, in_channels=int(spec["in_channels"]), pretrained=False)[0]
    kind = spec.get("kind")
    in_channels = int(spec["in_channels"])
    if kind == "default":
        return default_model(in_channels)
    if kind == "named":
        encoder = build_encoder(str(spec["encoder"]), in_channels=in_channels)
        return BYOL(
            encoder,
            projection_size=int(spec["projection_size"]),
            projection_hidden_size=int(spec["projection_hidden_size"]),
        )
    msg = (
        f"{where} was trained with your own encoder ({spec.get('encoder', 'unknown')}), which "
        "is not stored as code. Build the same BYOL model and pass it: "
        "Session.load(path, model=my_byol_model)."
    )
    raise TypeError(msg)


def state_on_cpu(model: nn.Module) -> dict[str, torch.Tensor]:
    """Return the model's state dict as detached CPU tensors (what a saved session holds)."""
    return {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
