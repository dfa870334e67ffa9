"""Turn torchvision classification models into encoders for C-channel images (model layer).

Private helpers of :func:`astromorph_nb.model.build_encoder`. torchvision is imported inside
the functions: it adds about a second to ``import astromorph_nb`` and only these encoders
need it.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

__all__ = [
    "RESNET_LAYERS",
    "build_torchvision_body",
    "is_resnet_name",
    "torchvision_names",
]

#: Stages after which a ResNet may be cut, as in the seed's ``NLayerResnet``.
RESNET_LAYERS = ("layer1", "layer2", "layer3", "layer4")

# Attribute names torchvision gives its classification heads (the last one present wins).
_HEAD_NAMES = ("fc", "classifier", "head", "heads")

# Constructor options that keep these models quiet and image-agnostic: no auxiliary heads
# (their outputs would change the return type in training mode), no ImageNet input
# re-normalisation, and the initialisation chosen explicitly (otherwise a FutureWarning).
_MODEL_OPTIONS: dict[str, dict[str, Any]] = {
    "googlenet": {"aux_logits": False, "transform_input": False, "init_weights": True},
    "inception_v3": {"aux_logits": False, "transform_input": False, "init_weights": True},
}


def torchvision_names() -> list[str]:
    """Return the names of torchvision's image classification models, sorted."""
    import torchvision.models

    return sorted(torchvision.models.list_models(module=torchvision.models))


def is_resnet_name(name: str) -> bool:
    """Return True for torchvision models with ResNet stages ``layer1`` … ``layer4``."""
    return name.startswith(("resnet", "resnext", "wide_resnet"))


def build_torchvision_body(
    name: str, *, in_channels: int, last_layer: str | None = None
) -> tuple[nn.Module, int]:
    """Build a torchvision classifier without weights and turn it into an encoder body.

    Parameters
    ----------
    name : str
        A name from :func:`torchvision_names`.
    in_channels : int
        Channels the first convolution must accept.
    last_layer : {"layer1", "layer2", "layer3", "layer4"} or None, default=None
        For ResNets only: drop the stages after this one. None keeps the whole network.

    Returns
    -------
    body : torch.nn.Module
        Maps ``(B, in_channels, ny, nx)`` to ``(B, n_features)``.
    n_features : int
        Length of the representation, read from the layers (no forward pass).
    """
    import torchvision.models

    model = torchvision.models.get_model(name, weights=None, **_MODEL_OPTIONS.get(name, {}))
    n_features = _remove_head(model)
    if last_layer is not None:
        n_features = _truncate_resnet(model, last_layer)
    _adapt_first_conv(model, in_channels)
    return model, n_features


def _remove_head(model: nn.Module) -> int:
    """Replace the classification head by global pooling + flatten; return n_features.

    Every torchvision classifier pools and flattens before its head, except SqueezeNet (its
    head is a 1×1 convolution followed by the pooling) and VGG/AlexNet (which pool to 7×7 or
    6×6 and flatten that); both are brought to global average pooling here.
    """
    head_name = [name for name, _ in model.named_children() if name in _HEAD_NAMES][-1]
    head = getattr(model, head_name)
    layers = list(head) if isinstance(head, nn.Sequential) else [head]
    weight_layers = [
        (i, layer) for i, layer in enumerate(layers) if isinstance(layer, nn.Linear | nn.Conv2d)
    ]
    index, first = weight_layers[0]
    # Keep what comes before the first weight layer (ConvNeXt's LayerNorm2d + Flatten,
    # MaxViT's pooling + LayerNorm) except dropout, which has no place in a representation.
    kept = [layer for layer in layers[:index] if not isinstance(layer, nn.Dropout)]
    if isinstance(first, nn.Conv2d):
        kept += [nn.AdaptiveAvgPool2d(1), nn.Flatten(start_dim=1)]
        n_features = first.in_channels
    else:
        n_features = first.in_features
    setattr(model, head_name, nn.Sequential(*kept) if kept else nn.Identity())

    pool = getattr(model, "avgpool", None)
    if isinstance(pool, nn.AdaptiveAvgPool2d):
        size = pool.output_size
        cells = size if isinstance(size, tuple) else (size, size)
        n_cells = math.prod(int(n) for n in cells if n is not None)
        model.avgpool = nn.AdaptiveAvgPool2d(1)
        n_features //= n_cells
    return n_features


def _truncate_resnet(model: nn.Module, last_layer: str) -> int:
    """Replace the ResNet stages after ``last_layer`` by identities; return their width."""
    keep = RESNET_LAYERS.index(last_layer) + 1
    for name in RESNET_LAYERS[keep:]:
        setattr(model, name, nn.Identity())
    stage = getattr(model, last_layer)
    # The last BatchNorm of a stage normalises its output channels (BasicBlock and Bottleneck).
    norms = [m for m in stage.modules() if isinstance(m, nn.BatchNorm2d)]
    return int(norms[-1].num_features)


def _adapt_first_conv(model: nn.Module, in_channels: int) -> None:
    """Give the model's stem convolution ``in_channels`` input channels.

    Registration order is forward order in every torchvision classifier, so the first
    ``Conv2d`` found is the stem. The new convolution starts from PyTorch's default
    initialisation, rescaled so that its weights have the spread the model's own
    initialisation gave the 3-channel stem times sqrt(3 / in_channels): the stem's output
    then has the same variance at the start of training as in the original model.
    """
    if in_channels == 3:
        return
    name, old = next((n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d))
    new = nn.Conv2d(
        in_channels,
        old.out_channels,
        old.kernel_size,  # type: ignore[arg-type]
        stride=old.stride,  # type: ignore[arg-type]
        padding=old.padding,  # type: ignore[arg-type]
        dilation=old.dilation,  # type: ignore[arg-type]
        bias=old.bias is not None,
        padding_mode=old.padding_mode,
    )
    with torch.no_grad():
        new.weight.mul_(old.weight.std() * math.sqrt(3 / in_channels) / new.weight.std())
        if old.bias is not None and new.bias is not None:
            new.bias.copy_(old.bias)
    parent_name, _, child_name = name.rpartition(".")
    setattr(model.get_submodule(parent_name), child_name, new)
