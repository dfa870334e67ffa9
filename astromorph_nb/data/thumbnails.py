"""Small 8-bit previews of every image, for maps, galleries, exports and widgets (data layer).

A thumbnail is what a person looks at to recognise an object, so it is stretched the way
astronomers display images (astropy's percentile interval and asinh stretch, per image; see
``display/stretch.py``) and stored as ``uint8``: 100,000 objects at 64×64 take 410 MB as
float32 images but 41 MB as thumbnails at 64 pixels, and 10 MB at 32.
"""

from __future__ import annotations

import numpy as np
import torch

from astromorph_nb._validation import check_positive_int
from astromorph_nb.display import (
    STRETCHES,
    block_mean,
    check_percentile,
    check_stretch,
    display_uint8,
    pad_to_square,
    shrink_square,
)

__all__ = ["STRETCHES", "make_thumbnails", "pad_to_square", "shrink_square"]

_CHUNK = 4096  # images per vectorised pass: bounds the float64 working memory


def make_thumbnails(
    images: torch.Tensor | np.ndarray,
    *,
    size: int = 64,
    stretch: str = "asinh",
    percentile: float = 99.5,
) -> np.ndarray:
    """Return one grey ``uint8`` thumbnail per image.

    Each image (the mean of its channels) is area-averaged down to at most ``size`` pixels
    per side, clipped to the central ``percentile`` % of its own pixel values (astropy's
    ``PercentileInterval``), stretched, and scaled to 0–255.

    Parameters
    ----------
    images : Tensor or ndarray of shape (n_images, n_channels, ny, nx)
        The images (any scaling; NaN pixels are ignored and shown black).
    size : int, default=64
        Longest side of a thumbnail in pixels; images are never enlarged.
    stretch : {"asinh", "linear", "log", "sqrt"}, default="asinh"
        astropy stretch applied after the interval.
    percentile : float, default=99.5
        Share of each image's pixels inside the display interval.

    Returns
    -------
    ndarray of uint8, shape (n_images, ty, tx)

    Examples
    --------
    >>> import numpy as np
    >>> make_thumbnails(np.random.default_rng(0).random((3, 1, 64, 64)), size=32).shape
    (3, 32, 32)
    """
    check_positive_int(size, name="size", where="make_thumbnails")
    check_stretch(stretch, where="make_thumbnails")
    percentile = check_percentile(percentile, where="make_thumbnails")
    array = (
        images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    )
    if array.ndim != 4:
        msg = (
            f"make_thumbnails needs images of shape (n_images, n_channels, ny, nx) in numpy "
            f"order; got {array.shape}."
        )
        raise ValueError(msg)
    n, _, ny, nx = array.shape
    factor = max(1, -(-max(ny, nx) // size))  # ceil: the smallest factor that fits
    out = np.empty((n, ny // factor, nx // factor), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        chunk = array[start : start + _CHUNK].astype(np.float32, copy=False).mean(axis=1)
        small = block_mean(chunk, factor)
        out[start : start + len(small)] = display_uint8(
            small, stretch=stretch, percentile=percentile
        )
    return out
