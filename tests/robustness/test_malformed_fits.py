"""Broken FITS files end in an error of ours naming the file, a reported skip, or a right image.

A generated corpus (truncations, random bytes, wrong BITPIX, huge NAXIS, NaN/inf, BLANK on
signed and unsigned integers, empty HDUs, tables only, empty files, fake gzip, damaged gzip
(huge NAXIS, bit flips, wrong checksum), text spectral WCS cards in cubes, a folder named
like a file, a dangling link, a missing HDU index) plus hypothesis-driven variants. Each case
goes through ``read_fits(path)`` and ``read_fits([good, path], on_error="skip")``; see
``fits_corpus.check_case``.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from robustness.fits_corpus import (
    BLOCK,
    CASES_TRIED,
    check_case,
    fits_bytes,
    flip_bit,
    good_image,
    gzip_bytes,
    set_card,
    with_blank_pixels,
)

from astromorph_nb import AstromorphWarning, InvalidFileError, read_fits

SETTINGS = settings(
    max_examples=60,
    deadline=2000,
    derandomize=True,  # the same examples every run: a failure here is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
GOOD = fits_bytes(good_image())
_rng = np.random.default_rng(8)
_TRUNCATIONS = sorted(
    {0, 1, 79, 80, 2879, BLOCK, BLOCK + 1, len(GOOD) - 1, len(GOOD) - 100}
    | set(_rng.integers(1, len(GOOD), 8).tolist())
)


def _int_image(blank_fraction: float) -> bytes:
    data = np.arange(120, dtype=np.int16).reshape(12, 10)
    data[: int(round(12 * blank_fraction)), :] = -32768
    return fits_bytes(data, BLANK=-32768)


def _table_only() -> bytes:
    table = fits.BinTableHDU.from_columns([fits.Column(name="flux", format="E", array=[1.0, 2.0])])
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(buffer)
    return buffer.getvalue()


def _empty_image_extension() -> bytes:
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(name="SCI")]).writeto(buffer)
    return buffer.getvalue()


def _nan_inf(fill: str) -> bytes:
    image = good_image()
    if fill == "nan":
        image[:] = np.nan
    elif fill == "inf":
        image[:] = np.inf
    elif fill == "mixed":
        image[::2] = np.nan
        image[1::2, ::3] = -np.inf
    return fits_bytes(image)


CORPUS: dict[str, bytes] = {
    **{f"truncated-at-{n}": GOOD[:n] for n in _TRUNCATIONS},
    "random-bytes-100": _rng.bytes(100),
    "random-bytes-3-blocks": _rng.bytes(3 * BLOCK),
    "random-after-simple": b"SIMPLE  =                    T" + _rng.bytes(BLOCK - 30),
    "bitpix-7": set_card(GOOD, "BITPIX", "7"),
    "bitpix-0": set_card(GOOD, "BITPIX", "0"),
    "bitpix-string": set_card(GOOD, "BITPIX", "'X'"),
    "bitpix-16-on-float-data": set_card(GOOD, "BITPIX", "16"),
    "bitpix-64-on-float-data": set_card(GOOD, "BITPIX", "64"),
    "naxis1-huge": set_card(GOOD, "NAXIS1", "1000000000"),
    "naxis-both-huge": set_card(set_card(GOOD, "NAXIS1", "2000000000"), "NAXIS2", "2000000000"),
    "naxis-999": set_card(GOOD, "NAXIS", "999"),
    "naxis-negative": set_card(GOOD, "NAXIS1", "-5"),
    "naxis1-zero": set_card(GOOD, "NAXIS1", "0"),
    "all-nan": _nan_inf("nan"),
    "all-inf": _nan_inf("inf"),
    "nan-and-inf": _nan_inf("mixed"),
    "int-with-blank": _int_image(0.25),
    "int-all-blank": _int_image(1.0),
    "empty-primary": fits_bytes(None),
    "empty-image-extension": _empty_image_extension(),
    "table-only": _table_only(),
    "zero-length": b"",
    "end-card-only": b"END".ljust(BLOCK),
    # BLANK is a stored integer: with BZERO (unsigned data) it differs from the pixel value.
    "uint16-with-blank": with_blank_pixels(np.uint16, 0, -32768),
    "int8-with-blank": with_blank_pixels(np.int8, -128, 0),
    "uint32-with-blank": with_blank_pixels(np.uint32, 0, -(2**31)),
}
FAKE_GZIP: dict[str, bytes] = {
    "not-gzip.fits.gz": b"this is not gzip at all" * 20,
    "gzip-magic-then-junk.fits.gz": b"\x1f\x8b\x08\x00" + _rng.bytes(500),
    "gzip-truncated.fits.gz": gzip.compress(GOOD)[:300],
}
GOOD_GZ = gzip_bytes(GOOD)
#: Real gzip streams that are damaged inside: astropy alone reads them without a word.
DAMAGED_GZIP: dict[str, bytes] = {
    "gzip-huge-naxis.fits.gz": gzip_bytes(set_card(GOOD, "NAXIS", "100000000000")),
    "gzip-huge-naxis-header-only.fits.gz": gzip_bytes(
        set_card(GOOD[:BLOCK], "NAXIS", "100000000000")
    ),
    "gzip-crc-flipped.fits.gz": flip_bit(GOOD_GZ, len(GOOD_GZ) - 6),
    "gzip-length-flipped.fits.gz": flip_bit(GOOD_GZ, len(GOOD_GZ) - 2),
    **{
        f"gzip-bit-flip-at-{n}.fits.gz": flip_bit(GOOD_GZ, n)
        for n in np.linspace(10, len(GOOD_GZ) - 9, 12).astype(int).tolist()
    },
}
#: Cubes whose spectral axis cards are text, read with cube_mode="moments".
TEXT_WCS_CUBES: dict[str, bytes] = {
    f"cube-{key.lower()}-text": fits_bytes(
        np.stack([good_image(seed) for seed in range(3)]), **{"CRVAL3": 1.0, key: "abc"}
    )
    for key in ("CRVAL3", "PC3_3", "CDELT3", "CD3_3", "CRPIX3")
}


@pytest.fixture(scope="module")
def companion(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good file read next to each broken one in skip mode."""
    path = tmp_path_factory.mktemp("good") / "good.fits"
    path.write_bytes(fits_bytes(good_image(seed=1)))
    return path


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_broken_file_gives_error_skip_or_right_image(name, tmp_path, companion):
    path = tmp_path / f"{name}.fits"
    path.write_bytes(CORPUS[name])
    check_case(path, companion, name)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", sorted({**FAKE_GZIP, **DAMAGED_GZIP}))
