"""Read the images of one FITS file: choose the HDU, check the data, reduce cubes (io layer).

:func:`read_fits_file` is what :func:`astromorph_nb.read_fits` runs for each file, possibly in
several threads at once; it holds no state and opens each file in a ``with`` block.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning
from astropy.utils.exceptions import AstropyUserWarning

from astromorph_nb.data.cubes import CUBE_MODES, reduce_cube
from astromorph_nb.exceptions import DataNotFoundError, InvalidFileError, InvalidImageError
from astromorph_nb.io.fits.hdus import choose_hdu, hdu_label, shape_text
from astromorph_nb.io.fits.header_cards import read_card_values
from astromorph_nb.io.fits.stream import open_fits_stream

__all__ = ["FileItem", "ReadOptions", "broken_files_raise", "read_fits_file"]

#: Header keywords copied into the metadata of every image (RA/DEC are derived, see below).
HEADER_KEYWORDS = ("OBJECT", "BUNIT", "RESTFRQ")
_META_SOURCE_KEYWORDS = (
    *HEADER_KEYWORDS,
    "RESTFREQ",
    "OBSRA",
    "OBSDEC",
    "CTYPE1",
    "CTYPE2",
    "CRVAL1",
    "CRVAL2",
)


@dataclass(frozen=True)
class ReadOptions:
    """What :func:`read_fits_file` needs to know; validated by ``read_fits``."""

    hdu: int | str | None = None
    squeeze: bool = True
    cube_mode: str | None = None
    n_channels: int | None = None
    nan_policy: str = "mask"
    keywords: tuple[str, ...] = ()
    keep_header: bool = False  # only resampling to a pixel scale needs the header (WCS)


@dataclass
class FileItem:
    """One image read from a file, or the reason it was skipped."""

    image: np.ndarray | None
    meta: dict[str, Any]
    header: fits.Header | None = field(default=None, repr=False)
    skip_reason: str = ""


@contextlib.contextmanager
def broken_files_raise() -> Iterator[None]:
    """Turn astropy's warnings about truncated or corrupt files into errors, for a while.

    astropy warns, and then returns partial data, when a file is shorter than its header
    says or a header block is cut. Read silently, such a file would become a wrong image.
    The filters are process-wide, so they also act in the reading threads.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "error", message="File may have been truncated", category=AstropyUserWarning
        )
        warnings.filterwarnings("error", message="Error validating header", category=VerifyWarning)
        warnings.filterwarnings(
            "error", message=".*unexpected (extra|trailing)", category=VerifyWarning
        )
        # A header block cut short or an HDU astropy cannot parse: data would be misplaced.
        warnings.filterwarnings("error", message="Missing padding", category=AstropyUserWarning)
        warnings.filterwarnings(
            "error", message=".*treated as corrupted", category=AstropyUserWarning
        )
        warnings.filterwarnings(
            "error", message="An exception occurred matching an HDU header", category=Warning
        )
        # Cosmetic: header text with non-ASCII characters or NUL padding; the pixels are fine.
        warnings.filterwarnings("ignore", message="non-ASCII characters are present")
        warnings.filterwarnings("ignore", message="Header block contains null bytes")
        # A card astropy cannot parse is left out; if it mattered, reading fails with an error.
        warnings.filterwarnings("ignore", message="The following header keyword is invalid")
        warnings.filterwarnings("ignore", message="Unexpected bytes trailing END keyword")
        warnings.filterwarnings("ignore", message="Found a SIMPLE card but its format")
        yield


def _one_line(err: BaseException) -> str:
    """Return an exception's text on one line (astropy's verification messages span several)."""
    return " ".join(str(err).split())


def _blank_value(cards: tuple[Any, Any], dtype: np.dtype) -> int | None:
    """Return the value blank pixels have in the integers astropy returns (None: no BLANK).

    ``cards`` are the BLANK and BZERO values, read before the data: astropy removes them from
    the header once it has scaled the data. BLANK is a raw stored integer, and the FITS
    standard compares it with the pixels before BSCALE and BZERO. astropy turns such pixels
    into NaN itself when scaling gives floats, but returns integers for the unsigned
    conventions (BITPIX=16 with BZERO=32768, the usual CCD format, and likewise for 8, 32 and
    64 bits); there a blank pixel holds BLANK + BZERO.
    """
    blank, zero = cards
    if dtype.kind not in "iu" or not isinstance(blank, int) or isinstance(blank, bool):
        return None
    if not isinstance(zero, (int, float)) or not float(zero).is_integer():
        return None
    value = blank + int(zero)
    limits = np.iinfo(dtype)
    return value if limits.min <= value <= limits.max else None


