"""Encoders: networks that turn a batch of images into representation vectors (model layer).

An encoder maps a batch ``(B, C, ny, nx)`` to ``(B, n_features)`` and has an int attribute
``n_features``. :func:`build_encoder` makes one from a name or from your own module:

=========================  ===================================================================
``"small"``                :class:`SmallCNN` (``small_cnn.py``), fast on a CPU; the default
``"resnet18"``             any torchvision classification model, by name, without weights
``"resnet18-layer2"``      a ResNet cut after ``layer1`` … ``layer4`` (the seed's NLayerResnet)
an ``nn.Module``           your network, optionally read at ``representation_layer``
=========================  ===================================================================

The first convolution always takes the data's channel count, so 1-band and 7-band images
need no stacking to RGB; ``stack_to_rgb=True`` repeats a single band three times instead, for
parity with the seed.
"""

from __future__ import annotations

import difflib

import torch
from torch import Tensor, nn

from astromorph_nb._validation import check_positive_int
from astromorph_nb.model import _torchvision
from astromorph_nb.model._modes import eval_mode
from astromorph_nb.model.small_cnn import SmallCNN

__all__ = ["Encoder", "SmallCNN", "build_encoder"]

# Image size of the one test batch used to measure a user module's output, when needed.
_PROBE_IMAGE_SIZE = 64


class Encoder(nn.Module):
    """A network that returns one vector per image, together with the vector's length.

    :func:`build_encoder` returns this class; build it directly only to wrap a module whose
    output length you know.

    Parameters
    ----------
    body : torch.nn.Module
        Maps ``(B, C, ny, nx)`` (``C`` = 3 with ``stack_to_rgb``) to ``(B, n_features)``.
    n_features : int
        Length of the vectors ``body`` returns.
    stack_to_rgb : bool, default=False
        Repeat the single band of ``(B, 1, ny, nx)`` images three times before ``body``.
    working_size : int or None, default=None
        Average larger images down to at most this many pixels per side before ``body``
        (area interpolation, so no light is lost between samples). None keeps every pixel.
        Augmentations during training act at this resolution too.
    space_to_depth : int, default=1
        Fold each ``s × s`` block of pixels into ``s²`` channels before ``body``
        (``torch.nn.functional.pixel_unshuffle``), so ``body`` works at ``1/s`` of the
        resolution, about ``s²`` times cheaper, without averaging away detail: every pixel
        value still reaches the first layer. ``body`` then takes ``C·s²`` channels. Sides
        that ``s`` does not divide are padded by reflection.

    Attributes
    ----------
    n_features : int
        Length of the representation vector.

    Notes
    -----
    Shape: ``(B, C, ny, nx)`` → ``(B, n_features)``.
    """

    def __init__(
        self,
        body: nn.Module,
        n_features: int,
        *,
        stack_to_rgb: bool = False,
        working_size: int | None = None,
        space_to_depth: int = 1,
    ) -> None:
        super().__init__()
        self.body = body
        self.n_features = n_features
        self.stack_to_rgb = stack_to_rgb
        self.working_size = working_size
        self.space_to_depth = space_to_depth

    def forward(self, images: Tensor) -> Tensor:
        """Return the representation of each image: ``(B, C, ny, nx)`` → ``(B, n_features)``."""
        size = self.working_size
        if size is not None and max(images.shape[-2:]) > size:
            scale = size / max(images.shape[-2:])
            shape = (
                max(1, round(images.shape[-2] * scale)),
                max(1, round(images.shape[-1] * scale)),
            )
            images = nn.functional.interpolate(images, size=shape, mode="area")
        if self.stack_to_rgb:
            images = images.expand(-1, 3, -1, -1)
        block = self.space_to_depth
        if block > 1:
            pad_y, pad_x = (-images.shape[-2]) % block, (-images.shape[-1]) % block
            if pad_y or pad_x:
                images = nn.functional.pad(images, (0, pad_x, 0, pad_y), mode="reflect")
            images = nn.functional.pixel_unshuffle(images, block)
        return self.body(images)

    def extra_repr(self) -> str:  # noqa: D102 (shown by print(module))
        return (
            f"n_features={self.n_features}, stack_to_rgb={self.stack_to_rgb}, "
            f"working_size={self.working_size}, space_to_depth={self.space_to_depth}"
        )


