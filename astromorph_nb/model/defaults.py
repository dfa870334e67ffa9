"""The default BYOL model: what a notebook user gets without choosing (model layer).

The choice is set by quality per minute of CPU: ``benchmarks/bench_quality.py`` trains for a
fixed wall-clock budget on two CPU cores and measures kNN accuracy of the embeddings, and the
ablations behind these values are in ``benchmarks/RESULTS.md``. A small CNN at a working
resolution of 32 pixels takes about 85 ms per step of 128 image pairs on two cores, so two
minutes give ~1,400 steps; a ResNet18 at full resolution gets fewer than 100.
"""

from __future__ import annotations

from astromorph_nb.model.byol import BYOL
from astromorph_nb.model.encoders import SmallCNN, build_encoder

__all__ = ["DEFAULT_WIDTH", "DEFAULT_WORKING_SIZE", "default_model"]

#: Channels of the first stage of the default SmallCNN (128 features after 4 stages).
DEFAULT_WIDTH = 16
#: Images are averaged down to this many pixels per side inside the default encoder.
DEFAULT_WORKING_SIZE = 32
#: Pixel blocks folded into channels after averaging (1: none).
DEFAULT_SPACE_TO_DEPTH = 1
#: Small heads learn faster in a short budget (128/512 and 256/1024 scored lower; RESULTS.md).
DEFAULT_PROJECTION_SIZE = 64
DEFAULT_PROJECTION_HIDDEN_SIZE = 256


def default_model(
    in_channels: int,
    *,
    width: int = DEFAULT_WIDTH,
    working_size: int | None = DEFAULT_WORKING_SIZE,
    space_to_depth: int = DEFAULT_SPACE_TO_DEPTH,
    projection_size: int = DEFAULT_PROJECTION_SIZE,
    projection_hidden_size: int = DEFAULT_PROJECTION_HIDDEN_SIZE,
) -> BYOL:
    """Return the default BYOL model for ``in_channels``-channel images.

    The keywords exist for ablations (``benchmarks/bench_quality.py --set model.NAME=``);
    the shipped weights fit the defaults only.

    Parameters
    ----------
    in_channels : int
        Channels (bands) of the images.
    width : int
        Channels of the SmallCNN's first stage.
    working_size : int or None
        Images are averaged down to this many pixels per side (None: kept as they are).
    space_to_depth : int
        Pixel blocks folded into channels after that (see ``model.Encoder``).
    projection_size, projection_hidden_size : int
        BYOL's heads.

    Examples
    --------
    >>> model = default_model(in_channels=1)
    >>> model.n_features
    128
    """
    encoder = build_encoder(
        SmallCNN(in_channels * space_to_depth**2, width=width),
        in_channels=in_channels,
        working_size=working_size,
        space_to_depth=space_to_depth,
    )
    return BYOL(
        encoder,
        projection_size=projection_size,
        projection_hidden_size=projection_hidden_size,
    )