def _read_data(hdu: Any, name: str, label: str) -> np.ndarray:
    """Return the HDU's data as native float32 with NaN for blank pixels (BLANK, inf)."""
    try:
        cards = (hdu.header.get("BLANK"), hdu.header.get("BZERO", 0))
        data = hdu.data
        if data is None:
            msg = f"{name!r}[{label}] has no data although its header declares some."
            raise InvalidImageError(msg)
        blank = _blank_value(cards, data.dtype)
        with np.errstate(over="ignore"):  # beyond float32's range: inf, then blank below
            image = np.array(data, dtype=np.float32)
    except InvalidImageError:
        raise
    except Exception as err:
        msg = (
            f"Could not read the data of {name!r}[{label}]: {_one_line(err)} "
            "The file is probably truncated or corrupt; re-download or re-create it, "
            "or pass on_error='skip' to skip such files."
        )
        raise InvalidFileError(msg) from err
    if blank is not None:
        image[np.asarray(data) == blank] = np.nan
    infinite = np.isinf(image)
    if infinite.any():
        image[infinite] = np.nan
    return image


def _squeeze(image: np.ndarray, squeeze: bool, name: str, label: str) -> tuple[np.ndarray, int]:
    """Drop length-1 leading axes; return the image and the FITS axis number of the planes."""
    where = f"{name!r}[{label}]"
    if 0 in image.shape:
        msg = (
            f"{where} has a zero-size axis: shape {image.shape} in numpy order. "
            "The HDU holds no pixels; check how the file was written."
        )
        raise InvalidImageError(msg)
    if image.ndim < 2:
        msg = (
            f"{where} has shape {image.shape} in numpy order (NAXIS={image.ndim}). Expected an "
            "image (ny, nx) or a cube (n_planes, ny, nx); a 1-D HDU is a spectrum or a table."
        )
        raise InvalidImageError(msg)
    n_axes = image.ndim
    leading = image.shape[:-2]
    keep = [i for i, n in enumerate(leading) if n > 1]
    if len(keep) < len(leading):
        if not squeeze:
            msg = (
                f"{where} has shape {image.shape} in numpy order (NAXIS={n_axes}) with "
                "length-1 axes (often Stokes or a single channel). Pass squeeze=True to drop them."
            )
            raise InvalidImageError(msg)
        image = image.reshape([leading[i] for i in keep] + list(image.shape[-2:]))
    if image.ndim > 3:
        msg = (
            f"{where} has shape {image.shape} in numpy order after dropping length-1 axes "
            f"(NAXIS={n_axes}). Expected an image (ny, nx) or a cube (n_planes, ny, nx); "
            "select one plane of the extra axes before reading."
        )
        raise InvalidImageError(msg)
    if min(image.shape[-2:]) < 2:
        msg = (
            f"{where} is only {shape_text(image.shape[-2:])} pixels (ny×nx). An image needs at "
            "least 2 pixels along each axis; check the HDU, or drop this file."
        )
        raise InvalidImageError(msg)
    plane_axis = n_axes - keep[0] if image.ndim == 3 else 0
    return image, plane_axis


def _wcs_number(header: fits.Header, key: str, default: float, where: str) -> float:
    """Return a spectral WCS card's value as a float; raise a clear error if it is no number."""
    try:
        value = header.get(key, default)
        problem = f"{key} = {value!r}, which is not a number"
    except Exception:  # an unparsable card: astropy raises when its value is read
        value, problem = None, f"a {key} card whose value astropy cannot parse"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    msg = (
        f"{where} has {problem}. cube_mode='moments' computes "
        f"its moment 1 and 2 maps along the spectral axis that CRVAL, CRPIX, CDELT (or CD) and "
        f"PC describe. Correct the card (astropy.io.fits.setval(path, {key!r}, value=...)), "
        "pass another cube_mode, or pass on_error='skip' to skip such files."
    )
    raise InvalidImageError(msg)