class _LayerOutput(nn.Module):
    """The output of one layer, from a torchvision feature extractor, pooled to ``(B, D)``.

    4-D outputs ``(B, D, ny, nx)`` are averaged over the image axes; other shapes are flattened.
    """

    def __init__(self, extractor: nn.Module, layer: str) -> None:
        super().__init__()
        self.extractor = extractor
        self.layer = layer

    def forward(self, images: Tensor) -> Tensor:
        output = self.extractor(images)["representation"]
        return output.mean(dim=(2, 3)) if output.ndim == 4 else output.flatten(start_dim=1)

    def extra_repr(self) -> str:  # noqa: D102 (shown by print(module))
        return f"layer={self.layer!r}"


def build_encoder(
    encoder: str | nn.Module,
    *,
    in_channels: int,
    stack_to_rgb: bool = False,
    representation_layer: str | None = None,
    n_features: int | None = None,
    working_size: int | None = None,
    space_to_depth: int = 1,
) -> Encoder:
    """Build an encoder for ``in_channels``-channel images from a name or a module.

    Parameters
    ----------
    encoder : str or torch.nn.Module
        One of

        - ``"small"``: a :class:`SmallCNN` with default width. Start here on a CPU.
        - a torchvision classification model name, such as ``"resnet18"``,
          ``"efficientnet_b0"`` or ``"convnext_tiny"`` (any name in
          ``torchvision.models.list_models(module=torchvision.models)``). It is built without
          pretrained weights, its classifier is replaced by global average pooling and
          flattening, and its first convolution takes ``in_channels`` channels.
          Vision transformers (``vit_*``) accept 224×224 images only.
        - a ResNet name with ``-layer1``, ``-layer2``, ``-layer3`` or ``-layer4``, such as
          ``"resnet18-layer2"``: the ResNet cut after that stage, which keeps larger-scale
          structure and fewer weights (the seed's reduced ResNet). ``-layer4`` is the whole
          network.
        - your own ``torch.nn.Module``, used as it is (its first layer must accept
          ``in_channels`` channels, or 3 with ``stack_to_rgb``).
    in_channels : int
        Number of channels (bands) of the images, ``C`` in ``(B, C, ny, nx)``.
    stack_to_rgb : bool, default=False
        Repeat a single band to three channels and give the network a 3-channel first layer,
        as the seed did. Only for ``in_channels=1``; not needed otherwise.
    representation_layer : str or None, default=None
        Only with your own module: the layer whose output is the representation, named as a
        submodule (``"avgpool"`` or ``"layer3"`` for a torchvision ResNet) or as a node of the
        module's torch.fx graph; read with
        ``torchvision.models.feature_extraction.create_feature_extractor``. 4-D outputs are
        averaged over the image axes. None uses the module's own output, which must be
        ``(B, n_features)``.
    n_features : int or None, default=None
        Only with your own module: the length of its representation vectors. None uses the
        module's ``n_features`` attribute if it has one, and otherwise passes one batch of
        zeros of shape ``(2, C, 64, 64)`` through it in evaluation mode to measure it.
    working_size : int or None, default=None
        Average images larger than this down to it (pixels per side) inside the encoder,
        for training and embedding alike. Halving the side makes each step about four times
        cheaper; morphology at the scale of a 64-pixel stamp survives at 32. None keeps the
        full resolution.
    space_to_depth : int, default=1
        Fold ``s × s`` pixel blocks into channels before the network (see
        :class:`Encoder`): the network works at ``1/s`` of the resolution and its first
        layer takes ``in_channels · s²`` channels (your own module's first layer must accept
        that many). ``working_size=64, space_to_depth=2`` costs about what
        ``working_size=32`` costs, but keeps every pixel of a 64-pixel stamp.

    Returns
    -------
    Encoder
        Maps ``(B, in_channels, ny, nx)`` to ``(B, n_features)``; see ``Encoder.n_features``.

    Raises
    ------
    ValueError
        For an unknown name (with the closest valid one), ``stack_to_rgb`` with several
        channels, options that apply only to your own module, an unknown
        ``representation_layer``, or a module whose output length cannot be measured.
    TypeError
        If ``encoder`` is neither a str nor a module, or ``in_channels`` is not an int.

    Examples
    --------
    >>> import torch
    >>> encoder = build_encoder("resnet18-layer2", in_channels=1)
    >>> encoder.n_features
    128
    >>> encoder(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 128])
    """
    where = "build_encoder"
    in_channels = check_positive_int(in_channels, name="in_channels", where=where)
    if stack_to_rgb and in_channels != 1:
        msg = (
            f"stack_to_rgb=True in {where} repeats a single band to 3 channels, so it needs "
            f"in_channels=1; got in_channels={in_channels}. Leave stack_to_rgb=False: the "
            f"first layer then takes the {in_channels} channels directly."
        )
        raise ValueError(msg)
    space_to_depth = check_positive_int(space_to_depth, name="space_to_depth", where=where)
    body_channels = (3 if stack_to_rgb else in_channels) * space_to_depth**2
    if isinstance(encoder, nn.Module):
        body, n_features = _user_body(encoder, body_channels, representation_layer, n_features)
    elif isinstance(encoder, str):
        for option, value in (
            ("representation_layer", representation_layer),
            ("n_features", n_features),
        ):
            if value is not None:
                msg = (
                    f"The {option!r} parameter of {where} applies to your own nn.Module only; "
                    f"encoder={encoder!r} is a named encoder. Drop {option}={value!r}."
                )
                raise ValueError(msg)
        body, n_features = _named_body(encoder, body_channels)
    else:
        msg = (
            f"The 'encoder' parameter of {where} must be an encoder name (str) or a "
            f"torch.nn.Module; got {type(encoder).__name__}."
        )
        raise TypeError(msg)
    if working_size is not None:
        working_size = check_positive_int(working_size, name="working_size", where=where, minimum=4)
    return Encoder(
        body,
        n_features,
        stack_to_rgb=stack_to_rgb,
        working_size=working_size,
        space_to_depth=space_to_depth,
    )


