"""Choosing the HDU: an index or EXTNAME the file lacks is explained with the HDUs it has."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from astromorph_nb import AstromorphWarning, InvalidImageError
from astromorph_nb.io import read_fits


def test_an_index_past_the_last_hdu_lists_the_hdus_instead_of_blaming_the_file(tmp_path):
    path = tmp_path / "one.fits"
    fits.PrimaryHDU(np.ones((4, 5), np.float32)).writeto(path)
    with pytest.raises(InvalidImageError, match=r"one\.fits' has no HDU 7\. ") as caught:
        read_fits(path, hdu=7)
    message = str(caught.value)
    assert "The file has 1 HDU: 0 'PRIMARY' (4×5)." in message
    assert "corrupt" not in message


def test_a_missing_hdu_index_is_a_reported_skip(tmp_path):
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((4, 4), np.float32))]).writeto(
        tmp_path / "two.fits"
    )
    fits.PrimaryHDU(np.ones((4, 4), np.float32)).writeto(tmp_path / "one.fits")
    with pytest.warns(AstromorphWarning, match=r"1 of 2 inputs were skipped.*has no HDU 1\."):
        images = read_fits([tmp_path / "two.fits", tmp_path / "one.fits"], hdu=1, on_error="skip")
    assert list(images.skipped["file"]) == [str(tmp_path / "one.fits")]
