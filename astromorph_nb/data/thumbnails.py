"""Small 8-bit previews of every image, for maps, galleries, exports and widgets (data layer).

A thumbnail is what a person looks at to recognise an object, so it is stretched the way
astronomers display images (astropy's percentile interval and asinh stretch, per image) and
stored as ``uint8``: 100,000 objects at 64×64 take 410 MB as float32 images but 41 MB as
thumbnails at 64 pixels, and 10 MB at 32.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from astropy.visualization import (
    AsinhStretch,
    BaseStretch,
    LinearStretch,
    LogStretch,
    SqrtStretch,
)

from astromorph_nb._validation import check_choice, check_positive_int

__all__ = ["STRETCHES", "make_thumbnails", "pad_to_square", "shrink_square"]

STRETCHES: dict[str, BaseStretch] = {
    "asinh": AsinhStretch(a=0.1),
    "linear": LinearStretch(),
    "log": LogStretch(),
    "sqrt": SqrtStretch(),
}
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
    check_choice(stretch, tuple(STRETCHES), name="stretch", where="make_thumbnails")
    if not 0.0 < percentile <= 100.0:
        msg = (
            "The 'percentile' parameter of make_thumbnails must be in (0, 100]; "
            f"got {percentile!r}."
        )
        raise ValueError(msg)
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
    ty, tx = ny // factor, nx // factor
    out = np.empty((n, ty, tx), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        chunk = array[start : start + _CHUNK].astype(np.float32, copy=False).mean(axis=1)
        if factor > 1:
            chunk = chunk[:, : ty * factor, : tx * factor]
            chunk = chunk.reshape(len(chunk), ty, factor, tx, factor)
        else:
            chunk = chunk[:, :, None, :, None]
        if np.isnan(chunk).any():
            with warnings.catch_warnings():  # blocks of only blank pixels stay NaN (black)
                warnings.simplefilter("ignore", RuntimeWarning)
                small = np.nanmean(chunk, axis=(2, 4))
        elif factor > 1:
            small = chunk.mean(axis=(2, 4))
        else:
            small = chunk[:, :, 0, :, 0]
        out[start : start + len(small)] = _stretch_to_uint8(small, STRETCHES[stretch], percentile)
    return out


def _stretch_to_uint8(small: np.ndarray, stretch: BaseStretch, percentile: float) -> np.ndarray:
    """Per-image percentile interval (as astropy's PercentileInterval), stretch, 0–255."""
    flat = small.reshape(len(small), -1)
    half = (100.0 - percentile) / 2.0
    if np.isfinite(flat).all():
        low, high = _percentiles(flat, half, 100.0 - half)
    else:
        filled = flat.copy()
        filled[~np.isfinite(filled).any(axis=1)] = 0.0  # blank images: shown black
        low, high = np.nanpercentile(filled, [half, 100.0 - half], axis=1)
    span = np.where(high > low, high - low, 1.0)
    scaled = ((flat - low[:, None]) / span[:, None]).astype(np.float32)
    np.clip(scaled, 0.0, 1.0, out=scaled)
    stretch(scaled, clip=True, out=scaled)
    np.nan_to_num(scaled, copy=False, nan=0.0)
    return np.round(scaled * 255.0).astype(np.uint8).reshape(small.shape)


def _percentiles(flat: np.ndarray, low_q: float, high_q: float) -> tuple[np.ndarray, np.ndarray]:
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


def pad_to_square(thumbnails: np.ndarray) -> np.ndarray:
    """Pad uint8 thumbnails (n, ty, tx) with black to squares, keeping each image centred."""
    n, ty, tx = thumbnails.shape
    if ty == tx:
        return np.ascontiguousarray(thumbnails)
    size = max(ty, tx)
    out = np.zeros((n, size, size), dtype=np.uint8)
    y0, x0 = (size - ty) // 2, (size - tx) // 2
    out[:, y0 : y0 + ty, x0 : x0 + tx] = thumbnails
    return out


def shrink_square(thumbnails: np.ndarray, new_size: int, *, block: int = 1024) -> np.ndarray:
    """Area-average square uint8 thumbnails (n, t, t) down to (n, new_size, new_size).

    Each output pixel is the mean of the input pixels it covers, weighted by the overlap,
    so any ratio works (not only whole factors).

    Examples
    --------
    >>> shrink_square(np.array([[[0, 60], [120, 180]]], dtype=np.uint8), 1).tolist()
    [[[90]]]
    """
    size = thumbnails.shape[1]
    edges = np.linspace(0.0, size, new_size + 1)
    low = np.maximum(edges[:-1, None], np.arange(size)[None, :])
    high = np.minimum(edges[1:, None], np.arange(1, size + 1)[None, :])
    matrix = (np.clip(high - low, 0.0, None) * (new_size / size)).astype(np.float32)
    out = np.empty((len(thumbnails), new_size, new_size), dtype=np.uint8)
    for start in range(0, len(thumbnails), block):  # bounds the float32 working memory
        chunk = thumbnails[start : start + block].astype(np.float32)
        out[start : start + len(chunk)] = np.clip(np.rint(matrix @ chunk @ matrix.T), 0, 255)
    return out
