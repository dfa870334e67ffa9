"""What every generator of labelled images shares: sizes, pixel grids, chunks, the result.

The renderers of :mod:`~astromorph_nb.data.synthetic`, :mod:`~astromorph_nb.data.disks` and
:mod:`~astromorph_nb.data.clouds` each draw one class at a time in chunks of images
(:func:`render_by_class`) on a padded pixel grid, and return ``(images, labels, params)`` in
the same form. Their per-image random draws are in :mod:`~astromorph_nb.data._draws`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "CHUNK",
    "Grid",
    "image_shape",
    "padded_axes",
    "render_by_class",
    "rotate",
    "stack_rendered",
]

#: Images rendered per vectorised chunk; bounds the memory used for large sets.
CHUNK = 256

Grid = tuple[np.ndarray, np.ndarray]  # (dy, dx) from the centers, of shapes (n, ny, 1), (n, 1, nx)


def image_shape(image_size: int | tuple[int, int]) -> tuple[int, int]:
    """Return ``(ny, nx)`` for an int (square images) or a pair in numpy order."""
    if isinstance(image_size, (int, np.integer)):
        return int(image_size), int(image_size)
    ny, nx = image_size
    return int(ny), int(nx)


def rotate(grid: Grid, angle: np.ndarray) -> Grid:
    """Return (u, v): coordinates along and across the axis at ``angle`` (rad) from +x."""
    dy, dx = grid
    cos, sin = np.cos(angle), np.sin(angle)
    return dx * cos + dy * sin, dy * cos - dx * sin


def padded_axes(shape: tuple[int, int], pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the y (1, ny, 1) and x (1, 1, nx) pixel coordinates of a canvas of ``shape``.

    The canvas holds the image with a margin of ``pad`` pixels, so the image's own pixels
    have coordinates 0 to ny - 1 and the margin negative ones or larger.
    """
    big_y, big_x = shape
    y = np.arange(big_y, dtype=np.float32)[None, :, None] - pad
    x = np.arange(big_x, dtype=np.float32)[None, None, :] - pad
    return y, x


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


def render_by_class(
    names: Sequence[str],
    n_per_class: int,
    shape: tuple[int, int],
    render_chunk: Callable[[str, int], tuple[np.ndarray, dict[str, np.ndarray]]],
) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    """Render ``n_per_class`` images of each class, in chunks of at most :data:`CHUNK`.

    Parameters
    ----------
    names : sequence of str
        The classes, in the order their images are grouped.
    n_per_class : int
        Images per class.
    shape : tuple of int
        ``(ny, nx)`` of the images, for the empty result when nothing is rendered.
    render_chunk : callable
        ``render_chunk(name, n)`` returns ``n`` images of class ``name``, shape
        ``(n, ny, nx)``, and a dict of their per-image truth, arrays of shape ``(n,)``.

    Returns
    -------
    images, labels, params
        As :func:`stack_rendered` returns them.
    """
    blocks, labels, columns = [], [], []
    for name in names:
        for start in range(0, n_per_class, CHUNK):
            n = min(CHUNK, n_per_class - start)
            image, truth = render_chunk(name, n)
            blocks.append(image)
            labels += [name] * n
            columns.append(truth)
    return stack_rendered(blocks, labels, columns, shape)
