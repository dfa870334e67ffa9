"""Cut equal-size stamps from a large image around catalogue positions (io layer).

This is how a survey becomes an image set: a Galactic-plane mosaic and a clump catalogue, or a
deep field and a galaxy catalogue, give thousands of stamps in one call. Stamps are placed
exactly as :class:`astropy.nddata.Cutout2D` with ``mode="partial"`` places them (the same
``overlap_slices`` rule), but all positions go through the WCS in one vectorised call, no WCS
is copied per stamp, and a mosaic on disk is memory-mapped, so only the pixels of the stamps
are read.

Pixel positions are ``(x, y)``, 0-based, in the order of ``Cutout2D`` and photutils: x is the
column and y the row, ``image[y, x]``. FITS and ds9 count pixels from 1; subtract 1 from their
pixel coordinates.
"""

from __future__ import annotations

import numbers
import os
import reprlib
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Column, Table
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales, skycoord_to_pixel

from astromorph_nb._validation import check_choice, check_positive_int
from astromorph_nb.data.imageset import ImageSet, empty_skipped_table
from astromorph_nb.data.preprocess import NAN_POLICIES, NORMALIZATIONS, finish_stack
from astromorph_nb.exceptions import (
    AstromorphWarning,
    DataNotFoundError,
    InvalidFileError,
    InvalidImageError,
)
from astromorph_nb.io.fits_file import choose_hdu

__all__ = ["ON_EDGE_CHOICES", "cutouts"]

ON_EDGE_CHOICES = ("pad", "skip", "raise")

#: Accepted (longitude, latitude, frame) column names, lower case, in order of preference.
_SKY_COLUMNS = (
    ("ra", "dec", "icrs"),
    ("raj2000", "dej2000", "icrs"),
    ("raj2000", "decj2000", "icrs"),
    ("_ra", "_de", "icrs"),
    ("_raj2000", "_dej2000", "icrs"),
    ("ra_deg", "dec_deg", "icrs"),
    ("radeg", "decdeg", "icrs"),
    ("ra_icrs", "de_icrs", "icrs"),
    ("ra_icrs", "dec_icrs", "icrs"),
    ("alpha_j2000", "delta_j2000", "icrs"),
    ("glon", "glat", "galactic"),
    ("_glon", "_glat", "galactic"),
)
#: Accepted 0-based pixel column names (photutils' included). SExtractor's X_IMAGE is 1-based.
_PIXEL_COLUMNS = (("x", "y"), ("xcentroid", "ycentroid"), ("x_centroid", "y_centroid"))
_PROVENANCE = ("file", "hdu", "plane", "catalog_index", "x", "y", "RA", "DEC", "on_edge")


@dataclass
class _Mosaic:
    """An opened 2-D image: a window reader, its shape, WCS and provenance."""

    read: Callable[[slice, slice], np.ndarray]
    shape: tuple[int, int]
    wcs: WCS | None
    file: str
    hdu: str
    label: str
    tiled: bool = False  # tile-compressed: read whole bands of rows, not one stamp at a time


@dataclass
class _Positions:
    """Catalogue positions as 0-based pixels, with ICRS degrees when a WCS exists."""

    x: np.ndarray
    y: np.ndarray
    ra: np.ndarray | None
    dec: np.ndarray | None
    catalog: Table | None

    def where(self, index: int) -> str:
        text = f"{'catalogue row' if self.catalog is not None else 'position'} {index} "
        text += f"at (x, y) = ({self.x[index]:.1f}, {self.y[index]:.1f})"
        if self.ra is not None and self.dec is not None and np.isfinite(self.ra[index]):
            text += f", RA/Dec = ({self.ra[index]:.5f}, {self.dec[index]:.5f}) deg"
        return text


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
) -> _Mosaic:
    """Wrap image data (an array, a memmap or a compressed-image section) as a _Mosaic."""
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

    return _Mosaic(read, (shape[lead], shape[lead + 1]), wcs, file, hdu, label)


