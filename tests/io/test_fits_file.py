"""Reading one FITS file: BLANK on the stored integers, the spectral axis of moment maps."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from astromorph_nb import AstromorphWarning, InvalidImageError
from astromorph_nb.io import read_fits

# Physical values that are stored as BLANK under astropy's BZERO for each integer type:
# uint16 0 is stored as -32768 (BZERO = 32768), int8 -128 as 0 (BZERO = -128), and so on.
UNSIGNED = [
    (np.uint16, 16, 32768, -32768, 0),
    (np.int8, 8, -128, 0, -128),
    (np.uint32, 32, 2**31, -(2**31), 0),
    (np.uint64, 64, 2**63, -(2**63), 0),
]


@pytest.mark.parametrize(("dtype", "bitpix", "bzero", "blank", "blank_value"), UNSIGNED)
def test_blank_is_compared_with_the_stored_integers(
    tmp_path, dtype, bitpix, bzero, blank, blank_value
):
    data = (np.arange(120).reshape(12, 10) % 50 + 1).astype(dtype)
    data[0, :3] = blank_value
    hdu = fits.PrimaryHDU(data)
    hdu.header["BLANK"] = blank
    hdu.writeto(tmp_path / "ccd.fits")
    header = fits.getheader(tmp_path / "ccd.fits")
    assert (header["BITPIX"], header["BZERO"]) == (bitpix, bzero)

    with pytest.warns(AstromorphWarning, match="blank"):
        images = read_fits(tmp_path / "ccd.fits", normalize=None)
    mask = images.mask.numpy()[0, 0]
    assert mask.sum() == 3
    assert mask[0, :3].all()
    np.testing.assert_array_equal(
        images.images.numpy()[0, 0][~mask], data[~mask].astype(np.float32)
    )


def test_blank_of_scaled_integers_becomes_a_masked_pixel(tmp_path):
    stored = np.arange(120, dtype=np.int16).reshape(12, 10)
    stored[5, 5] = -32768
    hdu = fits.PrimaryHDU(stored)
    hdu.header.update(BSCALE=0.5, BZERO=10.0, BLANK=-32768)
    hdu.writeto(tmp_path / "scaled.fits")
    with pytest.warns(AstromorphWarning, match="blank"):
        images = read_fits(tmp_path / "scaled.fits", normalize=None)
    mask = images.mask.numpy()[0, 0]
    assert np.argwhere(mask).tolist() == [[5, 5]]
    assert images.images.numpy()[0, 0, 0, 3] == pytest.approx(0.5 * 3 + 10.0)


def write_cube(path, **cards):
    cube = np.random.default_rng(0).random((4, 6, 6)).astype(np.float32) + 1.0
    hdu = fits.PrimaryHDU(cube)
    for key, value in {"CRVAL3": 1.0, "CRPIX3": 1.0, "CUNIT3": "km/s", **cards}.items():
        hdu.header[key] = value
    hdu.writeto(path)
    return path


@pytest.mark.parametrize(
    ("key", "value"),
    [("CRVAL3", "abc"), ("PC3_3", "abc"), ("CDELT3", "abc"), ("CD3_3", "x"), ("CRPIX3", "one")],
)
def test_text_in_a_spectral_wcs_card_is_a_clear_error_for_moment_maps(tmp_path, key, value):
    path = write_cube(tmp_path / "cube.fits", **{key: value})
    with pytest.raises(
        InvalidImageError,
        match=rf"cube\.fits'\[0\] has {key} = '{value}', which is not a number\. cube_mode=",
    ):
        read_fits(path, cube_mode="moments")


def test_an_unparsable_spectral_card_is_a_clear_error_and_can_be_skipped(tmp_path):
    path = write_cube(tmp_path / "bad.fits")
    raw = bytearray(path.read_bytes())
    start = raw.index(b"CRVAL3  =")
    raw[start : start + 80] = b"CRVAL3  = 1.0.0 km/s".ljust(80)
    path.write_bytes(bytes(raw))
    good = write_cube(tmp_path / "good.fits", CDELT3=2.0)
    with pytest.raises(
        InvalidImageError,
        match=r"bad\.fits'\[0\] has a CRVAL3 card whose value astropy cannot parse",
    ):
        read_fits(path, cube_mode="moments")
    with pytest.warns(AstromorphWarning, match="1 of 2 inputs were skipped.*CRVAL3"):
        images = read_fits([good, path], cube_mode="moments", on_error="skip")
    assert images.shape[:2] == (1, 3)
    assert list(images.skipped["file"]) == [str(path)]


def test_other_cube_modes_do_not_need_the_spectral_axis(tmp_path):
    path = write_cube(tmp_path / "cube.fits", CRVAL3="abc")
    images = read_fits(path, cube_mode="channels", normalize=None)
    assert images.shape == (1, 4, 6, 6)


def test_moment_one_uses_the_spectral_axis(tmp_path):
    path = write_cube(tmp_path / "cube.fits", CRVAL3=100.0, CDELT3=2.0, CRPIX3=1.0)
    images = read_fits(path, cube_mode="moments", normalize=None)
    moment1 = images.images.numpy()[0, 1]
    assert np.all((moment1 >= 100.0) & (moment1 <= 106.0))
    assert list(images.meta["spectral_unit"]) == ["km/s"]
