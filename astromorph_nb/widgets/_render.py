"""Cutouts to PNG bytes for the widgets, through astropy normalisation (widgets layer).

Pure functions: an image array in, bytes out, nothing cached and no widget code, so they
are tested without a browser. Display limits come from
:class:`~astropy.visualization.PercentileInterval` of the finite pixels and a stretch chosen
by name (``display/stretch.py``, shared with thumbnails and figures); the data are never
changed. Images are in numpy order with row 0 at the bottom (as ``origin="lower"`` and
ds9 show them), so rows are flipped for PNG, whose first row is the top. Blank (NaN)
pixels are drawn black.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

# Pillow comes with matplotlib, a core dependency; it is the PNG encoder.
from PIL import Image

from astromorph_nb._validation import check_positive_int
from astromorph_nb.display.stretch import STRETCHES, display_values, to_uint8

__all__ = ["STRETCHES", "cutout_png", "normalize_image", "render_png", "thumbnail_grid_png"]

#: Grey level of the gaps between thumbnails in :func:`thumbnail_grid_png`.
_GAP_GREY = 48


def _check_image(image: Any, where: str) -> np.ndarray:
    array = np.asarray(image, dtype=np.float64)
    if array.ndim != 2:
        msg = (
            f"The 'image' passed to {where} has shape {array.shape} in numpy order. "
            "Expected one 2-D image (ny, nx); pick a channel first, e.g. images[i, 0]."
        )
        raise ValueError(msg)
    return array


def normalize_image(
    image: Any,
    *,
    stretch: str = "asinh",
    percentile: float = 99.5,
    reference: Any = None,
) -> np.ndarray:
    """Map an image to display values in [0, 1] (numpy order, row 0 at the bottom).

    Parameters
    ----------
    image : array-like of shape (ny, nx)
        One image, in numpy order; NaN marks blank pixels.
    stretch : {"asinh", "linear", "log", "sqrt"}, default="asinh"
        How values between the limits map to grey levels; asinh shows faint outskirts
        and bright cores together.
    percentile : float, default=99.5
        Share of the finite pixels, in percent, that lies between the display limits;
        lower it to saturate a few hot pixels.
    reference : array-like of shape (ny2, nx2), optional
        Take the display limits from this image instead, so that several images (an
        original and its augmented views) share one grey scale.

    Returns
    -------
    ndarray of shape (ny, nx)
        float64 in [0, 1]; blank pixels are 0. An image with no finite pixels, or a
        constant one, gives zeros.

    Examples
    --------
    >>> import numpy as np
    >>> shown = normalize_image(np.arange(16.0).reshape(4, 4), stretch="linear")
    >>> float(shown.min()), float(shown.max())
    (0.0, 1.0)
    """
    where = "normalize_image"
    data = _check_image(image, where)
    return display_values(
        data, stretch=stretch, percentile=percentile, reference=reference, where=where
    )


def _to_grey(shown: np.ndarray, zoom: int) -> np.ndarray:
    """Display values to uint8 rows for PNG: flipped so the top row comes first."""
    grey = to_uint8(shown)[::-1]
    if zoom > 1:  # nearest neighbour, so small cutouts stay sharp pixels
        grey = np.repeat(np.repeat(grey, zoom, axis=0), zoom, axis=1)
    return np.ascontiguousarray(grey)


def _png(grey: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(grey, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def render_png(
    image: Any,
    *,
    stretch: str = "asinh",
    percentile: float = 99.5,
    reference: Any = None,
    zoom: int = 1,
) -> bytes:
    """Render one image as grey-scale PNG bytes, north (row ny - 1) at the top.

    Parameters
    ----------
    image : array-like of shape (ny, nx)
        One image in numpy order (row 0 at the bottom).
    stretch, percentile, reference
        As for :func:`normalize_image`.
    zoom : int, default=1
        Repeat each pixel ``zoom`` times along both axes, so a 16×16 cutout is not
        blurred when the browser shows it larger.

    Returns
    -------
    bytes
        A PNG file of ``zoom * ny`` rows and ``zoom * nx`` columns.

    Examples
    --------
    >>> import numpy as np
    >>> png = render_png(np.random.default_rng(0).random((16, 16)), zoom=4)
    >>> png[1:4]
    b'PNG'
    """
    zoom = check_positive_int(zoom, name="zoom", where="render_png")
    shown = normalize_image(image, stretch=stretch, percentile=percentile, reference=reference)
    return _png(_to_grey(shown, zoom))


def cutout_png(
    cutout: Any,
    *,
    stretch: str = "asinh",
    percentile: float = 99.5,
    size: int | None = None,
    channel: int = 0,
) -> bytes:
    """Render one cutout, of one channel or several, as a PNG about ``size`` pixels wide.

    Parameters
    ----------
    cutout : array-like of shape (ny, nx) or (n_channels, ny, nx)
        One image of a session (``session.images.images[i]``) or a thumbnail.
    stretch, percentile
        As for :func:`normalize_image`.
    size : int, optional
        Wanted size of the longer side in PNG pixels; pixels are repeated a whole number
        of times (at least once), so the PNG is at most this large and stays sharp.
    channel : int, default=0
        Which channel of a multi-channel cutout to show.

    Returns
    -------
    bytes
        A PNG file.

    Examples
    --------
    >>> import numpy as np
    >>> png = cutout_png(np.zeros((2, 16, 16)), size=64, channel=1)
    >>> png[1:4]
    b'PNG'
    """
    where = "cutout_png"
    array = np.asarray(cutout)
    if array.ndim == 3:
        if not 0 <= channel < array.shape[0]:
            msg = (
                f"Channel {channel!r} does not exist in {where}: the cutout has "
                f"{array.shape[0]} channels (shape {array.shape} in numpy order). "
                f"Pick a channel from 0 to {array.shape[0] - 1}."
            )
            raise IndexError(msg)
        array = array[channel]
    zoom = 1
    if size is not None and array.ndim == 2:
        size = check_positive_int(size, name="size", where=where)
        zoom = max(1, size // max(array.shape))
    return render_png(array, stretch=stretch, percentile=percentile, zoom=zoom)


def thumbnail_grid_png(
    images: Any,
    *,
    n_columns: int = 8,
    stretch: str = "asinh",
    percentile: float = 99.5,
    zoom: int = 1,
    gap_px: int = 2,
) -> bytes:
    """Render several images as one PNG gallery, each with its own display limits.

    Parameters
    ----------
    images : array-like of shape (n_images, ny, nx)
        Images in numpy order, filled into rows of ``n_columns`` from the top left.
    n_columns : int, default=8
        Thumbnails per row.
    stretch, percentile
        As for :func:`normalize_image`.
    zoom : int, default=1
        Pixel repetition of each thumbnail (see :func:`render_png`).
    gap_px : int, default=2
        Dark grey space between thumbnails, in PNG pixels.

    Returns
    -------
    bytes
        A PNG file.

    Examples
    --------
    >>> import numpy as np
    >>> png = thumbnail_grid_png(np.zeros((5, 8, 8)), n_columns=3)
    >>> len(png) > 0
    True
    """
    where = "thumbnail_grid_png"
    stack = np.asarray(images, dtype=np.float64)
    if stack.ndim != 3 or stack.shape[0] == 0:
        msg = (
            f"The 'images' passed to {where} have shape {stack.shape} in numpy order. "
            "Expected at least one image as (n_images, ny, nx); pick a channel first, "
            "e.g. images[:, 0]."
        )
        raise ValueError(msg)
    n_columns = check_positive_int(n_columns, name="n_columns", where=where)
    zoom = check_positive_int(zoom, name="zoom", where=where)
    gap_px = check_positive_int(gap_px, name="gap_px", where=where, minimum=0)
    n_images, ny, nx = stack.shape
    n_columns = min(n_columns, n_images)
    n_rows = -(-n_images // n_columns)
    tile_y, tile_x = ny * zoom, nx * zoom
    sheet = np.full(
        (n_rows * tile_y + (n_rows - 1) * gap_px, n_columns * tile_x + (n_columns - 1) * gap_px),
        _GAP_GREY,
        dtype=np.uint8,
    )
    for i, image in enumerate(stack):
        row, column = divmod(i, n_columns)
        top, left = row * (tile_y + gap_px), column * (tile_x + gap_px)
        shown = normalize_image(image, stretch=stretch, percentile=percentile)
        sheet[top : top + tile_y, left : left + tile_x] = _to_grey(shown, zoom)
    return _png(sheet)