def _hdu_mosaic(
    hdul_hdu: Any,
    index: int | None,
    file: str,
    wcs: WCS | None,
    *,
    raw: bool,
    fobj: fits.HDUList | None = None,
) -> _Mosaic:
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
def _open_mosaic(mosaic: Any, hdu: int | str | None, wcs: WCS | None) -> Iterator[_Mosaic]:
    """Yield the mosaic as a _Mosaic; a file stays open (memory-mapped) until the block ends."""
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


def _stamp_shape(size: Any, wcs: WCS | None) -> tuple[int, int]:
    """Turn ``size`` (pixels, or an angle with the mosaic's pixel scale) into (ny, nx)."""
    expected = (
        "an int, a pair (ny, nx) of ints (pixels, numpy order) or an angular Quantity such "
        "as 30 * u.arcsec or (20, 30) * u.arcsec"
    )
    pair: Any = size
    if isinstance(size, (list, tuple)) and any(isinstance(s, u.Quantity) for s in size):
        pair = u.Quantity(size)
    if isinstance(pair, u.Quantity):
        pair = np.atleast_1d(pair).ravel()
        pair = np.repeat(pair, 2) if pair.size == 1 else pair
        if pair.size != 2 or not (
            pair.unit.is_equivalent(u.pix) or pair.unit.physical_type == "angle"
        ):
            msg = f"The 'size' parameter of cutouts must be {expected}; got {size!r}."
            raise ValueError(msg)
        if pair.unit.is_equivalent(u.pix):
            pixels = pair.to_value(u.pix)
        elif wcs is None:
            msg = (
                f"An angular size ({size!r}) needs the mosaic's WCS to convert it to pixels, "
                "and this mosaic has none. Give size in pixels, or pass wcs=."
            )
            raise ValueError(msg)
        else:
            # proj_plane_pixel_scales is in (x, y) order, size in (ny, nx).
            scales = proj_plane_pixel_scales(wcs)[::-1] * u.Unit(wcs.wcs.cunit[0] or "deg")
            pixels = (pair / scales).decompose().value
        shape = np.round(np.nan_to_num(pixels, nan=0.0)).astype(np.int64)
        if shape.min() < 2:
            msg = (
                f"The 'size' parameter of cutouts is {size}, which is ({pixels[0]:.3g}, "
                f"{pixels[1]:.3g}) pixels (ny, nx) at this mosaic's scale. Expected at least 2 "
                "pixels a side."
            )
            raise ValueError(msg)
        return int(shape[0]), int(shape[1])
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        pair = (size, size)
    if not isinstance(pair, (list, tuple, np.ndarray)) or len(pair) != 2:
        msg = f"The 'size' parameter of cutouts must be {expected}; got {reprlib.repr(size)}."
        raise TypeError(msg)
    ny, nx = (check_positive_int(n, name="size", where="cutouts", minimum=2) for n in pair)
    return ny, nx


def _float_column(column: Any) -> np.ndarray:
    data = column.value if isinstance(column, u.Quantity) else column
    return np.ma.filled(np.ma.asarray(data, dtype=np.float64), np.nan)


def _sky_from_columns(table: Table, lon: str, lat: str, frame: str) -> SkyCoord:
    if table[lon].dtype.kind in "US" or table[lat].dtype.kind in "US":
        units = (u.hourangle, u.deg) if frame == "icrs" else (u.deg, u.deg)
        try:
            return SkyCoord(
                np.asarray(table[lon], dtype=str),
                np.asarray(table[lat], dtype=str),
                unit=units,
                frame=frame,
            )
        except ValueError as err:
            msg = (
                f"Columns {lon!r}/{lat!r} of positions hold text that is not a position "
                f"({err}). Expected numbers in degrees, or sexagesimal text such as "
                "'12:34:56.7' '+02:03:04' (RA in hours)."
            )
            raise ValueError(msg) from err
    angles = []
    for name in (lon, lat):
        unit = table[name].unit or u.deg
        if not unit.is_equivalent(u.deg):
            msg = f"Column {name!r} of positions has unit {unit}. Expected an angle (deg)."
            raise ValueError(msg)
        angles.append(u.Quantity(_float_column(table[name]), unit))
    return SkyCoord(angles[0], angles[1], frame=frame)


