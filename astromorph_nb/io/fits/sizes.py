"""Bring images read from FITS files to one size and pixel scale (io layer).

Resampling to a common angular pixel scale needs each file's WCS, which is why this lives
beside the reader rather than in ``data.preprocess``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales

from astromorph_nb.data.preprocess import crop_or_pad, resample
from astromorph_nb.exceptions import InvalidImageError

__all__ = ["SizePolicy", "fit_size", "mixed_shapes_error", "resample_to_scale"]


@dataclass(frozen=True)
class SizePolicy:
    """How images are brought to one size: ``image_size``, ``resize_mode``, ``pixel_scale``."""

    image_size: tuple[int, int] | None
    resize_mode: str
    pixel_scale_deg: float | None


def resample_to_scale(image: np.ndarray, header: Any, scale_deg: float, where: str) -> np.ndarray:
    """Resample an image to ``scale_deg`` degrees per pixel using its header's celestial WCS."""
    try:
        celestial = WCS(header, naxis=2, fix=False).celestial
        scales = proj_plane_pixel_scales(celestial) if celestial.has_celestial else None
    except Exception as err:
        msg = f"{where} has a WCS that astropy cannot read ({err}); cannot resample it."
        raise InvalidImageError(msg) from err
    if scales is None:
        msg = (
            f"{where} has no celestial WCS (CTYPE/CDELT or CD keywords), so it cannot be "
            "resampled to pixel_scale. Drop pixel_scale= and pass image_size= instead."
        )
        raise InvalidImageError(msg)
    ny, nx = image.shape[1:]
    size = (max(2, round(ny * scales[1] / scale_deg)), max(2, round(nx * scales[0] / scale_deg)))
    return resample(image, size)


def fit_size(image: np.ndarray, header: Any, policy: SizePolicy, where: str) -> np.ndarray:
    """Apply ``pixel_scale`` and ``image_size`` to one image of shape (n_channels, ny, nx)."""
    if policy.pixel_scale_deg is not None:
        image = resample_to_scale(image, header, policy.pixel_scale_deg, where)
    size = policy.image_size
    if size is None or tuple(image.shape[1:]) == size:
        return image
    shape = tuple(image.shape[1:])
    if policy.resize_mode == "resize":
        # Keep the aspect ratio: crop the longer axis to the target aspect, then resample.
        ratio = size[0] / size[1]
        if shape[0] / shape[1] > ratio * 1.01:
            image = crop_or_pad(image, (round(shape[1] * ratio), shape[1]))
        elif shape[0] / shape[1] < ratio / 1.01:
            image = crop_or_pad(image, (shape[0], round(shape[0] / ratio)))
        return resample(image, size)
    too_small = shape[0] < size[0] or shape[1] < size[1]
    too_large = shape[0] > size[0] or shape[1] > size[1]
    if policy.resize_mode == "crop" and too_small:
        msg = (
            f"{where} is {shape[0]}×{shape[1]} (ny×nx), smaller than image_size "
            f"{size[0]}×{size[1]}, so it cannot be cropped. Pass resize_mode='pad' or 'resize'."
        )
        raise InvalidImageError(msg)
    if policy.resize_mode == "pad" and too_large:
        msg = (
            f"{where} is {shape[0]}×{shape[1]} (ny×nx), larger than image_size "
            f"{size[0]}×{size[1]}, so it cannot be padded. Pass resize_mode='crop' or 'resize'."
        )
        raise InvalidImageError(msg)
    return crop_or_pad(image, size)


def mixed_shapes_error(first: tuple[str, tuple], other: tuple[str, tuple]) -> InvalidImageError:
    """Return the error for images of different shapes, naming two files and the options."""
    (name_a, shape_a), (name_b, shape_b) = first, other
    msg = (
        f"Images have different shapes: {name_a!r} is {shape_a} but {name_b!r} is {shape_b} "
        "(n_channels, ny, nx). Pass image_size= (for example image_size=64) with resize_mode="
        "'resize', 'crop' or 'pad', or pixel_scale= (e.g. 0.05 * u.arcsec) to resample to a "
        "common angular scale from each file's WCS first."
    )
    return InvalidImageError(msg)