def _named_body(name: str, in_channels: int) -> tuple[nn.Module, int]:
    """Build the encoder body called ``name``; return it with its n_features."""
    if name == "small":
        small = SmallCNN(in_channels)
        return small, small.n_features
    model_names = _torchvision.torchvision_names()
    base, _, last_layer = name.partition("-")
    if name in model_names:
        return _torchvision.build_torchvision_body(name, in_channels=in_channels)
    is_cut_resnet = last_layer in _torchvision.RESNET_LAYERS and _torchvision.is_resnet_name(base)
    if is_cut_resnet and base in model_names:
        return _torchvision.build_torchvision_body(
            base, in_channels=in_channels, last_layer=last_layer
        )
    resnets = [n for n in model_names if _torchvision.is_resnet_name(n)]
    valid = ["small", *model_names]
    valid += [f"{n}-{layer}" for n in resnets for layer in _torchvision.RESNET_LAYERS]
    hint = _did_you_mean(name, valid)
    msg = (
        f"Unknown encoder {name!r} in build_encoder. Expected 'small', any torchvision "
        "classification model name (torchvision.models.list_models(module=torchvision.models),"
        " e.g. 'resnet18', 'efficientnet_b0', 'convnext_tiny'), or a ResNet name cut after a "
        f"stage (e.g. 'resnet18-layer2'; stages {', '.join(_torchvision.RESNET_LAYERS)}); "
        f"got {name!r}.{hint}"
    )
    raise ValueError(msg)