def _positions_from_table(table: Table, has_wcs: bool) -> tuple[SkyCoord | None, Any]:
    """Return (sky, None) or (None, (x, y)) from the best matching columns of a catalogue."""
    lower = {name.lower(): name for name in table.colnames}
    sky = next((table[n] for n in table.colnames if isinstance(table[n], SkyCoord)), None)
    for lon, lat, frame in _SKY_COLUMNS:
        if sky is None and lon in lower and lat in lower:
            sky = _sky_from_columns(table, lower[lon], lower[lat], frame)
    pixel = next(
        ((lower[x], lower[y]) for x, y in _PIXEL_COLUMNS if x in lower and y in lower), None
    )
    if pixel is not None and (sky is None or not has_wcs):
        return None, (_float_column(table[pixel[0]]), _float_column(table[pixel[1]]))
    if sky is not None:
        return sky, None
    accepted = "; ".join(f"{a}/{b}" for a, b, _ in _SKY_COLUMNS)
    msg = (
        f"No position columns in positions: found {', '.join(map(repr, table.colnames))}. "
        f"Expected sky columns (any case; degrees unless they have units): {accepted}; or "
        f"0-based pixel columns: {'; '.join(f'{a}/{b}' for a, b in _PIXEL_COLUMNS)}. Rename "
        "the columns, e.g. table.rename_column('RA_deg', 'ra')."
    )
    raise ValueError(msg)


