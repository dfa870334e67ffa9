"""Plotting tests draw off-screen (Agg) and close every pyplot figure afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 (the backend must be chosen first)
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def cutouts() -> np.ndarray:
    """Twelve 16×16 images: a Gaussian blob of growing width on a little noise."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:16, :16] - 7.5
    widths = np.linspace(1.0, 4.0, 12)[:, None, None]
    blobs = np.exp(-(x**2 + y**2) / (2 * widths**2))
    return (blobs + 0.01 * rng.normal(size=blobs.shape)).astype(np.float32)
