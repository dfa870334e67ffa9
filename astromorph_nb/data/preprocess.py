"""Bring raw images to one size and one intensity scale (data layer).

The functions here take float32 numpy arrays in which blank pixels are NaN and return the
same. Readers call :func:`finish_stack` last: it normalises each image, records the blank
pixels in a mask and fills them, so nothing downstream ever sees a NaN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

# torch and astropy.visualization (which loads matplotlib) are imported inside the
# functions that need them, so reading workers that only scale and mask images, and the
# command line's --help, start without them.

__all__ = [
    "NAN_POLICIES",
    "NORMALIZATIONS",
    "RESIZE_MODES",
    "crop_or_pad",
    "finish_stack",
    "mask_and_fill",
    "normalize_stack",
    "resample",
]

NORMALIZATIONS = ("minmax", "percentile", "zscale", "asinh", "log", None)
NAN_POLICIES = ("mask", "zero", "drop", "raise")
RESIZE_MODES = ("resize", "crop", "pad")

#: Share of pixels kept between the limits by normalize="percentile".
PERCENTILE = 99.5
#: Softening of normalize="asinh" (astropy's AsinhStretch ``a``): smaller is closer to log.
ASINH_SOFTENING = 0.1
#: Dynamic range of normalize="log" (astropy's LogStretch ``a``).
LOG_DYNAMIC_RANGE = 1000.0


def _minmax_unit(stack: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Scale each image (or channel) to [0, 1] by its finite minimum and maximum."""
    # fmin/fmax skip NaN (a blank image gives NaN) without numpy's all-NaN warnings.
    low = np.fmin.reduce(stack, axis=axes, keepdims=True)
    high = np.fmax.reduce(stack, axis=axes, keepdims=True)
    span = high - low
    # A constant (or blank) image has no span: it maps to 0, never to NaN.
    flat = ~(span > 0)
    out = stack - np.where(np.isnan(low), 0.0, low).astype(np.float32)
    out /= np.where(flat, 1.0, span).astype(np.float32)
    if flat.any():
        out[np.broadcast_to(flat, out.shape) & ~np.isnan(out)] = 0.0
    return out


def _interval_unit(stack: np.ndarray, axes: tuple[int, ...], interval: object) -> np.ndarray:
    """Scale each image (or channel) to [0, 1] by an astropy interval, clipping the tails."""
    out = np.empty_like(stack)
    n_lead = stack.ndim - len(axes)
    for index in np.ndindex(*stack.shape[:n_lead]):
        plane = stack[index]
        finite = plane[np.isfinite(plane)]
        if finite.size == 0:
            out[index] = plane
            continue
        low, high = interval.get_limits(finite)  # type: ignore[attr-defined]
        if not high > low:
            out[index] = np.where(np.isfinite(plane), 0.0, np.nan)
            continue
        out[index] = np.clip((plane - low) / (high - low), 0.0, 1.0)
    return out


def normalize_stack(
    stack: np.ndarray, method: str | None, *, per_channel: bool = False
) -> np.ndarray:
    """Map each image of a stack to [0, 1] with an astropy interval and stretch.

    Parameters
    ----------
    stack : ndarray of shape (n_images, n_channels, ny, nx)
        float32, NaN where blank. NaNs are ignored when limits are computed and stay NaN.
    method : {"minmax", "percentile", "zscale", "asinh", "log"} or None
        ``"minmax"`` (the astromorph seed's): the finite range to [0, 1], nothing clipped.
        ``"percentile"``: :class:`~astropy.visualization.PercentileInterval` (99.5 %),
        tails clipped; robust to hot pixels and cosmic rays. ``"zscale"``: IRAF/ds9
        :class:`~astropy.visualization.ZScaleInterval`, clipped; shows faint structure.
        ``"asinh"`` / ``"log"``: min-max followed by
        :class:`~astropy.visualization.AsinhStretch` (a=0.1) or
        :class:`~astropy.visualization.LogStretch` (a=1000) for high dynamic range.
        ``None``: values unchanged.
    per_channel : bool, default=False
        Limits per channel instead of per image. Use it when channels have different units
        (moment maps); keep it off for the planes of one cube, so line ratios survive.

    Returns
    -------
    ndarray of shape (n_images, n_channels, ny, nx)
        float32. A constant image becomes all zeros.
    """
    if method is None:
        return stack
    from astropy.visualization import AsinhStretch, LogStretch, PercentileInterval, ZScaleInterval

    axes = (2, 3) if per_channel else (1, 2, 3)
    if method == "percentile":
        return _interval_unit(stack, axes, PercentileInterval(PERCENTILE))
    if method == "zscale":
        return _interval_unit(stack, axes, ZScaleInterval())
    unit = _minmax_unit(stack, axes)
    if method == "asinh":
        return np.asarray(AsinhStretch(ASINH_SOFTENING)(unit, clip=False), dtype=np.float32)
    if method == "log":
        return np.asarray(LogStretch(LOG_DYNAMIC_RANGE)(unit, clip=False), dtype=np.float32)
    return unit


