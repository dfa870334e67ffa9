"""How a session's BYOL model is built: from a user's choice, a seed, or a saved description.

A saved session stores state dicts, never pickled modules, so it must also say how to build
the network those weights belong to. :class:`ModelSpec` is that description: it builds the
model (from a seed, without touching torch's global generator) and goes to and from the
small JSON-able dict that a session folder keeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch
from torch import nn

from astromorph_nb.io.store.pretrained import default_weights, has_default_weights
from astromorph_nb.model.byol import BYOL
from astromorph_nb.model.defaults import default_model
from astromorph_nb.model.encoders import build_encoder

__all__ = ["ModelSpec", "model_for", "seeded", "state_on_cpu"]

#: BYOL's own projection sizes (``BYOL(encoder)``).
_BYOL_SIZES = (256, 1024)


@dataclass(frozen=True)
class ModelSpec:
    """What network a session trains, enough to build it again with no code from a file.

    Parameters
    ----------
    kind : {"default", "named", "custom"}
        The default model, an encoder named for :func:`~astromorph_nb.model.build_encoder`,
        or the user's own module (which a saved session cannot rebuild by itself).
    in_channels : int
        Image channels.
    pretrained : bool, default=False
        The default model starts from the shipped weights.
    encoder : str, optional
        The encoder's name (``"named"``) or class name (``"custom"``).
    projection_size, projection_hidden_size : int, optional
        The BYOL heads of a named encoder (BYOL's own sizes when not given).
    """

    kind: Literal["default", "named", "custom"]
    in_channels: int
    pretrained: bool = False
    encoder: str | None = None
    projection_size: int | None = None
    projection_hidden_size: int | None = None

    @classmethod
    def named(
        cls,
        encoder: str,
        *,
        in_channels: int,
        projection_size: int | None = None,
        projection_hidden_size: int | None = None,
    ) -> ModelSpec:
        """Describe a named encoder with BYOL heads (BYOL's own sizes by default)."""
        return cls(
            "named",
            in_channels,
            encoder=encoder,
            projection_size=projection_size or _BYOL_SIZES[0],
            projection_hidden_size=projection_hidden_size or _BYOL_SIZES[1],
        )

    def build(self, *, random_state: int | None = None, weights: bool = True) -> BYOL:
        """Return a new model as this spec describes.

        Every weight is drawn from ``random_state`` when one is given, without touching
        torch's global generator; the default model then loads the shipped weights if
        ``pretrained`` and ``weights``. A ``"custom"`` spec cannot be built (TypeError).
        """
        with seeded(random_state):
            if self.kind == "default":
                byol = default_model(self.in_channels)
                if self.pretrained and weights:
                    byol.load_state_dict(default_weights(self.in_channels))
                return byol
            if self.kind == "named":
                return BYOL(
                    build_encoder(str(self.encoder), in_channels=self.in_channels),
                    projection_size=self.projection_size or _BYOL_SIZES[0],
                    projection_hidden_size=self.projection_hidden_size or _BYOL_SIZES[1],
                )
        msg = (
            f"This model was trained with your own encoder ({self.encoder or 'unknown'}), "
            "which is not stored as code. Build the same BYOL model and pass it: "
            "Session.load(path, model=my_byol_model)."
        )
        raise TypeError(msg)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-able form a session folder keeps (only the keys of its kind)."""
        keys = {
            "default": ("kind", "in_channels", "pretrained"),
            "named": (
                "kind",
                "encoder",
                "in_channels",
                "projection_size",
                "projection_hidden_size",
            ),
            "custom": ("kind", "encoder", "in_channels"),
        }[self.kind]
        values = asdict(self)
        return {key: values[key] for key in keys}

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> ModelSpec:
        """Read the spec that :meth:`to_dict` wrote (checked by ``io.store.schema`` before)."""
        return cls(
            spec["kind"],
            int(spec["in_channels"]),
            pretrained=bool(spec.get("pretrained", False)),
            encoder=None if spec.get("encoder") is None else str(spec["encoder"]),
            projection_size=spec.get("projection_size"),
            projection_hidden_size=spec.get("projection_hidden_size"),
        )


def model_for(
    model: str | nn.Module | ModelSpec | None,
    *,
    in_channels: int,
    pretrained: bool,
    random_state: int | None = None,
) -> tuple[BYOL, ModelSpec]:
    """Return ``(model, spec)`` for the ``model=`` option of :class:`~astromorph_nb.Session`.

    ``None`` or ``"default"`` is the default model (with the shipped weights when
    ``pretrained`` and they exist for ``in_channels``); another string is an encoder name;
    a :class:`ModelSpec` is built as it says; a ``BYOL`` is used as it is; any other module
    becomes the encoder of a new ``BYOL``. Every weight this function initialises (all of
    them, or the heads around a user's encoder) is drawn from ``random_state``.
    """
    if model is None or model == "default":
        use_weights = pretrained and has_default_weights(in_channels)
        spec = ModelSpec("default", in_channels, pretrained=use_weights)
    elif isinstance(model, str):
        spec = ModelSpec.named(model, in_channels=in_channels)
    elif isinstance(model, ModelSpec):
        if model.in_channels != in_channels:
            msg = (
                f"The model spec is for {model.in_channels}-channel images, but the images "
                f"have {in_channels}. Make the spec with in_channels={in_channels}."
            )
            raise ValueError(msg)
        spec = model
    elif isinstance(model, nn.Module):
        with seeded(random_state):
            byol = (
                model
                if isinstance(model, BYOL)
                else BYOL(build_encoder(model, in_channels=in_channels))
            )
        return byol, ModelSpec("custom", in_channels, encoder=type(byol.encoder).__name__)
    else:
        msg = (
            "The 'model' parameter of Session must be None, 'default', an encoder name such as "
            f"'resnet18-layer2', a torch.nn.Module or a BYOL model; got {type(model).__name__}."
        )
        raise TypeError(msg)
    return spec.build(random_state=random_state), spec


@contextmanager
def seeded(random_state: int | None) -> Iterator[None]:
    """Draw torch's random numbers in the block from ``random_state`` (if not None).

    The global generator is forked, so code outside the block sees no change.
    """
    with torch.random.fork_rng(devices=[]):
        if random_state is not None:
            torch.manual_seed(random_state)
        yield


def state_on_cpu(model: nn.Module) -> dict[str, torch.Tensor]:
    """Return the model's state dict as detached CPU tensors (what a saved session holds)."""
    return {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
