"""Turn catalogue positions and a stamp size into pixels on the mosaic (io layer).

:func:`read_positions` accepts what :func:`astromorph_nb.cutouts` accepts as ``positions``: a
:class:`~astropy.coordinates.SkyCoord`, a catalogue with RA/Dec, GLON/GLAT or x/y columns (an
astropy Table, or anything ``Table()`` accepts, pandas too), or an array of pixel positions.
Sky positions go through the WCS in one vectorised call. :func:`parse_stamp_size` turns
``size`` (pixels, or an angle) into ``(ny, nx)`` pixels.

Pixel positions are ``(x, y)``, 0-based, in the order of ``Cutout2D`` and photutils: x is the
column and y the row, ``image[y, x]``. FITS and ds9 count pixels from 1; subtract 1 from their
pixel coordinates.
"""

from __future__ import annotations

import numbers
import reprlib
from dataclasses import dataclass
from typing import Any

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales, skycoord_to_pixel

from astromorph_nb._validation import check_positive_int
from astromorph_nb.exceptions import InvalidImageError

__all__ = ["Positions", "parse_stamp_size", "read_positions"]

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


@dataclass
class Positions:
    """Catalogue positions as 0-based pixels, with ICRS degrees when a WCS exists.

    Attributes
    ----------
    x, y : ndarray of shape (n_positions,)
        0-based pixel position in the mosaic (column, row); NaN where a sky position has none.
    ra, dec : ndarray of shape (n_positions,) or None
        ICRS degrees, or None when the mosaic has no WCS.
    catalog : astropy.table.Table or None
        The catalogue the positions came from, or None for a SkyCoord or an array.
    """

    x: np.ndarray
    y: np.ndarray
    ra: np.ndarray | None
    dec: np.ndarray | None
    catalog: Table | None

    def where(self, index: int) -> str:
        """Describe position ``index`` for messages: its row, pixel and sky position."""
        text = f"{'catalogue row' if self.catalog is not None else 'position'} {index} "
        text += f"at (x, y) = ({self.x[index]:.1f}, {self.y[index]:.1f})"
        if self.ra is not None and self.dec is not None and np.isfinite(self.ra[index]):
            text += f", RA/Dec = ({self.ra[index]:.5f}, {self.dec[index]:.5f}) deg"
        return text


def parse_stamp_size(size: Any, wcs: WCS | None) -> tuple[int, int]:
    """Turn ``size`` (pixels, or an angle with the mosaic's pixel scale) into (ny, nx).

    Parameters
    ----------
    size : int, (ny, nx) or Quantity
        Stamp size in pixels (numpy order), or an angle (scalar or ``(ny, nx)``).
    wcs : astropy.wcs.WCS or None
        The mosaic's celestial WCS, which gives the pixel scale for an angular size.

    Returns
    -------
    tuple of int
        ``(ny, nx)``, each at least 2.

    Raises
    ------
    ValueError, TypeError
        A ``size`` of the wrong kind, below 2 pixels, or angular without a WCS.
    """
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


def read_positions(positions: Any, wcs: WCS | None, label: str) -> Positions:
    """Parse ``positions`` and convert them all to pixels in one vectorised WCS call.

    Parameters
    ----------
    positions : SkyCoord, Table or array-like of shape (n_positions, 2)
        As for :func:`astromorph_nb.cutouts`.
    wcs : astropy.wcs.WCS or None
        The mosaic's celestial WCS; needed for sky positions.
    label : str
        The mosaic, as messages name it (``'m51.fits'[SCI]``).

    Returns
    -------
    Positions
        Pixel positions, with ICRS degrees when there is a WCS, and the catalogue if any.

    Raises
    ------
    InvalidImageError
        Sky positions, but no WCS.
    ValueError, TypeError
        Empty or unreadable ``positions``.
    """
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
        return Positions(
            np.asarray(x, float), np.asarray(y, float), icrs.ra.deg, icrs.dec.deg, catalog
        )
    x, y = (np.asarray(v, dtype=np.float64) for v in pixels)
    if wcs is None:
        return Positions(x, y, None, None, catalog)
    icrs = wcs.pixel_to_world(x, y).icrs
    return Positions(x, y, np.asarray(icrs.ra.deg), np.asarray(icrs.dec.deg), catalog)