def spectral_values(
    header: fits.Header, axis: int, n_planes: int, where: str
) -> tuple[np.ndarray, str]:
    """Spectral coordinate of each plane from a linear WCS axis, or plane indices if none.

    ``where`` names the file and HDU in the error raised for a card that is not a number.
    """
    if not axis or f"CRVAL{axis}" not in header:
        return np.arange(n_planes, dtype=np.float64), "plane"
    step_key = f"CDELT{axis}" if f"CDELT{axis}" in header else f"CD{axis}_{axis}"
    step = _wcs_number(header, step_key, 1.0, where)
    step *= _wcs_number(header, f"PC{axis}_{axis}", 1.0, where)
    pixels = np.arange(n_planes) + 1.0 - _wcs_number(header, f"CRPIX{axis}", 1.0, where)
    values = _wcs_number(header, f"CRVAL{axis}", 0.0, where) + pixels * step
    return values.astype(np.float64), str(header.get(f"CUNIT{axis}", "")).strip()


def _header_values(hdul: fits.HDUList, hdu: Any, stream: Any, keywords: list[str]) -> dict:
    """Values of ``keywords`` from the HDU's header, falling back to the primary header.

    ``stream`` is what astropy reads (decompressed, for a compressed file), so the header
    offsets astropy reports point into it.
    """
    values: dict[str, Any] = {}
    headers = [hdu] if hdu is hdul[0] else [hdu, hdul[0]]
    for source in headers:
        info = source.fileinfo()
        stream.seek(info["hdrLoc"])
        raw = stream.read(info["datLoc"] - info["hdrLoc"])
        missing = [k for k in keywords if k not in values]
        found, unresolved = read_card_values(raw, missing)
        for key in unresolved:
            found[key] = source.header.get(key)
        values.update({k: v for k, v in found.items() if not isinstance(v, fits.card.Undefined)})
    return values


def _header_meta(values: dict[str, Any], keywords: tuple[str, ...]) -> dict[str, Any]:
    """Metadata columns from header values: OBJECT, BUNIT, RESTFRQ, RA, DEC and extras."""
    meta: dict[str, Any] = {key: values.get(key) for key in (*HEADER_KEYWORDS, *keywords)}
    if meta["RESTFRQ"] is None:
        meta["RESTFRQ"] = values.get("RESTFREQ")
    ra, dec = values.get("OBSRA"), values.get("OBSDEC")
    if ra is None and str(values.get("CTYPE1") or "").startswith("RA"):
        ra = values.get("CRVAL1")
    if dec is None and str(values.get("CTYPE2") or "").startswith("DEC"):
        dec = values.get("CRVAL2")
    meta["RA"], meta["DEC"] = ra, dec
    return meta


def _read_hdu(
    hdul: fits.HDUList, stream: Any, name: str, options: ReadOptions
) -> tuple[np.ndarray, fits.Header, dict[str, Any]]:
    """Choose the HDU and return its data, header and metadata."""
    try:
        index, hdu = choose_hdu(hdul, options.hdu, name)
    except InvalidImageError:
        raise
    except Exception as err:
        msg = (
            f"{name!r} has a corrupt or truncated HDU ({_one_line(err)}). Re-create the file, or "
            "pass on_error='skip' to skip such files."
        )
        raise InvalidFileError(msg) from err
    label = hdu_label(index, hdu)
    image = _read_data(hdu, name, label)
    meta: dict[str, Any] = {"file": name, "hdu": label, "plane": -1}
    wanted = [*_META_SOURCE_KEYWORDS, *options.keywords]
    meta.update(_header_meta(_header_values(hdul, hdu, stream, wanted), options.keywords))
    return image, hdu.header, meta


