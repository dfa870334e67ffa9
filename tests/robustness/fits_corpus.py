"""Builders of broken FITS files for the robustness suite, and the check every case must pass."""

from __future__ import annotations

import gzip
import io
import re
import warnings
from pathlib import Path

import numpy as np
from astropy.io import fits

from astromorph_nb import AstromorphWarning, read_fits
from astromorph_nb.exceptions import AstromorphError

BLOCK = 2880
#: astropy's warnings that mean the file is broken (it still returns something).
_BROKEN = re.compile(
    "truncated|corrupted|Missing padding|matching an HDU header|Error validating header|"
    "unexpected (extra|trailing)"
)
#: Cases checked so far in this pytest process (each through both error modes).
CASES_TRIED: list[str] = []


def good_image(seed: int = 0, shape: tuple[int, int] = (12, 10)) -> np.ndarray:
    """A small float32 image with distinct values (so a wrong read cannot look right)."""
    rng = np.random.default_rng(seed)
    return rng.normal(100.0, 10.0, size=shape).astype(np.float32)


def fits_bytes(data: np.ndarray | None, **cards: object) -> bytes:
    """A whole FITS file with ``data`` in the primary HDU and extra header ``cards``."""
    hdu = fits.PrimaryHDU(data)
    for key, value in cards.items():
        hdu.header[key] = value
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def set_card(raw: bytes, key: str, value: str) -> bytes:
    """Overwrite the value of the first card ``key`` in the raw header (no checks, on purpose)."""
    start = next(i for i in range(0, len(raw), 80) if raw[i : i + 8].rstrip() == key.encode())
    card = f"{key:<8}= {value:>20}".ljust(80).encode()
    return raw[:start] + card + raw[start + 80 :]


def gzip_bytes(raw: bytes) -> bytes:
    """``raw`` gzipped, the same bytes every run."""
    return gzip.compress(raw, mtime=0)


def flip_bit(raw: bytes, position: int) -> bytes:
    """``raw`` with one bit of the byte at ``position`` flipped."""
    damaged = bytearray(raw)
    damaged[position] ^= 1 << (position % 8)
    return bytes(damaged)


def with_blank_pixels(dtype: type, physical: int, blank: int) -> bytes:
    """Integers of ``dtype`` whose first pixels hold ``physical``, stored as ``blank``.

    astropy writes unsigned types with the BZERO convention, so for uint16 the physical 0
    is stored as -32768: ``with_blank_pixels(np.uint16, 0, -32768)``.
    """
    data = (np.arange(120).reshape(12, 10) % 60 + 1).astype(dtype)
    data.flat[:5] = physical
    hdu = fits.PrimaryHDU(data)
    hdu.header["BLANK"] = blank
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def _stored_blanks(raw: bytes, index: int) -> np.ndarray | None:
    """Where the stored integers equal BLANK (the FITS standard's test, before BZERO)."""
    with fits.open(io.BytesIO(raw), do_not_scale_image_data=True) as hdul:
        hdu = hdul[index]
        blank = hdu.header.get("BLANK")
        if hdu.data.dtype.kind not in "iu" or not isinstance(blank, int):
            return None
        return np.asarray(hdu.data) == blank


def expected_pixels(path: Path) -> np.ndarray | None:
    """What the file holds in its first image HDU, as float32 with NaN for blank pixels.

    Read by astropy after a full decompression (which verifies a gzip checksum), with
    BLANK compared with the stored integers. None when this cannot be done cleanly (then
    only an error of ours or a skip is acceptable).
    """
    try:
        raw = path.read_bytes()
        if raw.startswith(b"\x1f\x8b"):
            raw = gzip.decompress(raw)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            with fits.open(io.BytesIO(raw)) as hdul:
                index = next(i for i, h in enumerate(hdul) if h.is_image and h.shape)
                image = np.array(hdul[index].data, dtype=np.float32)
            blanks = _stored_blanks(raw, index)
        if blanks is not None:
            image[blanks] = np.nan
        if any(_BROKEN.search(str(w.message)) for w in record):
            return None
        image[np.isinf(image)] = np.nan
        return image
    except Exception:
        return None


def _check_returned(images, path: Path) -> None:
    """A returned image must equal what the file holds, blank pixels masked."""
    expected = expected_pixels(path)
    assert expected is not None, f"read_fits returned an image from unreadable {path.name}"
    expected = np.squeeze(expected)
    got = images.images.numpy()[0, 0]
    mask = images.mask.numpy()[0, 0]
    assert got.shape == expected.shape, (path.name, got.shape, expected.shape)
    np.testing.assert_array_equal(mask, np.isnan(expected))
    np.testing.assert_array_equal(got[~mask], expected[~mask])


def _read(source: object, label: str, **options: object):
    """read_fits(source); return the ImageSet, or the error of ours it raised."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            result = read_fits(source, normalize=None, **options)
        except AstromorphError as err:
            result = err
    foreign = [w for w in record if not issubclass(w.category, AstromorphWarning)]
    assert not foreign, f"{label}: raw warnings escaped: {[str(w.message) for w in foreign]}"
    return result, [str(w.message) for w in record]


def check_case(path: Path, companion: Path, label: str, **options: object) -> None:
    """Run ``path`` through read_fits in both error modes and check the outcome.

    Acceptable: an error of ours naming the file, a reported skip (``.skipped`` and a
    warning), or an image equal to what the file holds. ``companion`` is a good file read
    together with ``path`` in skip mode, so that a skip shows up next to a returned image.
    ``options`` go to read_fits (for example ``cube_mode`` or ``hdu``).
    """
    CASES_TRIED.append(label)
    result, _ = _read(path, label, **options)
    if isinstance(result, AstromorphError):
        assert str(path) in str(result), f"{label}: message does not name the file: {result}"
    else:
        _check_returned(result, path)
    result, messages = _read([companion, path], label, on_error="skip", **options)
    if isinstance(result, AstromorphError):
        assert str(path) in str(result), f"{label}: message does not name the file: {result}"
    elif len(result) == 1:
        assert list(result.skipped["file"]) == [str(path)], label
        assert any("skipped" in m for m in messages), f"{label}: skip not reported"
    else:
        _check_returned(result[1:], path)