def _pixels_from_array(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if array.ndim != 2 or array.shape[1] != 2:
        hint = " It looks transposed: pass positions.T." if array.shape[:1] == (2,) else ""
        msg = (
            f"Pixel positions have shape {array.shape}. Expected (N, 2) holding (x, y), 0-based "
            f"(column, row: image[y, x], the Cutout2D/photutils order).{hint} For one position "
            "pass [[x, y]]."
        )
        raise ValueError(msg)
    return array[:, 0], array[:, 1]


def _as_float_array(positions: Any) -> np.ndarray | None:
    """Return ``positions`` as a float array if it is a plain array or nested list of numbers."""
    if not isinstance(positions, (np.ndarray, list, tuple)) or getattr(
        getattr(positions, "dtype", None), "names", None
    ):
        return None
    try:
        return np.asarray(getattr(positions, "value", positions), dtype=np.float64)
    except (TypeError, ValueError):
        return None  # a list of rows or of SkyCoords: let Table() try, or explain


def _read_positions(positions: Any, wcs: WCS | None, label: str) -> _Positions:
    """Parse ``positions`` and convert them all to pixels in one vectorised WCS call."""
    catalog = sky = None
    if isinstance(positions, SkyCoord):
        sky = positions.reshape(-1)
    elif isinstance(positions, u.Quantity) and not positions.unit.is_equivalent(u.pix):
        msg = "Sky positions must be a SkyCoord (or a table with RA/Dec columns), not a Quantity."
        raise TypeError(msg)
    elif (array := _as_float_array(positions)) is not None:
        if array.size == 0:
            msg = "positions is empty. Expected at least one position to cut a stamp around."
            raise ValueError(msg)
        pixels = _pixels_from_array(array)
    else:
        try:
            is_pandas = type(positions).__module__.startswith("pandas")
            catalog = Table.from_pandas(positions) if is_pandas else Table(positions, copy=False)
        except (TypeError, ValueError) as err:
            msg = (
                "The 'positions' parameter of cutouts must be a SkyCoord, an astropy Table "
                "(or anything Table() accepts) with RA/Dec or x/y columns, or an (N, 2) array "
                f"of (x, y) pixels; got {type(positions).__name__}."
            )
            raise TypeError(msg) from err
        if len(catalog) == 0:
            msg = "positions is an empty table. Expected at least one row to cut a stamp around."
            raise ValueError(msg)
        sky, pixels = _positions_from_table(catalog, wcs is not None)
    if sky is not None:
        if sky.size == 0:
            msg = "positions is an empty SkyCoord. Expected at least one position."
            raise ValueError(msg)
        if wcs is None:
            msg = (
                f"Sky positions need a WCS, but {label} has no celestial WCS. Expected a FITS "
                "header with CTYPE/CRVAL/CRPIX/CDELT (or CD) keywords; pass wcs=, or give "
                "pixel positions as an (N, 2) array of (x, y)."
            )
            raise InvalidImageError(msg)
        x, y = skycoord_to_pixel(sky, wcs, origin=0, mode="all")
        icrs = sky.icrs
        return _Positions(
            np.asarray(x, float), np.asarray(y, float), icrs.ra.deg, icrs.dec.deg, catalog
        )
    x, y = (np.asarray(v, dtype=np.float64) for v in pixels)
    if wcs is None:
        return _Positions(x, y, None, None, catalog)
    icrs = wcs.pixel_to_world(x, y).icrs
    return _Positions(x, y, np.asarray(icrs.ra.deg), np.asarray(icrs.dec.deg), catalog)


def _banded(mosaic: _Mosaic, band_bytes: int = 1 << 24) -> Callable[[slice, slice], np.ndarray]:
    """Wrap a tile-compressed mosaic's reader so that each band of rows is decompressed once.

    Reading stamp by stamp would decompress every tile a stamp touches, i.e. whole rows of the
    mosaic for row tiles, once per stamp. Stamps are read in row order, so a cache of one band
    of rows (about ``band_bytes`` of float64) serves many stamps.
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


def _extract(
    mosaic: _Mosaic, lo_y: np.ndarray, lo_x: np.ndarray, partial: np.ndarray, stamp: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read the stamps whose first pixel is (lo_y, lo_x); return them and the padding mask."""
    ny, nx = stamp
    height, width = mosaic.shape
    stack = np.empty((len(lo_y), 1, ny, nx), dtype=np.float32)
    pad = None
    read = _banded(mosaic) if mosaic.tiled else mosaic.read
    rows, cols, edge = lo_y.tolist(), lo_x.tolist(), partial.tolist()
    # In row order, so a memory-mapped mosaic is read front to back.
    for k in np.argsort(lo_y, kind="stable").tolist():
        y0, x0 = rows[k], cols[k]
        if not edge[k]:
            stack[k, 0] = read(slice(y0, y0 + ny), slice(x0, x0 + nx))
            continue
        ys = slice(max(y0, 0), min(y0 + ny, height))
        xs = slice(max(x0, 0), min(x0 + nx, width))
        inside = (slice(ys.start - y0, ys.stop - y0), slice(xs.start - x0, xs.stop - x0))
        stack[k] = np.nan
        stack[(k, 0) + inside] = read(ys, xs)
        if pad is None:
            pad = np.zeros(stack.shape, dtype=bool)
        pad[k] = True
        pad[(k, 0) + inside] = False
    return stack, pad


def cutouts(
    mosaic: Any,
    positions: Any,
    size: int | tuple[int, int] | u.Quantity,
    *,
    hdu: int | str | None = None,
    wcs: WCS | None = None,
    on_edge: str = "pad",
    normalize: str | None = "minmax",
    nan_policy: str = "mask",
) -> ImageSet:
    """Cut a stamp around each catalogue position in a large image (a mosaic or deep field).

    Parameters
    ----------
    mosaic : str, path-like, astropy HDU or HDUList, or ndarray of shape (ny, nx)
        A FITS file (memory-mapped: only the stamps' pixels are read, BSCALE/BZERO/BLANK
        applied per stamp), an in-memory ``ImageHDU``/``PrimaryHDU``/``CompImageHDU``, or an
        array with ``wcs=``. Leading axes of length 1 (Stokes, frequency) are dropped.
    positions : SkyCoord, Table or array-like of shape (n_positions, 2)
        A :class:`~astropy.coordinates.SkyCoord`; or a catalogue (Table, or anything
        ``Table()`` accepts, pandas too) with RA/Dec columns (``ra/dec``, ``RAJ2000/DEJ2000``,
        ``_RA/_DE``, ``ALPHA_J2000/DELTA_J2000``; any case; ICRS degrees unless the columns
        have units; sexagesimal text is read as hours/degrees), ``GLON/GLAT`` (Galactic), or
        0-based pixel columns ``x/y``; or an array of **(x, y) 0-based pixel positions**:
        column first, ``image[y, x]``, as in ``Cutout2D`` and photutils, *not* numpy's
        ``(y, x)``. Sky columns win over x/y when the mosaic has a WCS.
    size : int, (ny, nx) or Quantity
        Stamp size in pixels (numpy order), or an angle (scalar or ``(ny, nx)``) converted
        with the mosaic's pixel scale. Even sizes put the position just right of the centre,
        as ``Cutout2D`` does.
    hdu : int or str, optional
        HDU index or EXTNAME of a FITS file. Default: the first HDU with image data.
    wcs : astropy.wcs.WCS, optional
        The mosaic's WCS; replaces the header's. Needed for sky positions with an array.
    on_edge : {"pad", "skip", "raise"}, default="pad"
        Stamps that overlap the mosaic edge: padded with blank pixels (masked in the result),
        skipped (listed in ``.skipped``), or an error. Positions entirely outside the mosaic
        are always skipped with a reason (an error under ``"raise"``).
    normalize : {"minmax", "percentile", "zscale", "asinh", "log"} or None, default="minmax"
        Per-stamp intensity scaling; see :func:`astromorph_nb.data.preprocess.normalize_stack`.
    nan_policy : {"mask", "zero", "drop", "raise"}, default="mask"
        Blank (NaN) pixels of the mosaic inside a stamp: masked, set to 0 before scaling,
        the stamp skipped, or an error. Entirely blank stamps are always skipped.

    Returns
    -------
    ImageSet
        One single-channel image per stamp kept, in catalogue order. ``meta`` holds ``file``,
        ``hdu``, ``plane`` (-1), ``catalog_index`` (row of ``positions``), ``x``/``y``
        (0-based pixel position in the mosaic), ``RA``/``DEC`` (ICRS degrees, when there is a
        WCS), ``on_edge`` and every catalogue column (a clashing one becomes ``catalog_<name>``).
        ``skipped`` lists the positions left out, with ``catalog_index`` and the reason.

    Raises
    ------
    InvalidImageError
        No usable image, sky positions without a WCS, ``on_edge="raise"`` or
        ``nan_policy="raise"`` violated, or no stamp left.
    ValueError, TypeError
        Bad ``size``, ``on_edge``, ``normalize``, ``nan_policy`` or ``positions``.

    Examples
    --------
    A catalogue with RA/Dec in degrees, and a mosaic with a TAN WCS at 1 arcsec per pixel:

    >>> import numpy as np
    >>> from astropy.table import Table
    >>> from astropy.wcs import WCS
    >>> wcs = WCS(naxis=2)
    >>> wcs.wcs.ctype, wcs.wcs.crval = ["RA---TAN", "DEC--TAN"], [150.0, 2.0]
    >>> wcs.wcs.crpix, wcs.wcs.cdelt = [150.5, 100.5], [-1 / 3600, 1 / 3600]
    >>> mosaic = np.random.default_rng(0).normal(size=(200, 300)).astype("float32")
    >>> catalog = Table({"name": ["a", "b"], "RA": [150.0, 150.02], "DEC": [2.0, 1.975]})
    >>> stamps = cutouts(mosaic, catalog, 32, wcs=wcs)
    >>> stamps.shape, stamps.meta["on_edge"].tolist(), stamps.meta["name"].tolist()
    ((2, 1, 32, 32), [False, True], ['a', 'b'])

    Pixel positions are (x, y), 0-based:

    >>> cutouts(mosaic, [[150.0, 100.0]], (16, 24)).shape
    (1, 1, 16, 24)
    """
    check_choice(on_edge, ON_EDGE_CHOICES, name="on_edge", where="cutouts")
    check_choice(normalize, NORMALIZATIONS, name="normalize", where="cutouts")
    check_choice(nan_policy, NAN_POLICIES, name="nan_policy", where="cutouts")
    with _open_mosaic(mosaic, hdu, wcs) as source:
        stamp = _stamp_shape(size, source.wcs)
        pos = _read_positions(positions, source.wcs, source.label)
        lo_y, lo_x, partial, reasons = _place_stamps(pos, source, stamp, on_edge)
        kept = np.array([i for i in range(len(pos.x)) if i not in reasons], dtype=np.int64)
        stack, pad = _extract(source, lo_y[kept], lo_x[kept], partial[kept], stamp)
    keep, n_masked = _apply_nan_policy(stack, pad, kept, pos, source.label, nan_policy, reasons)
    counts = Counter(kind for kind, _ in reasons.values())
    summary = ", ".join(f"{c} {kind}" for kind, c in sorted(counts.items()))
    if not keep.any():
        msg = (
            f"No stamps left from {source.label}: all {len(pos.x)} positions were skipped "
            f"({summary}); first: {reasons[min(reasons)][1]}. Expected positions inside the "
            "mosaic; check that the catalogue covers it, and that pixel positions are (x, y), "
            "not (y, x)."
        )
        raise InvalidImageError(msg)
    notes = []
    if reasons:
        notes.append(
            f"{len(reasons)} of {len(pos.x)} positions were skipped ({summary}); see .skipped."
        )
    if n_masked:
        what = "masked" if nan_policy == "mask" else "set to 0"
        notes.append(
            f"{n_masked} of {int(keep.sum())} stamps contain blank (NaN) pixels of the "
            f"mosaic; they were {what} (nan_policy={nan_policy!r})."
        )
    if notes:
        warnings.warn(" ".join(notes), AstromorphWarning, stacklevel=2)
    if not keep.all():
        stack, kept = stack[keep], kept[keep]
    images, mask = finish_stack(stack, normalize=normalize)
    meta = _meta(source, pos, kept, partial[kept])
    return ImageSet(images, mask=mask, meta=meta, skipped=_skipped(source, reasons))


def _place_stamps(
    pos: _Positions, source: _Mosaic, stamp: tuple[int, int], on_edge: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, tuple[str, str]]]:
    """Return each stamp's first row and column, whether it is partial, and the skip reasons.

    The rule is Cutout2D's (``overlap_slices`` with ``np.ceil``), applied to all positions at
    once. Reasons map a catalogue index to (kind, text).
    """
    (ny, nx), (height, width) = stamp, source.shape
    lo_y, lo_x = np.ceil(pos.y - ny / 2.0), np.ceil(pos.x - nx / 2.0)
    with np.errstate(invalid="ignore"):
        outside = ~(np.isfinite(lo_y) & np.isfinite(lo_x))
        outside |= (lo_y + ny <= 0) | (lo_x + nx <= 0) | (lo_y >= height) | (lo_x >= width)
        partial = (lo_y < 0) | (lo_x < 0) | (lo_y + ny > height) | (lo_x + nx > width)
    partial &= ~outside
    mosaic_text = f"{source.label} ({height}×{width} pixels, ny×nx)"
    if on_edge == "raise" and (outside.any() or partial.any()):
        first = int(np.flatnonzero(outside | partial)[0])
        msg = (
            f"The {ny}×{nx} stamp of {pos.where(first)} does not fit in {mosaic_text}. "
            f"Expected every stamp inside the mosaic (on_edge='raise'); got "
            f"{int(partial.sum())} overlapping the edge and {int(outside.sum())} outside. "
            "Pass on_edge='pad' to pad them with masked pixels, or on_edge='skip'."
        )
        raise InvalidImageError(msg)
    reasons: dict[int, tuple[str, str]] = {}
    for i in np.flatnonzero(outside).tolist():
        text = f"{pos.where(i)} is outside {mosaic_text}"
        if not (np.isfinite(pos.x[i]) and np.isfinite(pos.y[i])):
            text = f"{pos.where(i)} has no pixel position (missing, or off the projection)"
        reasons[i] = ("outside the mosaic", text)
    if on_edge == "skip":
        for i in np.flatnonzero(partial).tolist():
            text = f"the {ny}×{nx} stamp of {pos.where(i)} overlaps the edge"
            reasons[i] = ("overlapping the edge (on_edge='skip')", text)
    lo_y[outside], lo_x[outside] = 0, 0
    return lo_y.astype(np.int64), lo_x.astype(np.int64), partial, reasons


