"""Read the images of one FITS file: choose the HDU, check the data, reduce cubes (io layer).

:func:`read_fits_file` is what :func:`astromorph_nb.read_fits` runs for each file, possibly in
several threads at once; it holds no state and opens each file in a ``with`` block.
"""

from __future__ import annotations

import contextlib
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
from astromorph_nb.io.header_cards import read_card_values

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


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _hdu_label(index: int, hdu: Any) -> str:
    if index == 0:
        return "0"  # the primary HDU; looking up its (rare) EXTNAME costs a card parse
    return str(hdu.name) if hdu.name else str(index)


def _has_image(hdu: Any) -> bool:
    # ``shape`` comes from the NAXISn values astropy parsed on reading; no card is re-parsed.
    return bool(hdu.is_image) and len(hdu.shape) > 0


def _hdu_shape(hdu: Any) -> tuple[int, ...]:
    header = hdu.header
    if isinstance(hdu, fits.CompImageHDU):
        return tuple(int(n) for n in hdu.shape)
    return tuple(int(header.get(f"NAXIS{k}", 0)) for k in range(int(header.get("NAXIS", 0)), 0, -1))


def describe_hdus(hdul: fits.HDUList) -> str:
    """List HDUs as ``0 'PRIMARY' (empty), 1 'SCI' (2048×2048), 2 'CAT' (table)``."""
    parts = []
    for index, hdu in enumerate(hdul):
        if _has_image(hdu):
            kind = _shape_text(_hdu_shape(hdu))
        elif hdu.is_image:
            kind = "empty"
        else:
            kind = "table"
        parts.append(f"{index} {hdu.name!r} ({kind})")
    return ", ".join(parts)


def _image_choices(hdul: fits.HDUList) -> str:
    choices = [
        f"{i} {h.name!r} ({_shape_text(_hdu_shape(h))})"
        for i, h in enumerate(hdul)
        if _has_image(h)
    ]
    return ", ".join(choices)


def choose_hdu(hdul: fits.HDUList, hdu: int | str | None, name: str) -> tuple[int, Any]:
    """Return ``(index, hdu)`` of the HDU to read; explain the choices when it fails."""
    if hdu is None:
        # Index one HDU at a time: iterating would read every HDU of the file first.
        index = 0
        while True:
            try:
                candidate = hdul[index]
            except IndexError:
                break
            if _has_image(candidate):
                return index, candidate
            index += 1
        if all(not h.is_image for h in hdul[1:]) and len(hdul) > 1:
            msg = (
                f"No image data in {name!r}: it holds only tables ({describe_hdus(hdul)}). "
                "Pass FITS images, or cut images from a mosaic with astromorph_nb.cutouts."
            )
        else:
            msg = (
                f"No image data in {name!r}: every HDU is empty ({describe_hdus(hdul)}). "
                "Check that the file was written completely."
            )
        raise InvalidImageError(msg)
    try:
        index = hdul.index_of(hdu)
    except (KeyError, IndexError):
        msg = (
            f"{name!r} has no HDU {hdu!r}. Pass hdu= with one of: "
            f"{_image_choices(hdul) or describe_hdus(hdul)}."
        )
        raise InvalidImageError(msg) from None
    chosen = hdul[index]
    if not _has_image(chosen):
        kind = "is empty" if chosen.is_image else "is a table"
        choices = _image_choices(hdul)
        fix = f"Pass hdu= with one of: {choices}." if choices else "The file holds no image."
        kind_name = chosen.name or type(chosen).__name__
        msg = f"No image data in {name!r}: HDU {index} ({kind_name}) {kind}. {fix}"
        raise InvalidImageError(msg)
    return index, chosen


_BLOCK = 2880
_MAX_HEADER_BLOCKS = 10_000  # 28.8 MB of header cards: far beyond any real file


def _header_end(block: bytes) -> bool:
    return any(block[i : i + 8] == b"END     " for i in range(0, _BLOCK, 80))


