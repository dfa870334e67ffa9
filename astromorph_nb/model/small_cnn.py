"""SmallCNN: the package's own small convolutional encoder, fast on a CPU (model layer).

:func:`~astromorph_nb.model.encoders.build_encoder` builds it for ``"small"``, and the
default model (``model/defaults.py``) uses it at width 16.
"""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["SmallCNN"]


class SmallCNN(nn.Module):
    """A small convolutional encoder: stages of conv-BatchNorm-ReLU, then global average pooling.

    Each stage halves the image size with a stride-2 3×3 convolution and refines the result
    with a stride-1 3×3 convolution; the number of channels doubles from stage to stage. This
    follows the spirit of the seed's ``AstroMorphologyModel`` (a short stack of conv-BN-ReLU
    layers) without its 7×7 stem and max pooling, so that cutouts of 16 to 64 pixels keep
    their detail. With the defaults it has about 1.2 million weights.

    Parameters
    ----------
    in_channels : int
        Number of channels (bands) of the images, ``C`` in ``(B, C, ny, nx)``.
    width : int, default=32
        Channels of the first stage; stage ``i`` has ``width * 2**i``. Lower it (8 or 16) for
        quick tests and tiny data sets; raise it for large, varied data sets.
    n_stages : int, default=4
        Number of stages. Each halves the image size, so images should have at least
        ``2**n_stages`` pixels on a side.

    Attributes
    ----------
    n_features : int
        Length of the representation vector, ``width * 2**(n_stages - 1)``.

    Notes
    -----
    Shape: ``(B, in_channels, ny, nx)`` → ``(B, n_features)``.

    Examples
    --------
    >>> import torch
    >>> encoder = SmallCNN(in_channels=1, width=8)
    >>> encoder(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 64])
    """

    def __init__(self, in_channels: int, *, width: int = 32, n_stages: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for stage in range(n_stages):
            out_channels = width * 2**stage
            layers += _conv_bn_relu(channels, out_channels, stride=2)
            layers += _conv_bn_relu(out_channels, out_channels, stride=1)
            channels = out_channels
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(start_dim=1)
        self.n_features = channels

    def forward(self, images: Tensor) -> Tensor:
        """Return the representation of each image: ``(B, C, ny, nx)`` → ``(B, n_features)``."""
        return self.flatten(self.pool(self.features(images)))


def _conv_bn_relu(in_channels: int, out_channels: int, *, stride: int) -> list[nn.Module]:
    # No convolution bias: the BatchNorm that follows has its own shift.
    return [
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]