def mask_and_fill(
    stack: np.ndarray, *, normalize: str | None, per_channel: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Normalise a stack, then mask and fill its blank pixels (numpy in, numpy out).

    Parameters
    ----------
    stack : ndarray of shape (n_images, n_channels, ny, nx)
        float32, NaN (or inf) where blank. Modified in place.
    normalize : str or None
        See :func:`normalize_stack`.
    per_channel : bool, default=False
        See :func:`normalize_stack`.

    Returns
    -------
    images : ndarray of shape (n_images, n_channels, ny, nx)
        float32, C-contiguous; blank pixels are 0, the lower limit of the normalised range.
    mask : ndarray of shape (n_images, n_channels, ny, nx)
        bool, True where a pixel was blank.
    """
    blank = ~np.isfinite(stack)
    stack[blank] = np.nan
    stack = normalize_stack(stack, normalize, per_channel=per_channel)
    stack[blank] = 0.0
    return np.ascontiguousarray(stack, dtype=np.float32), blank


def finish_stack(
    stack: np.ndarray, *, normalize: str | None, per_channel: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Like :func:`mask_and_fill`, returning torch tensors that share the arrays' memory."""
    import torch

    images, mask = mask_and_fill(stack, normalize=normalize, per_channel=per_channel)
    return torch.from_numpy(images), torch.from_numpy(mask)


def crop_or_pad(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Centre-crop or centre-pad (with NaN, i.e. blank) an image to ``size``.

    Parameters
    ----------
    image : ndarray of shape (n_channels, ny, nx)
        One image, NaN where blank.
    size : tuple of int
        Target ``(ny, nx)``.

    Returns
    -------
    ndarray of shape (n_channels, size[0], size[1])
        Padding is NaN, so it ends up masked. An odd difference puts the extra pixel at the
        end, like :class:`astropy.nddata.Cutout2D` does.
    """
    out = np.full((image.shape[0], *size), np.nan, dtype=np.float32)
    src, dst = [], []
    for have, want in zip(image.shape[1:], size, strict=True):
        if have >= want:
            start = (have - want) // 2
            src.append(slice(start, start + want))
            dst.append(slice(0, want))
        else:
            start = (want - have) // 2
            src.append(slice(0, have))
            dst.append(slice(start, start + have))
    out[:, dst[0], dst[1]] = image[:, src[0], src[1]]
    return out


def resample(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resample an image to ``size`` pixels, keeping surface brightness and blank pixels.

    Shrinking averages the input pixels that fall in each output pixel (area weighting, so a
    point source keeps its share of the light); enlarging interpolates bilinearly. Blank
    pixels are left out of the average (normalised convolution); an output pixel is blank
    when less than half of its input area was valid.

    Parameters
    ----------
    image : ndarray of shape (n_channels, ny, nx)
        One image, NaN where blank.
    size : tuple of int
        Target ``(ny, nx)``.

    Returns
    -------
    ndarray of shape (n_channels, size[0], size[1])
        Values keep their units per pixel area (surface brightness). Multiply by the ratio
        of pixel areas to conserve total flux instead.
    """
    if tuple(image.shape[1:]) == tuple(size):
        return image.astype(np.float32, copy=False)
    import torch
    import torch.nn.functional as F  # noqa: N812 (the usual name)

    valid = np.isfinite(image)
    data = torch.from_numpy(np.where(valid, image, 0.0).astype(np.float32))[None]
    weight = torch.from_numpy(valid.astype(np.float32))[None]
    shrinking = size[0] <= image.shape[1] and size[1] <= image.shape[2]
    if shrinking:
        data, weight = (
            F.interpolate(data, size=size, mode="area"),
            F.interpolate(weight, size=size, mode="area"),
        )
    else:
        data = F.interpolate(data, size=size, mode="bilinear", align_corners=False, antialias=True)
        weight = F.interpolate(
            weight, size=size, mode="bilinear", align_corners=False, antialias=True
        )
    out = (data / weight.clamp_min(1e-6))[0].numpy()
    out[weight[0].numpy() < 0.5] = np.nan
    return out.astype(np.float32, copy=False)
