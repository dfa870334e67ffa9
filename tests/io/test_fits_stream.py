"""Compressed FITS files: checksums verified, impossible headers refused before astropy parses."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma

import numpy as np
import pytest
from astropy.io import fits

from astromorph_nb import AstromorphWarning, InvalidFileError
from astromorph_nb.io import read_fits


def fits_bytes(hdus: list) -> bytes:
    buffer = io.BytesIO()
    fits.HDUList(hdus).writeto(buffer)
    return buffer.getvalue()


IMAGE = np.random.default_rng(3).normal(100.0, 10.0, size=(12, 10)).astype(np.float32)
GOOD = fits_bytes([fits.PrimaryHDU(IMAGE)])
GOOD_GZ = gzip.compress(GOOD, mtime=0)


def header_only(*cards: str) -> bytes:
    """One header block holding ``cards`` and END, no data (a header that claims anything)."""
    return "".join(card.ljust(80) for card in (*cards, "END")).ljust(2880).encode()


@pytest.mark.timeout(10)
@pytest.mark.parametrize("on_error", ["raise", "skip"])
def test_huge_naxis_in_a_gzip_file_is_refused_not_hung(tmp_path, on_error):
    raw = header_only(
        "SIMPLE  =                    T",
        "BITPIX  =                  -32",
        f"NAXIS   = {100_000_000_000:>20}",
    )
    path = tmp_path / "naxis.fits.gz"
    path.write_bytes(gzip.compress(raw, mtime=0))
    assert path.stat().st_size < 200
    good = tmp_path / "good.fits"
    good.write_bytes(GOOD)
    if on_error == "raise":
        with pytest.raises(InvalidFileError, match=r"naxis\.fits\.gz.*claims NAXIS=100000000000"):
            read_fits(path)
        return
    with pytest.warns(AstromorphWarning, match="1 of 2 inputs were skipped"):
        images = read_fits([good, path], on_error="skip")
    assert len(images) == 1
    assert list(images.skipped["file"]) == [str(path)]


@pytest.mark.timeout(10)
def test_huge_naxis_in_an_extension_of_a_gzip_file_is_refused(tmp_path):
    raw = bytearray(fits_bytes([fits.PrimaryHDU(), fits.ImageHDU(IMAGE, name="SCI")]))
    second = raw.index(b"NAXIS   ", 2880)
    raw[second : second + 30] = b"NAXIS   = %20d" % 2**40
    path = tmp_path / "ext.fits.gz"
    path.write_bytes(gzip.compress(bytes(raw), mtime=0))
    with pytest.raises(InvalidFileError, match=r"a header at byte 2880 claims NAXIS=1099511627776"):
        read_fits(path, hdu="SCI")


def flipped(raw: bytes, position: int) -> bytes:
    damaged = bytearray(raw)
    damaged[position] ^= 1 << (position % 8)
    return bytes(damaged)


@pytest.mark.timeout(60)
def test_no_single_bit_flip_in_a_gzip_file_gives_a_wrong_image(tmp_path):
    errors: list[tuple[object, str]] = []
    right: list[int] = []
    for position in range(len(GOOD_GZ)):
        path = tmp_path / f"flip-{position}.fits.gz"
        path.write_bytes(flipped(GOOD_GZ, position))
        try:
            images = read_fits(path, normalize=None)
        except InvalidFileError as err:
            errors.append((path, str(err)))
            continue
        np.testing.assert_array_equal(images.images[0, 0].numpy(), IMAGE, err_msg=path.name)
        right.append(position)
    assert all(str(path) in message for path, message in errors)
    # A flip that leaves the image right is harmless: in the gzip header's time stamp, or in
    # the copy distance of a run of zeros (the padding), which decompresses to the same bytes.
    assert len(right) < len(GOOD_GZ) // 20, right


def test_a_wrong_gzip_checksum_is_reported_as_damage(tmp_path):
    path = tmp_path / "crc.fits.gz"
    path.write_bytes(flipped(GOOD_GZ, len(GOOD_GZ) - 6))  # inside the stored CRC32
    with pytest.raises(
        InvalidFileError,
        match=r"crc\.fits\.gz' is a damaged gzip file: .*\(CRC mismatch: .*download it again",
    ):
        read_fits(path)
    good = tmp_path / "good.fits"
    good.write_bytes(GOOD)
    with pytest.warns(AstromorphWarning, match="1 of 2 inputs were skipped.*CRC mismatch"):
        images = read_fits([good, path], on_error="skip")
    assert list(images.skipped["file"]) == [str(path)]


def test_a_gzip_stream_cut_short_is_reported_as_truncated(tmp_path):
    path = tmp_path / "cut.fits.gz"
    path.write_bytes(GOOD_GZ[:-20])
    with pytest.raises(
        InvalidFileError, match=r"cut\.fits\.gz' is a damaged gzip file: .*truncated"
    ):
        read_fits(path)


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)],
)
def test_compressed_files_give_the_image_and_the_header_keywords(tmp_path, suffix, compress):
    hdu = fits.PrimaryHDU(IMAGE)
    hdu.header["OBJECT"] = "NGC 1300"
    path = tmp_path / f"galaxy.fits{suffix}"
    path.write_bytes(compress(fits_bytes([hdu])))
    images = read_fits(path, normalize=None)
    np.testing.assert_array_equal(images.images[0, 0].numpy(), IMAGE)
    assert list(images.meta["OBJECT"]) == ["NGC 1300"]


@pytest.mark.parametrize(("suffix", "compress"), [(".bz2", bz2.compress), (".xz", lzma.compress)])
def test_damaged_bzip2_and_xz_files_are_refused(tmp_path, suffix, compress):
    packed = compress(GOOD)
    path = tmp_path / f"damaged.fits{suffix}"
    path.write_bytes(flipped(packed, len(packed) // 2))
    with pytest.raises(InvalidFileError, match=rf"damaged\.fits\{suffix}' is a damaged"):
        read_fits(path)
