"""Broken FITS files end in an error of ours naming the file, a reported skip, or a right image.

A generated corpus (truncations, random bytes, wrong BITPIX, huge NAXIS, NaN/inf, BLANK,
empty HDUs, tables only, empty files, fake gzip, a folder named like a file) plus
hypothesis-driven variants. Each case goes through ``read_fits(path)`` and
``read_fits([good, path], on_error="skip")``; see ``fits_corpus.check_case``.
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
    good_image,
    set_card,
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
}
FAKE_GZIP: dict[str, bytes] = {
    "not-gzip.fits.gz": b"this is not gzip at all" * 20,
    "gzip-magic-then-junk.fits.gz": b"\x1f\x8b\x08\x00" + _rng.bytes(500),
    "gzip-truncated.fits.gz": gzip.compress(GOOD)[:300],
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
@pytest.mark.parametrize("name", sorted(FAKE_GZIP))
def test_fake_gzip_gives_error_or_skip(name, tmp_path, companion):
    path = tmp_path / name
    path.write_bytes(FAKE_GZIP[name])
    check_case(path, companion, name)


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
    assert len(CASES_TRIED) >= len(CORPUS) + len(FAKE_GZIP) + 1


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