def _user_body(
    module: nn.Module, in_channels: int, layer: str | None, n_features: int | None
) -> tuple[nn.Module, int]:
    """Wrap a user module (at ``layer`` if given); return it with its n_features."""
    body = module if layer is None else _layer_output(module, layer)
    if n_features is not None:
        return body, check_positive_int(n_features, name="n_features", where="build_encoder")
    declared = getattr(module, "n_features", None) if layer is None else None
    if isinstance(declared, int) and not isinstance(declared, bool):
        return body, declared
    return body, _measure_n_features(body, in_channels)


def _layer_output(module: nn.Module, layer: str) -> _LayerOutput:
    """Read ``module`` at ``layer``: a submodule name, or a node name of its torch.fx graph."""
    from torchvision.models import feature_extraction

    if not any(name == layer for name, _ in module.named_modules()):
        try:
            train_nodes, eval_nodes = feature_extraction.get_graph_node_names(module)
        except Exception as err:
            raise _trace_error(module, layer, err) from err
        if layer not in train_nodes or layer not in eval_nodes:
            _raise_unknown_layer(module, layer)
    try:
        extractor = feature_extraction.create_feature_extractor(
            module, return_nodes={layer: "representation"}
        )
    except Exception as err:
        raise _trace_error(module, layer, err) from err
    return _LayerOutput(extractor, layer)


def _trace_error(module: nn.Module, layer: str, err: Exception) -> ValueError:
    msg = (
        f"representation_layer={layer!r} in build_encoder needs torch.fx to trace "
        f"{type(module).__name__}, which failed with {type(err).__name__}: {err}. Give "
        "build_encoder a module that returns (B, n_features), with representation_layer=None."
    )
    return ValueError(msg)


def _raise_unknown_layer(module: nn.Module, layer: str) -> None:
    names = [name for name, _ in module.named_modules() if name]
    hint = _did_you_mean(layer, names)
    msg = (
        f"No layer {layer!r} in {type(module).__name__} (representation_layer in "
        "build_encoder). Expected the name of one of its submodules (print(module) shows them) "
        "or of a node of its graph (torchvision.models.feature_extraction."
        f"get_graph_node_names(module)).{hint}"
    )
    raise ValueError(msg)


def _did_you_mean(word: str, candidates: list[str]) -> str:
    """Return " Did you mean 'a' or 'b'?" for the up to 3 candidates closest to ``word``, or ""."""
    close = difflib.get_close_matches(word, candidates, n=3)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _measure_n_features(body: nn.Module, in_channels: int) -> int:
    """Pass one batch of zeros through ``body`` to read its output length."""
    parameter = next(body.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    dtype = parameter.dtype if parameter is not None else torch.float32
    shape = (2, in_channels, _PROBE_IMAGE_SIZE, _PROBE_IMAGE_SIZE)
    try:
        with eval_mode(body), torch.no_grad():
            output = body(torch.zeros(shape, device=device, dtype=dtype))
    except Exception as err:
        msg = (
            f"Could not measure the output length of {type(body).__name__}: a test batch of "
            f"shape {shape} (numpy order) failed with {type(err).__name__}: {err}. "
            "Pass n_features= to build_encoder."
        )
        raise ValueError(msg) from err
    if not isinstance(output, Tensor) or output.ndim != 2:
        got = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
        msg = (
            f"The module given to build_encoder must return (B, n_features); for a test batch "
            f"of shape {shape} it returned {got}. Pass representation_layer= with the name of "
            "the layer whose output is the representation (for instance 'avgpool')."
        )
        raise ValueError(msg)
    return int(output.shape[1])
