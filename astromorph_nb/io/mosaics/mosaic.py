"""Open the large image that stamps are cut from: a mosaic or deep field (io layer).

:func:`open_mosaic` accepts a FITS path, an astropy HDU or HDUList, or a 2-D array with a WCS,
and yields a :class:`Mosaic`: a reader of rectangular windows, the image's shape, its
celestial WCS and its provenance. A FITS file is memory-mapped, without astropy's scaling, so
only the windows asked for are read, and ``BSCALE``/``BZERO``/``BLANK`` are applied to each
window. A tile-compressed image is read through :func:`cache_bands`, which decompresses each
band of rows once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

from astromorph_nb.exceptions import DataNotFoundError, InvalidFileError, InvalidImageError
from astromorph_nb.io.fits.hdus import choose_hdu

__all__ = ["Mosaic", "cache_bands", "open_mosaic"]


@dataclass
class Mosaic:
    """An opened 2-D image: a window reader, its shape, WCS and provenance.

    Attributes
    ----------
    read : callable
        ``read(rows, cols)`` returns the window ``image[rows, cols]`` (two slices inside the
        image) as an ndarray of physical values, NaN where integer pixels equal ``BLANK``.
    shape : tuple of int
        ``(ny, nx)``, after dropping leading axes of length 1.
    wcs : astropy.wcs.WCS or None
        The celestial WCS, or None when the image has none.
    file, hdu : str
        Provenance for the metadata: the file name and the HDU (EXTNAME or index); empty for
        an array or an HDU given in memory.
    label : str
        The image as messages name it, e.g. ``'m51.fits'[SCI]``.
    tiled : bool, default=False
        Tile-compressed: read whole bands of rows (:func:`cache_bands`), not one stamp at a
        time.
    """

    read: Callable[[slice, slice], np.ndarray]
    shape: tuple[int, int]
    wcs: WCS | None
    file: str
    hdu: str
    label: str
    tiled: bool = False


def _celestial(wcs: WCS | None, *, required: bool) -> WCS | None:
    if wcs is None:
        return None
    if wcs.has_celestial:
        return wcs.celestial
    if required:
        msg = f"The 'wcs' parameter of cutouts has no celestial axes (CTYPE {wcs.wcs.ctype})."
        raise ValueError(msg)
    return None


def _as_mosaic(
    data: Any, header: Any, *, file: str, hdu: str, label: str, raw: bool, wcs: WCS | None
) -> Mosaic:
    """Wrap image data (an array, a memmap or a compressed-image section) as a Mosaic."""
    shape = tuple(int(n) for n in data.shape)
    lead = 0
    while len(shape) - lead > 2 and shape[lead] == 1:
        lead += 1
    if len(shape) - lead != 2:
        msg = (
            f"{label} has shape {shape} in numpy order (NAXIS={len(shape)}). Expected a 2-D "
            "image (ny, nx) after dropping leading axes of length 1. To cut from one plane of "
            "a cube, pass mosaic=cube[plane] with wcs=WCS(header).celestial."
        )
        raise InvalidImageError(msg)
    prefix = (0,) * lead
    header = header if header is not None else {}
    integer = np.dtype(data.dtype).kind in "iu"
    blank = header.get("BLANK") if integer else None
    bscale = float(header.get("BSCALE", 1.0)) if raw else 1.0
    bzero = float(header.get("BZERO", 0.0)) if raw else 0.0
    if blank is None and bscale == 1.0 and bzero == 0.0:

        def read(rows: slice, cols: slice) -> np.ndarray:
            return np.asarray(data[prefix + (rows, cols)])

    else:
        # A memory-mapped file is opened without astropy's scaling (which would read the whole
        # image), so BSCALE, BZERO and BLANK are applied here, to each window only.
        def read(rows: slice, cols: slice) -> np.ndarray:
            window = np.asarray(data[prefix + (rows, cols)])
            values = window * bscale + bzero
            if blank is not None:
                values[window == blank] = np.nan
            return values

    return Mosaic(read, (shape[lead], shape[lead + 1]), wcs, file, hdu, label)


def _hdu_mosaic(
    hdul_hdu: Any,
    index: int | None,
    file: str,
    wcs: WCS | None,
    *,
    raw: bool,
    fobj: fits.HDUList | None = None,
) -> Mosaic:
    header = hdul_hdu.header
    extname = str(header.get("EXTNAME", "")).strip()
    hdu = extname or ("" if index is None else str(index))
    label = f"{file!r}[{hdu}]" if file else f"the {type(hdul_hdu).__name__} {hdu!r}"
    if not hdul_hdu.shape:
        msg = f"No image data in {label}: the HDU is empty. Expected a 2-D image."
        raise InvalidImageError(msg)
    if wcs is None:
        wcs = _celestial(WCS(header, fobj), required=False)
    tiled = isinstance(hdul_hdu, fits.CompImageHDU)
    data = hdul_hdu.section if tiled else hdul_hdu.data
    source = _as_mosaic(data, header, file=file, hdu=hdu, label=label, raw=raw, wcs=wcs)
    source.tiled = tiled
    return source


@contextmanager
def open_mosaic(mosaic: Any, hdu: int | str | None, wcs: WCS | None) -> Iterator[Mosaic]:
    """Open ``mosaic`` and yield it as a Mosaic; a file stays open until the block ends.

    Parameters
    ----------
    mosaic : str, path-like, astropy HDU or HDUList, or ndarray of shape (ny, nx)
        As for :func:`astromorph_nb.cutouts`. A file is memory-mapped.
    hdu : int, str or None
        HDU index or EXTNAME of a file or HDUList; None for the first HDU with image data.
    wcs : astropy.wcs.WCS or None
        A WCS that replaces the header's; its celestial part is kept.

    Yields
    ------
    Mosaic
        The image; its reader is valid only inside the ``with`` block.

    Raises
    ------
    DataNotFoundError, InvalidFileError
        A path that does not exist or is not FITS.
    InvalidImageError
        No 2-D image in the chosen HDU.
    ValueError, TypeError
        A ``wcs`` without celestial axes, or a ``mosaic`` of the wrong kind.
    """
    wcs = _celestial(wcs, required=True)
    if isinstance(mosaic, (str, os.PathLike)):
        path = os.fspath(mosaic)
        try:
            hdul = fits.open(path, memmap=True, do_not_scale_image_data=True)
        except FileNotFoundError as err:
            msg = (
                f"No such mosaic file: {path!r}. Check the path (relative to {str(Path.cwd())!r})."
            )
            raise DataNotFoundError(msg) from err
        except OSError as err:
            msg = f"Cannot read {path!r} as FITS: {err}. Expected a FITS image (the mosaic)."
            raise InvalidFileError(msg) from err
        with hdul:
            index, chosen = choose_hdu(hdul, hdu, path)
            yield _hdu_mosaic(chosen, index, path, wcs, raw=True, fobj=hdul)
    elif isinstance(mosaic, fits.HDUList):
        file = mosaic.filename() or ""
        index, chosen = choose_hdu(mosaic, hdu, file or "the HDUList")
        yield _hdu_mosaic(chosen, index, file, wcs, raw=False, fobj=mosaic)
    elif isinstance(mosaic, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
        yield _hdu_mosaic(mosaic, None, "", wcs, raw=False)
    else:
        data = mosaic if isinstance(mosaic, np.ndarray) else np.asarray(mosaic)
        if data.dtype.kind not in "biuf":
            msg = (
                "The 'mosaic' parameter of cutouts must be a FITS path, an astropy HDU or "
                f"HDUList, or a 2-D numeric array; got {type(mosaic).__name__} "
                f"(dtype {data.dtype})."
            )
            raise TypeError(msg)
        yield _as_mosaic(data, None, file="", hdu="", label="the mosaic array", raw=False, wcs=wcs)


def cache_bands(mosaic: Mosaic, band_bytes: int = 1 << 24) -> Callable[[slice, slice], np.ndarray]:
    """Wrap a tile-compressed mosaic's reader so that each band of rows is decompressed once.

    Reading stamp by stamp would decompress every tile a stamp touches, i.e. whole rows of the
    mosaic for row tiles, once per stamp. Stamps are read in row order, so a cache of one band
    of rows (about ``band_bytes`` of float64) serves many stamps.

    Parameters
    ----------
    mosaic : Mosaic
        The opened image.
    band_bytes : int, default=1 << 24
        About how many bytes of float64 one band holds (16 MiB by default).

    Returns
    -------
    callable
        A reader like ``mosaic.read``. Windows should come in increasing row order; each new
        band discards the previous one.
    """
    height, width = mosaic.shape
    band_rows = max(1, band_bytes // (8 * width))
    cache: dict[str, Any] = {"start": 0, "stop": 0, "band": None}

    def read(rows: slice, cols: slice) -> np.ndarray:
        if not cache["start"] <= rows.start <= rows.stop <= cache["stop"]:
            stop = min(height, max(rows.stop, rows.start + band_rows))
            cache.update(start=rows.start, stop=stop)
            cache["band"] = mosaic.read(slice(rows.start, stop), slice(0, width))
        start = cache["start"]
        return cache["band"][rows.start - start : rows.stop - start, cols]

    return read