def _apply_nan_policy(
    stack: np.ndarray,
    pad: np.ndarray | None,
    kept: np.ndarray,
    pos: _Positions,
    label: str,
    nan_policy: str,
    reasons: dict[int, tuple[str, str]],
) -> tuple[np.ndarray, int]:
    """Handle blank pixels of the mosaic (padding is not one); return stamps to keep, n masked.

    Adds a reason for each stamp dropped; sets blank pixels to 0 in place for ``"zero"``.
    """
    blank = ~np.isfinite(stack)
    data_blank = blank if pad is None else blank & ~pad
    n_blank = data_blank.sum(axis=(1, 2, 3))
    if nan_policy == "raise" and n_blank.any():
        k = int(np.flatnonzero(n_blank)[0])
        msg = (
            f"The stamp of {pos.where(int(kept[k]))} in {label} has {int(n_blank[k])} "
            "blank (NaN) pixels. Expected none (nan_policy='raise'). Pass nan_policy='mask' to "
            "mask them, or nan_policy='drop' to skip such stamps."
        )
        raise InvalidImageError(msg)
    all_blank = blank.all(axis=(1, 2, 3))
    for k in np.flatnonzero(all_blank).tolist():
        text = f"the stamp of {pos.where(int(kept[k]))} is entirely blank (NaN)"
        reasons[int(kept[k])] = ("entirely blank", text)
    keep = ~all_blank
    if nan_policy == "drop":
        for k in np.flatnonzero(keep & (n_blank > 0)).tolist():
            text = (
                f"the stamp of {pos.where(int(kept[k]))} has {int(n_blank[k])} blank (NaN) "
                "pixels (nan_policy='drop')"
            )
            reasons[int(kept[k])] = ("with blank pixels (nan_policy='drop')", text)
        keep &= n_blank == 0
    if nan_policy == "zero":
        stack[data_blank] = 0.0
    return keep, int((keep & (n_blank > 0)).sum())


