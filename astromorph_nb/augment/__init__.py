"""Batched, on-device augmentations for sky images (augment layer).

Every augmentation takes a whole batch, a Tensor of shape (B, C, ny, nx), on its own device,
draws independent random parameters for every image from an explicit ``torch.Generator``,
and applies them in one vectorised call. The defaults fit the sky: rotations by any angle
and flips, small shifts and zooms, a wider PSF, more noise (scaled to each image's own),
flux scaling, sky offsets and, for several bands, channel dropout. Consecutive geometric
augmentations in a pipeline are resampled once.

>>> import torch
>>> from astromorph_nb.augment import default_augmentations, two_views
>>> generator = torch.Generator().manual_seed(0)
>>> view_a, view_b = two_views(default_augmentations(), torch.rand(8, 1, 64, 64), generator)

Modules: ``base`` (the two base classes), ``geometric`` (flips, quarter turns, rotations,
shifts, zooms), ``affine`` (fusing them: ``FusedGeometric``, ``RandomAffine``), ``psf``
(``PSFBlur``), ``photometric`` (noise, flux, background, channels), ``pipeline`` (chaining
and BYOL's two views), ``preview`` (a figure of views).
"""

from astromorph_nb.augment.affine import FusedGeometric, RandomAffine
from astromorph_nb.augment.base import Augmentation, GeometricAugmentation
from astromorph_nb.augment.geometric import (
    RandomFlip,
    RandomRot90,
    RandomRotation,
    RandomShift,
    RandomZoom,
)
from astromorph_nb.augment.photometric import (
    BackgroundOffset,
    ChannelDropout,
    FluxScale,
    GaussianNoise,
)
from astromorph_nb.augment.pipeline import (
    AugmentationPipeline,
    default_augmentations,
    two_views,
)
from astromorph_nb.augment.preview import preview
from astromorph_nb.augment.psf import PSFBlur

__all__ = [
    "Augmentation",
    "AugmentationPipeline",
    "BackgroundOffset",
    "ChannelDropout",
    "FluxScale",
    "FusedGeometric",
    "GaussianNoise",
    "GeometricAugmentation",
    "PSFBlur",
    "RandomAffine",
    "RandomFlip",
    "RandomRot90",
    "RandomRotation",
    "RandomShift",
    "RandomZoom",
    "default_augmentations",
    "preview",
    "two_views",
]
