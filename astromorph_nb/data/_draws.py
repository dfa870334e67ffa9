"""Per-image random values of the generators of labelled images (data layer).

The renderers of :mod:`~astromorph_nb.data.synthetic`, :mod:`~astromorph_nb.data.disks` and
:mod:`~astromorph_nb.data.clouds` draw one value per image from a numpy Generator and shape it
``(n, 1, 1)`` to broadcast over the pixels of a chunk of images.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["column", "log_uniform", "uniform"]


def column(values: ArrayLike) -> np.ndarray:
    """Return per-image values as float32 of shape (n, 1, 1), to broadcast over images."""
    return np.asarray(values, np.float32).reshape(-1, 1, 1)


def uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    """Draw ``n`` float32 values uniformly in [low, high), shaped (n, 1, 1) to broadcast."""
    return column(rng.uniform(low, high, n))


def log_uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> np.ndarray:
    """Draw ``n`` float64 values log-uniformly between ``bounds``."""
    return np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]), n))