def test_fake_or_damaged_gzip_gives_error_or_skip(name, tmp_path, companion):
    path = tmp_path / name
    path.write_bytes({**FAKE_GZIP, **DAMAGED_GZIP}[name])
    check_case(path, companion, name)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", sorted(TEXT_WCS_CUBES))
def test_text_spectral_cards_give_error_or_skip_for_moment_maps(name, tmp_path, companion):
    path = tmp_path / f"{name}.fits"
    path.write_bytes(TEXT_WCS_CUBES[name])
    check_case(path, companion, name, cube_mode="moments")


@pytest.mark.timeout(10)
def test_dangling_link_gives_error_naming_it_or_skip(tmp_path, companion):
    path = tmp_path / "link.fits"
    path.symlink_to(tmp_path / "moved-away.fits")
    check_case(path, companion, "dangling-link.fits")


@pytest.mark.timeout(10)
def test_missing_hdu_index_gives_error_naming_the_file_or_skip(tmp_path):
    path = tmp_path / "one-hdu.fits"
    path.write_bytes(GOOD)
    companion = tmp_path / "eight-hdus.fits"
    images = [fits.ImageHDU(good_image(seed)) for seed in range(7)]
    fits.HDUList([fits.PrimaryHDU(), *images]).writeto(companion)
    check_case(path, companion, "missing-hdu-7", hdu=7)


@pytest.mark.timeout(10)
def test_folder_named_like_a_fits_file_gives_error_naming_it(tmp_path, companion):
    path = tmp_path / "x.fits"
    path.mkdir()
    check_case(path, companion, "folder-named-x.fits")


@pytest.mark.timeout(60)
@SETTINGS
@given(offset=st.integers(0, len(GOOD) - 1))
def test_truncation_anywhere_gives_error_skip_or_right_image(offset, tmp_path, companion):
    path = tmp_path / "truncated.fits"
    path.write_bytes(GOOD[:offset])
    check_case(path, companion, f"hypothesis-truncated-at-{offset}")


