"""Pixel values to grey levels: the percentile interval and the stretches (display layer).

Every picture of an image in the package (thumbnails, figures, widget PNGs, the
augmentation previews) goes through this module, so one image looks the same everywhere:

1. the display limits are astropy's :class:`~astropy.visualization.PercentileInterval` of
   the image's finite pixels (default: the central 99.5 %, so a few hot pixels do not
   flatten everything else);
2. values between the limits map linearly to [0, 1], values outside are clipped;
3. a stretch from :data:`STRETCHES` (astropy stretches) maps [0, 1] to [0, 1];
4. blank (NaN) pixels, and every pixel of an image with no finite pixels or of a constant
   one, are 0 (black).

The stretch parameters are the ones all earlier copies used: asinh with softening
``a=0.1`` and log with ``a=1000`` (astropy's defaults, good for faint sky structure).
The copies disagreed only on the percentile: the matplotlib augmentation preview kept the
central 99 % where the thumbnails, figures and widgets kept 99.5 %; all now keep
:data:`DEFAULT_PERCENTILE`, 99.5 %.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy.visualization import (
    AsinhStretch,
    BaseStretch,
    LinearStretch,
    LogStretch,
    PercentileInterval,
    SqrtStretch,
)

from astromorph_nb._validation import check_choice, is_finite_real, shorten

__all__ = [
    "DEFAULT_PERCENTILE",
    "DEFAULT_STRETCH",
    "STRETCHES",
    "check_percentile",
    "check_stretch",
    "display_uint8",
    "display_values",
    "normalize",
    "percentile_limits",
    "stack_percentile_limits",
    "to_uint8",
]

#: Display stretches by name, applied after the interval maps pixels to [0, 1].
STRETCHES: dict[str, BaseStretch] = {
    "asinh": AsinhStretch(a=0.1),
    "linear": LinearStretch(),
    "log": LogStretch(a=1000.0),
    "sqrt": SqrtStretch(),
}
DEFAULT_STRETCH = "asinh"
#: Share of an image's finite pixels, in percent, between the display limits.
DEFAULT_PERCENTILE = 99.5


def check_stretch(stretch: Any, *, where: str) -> BaseStretch:
    """Return the stretch named ``stretch``; raise a ValueError listing the names otherwise."""
    return STRETCHES[check_choice(stretch, STRETCHES, name="stretch", where=where)]


def check_percentile(percentile: Any, *, where: str) -> float:
    """Return ``percentile`` as a float if it is in (0, 100]; otherwise raise a ValueError."""
    if not is_finite_real(percentile) or not 0.0 < float(percentile) <= 100.0:
        msg = (
            f"The 'percentile' parameter of {where} must be a number in (0, 100] (the share "
            f"of pixels kept between the display limits); got {shorten(percentile)}."
        )
        raise ValueError(msg)
    return float(percentile)


def percentile_limits(values: Any, percentile: float = DEFAULT_PERCENTILE) -> tuple[float, float]:
    """Return the display limits of one image: astropy's PercentileInterval of its finite pixels.

    An image with no finite pixels gives ``(0.0, 0.0)``.

    Examples
    --------
    >>> percentile_limits([0.0, 1.0, 2.0, np.nan], percentile=100)
    (0.0, 2.0)
    """
    data = np.asarray(values, dtype=np.float64)
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return 0.0, 0.0
    low, high = PercentileInterval(percentile).get_limits(finite)
    return float(low), float(high)


def stack_percentile_limits(
    images: np.ndarray, percentile: float = DEFAULT_PERCENTILE
) -> tuple[np.ndarray, np.ndarray]:
    """Return the :func:`percentile_limits` of each image of a stack, vectorised.

    Parameters
    ----------
    images : ndarray of shape (n_images, ...)
        The limits of ``images[i]`` come from all its finite values.
    percentile : float, default=99.5
        As for :func:`percentile_limits`.

    Returns
    -------
    low, high : ndarray of shape (n_images,)
        Equal to PercentileInterval's limits (numpy's linear percentiles); images found by
        partial sorting when every pixel is finite.
    """
    flat = np.asarray(images).reshape(len(images), -1)
    half = (100.0 - percentile) / 2.0
    if flat.shape[1] == 0:
        zeros = np.zeros(len(flat))
        return zeros, zeros
    finite = np.isfinite(flat)
    if finite.all():
        return _row_percentiles(flat, half, 100.0 - half)
    filled = np.where(finite, flat, np.asarray(np.nan, dtype=flat.dtype))
    filled[~finite.any(axis=1)] = 0.0  # images with no finite pixel: limits (0, 0)
    low, high = np.nanpercentile(filled, [half, 100.0 - half], axis=1)
    return low, high


def _row_percentiles(
    flat: np.ndarray, low_q: float, high_q: float
) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise percentiles as numpy's default (linear) method, by partial sorting only."""
    n = flat.shape[1]
    positions = [q / 100.0 * (n - 1) for q in (low_q, high_q)]
    below = [int(np.floor(p)) for p in positions]
    kth = sorted({k for b in below for k in (b, min(b + 1, n - 1))})
    part = np.partition(flat, kth, axis=1)
    results = []
    for position, b in zip(positions, below, strict=True):
        weight = position - b
        results.append(part[:, b] * (1.0 - weight) + part[:, min(b + 1, n - 1)] * weight)
    return results[0], results[1]