def _meta(source: _Mosaic, pos: _Positions, kept: np.ndarray, on_edge: np.ndarray) -> Table:
    meta = Table()
    meta["file"] = np.full(len(kept), source.file)
    meta["hdu"] = np.full(len(kept), source.hdu)
    meta["plane"] = np.full(len(kept), -1, dtype=np.int64)
    meta["catalog_index"] = kept
    meta["x"], meta["y"] = pos.x[kept], pos.y[kept]
    if pos.ra is not None and pos.dec is not None:
        meta["RA"] = Column(pos.ra[kept], unit="deg")
        meta["DEC"] = Column(pos.dec[kept], unit="deg")
    meta["on_edge"] = on_edge
    if pos.catalog is not None:
        rows = pos.catalog[kept]
        for name in rows.colnames:
            meta[f"catalog_{name}" if name in _PROVENANCE else name] = rows[name]
    return meta


def _skipped(source: _Mosaic, reasons: dict[int, tuple[str, str]]) -> Table:
    if not reasons:
        table = empty_skipped_table()
        table["catalog_index"] = Column([], dtype=np.int64)
        return table
    order = sorted(reasons)
    return Table(
        {
            "file": [source.file] * len(order),
            "hdu": [source.hdu] * len(order),
            "reason": [reasons[i][1] for i in order],
            "catalog_index": np.array(order, dtype=np.int64),
        }
    )
