"""read_fits: FITS files, folders, patterns or file lists to one ImageSet (io layer).

Reading happens file by file in a pool of threads (astropy releases the GIL while it reads
and converts); images are stacked and normalised in chunks, so a set larger than memory can
stream into a memory-mapped cache (``cache_dir=``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.table import Table
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales
from tqdm.auto import tqdm

from astromorph_nb._validation import check_choice, check_image_size, check_positive_int
from astromorph_nb.data.cubes import CUBE_MODES
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.data.preprocess import (
    NAN_POLICIES,
    NORMALIZATIONS,
    RESIZE_MODES,
    crop_or_pad,
    resample,
)
from astromorph_nb.exceptions import AstromorphError, AstromorphWarning, InvalidImageError
from astromorph_nb.io.fits_file import FileItem, ReadOptions, broken_files_raise, read_fits_file
from astromorph_nb.io.sources import resolve_sources
from astromorph_nb.io.stacking import StackWriter

__all__ = ["read_fits"]

#: Files read per chunk: bounds the memory held before a chunk is stacked and normalised.
CHUNK_FILES = 512
#: Above this many files a progress bar is shown (``progress=None``).
PROGRESS_MIN_FILES = 200
_ON_ERROR = ("raise", "skip")


@dataclass(frozen=True)
class _SizePolicy:
    image_size: tuple[int, int] | None
    resize_mode: str
    pixel_scale_deg: float | None


def _pixel_scale_deg(pixel_scale: Any) -> float | None:
    if pixel_scale is None:
        return None
    if not isinstance(pixel_scale, u.Quantity) or not pixel_scale.unit.is_equivalent(u.deg):
        msg = (
            "The 'pixel_scale' parameter of read_fits must be an angle with units, such as "
            f"0.05 * astropy.units.arcsec; got {pixel_scale!r}."
        )
        raise TypeError(msg)
    value = float(pixel_scale.to_value(u.deg))
    if not value > 0:
        msg = f"The 'pixel_scale' parameter of read_fits must be positive; got {pixel_scale}."
        raise ValueError(msg)
    return value


def _resample_to_scale(image: np.ndarray, header: Any, scale_deg: float, where: str) -> np.ndarray:
    try:
        celestial = WCS(header, naxis=2, fix=False).celestial
        scales = proj_plane_pixel_scales(celestial) if celestial.has_celestial else None
    except Exception as err:
        msg = f"{where} has a WCS that astropy cannot read ({err}); cannot resample it."
        raise InvalidImageError(msg) from err
    if scales is None:
        msg = (
            f"{where} has no celestial WCS (CTYPE/CDELT or CD keywords), so it cannot be "
            "resampled to pixel_scale. Drop pixel_scale= and pass image_size= instead."
        )
        raise InvalidImageError(msg)
    ny, nx = image.shape[1:]
    size = (max(2, round(ny * scales[1] / scale_deg)), max(2, round(nx * scales[0] / scale_deg)))
    return resample(image, size)


def _fit_size(image: np.ndarray, header: Any, policy: _SizePolicy, where: str) -> np.ndarray:
    """Apply ``pixel_scale`` and ``image_size`` to one image."""
    if policy.pixel_scale_deg is not None:
        image = _resample_to_scale(image, header, policy.pixel_scale_deg, where)
    size = policy.image_size
    if size is None or tuple(image.shape[1:]) == size:
        return image
    shape = tuple(image.shape[1:])
    if policy.resize_mode == "resize":
        # Keep the aspect ratio: crop the longer axis to the target aspect, then resample.
        ratio = size[0] / size[1]
        if shape[0] / shape[1] > ratio * 1.01:
            image = crop_or_pad(image, (round(shape[1] * ratio), shape[1]))
        elif shape[0] / shape[1] < ratio / 1.01:
            image = crop_or_pad(image, (shape[0], round(shape[0] / ratio)))
        return resample(image, size)
    too_small = shape[0] < size[0] or shape[1] < size[1]
    too_large = shape[0] > size[0] or shape[1] > size[1]
    if policy.resize_mode == "crop" and too_small:
        msg = (
            f"{where} is {shape[0]}×{shape[1]} (ny×nx), smaller than image_size "
            f"{size[0]}×{size[1]}, so it cannot be cropped. Pass resize_mode='pad' or 'resize'."
        )
        raise InvalidImageError(msg)
    if policy.resize_mode == "pad" and too_large:
        msg = (
            f"{where} is {shape[0]}×{shape[1]} (ny×nx), larger than image_size "
            f"{size[0]}×{size[1]}, so it cannot be padded. Pass resize_mode='crop' or 'resize'."
        )
        raise InvalidImageError(msg)
    return crop_or_pad(image, size)


def _mixed_shapes_error(first: tuple[str, tuple], other: tuple[str, tuple]) -> InvalidImageError:
    (name_a, shape_a), (name_b, shape_b) = first, other
    msg = (
        f"Images have different shapes: {name_a!r} is {shape_a} but {name_b!r} is {shape_b} "
        "(n_channels, ny, nx). Pass image_size= (for example image_size=64) with resize_mode="
        "'resize', 'crop' or 'pad', or pixel_scale= (e.g. 0.05 * u.arcsec) to resample to a "
        "common angular scale from each file's WCS first."
    )
    return InvalidImageError(msg)


def _read_safely(path: Path, options: ReadOptions) -> list[FileItem] | AstromorphError:
    try:
        return read_fits_file(path, options)
    except AstromorphError as err:
        return err


def _chunks(items: Sequence[Path], size: int) -> Iterator[Sequence[Path]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _meta_table(rows: list[dict[str, Any]]) -> Table:
    """One column per key; values missing from some rows become masked entries."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    table = Table()
    for name in names:
        values = [row.get(name) for row in rows]
        missing = [value is None for value in values]
        if all(missing):
            continue
        filler = next(value for value in values if value is not None)
        filled = [filler if m else value for value, m in zip(values, missing, strict=True)]
        if any(missing):
            table[name] = np.ma.MaskedArray(np.asarray(filled), mask=missing)
        else:
            table[name] = filled
    return table


