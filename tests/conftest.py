"""Shared fixtures: small FITS files written on the fly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits


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


@pytest.fixture
def example_fits_dir(tmp_path: Path) -> Path:
    """A folder of six 32×32 FITS images with OBJECT, BUNIT and a celestial WCS."""
    folder = tmp_path / "cutouts"
    folder.mkdir()
    for i in range(6):
        header = celestial_header(ra=150.0 + i, dec=2.0)
        header["OBJECT"] = f"J{i:04d}+0200"
        header["BUNIT"] = "Jy/beam"
        data = gaussian_image(seed=i, sigma=2.0 + i)
        fits.PrimaryHDU(data, header=header).writeto(folder / f"obj{i}.fits")
    return folder
