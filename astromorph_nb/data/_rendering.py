"""What every generator of labelled images shares: sizes, chunks and the stacked result.

The renderers of :mod:`~astromorph_nb.data.synthetic`, :mod:`~astromorph_nb.data.disks` and
:mod:`~astromorph_nb.data.clouds` each draw one class at a time in chunks of images, and
return ``(images, labels, params)`` in the same form.
"""

from __future__ import annotations

import numpy as np

__all__ = ["image_shape", "stack_rendered"]


def image_shape(image_size: int | tuple[int, int]) -> tuple[int, int]:
    """Return ``(ny, nx)`` for an int (square images) or a pair in numpy order."""
    if isinstance(image_size, (int, np.integer)):
        return int(image_size), int(image_size)
    ny, nx = image_size
    return int(ny), int(nx)


def stack_rendered(
    blocks: list[np.ndarray],
    labels: list[str],
    columns: list[dict[str, np.ndarray]],
    shape: tuple[int, int],
) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    """Join chunks of images and their per-image truth; empty when nothing was rendered."""
    if not blocks:
        return np.zeros((0, *shape), np.float32), [], {}
    params = {
        key: np.concatenate([c[key] for c in columns]).astype(np.float64) for key in columns[0]
    }
    return np.concatenate(blocks), labels, params