def read_fits(
    source: Any,
    *,
    hdu: int | str | None = None,
    image_size: int | tuple[int, int] | None = None,
    resize_mode: str = "resize",
    pixel_scale: u.Quantity | None = None,
    cube_mode: str | None = None,
    n_channels: int | None = None,
    squeeze: bool = True,
    nan_policy: str = "mask",
    normalize: str | None = "minmax",
    keywords: Sequence[str] = (),
    on_error: str = "raise",
    n_threads: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> ImageSet:
    """Read FITS images into an ImageSet.

    Parameters
    ----------
    source : str, path-like, or a list of them
        A FITS file, a folder (all its ``.fits``/``.fit``/``.fts`` files, also gzipped or
        fpacked), a glob pattern (``"cutouts/*.fits"``), a text file with one path per line
        (the astromorph seed's ``datafile``), or a list mixing these.
    hdu : int or str, optional
        Which HDU to read: an index or an EXTNAME. Default: the first HDU with image data.
        Tile-compressed image HDUs work like any other.
    image_size : int or (ny, nx), optional
        Bring every image to this size with ``resize_mode``. Needed when sizes differ.
    resize_mode : {"resize", "crop", "pad"}, default="resize"
        ``"resize"``: resample (area-averaging when shrinking, bilinear when enlarging; blank
        pixels left out), after cropping the longer axis if the aspect ratio differs.
        ``"crop"``: cut the central region (images must be at least ``image_size``).
        ``"pad"``: centre the image on a blank canvas (images must be at most
        ``image_size``); padding is masked.
    pixel_scale : astropy Quantity, optional
        Resample every image to this angular pixel size using its celestial WCS, before
        ``image_size`` is applied (use ``resize_mode="crop"`` or ``"pad"`` then, so all
        images keep the same scale).
    cube_mode : {"channels", "moments", "planes", "sum"}, optional
        Required for cubes (n_planes, ny, nx): planes as channels, moment 0/1/2 maps as three
        channels, each plane its own image, or the sum over planes. Length-1 axes such as
        Stokes are dropped first (``squeeze``).
    n_channels : int, optional
        With ``cube_mode="channels"``: average contiguous planes into this many channels.
    squeeze : bool, default=True
        Drop length-1 axes beyond the image axes (Stokes, single-channel cubes).
    nan_policy : {"mask", "zero", "drop", "raise"}, default="mask"
        Blank pixels (NaN, inf, integer BLANK): ``"mask"`` fills them with 0 after
        normalisation and marks them in ``ImageSet.mask``; ``"zero"`` sets them to 0 in data
        units before normalisation; ``"drop"`` skips images that have any (reported in
        ``ImageSet.skipped``); ``"raise"`` stops with an error. An entirely blank image is
        always an error (or a reported skip with ``on_error="skip"``).
    normalize : {"minmax", "percentile", "zscale", "asinh", "log"} or None, default="minmax"
        Intensity scaling of each image to [0, 1] with astropy.visualization; see
        :func:`astromorph_nb.data.preprocess.normalize_stack`. Moment maps are scaled per
        channel, everything else per image.
    keywords : sequence of str, default=()
        Extra header keywords to copy into the metadata (OBJECT, RA, DEC, BUNIT and RESTFRQ
        always are). RA/DEC come from OBSRA/OBSDEC, else from CRVAL1/CRVAL2 of an RA/DEC WCS.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a file (or cube plane) that cannot become an image. ``"skip"`` skips
        it, lists it with the reason in ``ImageSet.skipped`` and warns once with the count.
    n_threads : int, optional
        Reading threads. Default: 1 for fewer than 64 files, else up to 4 (one per core).
    cache_dir : str or path-like, optional
        Stream the images into memory-mapped files in this folder instead of memory, for
        sets larger than RAM. The ImageSet reads from them; delete them when done.
    progress : bool, optional
        Show a progress bar; default: only above 200 files.

    Returns
    -------
    ImageSet
        Images of shape (n_images, n_channels, ny, nx), float32, with metadata columns
        ``file``, ``hdu``, ``plane`` (-1 unless ``cube_mode="planes"``), ``n_blank`` and the
        header keywords.

    Raises
    ------
    DataNotFoundError
        A path, folder or pattern that finds no file.
    InvalidFileError
        A file that is not FITS, truncated, corrupt or unreadable (``on_error="raise"``).
    InvalidImageError
        An HDU without image data, a cube without ``cube_mode``, all-blank data, mixed
        shapes without a size policy, and the other cases the message explains.

    Examples
    --------
    >>> import astromorph_nb as amn
    >>> images = amn.read_fits("cutouts/*.fits", image_size=64)  # doctest: +SKIP
    >>> cube = amn.read_fits("disk_cube.fits", cube_mode="moments")  # doctest: +SKIP
    """
    where = "read_fits"
    if hdu is not None and (isinstance(hdu, bool) or not isinstance(hdu, (int, str))):
        msg = f"The 'hdu' parameter of read_fits must be an int index or an EXTNAME; got {hdu!r}."
        raise TypeError(msg)
    size = check_image_size(image_size, name="image_size", where=where)
    check_choice(resize_mode, RESIZE_MODES, name="resize_mode", where=where)
    check_choice(cube_mode, (*CUBE_MODES, None), name="cube_mode", where=where)
    check_choice(nan_policy, NAN_POLICIES, name="nan_policy", where=where)
    check_choice(normalize, NORMALIZATIONS, name="normalize", where=where)
    check_choice(on_error, _ON_ERROR, name="on_error", where=where)
    if n_channels is not None:
        check_positive_int(n_channels, name="n_channels", where=where)
        if cube_mode != "channels":
            msg = f"n_channels is only used with cube_mode='channels'; got cube_mode={cube_mode!r}."
            raise ValueError(msg)
    if n_threads is not None:
        check_positive_int(n_threads, name="n_threads", where=where)
    if isinstance(keywords, str):
        keywords = (keywords,)
    options = ReadOptions(
        hdu=hdu,
        squeeze=bool(squeeze),
        cube_mode=cube_mode,
        n_channels=n_channels,
        nan_policy=nan_policy,
        keywords=tuple(str(k).upper() for k in keywords),
    )
    policy = _SizePolicy(size, resize_mode, _pixel_scale_deg(pixel_scale))

    files = resolve_sources(source)
    if n_threads is None:
        n_threads = 1 if len(files) < 64 else max(1, min(4, os.cpu_count() or 1))
    show = len(files) > PROGRESS_MIN_FILES if progress is None else bool(progress)

    writer = StackWriter(cache_dir)
    rows: list[dict[str, Any]] = []
    skipped: list[tuple[str, str, str]] = []
    first_shape: tuple[str, tuple] | None = None
    read = partial(_read_safely, options=options)
    try:
        with (
            broken_files_raise(),
            ThreadPoolExecutor(max_workers=n_threads) as pool,
            tqdm(total=len(files), disable=not show, desc="Reading FITS", unit="file") as bar,
        ):
            for chunk in _chunks(files, CHUNK_FILES):
                results = pool.map(read, chunk) if n_threads > 1 else map(read, chunk)
                images: list[np.ndarray] = []
                for path, result in zip(chunk, results, strict=True):
                    bar.update(1)
                    if isinstance(result, AstromorphError):
                        if on_error == "raise":
                            raise result
                        skipped.append((str(path), str(options.hdu or ""), str(result)))
                        continue
                    for item in result:
                        where_item = f"{str(path)!r}[{item.meta['hdu']}]"
                        try:
                            if item.image is None:
                                raise InvalidImageError(item.skip_reason)
                            image = _fit_size(item.image, item.header, policy, where_item)
                        except InvalidImageError as err:
                            if on_error == "raise":
                                raise
                            skipped.append((str(path), str(item.meta["hdu"]), str(err)))
                            continue
                        if first_shape is None:
                            first_shape = (str(path), image.shape)
                        elif image.shape != first_shape[1]:
                            raise _mixed_shapes_error(first_shape, (str(path), image.shape))
                        images.append(image)
                        rows.append(item.meta)
                if images:
                    writer.append(np.stack(images), normalize, per_channel=cube_mode == "moments")
    except BaseException:
        writer.discard()
        raise
    return _finish(writer, rows, skipped, n_files=len(files), nan_policy=nan_policy)


def _finish(
    writer: StackWriter,
    rows: list[dict[str, Any]],
    skipped: list[tuple[str, str, str]],
    *,
    n_files: int,
    nan_policy: str,
) -> ImageSet:
    skipped_table = Table(rows=skipped or None, names=("file", "hdu", "reason"), dtype=(str,) * 3)
    if not rows:
        writer.discard()
        first = skipped[0][2] if skipped else ""
        msg = f"None of the {n_files} files gave an image; all were skipped. First reason: {first}"
        raise InvalidImageError(msg)
    if skipped:
        message = (
            f"{len(skipped)} of {n_files} inputs were skipped (on_error='skip'); see "
            f"ImageSet.skipped for the reasons. First: {skipped[0][2]}"
        )
        warnings.warn(message, AstromorphWarning, stacklevel=3)
    n_masked = sum(1 for row in rows if row.get("n_blank"))
    if n_masked and nan_policy == "mask":
        message = (
            f"{n_masked} of {len(rows)} images contain blank (NaN) pixels; they were masked "
            "(nan_policy='mask'). See ImageSet.mask, or pass nan_policy='drop' to skip them."
        )
        warnings.warn(message, AstromorphWarning, stacklevel=3)
    images, mask, backing_file = writer.finish()
    return ImageSet(
        images, mask=mask, meta=_meta_table(rows), skipped=skipped_table, backing_file=backing_file
    )
