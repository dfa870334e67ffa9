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

The mosaic is opened by :mod:`astromorph_nb.io.mosaics.mosaic` and the positions and size are turned
into pixels by :mod:`astromorph_nb.io.mosaics.positions`; this module places the stamps, reads
them, applies the NaN policy and builds the metadata and skipped tables.
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import Column, Table
from astropy.wcs import WCS

from astromorph_nb._validation import check_choice
from astromorph_nb.data.imageset import ImageSet, empty_skipped_table
from astromorph_nb.data.preprocess import NAN_POLICIES, NORMALIZATIONS, finish_stack
from astromorph_nb.exceptions import AstromorphWarning, InvalidImageError
from astromorph_nb.io.mosaics.mosaic import Mosaic, cache_bands, open_mosaic
from astromorph_nb.io.mosaics.positions import Positions, parse_stamp_size, read_positions

__all__ = ["ON_EDGE_CHOICES", "cutouts"]

ON_EDGE_CHOICES = ("pad", "skip", "raise")

_PROVENANCE = ("file", "hdu", "plane", "catalog_index", "x", "y", "RA", "DEC", "on_edge")


def _extract(
    mosaic: Mosaic, lo_y: np.ndarray, lo_x: np.ndarray, partial: np.ndarray, stamp: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read the stamps whose first pixel is (lo_y, lo_x); return them and the padding mask."""
    ny, nx = stamp
    height, width = mosaic.shape
    stack = np.empty((len(lo_y), 1, ny, nx), dtype=np.float32)
    pad = None
    read = cache_bands(mosaic) if mosaic.tiled else mosaic.read
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
    with open_mosaic(mosaic, hdu, wcs) as source:
        stamp = parse_stamp_size(size, source.wcs)
        pos = read_positions(positions, source.wcs, source.label)
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
    pos: Positions, source: Mosaic, stamp: tuple[int, int], on_edge: str
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
    pos: Positions,
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


def _meta(source: Mosaic, pos: Positions, kept: np.ndarray, on_edge: np.ndarray) -> Table:
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


def _skipped(source: Mosaic, reasons: dict[int, tuple[str, str]]) -> Table:
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