def _check_primary_naxis(handle: Any, name: str) -> None:
    """Refuse a header whose NAXIS exceeds the FITS limit of 999, before astropy reads it.

    astropy loops over ``range(NAXIS)`` while parsing, so a corrupt NAXIS = 2**40 in any
    HDU would hang the reader. This walks the headers (reading only their cards and
    skipping the data by the sizes they declare) and rewinds; anything it cannot follow
    is left to astropy, which reports it.
    """
    offset = 0
    try:
        while True:
            try:
                handle.seek(offset)
            except (OverflowError, ValueError, OSError):  # sizes beyond any file: astropy says
                return
            header = b""
            for _ in range(_MAX_HEADER_BLOCKS):
                block = handle.read(_BLOCK)
                if len(block) < _BLOCK:
                    return
                header += block
                if _header_end(block):
                    break
            else:
                return
            values, _ = read_card_values(header, ["NAXIS", "BITPIX", "PCOUNT", "GCOUNT"])
            naxis = values.get("NAXIS")
            if not isinstance(naxis, int) or isinstance(naxis, bool):
                return
            if naxis > 999 or naxis < 0:
                hdu = "the primary header" if offset == 0 else f"a header at byte {offset}"
                msg = (
                    f"{name!r} is not a readable FITS file: {hdu} claims NAXIS={naxis}. "
                    "Expected 0 to 999 axes; the header is corrupt. Re-create the file, or "
                    "pass on_error='skip' to skip such files."
                )
                raise InvalidFileError(msg)
            keys = [f"NAXIS{i}" for i in range(1, naxis + 1)]
            sizes, _ = read_card_values(header, keys)
            lengths = [sizes.get(k) for k in keys]
            bitpix = values.get("BITPIX")
            if not all(isinstance(n, int) and n >= 0 for n in lengths) or not isinstance(
                bitpix, int
            ):
                return
            pixels = 0
            if naxis:
                pixels = 1
                for n in lengths:
                    pixels *= int(n)  # type: ignore[arg-type]
                if offset and lengths[0] == 0:  # random groups keep NAXIS1 = 0
                    pixels = int(np.prod([int(n) for n in lengths[1:]]))  # type: ignore[arg-type]
            pcount = values.get("PCOUNT", 0) if offset else 0
            gcount = values.get("GCOUNT", 1) if offset else 1
            if not isinstance(pcount, int) or not isinstance(gcount, int):
                return
            size = abs(bitpix) // 8 * gcount * (pcount + pixels)
            offset += len(header) + -(-size // _BLOCK) * _BLOCK
    finally:
        handle.seek(0)


def _read_data(hdu: Any, name: str, label: str) -> np.ndarray:
    """Return the HDU's data as native float32 with NaN for blank pixels (BLANK, inf)."""
    try:
        data = hdu.data
        if data is None:
            msg = f"{name!r}[{label}] has no data although its header declares some."
            raise InvalidImageError(msg)
        blank = hdu.header.get("BLANK") if data.dtype.kind in "iu" else None
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
            f"{where} is only {_shape_text(image.shape[-2:])} pixels (ny×nx). An image needs at "
            "least 2 pixels along each axis; check the HDU, or drop this file."
        )
        raise InvalidImageError(msg)
    plane_axis = n_axes - keep[0] if image.ndim == 3 else 0
    return image, plane_axis


def spectral_values(header: fits.Header, axis: int, n_planes: int) -> tuple[np.ndarray, str]:
    """Spectral coordinate of each plane from a linear WCS axis, or plane indices if none."""
    if axis and f"CRVAL{axis}" in header:
        step = header.get(f"CDELT{axis}", header.get(f"CD{axis}_{axis}", 1.0))
        step *= header.get(f"PC{axis}_{axis}", 1.0)
        pixels = np.arange(n_planes) + 1.0 - header.get(f"CRPIX{axis}", 1.0)
        values = header[f"CRVAL{axis}"] + pixels * step
        return values.astype(np.float64), str(header.get(f"CUNIT{axis}", "")).strip()
    return np.arange(n_planes, dtype=np.float64), "plane"


def _header_values(hdul: fits.HDUList, hdu: Any, handle: Any, keywords: list[str]) -> dict:
    """Values of ``keywords`` from the HDU's header, falling back to the primary header."""
    values: dict[str, Any] = {}
    headers = [hdu] if hdu is hdul[0] else [hdu, hdul[0]]
    for source in headers:
        info = source.fileinfo()
        handle.seek(info["hdrLoc"])
        raw = handle.read(info["datLoc"] - info["hdrLoc"])
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
    hdul: fits.HDUList, handle: Any, name: str, options: ReadOptions
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
    label = _hdu_label(index, hdu)
    image = _read_data(hdu, name, label)
    meta: dict[str, Any] = {"file": name, "hdu": label, "plane": -1}
    wanted = [*_META_SOURCE_KEYWORDS, *options.keywords]
    meta.update(_header_meta(_header_values(hdul, hdu, handle, wanted), options.keywords))
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
        raise DataNotFoundError(msg) from err
    except PermissionError as err:
        msg = f"Cannot read {name!r}: permission denied. Fix the file's permissions (chmod)."
        raise InvalidFileError(msg) from err
    except IsADirectoryError as err:
        msg = f"{name!r} is a folder, not a FITS file. Pass the folder itself as the source."
        raise InvalidFileError(msg) from err
    # We own the file handle, so it is closed even when astropy fails half-way through.
    with handle:
        _check_primary_naxis(handle, name)
        try:
            hdul = fits.open(handle, lazy_load_hdus=True)
        except Exception as err:
            msg = (
                f"{name!r} is not a readable FITS file ({_one_line(err)}). Check that it is FITS "
                "and not truncated, or pass on_error='skip' to skip such files."
            )
            raise InvalidFileError(msg) from err
        with hdul:
            image, header, meta = _read_hdu(hdul, handle, name, options)
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
    values, unit = spectral_values(header, plane_axis, image.shape[0])
    reduced = reduce_cube(
        image, options.cube_mode, n_channels=options.n_channels, spectral_values=values
    )
    if options.cube_mode == "moments":
        meta["spectral_unit"] = unit
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