def read_fits_file(path: Path, options: ReadOptions) -> list[FileItem]:
    """Read the images of one FITS file.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    options : ReadOptions
        HDU choice, cube handling and NaN policy.

    Returns
    -------
    list of FileItem
        One per image (several for ``cube_mode="planes"``). Images are float32 arrays of
        shape (n_channels, ny, nx) with NaN where blank. An item whose ``skip_reason`` is set
        could not become an image (for example an all-blank plane of a cube).

    Raises
    ------
    DataNotFoundError, InvalidFileError, InvalidImageError
        When the file as a whole cannot give an image; the message names the file and HDU.
    """
    name = str(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError as err:
        msg = f"No such file: {name!r} (named in the source list). Fix the path or remove it."
        if path.is_symlink():
            target = str(path.readlink())
            msg = (
                f"{name!r} is a symbolic link to {target!r}, which does not exist "
                f"(looked for {str(path.parent / target)!r}). Point the link at the file "
                "(ln -sf), or remove it, or pass on_error='skip' to skip such links."
            )
        raise DataNotFoundError(msg) from err
    except PermissionError as err:
        msg = f"Cannot read {name!r}: permission denied. Fix the file's permissions (chmod)."
        raise InvalidFileError(msg) from err
    except IsADirectoryError as err:
        msg = f"{name!r} is a folder, not a FITS file. Pass the folder itself as the source."
        raise InvalidFileError(msg) from err
    # We own the file handle, so it is closed even when astropy fails half-way through.
    with handle, open_fits_stream(handle, name) as stream:
        try:
            hdul = fits.open(stream, lazy_load_hdus=True)
        except Exception as err:
            msg = (
                f"{name!r} is not a readable FITS file ({_one_line(err)}). Check that it is FITS "
                "and not truncated, or pass on_error='skip' to skip such files."
            )
            raise InvalidFileError(msg) from err
        with hdul:
            image, header, meta = _read_hdu(hdul, stream, name, options)
    label = meta["hdu"]
    image, plane_axis = _squeeze(image, options.squeeze, name, label)
    where = f"{name!r}[{label}]"
    if image.ndim == 2:
        return [_check_item(image[None], meta, header, options, where)]
    if options.cube_mode is None:
        msg = (
            f"{name!r}[{label}] is a cube of shape {image.shape} (n_planes, ny, nx). Pass "
            f"cube_mode= with one of {', '.join(repr(m) for m in CUBE_MODES)}: planes as "
            "channels, moment 0/1/2 maps, each plane its own image, or the sum of planes."
        )
        raise InvalidImageError(msg)
    if options.n_channels is not None and options.n_channels > image.shape[0]:
        msg = (
            f"n_channels={options.n_channels} is more than the {image.shape[0]} planes of "
            f"{name!r}[{label}]. Pass n_channels <= {image.shape[0]}, or None to keep all planes."
        )
        raise InvalidImageError(msg)
    values = None
    if options.cube_mode == "moments":  # only moment maps use the spectral axis
        values, meta["spectral_unit"] = spectral_values(header, plane_axis, image.shape[0], where)
    reduced = reduce_cube(
        image, options.cube_mode, n_channels=options.n_channels, spectral_values=values
    )
    if options.cube_mode != "planes":
        return [_check_item(reduced[0], meta, header, options, where)]
    return [
        _check_item(plane_image, dict(meta, plane=plane), header, options, f"{where} plane {plane}")
        for plane, plane_image in enumerate(reduced)
    ]


def _check_item(
    image: np.ndarray, meta: dict, header: fits.Header, options: ReadOptions, where: str
) -> FileItem:
    """Apply the NaN policy; all-blank images are refused whatever the policy."""
    n_blank = int(image.size - np.count_nonzero(image == image))  # NaN != NaN
    meta["n_blank"] = n_blank if options.nan_policy == "mask" else 0
    if n_blank == 0:
        return FileItem(image, meta, header if options.keep_header else None)
    if n_blank == image.size:
        reason = (
            f"{where} is entirely NaN (blank pixels). Remove it, or pass on_error='skip' "
            "to skip such images."
        )
        if options.cube_mode == "planes":
            return FileItem(None, meta, skip_reason=reason)
        raise InvalidImageError(reason)
    if options.nan_policy == "raise":
        msg = (
            f"{where} has {n_blank} blank (NaN) pixels. Pass nan_policy='mask' "
            "to mask them, 'zero' to set them to 0, or 'drop' to skip such images."
        )
        raise InvalidImageError(msg)
    if options.nan_policy == "drop":
        reason = f"{where} has {n_blank} blank (NaN) pixels (nan_policy='drop')."
        return FileItem(None, meta, skip_reason=reason)
    if options.nan_policy == "zero":
        image[np.isnan(image)] = 0.0
    return FileItem(image, meta, header if options.keep_header else None)
