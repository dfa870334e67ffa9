"""Shared fixtures: small FITS files written on the fly."""

from __future__ import annotations

from pathlib import Path

import pytest
from astropy.io import fits
from builders import celestial_header, gaussian_image


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
