"""Galaxy stamps cut out of the Hubble eXtreme Deep Field bundled with scikit-image (datasets).

Nothing here needs network access. The result is an
:class:`~astromorph_nb.data.imageset.ImageSet` normalized the same way as
:func:`~astromorph_nb.io.fits.reader.read_fits`.
"""

from __future__ import annotations

import functools

import numpy as np
import skimage.data
import skimage.feature
import skimage.measure
import skimage.segmentation
from astropy.nddata import Cutout2D
from astropy.stats import sigma_clipped_stats
from astropy.table import Table
from scipy import ndimage

from astromorph_nb._validation import (
    check_choice,
    check_positive_int,
)
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.data.preprocess import NORMALIZATIONS, finish_stack
from astromorph_nb.exceptions import InvalidImageError

__all__ = ["hubble_deep_field"]

#: Detection threshold of :func:`hubble_deep_field`, in sigma of the smoothed sky.
DETECTION_SIGMA = 3.0
#: A stamp is kept only if nothing else in it is brighter than this many times its source.
MAX_NEIGHBOR_RATIO = 1.5
#: Luminance weights (ITU-R BT.709, as :func:`skimage.color.rgb2gray`) for the gray channel.
_LUMINANCE = np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)
_CHANNELS = ("gray", "rgb")
_HDF_FILE = "skimage:hubble_deep_field"


@functools.lru_cache(maxsize=1)
def _xdf_rgb() -> np.ndarray:
    """Return the XDF image bundled with scikit-image, (872, 1000, 3) float32, read-only."""
    rgb = skimage.data.hubble_deep_field().astype(np.float32)
    rgb.flags.writeable = False
    return rgb


