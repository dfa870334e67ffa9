from __future__ import annotations

import numpy as np
from astropy.io import fits

from astromorph_nb.io.fits.header_cards import read_card_values


def raw_header(header: fits.Header) -> bytes:
    return header.tostring().encode("ascii")


def test_values_match_astropy_for_common_card_kinds():
    header = fits.Header()
    header["OBJECT"] = ("O'Brien's disk", "a quote inside")
    header["BUNIT"] = "Jy/beam"
    header["CRVAL1"] = 150.123456789012
    header["CRVAL2"] = -2.5e-3
    header["NAXIS1"] = 64
    header["SIMPLE"] = True
    header["EMPTY"] = ""
    header["RESTFRQ"] = 2.30538e11
    keys = ["OBJECT", "BUNIT", "CRVAL1", "CRVAL2", "NAXIS1", "SIMPLE", "EMPTY", "RESTFRQ"]
    values, unresolved = read_card_values(raw_header(header), keys)
    assert unresolved == []
    for key in keys:
        assert values[key] == header[key], key
        assert type(values[key]) is type(header[key]), key


def test_missing_keywords_are_absent_and_blank_values_are_none():
    header = fits.Header()
    header["OBJECT"] = "M51"
    header.append(fits.Card("BLANKV", None))
    values, unresolved = read_card_values(raw_header(header), ["OBJECT", "OBSRA", "BLANKV"])
    assert values == {"OBJECT": "M51", "BLANKV": None}
    assert unresolved == []


def test_long_strings_and_odd_values_are_left_to_astropy():
    header = fits.Header()
    header["OBJECT"] = "x" * 100  # written with CONTINUE cards
    header["CPLX"] = complex(1, 2)
    values, unresolved = read_card_values(raw_header(header), ["OBJECT", "CPLX"])
    assert values == {}
    assert sorted(unresolved) == ["CPLX", "OBJECT"]


def test_read_fits_takes_long_strings_from_astropy(tmp_path):
    from astromorph_nb.io import read_fits

    header = fits.Header()
    header["OBJECT"] = "a very long object name " * 5
    header["FILTER"] = "F200W"
    fits.PrimaryHDU(np.ones((8, 8), dtype=np.float32) * np.arange(8), header=header).writeto(
        tmp_path / "a.fits"
    )
    images = read_fits(tmp_path / "a.fits", keywords=["FILTER"])
    assert images.meta["OBJECT"][0] == header["OBJECT"]
    assert images.meta["FILTER"][0] == "F200W"


def test_primary_header_supplies_keywords_missing_from_the_extension(tmp_path):
    from astromorph_nb.io import read_fits

    primary = fits.PrimaryHDU()
    primary.header["OBJECT"] = "NGC 1333"
    primary.header["TELESCOP"] = "JWST"
    sci = fits.ImageHDU(np.ones((8, 8), dtype=np.float32) * np.arange(8), name="SCI")
    sci.header["BUNIT"] = "MJy/sr"
    fits.HDUList([primary, sci]).writeto(tmp_path / "mef.fits")
    images = read_fits(tmp_path / "mef.fits", keywords=["TELESCOP"])
    assert images.meta["OBJECT"][0] == "NGC 1333"
    assert images.meta["BUNIT"][0] == "MJy/sr"
    assert images.meta["TELESCOP"][0] == "JWST"