@pytest.mark.timeout(60)
@SETTINGS
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=8
    )
)
def test_corrupted_bytes_give_error_skip_or_right_image(edits, tmp_path, companion):
    raw = bytearray(GOOD)
    for position, value in edits:
        raw[position] = value
    path = tmp_path / "corrupted.fits"
    path.write_bytes(bytes(raw))
    check_case(path, companion, f"hypothesis-corrupted-{edits}")


_CARD_VALUES = st.one_of(
    st.integers(-(2**40), 2**40).map(str),
    st.sampled_from(["'X'", "T", "1.5", "", "NaN", "-0", "99999999999999999999"]),
)


@pytest.mark.timeout(60)
@SETTINGS
@given(key=st.sampled_from(["BITPIX", "NAXIS", "NAXIS1", "NAXIS2"]), value=_CARD_VALUES)
def test_wrong_structural_cards_give_error_skip_or_right_image(key, value, tmp_path, companion):
    path = tmp_path / "cards.fits"
    path.write_bytes(set_card(GOOD, key, value))
    check_case(path, companion, f"hypothesis-{key}={value}")


@pytest.mark.timeout(60)
@SETTINGS
@given(
    data=hnp.arrays(
        dtype=st.sampled_from([np.float32, np.float64, np.int16, np.int32, np.uint8]),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=6),
        elements={"allow_nan": True, "allow_infinity": True},
    ),
    blank=st.booleans(),
)
def test_odd_data_gives_error_skip_or_right_image(data, blank, tmp_path, companion):
    cards = {"BLANK": int(data.flat[0])} if blank and data.dtype.kind in "iu" else {}
    path = tmp_path / "odd.fits"
    path.write_bytes(fits_bytes(data, **cards))
    check_case(path, companion, f"hypothesis-data-{data.dtype}-{data.shape}")


def test_zz_report_how_many_cases_were_tried():
    # Named to run last in this file; counts every case run in this process so far.
    print(f"\nrobustness: {len(CASES_TRIED)} malformed-FITS cases tried")  # noqa: T201
    listed = len(CORPUS) + len(FAKE_GZIP) + len(DAMAGED_GZIP) + len(TEXT_WCS_CUBES)
    assert len(CASES_TRIED) >= listed + 3  # and a folder, a dangling link, a missing HDU


@pytest.mark.timeout(10)
def test_huge_naxis_is_refused_before_astropy_parses_it(tmp_path):
    path = tmp_path / "naxis.fits"
    path.write_bytes(set_card(GOOD, "NAXIS", str(2**40)))
    with pytest.raises(InvalidFileError, match=r"naxis\.fits.*claims NAXIS=1099511627776.*999"):
        read_fits(path)


@pytest.mark.timeout(10)
def test_values_beyond_float32_become_blank_pixels_without_warning(tmp_path):
    data = np.full((4, 4), 1.0)
    data[0, 0] = 1e300
    path = tmp_path / "big.fits"
    path.write_bytes(fits_bytes(data))
    with pytest.warns(AstromorphWarning, match="blank"):
        images = read_fits(path, normalize=None)
    assert images.mask.numpy()[0, 0, 0, 0]
    assert images.mask.numpy().sum() == 1


@pytest.mark.timeout(30)
def test_huge_naxis_in_an_extension_header_is_refused_not_hung(tmp_path):
    path = tmp_path / "ext.fits"
    fits.HDUList(
        [
            fits.PrimaryHDU(),
            fits.ImageHDU(np.ones((8, 8), np.float32), name="SCI"),
            fits.ImageHDU(np.ones((4, 4), np.float32), name="ERR"),
        ]
    ).writeto(path)
    raw = bytearray(path.read_bytes())
    cards = [i for i in range(0, len(raw), 80) if raw[i : i + 8] == b"NAXIS   "]
    card = b"NAXIS   = %20d" % 2**40
    raw[cards[2] : cards[2] + len(card)] = card
    path.write_bytes(bytes(raw))
    from astromorph_nb import InvalidFileError, read_fits

    with pytest.raises(InvalidFileError, match=r"a header at byte \d+ claims NAXIS=1099511627776"):
        read_fits(path, hdu="SCI")
