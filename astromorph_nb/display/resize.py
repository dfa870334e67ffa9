"""Thumbnails to the sizes a display needs: block means, area averages, squares (display layer).

Shrinking a picture averages the pixels each new pixel covers (area averaging), so a
small thumbnail keeps the surface brightness of the large one and no light falls between
samples. :func:`block_mean` shrinks float images by a whole factor (blank pixels left
out of the means); :func:`shrink_square` shrinks uint8 thumbnails by any ratio, for the
browser map and the companion page, which pad them to squares first with
:func:`pad_to_square`.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["block_mean", "pad_to_square", "shrink_square"]


def block_mean(images: np.ndarray, factor: int) -> np.ndarray:
    """Average ``factor`` × ``factor`` blocks of a stack of images (n, ny, nx).

    Rows and columns past the last whole block are dropped; NaN pixels are left out of
    the means, and a block of only NaN pixels stays NaN.

    Examples
    --------
    >>> block_mean(np.array([[[0.0, 2.0], [4.0, np.nan]]]), 2).tolist()
    [[[2.0]]]
    """
    n, ny, nx = images.shape
    if factor <= 1:
        return images
    ty, tx = ny // factor, nx // factor
    blocks = images[:, : ty * factor, : tx * factor].reshape(n, ty, factor, tx, factor)
    if not np.isnan(blocks).any():
        return blocks.mean(axis=(2, 4))
    with warnings.catch_warnings():  # blocks of only blank pixels stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(blocks, axis=(2, 4))


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
    so any ratio works (not only whole factors). ``block`` thumbnails are done at a time,
    which bounds the float32 working memory.

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
    for start in range(0, len(thumbnails), block):
        chunk = thumbnails[start : start + block].astype(np.float32)
        out[start : start + len(chunk)] = np.clip(np.rint(matrix @ chunk @ matrix.T), 0, 255)
    return out
