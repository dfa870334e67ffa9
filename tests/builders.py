"""Small builders of test data, shared by the test modules."""

from __future__ import annotations

import numpy as np
import torch
from astropy.io import fits

from astromorph_nb.model import BYOL, SmallCNN


def gaussian_image(shape=(32, 32), center=None, sigma=3.0, amplitude=100.0, seed=0):
    """A Gaussian source on a noisy background, big-endian like real FITS data."""
    rng = np.random.default_rng(seed)
    ny, nx = shape
    cy, cx = center if center is not None else ((ny - 1) / 2, (nx - 1) / 2)
    y, x = np.mgrid[:ny, :nx]
    source = amplitude * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * sigma**2))
    return (source + rng.normal(0, 1, shape)).astype(">f4")


def celestial_header(ra=150.0, dec=2.0, scale_arcsec=0.1, shape=(32, 32)):
    header = fits.Header()
    header["CTYPE1"], header["CTYPE2"] = "RA---TAN", "DEC--TAN"
    header["CRVAL1"], header["CRVAL2"] = ra, dec
    header["CRPIX1"], header["CRPIX2"] = (shape[1] + 1) / 2, (shape[0] + 1) / 2
    header["CDELT1"], header["CDELT2"] = -scale_arcsec / 3600, scale_arcsec / 3600
    header["CUNIT1"], header["CUNIT2"] = "deg", "deg"
    return header


def tiny_model(in_channels: int = 1, seed: int = 0) -> BYOL:
    """A BYOL model small enough to train in a fraction of a second on 16×16 images."""
    torch.manual_seed(seed)
    return BYOL(
        SmallCNN(in_channels=in_channels, width=8), projection_size=16, projection_hidden_size=32
    )


def rotated(images, k: int = 1):
    """Images rotated by k × 90° in their last two axes (a contiguous copy)."""
    import numpy as np

    return np.ascontiguousarray(np.rot90(images, k=k, axes=(-2, -1)))