@functools.lru_cache(maxsize=1)
def _xdf_sources() -> tuple[np.ndarray, Table]:
    """Detect and deblend sources in the XDF; return the smoothed luminance and a catalog."""
    rgb = _xdf_rgb()
    gray = rgb @ _LUMINANCE
    sky_gray, sky_red, sky_blue = (
        sigma_clipped_stats(plane, sigma=3.0, maxiters=10)[1]
        for plane in (gray, rgb[..., 0], rgb[..., 2])
    )
    signal = gray - sky_gray
    smooth = ndimage.gaussian_filter(signal, 1.5)
    _, smooth_median, smooth_std = sigma_clipped_stats(smooth, sigma=3.0, maxiters=10)
    detected = smooth > smooth_median + DETECTION_SIGMA * smooth_std
    # Crude deblending: one watershed basin per peak of a more strongly smoothed image, so
    # star-forming knots inside one galaxy do not split it but close pairs are separated.
    broad = ndimage.gaussian_filter(signal, 3.0)
    peaks = skimage.feature.peak_local_max(
        broad,
        min_distance=6,
        threshold_abs=DETECTION_SIGMA * smooth_std,
        labels=ndimage.label(detected)[0],
        exclude_border=False,
    )
    markers = np.zeros(gray.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    segments = skimage.segmentation.watershed(-broad, markers, mask=detected)
    rows = []
    for region in skimage.measure.regionprops(segments):
        pixels = tuple(np.transpose(region.coords))
        weights = np.clip(signal[pixels], 0, None)
        y, x = (coord @ weights / weights.sum() for coord in pixels)
        red = rgb[..., 0][pixels].sum() - sky_red * region.area
        blue = rgb[..., 2][pixels].sum() - sky_blue * region.area
        rows.append((x, y, signal[pixels].sum(), region.area, red, blue, smooth[pixels].max()))
    table = Table(
        rows=rows,
        names=("x", "y", "flux", "area_px", "red", "blue", "peak"),
        dtype=(float, float, float, int, float, float, float),
    )
    table = table[np.argsort(-table["flux"], kind="stable")]
    ok = (table["red"] > 0) & (table["blue"] > 0)
    ratio = np.where(ok, table["blue"], 1.0) / np.where(ok, table["red"], 1.0)
    table["color_br"] = np.where(ok, -2.5 * np.log10(ratio), np.nan)
    del table["red"], table["blue"]
    smooth.flags.writeable = False
    return smooth, table


def _xdf_catalog(size: int, min_area_px: int) -> Table:
    """Return the sources with enough area and a clean, complete stamp, brightest first."""
    smooth, sources = _xdf_sources()
    half, (ny, nx) = size / 2, smooth.shape
    keep = []
    for index, row in enumerate(sources):
        x, y = row["x"], row["y"]
        # Cutout2D rounds the center to a pixel; one pixel of margin keeps the stamp whole.
        fits_inside = half <= y <= ny - half - 1 and half <= x <= nx - half - 1
        if row["area_px"] < min_area_px or not fits_inside:
            continue
        stamp = Cutout2D(smooth, (x, y), size, mode="strict", copy=False).data
        # A brighter neighbor would dominate the stamp and hide the source.
        if stamp.max() <= MAX_NEIGHBOR_RATIO * row["peak"]:
            keep.append(index)
    catalog = sources[keep]
    del catalog["peak"]
    return catalog


def hubble_deep_field(
    size: int = 64,
    *,
    n_max: int | None = None,
    min_area_px: int = 30,
    normalize: str | None = "minmax",
    channels: str = "gray",
) -> ImageSet:
    """Cut galaxy stamps out of the Hubble eXtreme Deep Field image bundled with scikit-image.

    The image is the 872×1000 pixel color composite of the XDF from
    :func:`skimage.data.hubble_deep_field` (8-bit JPEG, public domain, NASA/ESA), so no
    download is needed. Sources are detected on its luminance: the sky level and noise come
    from :func:`astropy.stats.sigma_clipped_stats`, the image is smoothed with a Gaussian of
    1.5 pixels, thresholded at 3 sigma, and blended sources are split by a watershed on a
    smoother copy. A source is kept when its segment covers at least ``min_area_px`` pixels,
    a full stamp fits inside the image, and nothing in the stamp is more than 1.5 times as
    bright as the source's peak. Stamps are cut with :class:`astropy.nddata.Cutout2D`.

    Parameters
    ----------
    size : int, default=64
        Side of the square stamps in pixels. At 64 about 280 sources qualify; larger stamps
        leave fewer, because more sources lie near the edge or near a brighter neighbor.
    n_max : int, optional
        Keep only the ``n_max`` brightest sources. Default: all of them.
    min_area_px : int, default=30
        Smallest source segment, in pixels above the threshold. Raise it to keep only larger,
        better resolved galaxies.
    normalize : {"minmax", "percentile", "zscale", "asinh", "log"} or None, default="minmax"
        Scaling of each stamp, as in :func:`~astromorph_nb.io.fits.reader.read_fits`; with
        ``channels="rgb"`` the three channels share one scale. ``None`` keeps the 0-255
        pixel values of the JPEG.
    channels : {"gray", "rgb"}, default="gray"
        ``"gray"``: one channel, the luminance. ``"rgb"``: three channels (red, green, blue)
        of the composite; the colors are a visual rendering, not calibrated bands.

    Returns
    -------
    ImageSet
        Stamps sorted by flux, brightest first; the same every time. ``meta`` has ``x``, ``y``
        (0-based pixel center in the XDF image, numpy order; add 1 for FITS/ds9), ``flux``
        (background-subtracted sum of the luminance over the segment), ``area_px``,
        ``color_br`` (-2.5 log10 of blue over red flux in the segment; higher is redder; NaN
        where either is not positive), ``OBJECT`` ("XDF-0000" is the brightest), ``file``,
        ``hdu`` and ``plane``.

    Raises
    ------
    InvalidImageError
        If no source qualifies, for example because ``size`` or ``min_area_px`` is too large.

    Examples
    --------
    >>> from astromorph_nb.datasets import hubble_deep_field
    >>> stamps = hubble_deep_field(n_max=10)
    >>> stamps.shape, str(stamps.meta["OBJECT"][0])
    ((10, 1, 64, 64), 'XDF-0000')
    """
    where = "datasets.hubble_deep_field"
    size = check_positive_int(size, name="size", where=where, minimum=8)
    if size > min(_xdf_rgb().shape[:2]):
        msg = (
            f"The 'size' parameter of {where} is {size} pixels, but the Hubble Deep Field "
            f"image is only {_xdf_rgb().shape[0]}×{_xdf_rgb().shape[1]} pixels (ny×nx). "
            "Pass a smaller size, e.g. 64."
        )
        raise ValueError(msg)
    if n_max is not None:
        n_max = check_positive_int(n_max, name="n_max", where=where)
    min_area_px = check_positive_int(min_area_px, name="min_area_px", where=where)
    check_choice(normalize, NORMALIZATIONS, name="normalize", where=where)
    check_choice(channels, _CHANNELS, name="channels", where=where)
    catalog = _xdf_catalog(size, min_area_px)
    if len(catalog) == 0:
        msg = (
            f"No source in the Hubble Deep Field qualifies for {size}×{size} pixel stamps with "
            f"min_area_px={min_area_px}. Pass a smaller size or min_area_px."
        )
        raise InvalidImageError(msg)
    meta = catalog[:n_max]
    rgb = _xdf_rgb()
    planes = rgb @ _LUMINANCE if channels == "gray" else rgb
    stack = np.empty((len(meta), 1 if channels == "gray" else 3, size, size), np.float32)
    for index, row in enumerate(meta):
        cutout = Cutout2D(rgb[..., 0], (row["x"], row["y"]), size, mode="strict")
        stamp = planes[cutout.slices_original]
        stack[index] = stamp[None] if stamp.ndim == 2 else np.moveaxis(stamp, -1, 0)
    images, mask = finish_stack(stack, normalize=normalize)
    meta["OBJECT"] = [f"XDF-{index:04d}" for index in range(len(meta))]
    meta["file"] = _HDF_FILE
    meta["hdu"] = ""
    meta["plane"] = -1
    return ImageSet(images, mask=mask, meta=meta)