def normalize(values: Any, low: Any, high: Any, *, stretch: str = DEFAULT_STRETCH) -> np.ndarray:
    """Map ``values`` to [0, 1]: ``low`` to 0, ``high`` to 1, clipped, then stretched.

    ``low`` and ``high`` broadcast against ``values`` (per-image limits of a stack of shape
    (n, ny, nx) are passed as (n, 1, 1)). Where ``high <= low``, and at NaN pixels, the
    result is 0. float32 input stays float32 (thumbnails of large sets); anything else is
    float64.

    Examples
    --------
    >>> normalize(np.array([0.0, 5.0, 10.0, 20.0]), 0.0, 10.0, stretch="linear").tolist()
    [0.0, 0.5, 1.0, 1.0]
    """
    data = np.asarray(values)
    dtype = np.float32 if data.dtype == np.float32 else np.float64
    data = data.astype(dtype, copy=False)
    low = np.asarray(low, dtype=dtype)
    high = np.asarray(high, dtype=dtype)
    # a constant image (or one with no finite pixels) has no span: every pixel shows black
    span = np.where(high > low, high - low, np.inf).astype(dtype)
    with np.errstate(invalid="ignore"):
        scaled = np.asarray((data - low) / span, dtype=dtype)
        np.clip(scaled, 0.0, 1.0, out=scaled)
        check_stretch(stretch, where="normalize")(scaled, clip=True, out=scaled)
    np.nan_to_num(scaled, copy=False, nan=0.0)
    return scaled


def display_values(
    image: Any,
    *,
    stretch: str = DEFAULT_STRETCH,
    percentile: float = DEFAULT_PERCENTILE,
    reference: Any = None,
    where: str = "display_values",
) -> np.ndarray:
    """Map one image (any shape) to display values in [0, 1], with its own limits.

    Parameters
    ----------
    image : array-like
        One image, or several channels that share one scale (an RGB composite).
    stretch : {"asinh", "linear", "log", "sqrt"}, default="asinh"
        See :data:`STRETCHES`.
    percentile : float, default=99.5
        Share of the finite pixels between the display limits.
    reference : array-like, optional
        Take the limits from this image instead, so that several images (an original and
        its augmented views) share one grey scale.
    where : str, default="display_values"
        The public function, quoted in error messages.

    Returns
    -------
    ndarray
        float64 of the shape of ``image``; blank pixels are 0. An image (or reference) with
        no finite pixels, or a constant one, gives zeros.

    Examples
    --------
    >>> shown = display_values(np.arange(16.0).reshape(4, 4), stretch="linear", percentile=100)
    >>> float(shown.min()), float(shown.max())
    (0.0, 1.0)
    """
    check_stretch(stretch, where=where)
    percentile = check_percentile(percentile, where=where)
    data = np.asarray(image, dtype=np.float64)
    low, high = percentile_limits(data if reference is None else reference, percentile)
    return normalize(data, low, high, stretch=stretch)


def to_uint8(shown: np.ndarray) -> np.ndarray:
    """Return display values in [0, 1] as grey levels 0-255 (rounded)."""
    return np.round(np.asarray(shown) * 255.0).astype(np.uint8)


def display_uint8(
    images: np.ndarray,
    *,
    stretch: str = DEFAULT_STRETCH,
    percentile: float = DEFAULT_PERCENTILE,
) -> np.ndarray:
    """Return each image of a stack (n_images, ...) as uint8 grey levels, with its own limits.

    The same mapping as :func:`display_values` image by image, vectorised over the stack.

    Examples
    --------
    >>> display_uint8(np.array([[0.0, 1.0], [5.0, 5.0]]), stretch="linear", percentile=100)
    array([[  0, 255],
           [  0,   0]], dtype=uint8)
    """
    stack = np.asarray(images)
    low, high = stack_percentile_limits(stack, percentile)
    axes = (slice(None),) + (None,) * (stack.ndim - 1)
    return to_uint8(normalize(stack, low[axes], high[axes], stretch=stretch))
