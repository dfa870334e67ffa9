"""read_fits: FITS files, folders, patterns or file lists to one ImageSet (io layer).

Reading happens file by file in a pool of threads (astropy releases the GIL while it reads
and converts); images are stacked and normalised in chunks, so a set larger than memory can
stream into a memory-mapped cache (``cache_dir=``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from astropy import units as u
from astropy.table import Table

from astromorph_nb._progress import progress_bar
from astromorph_nb._validation import check_choice, check_image_size, check_positive_int
from astromorph_nb.data.cubes import CUBE_MODES
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.data.preprocess import (
    NAN_POLICIES,
    NORMALIZATIONS,
    RESIZE_MODES,
)
from astromorph_nb.exceptions import AstromorphWarning, InvalidImageError
from astromorph_nb.io.fits.chunks import ChunkPlan, read_in_chunks
from astromorph_nb.io.fits.file import ReadOptions
from astromorph_nb.io.fits.sizes import SizePolicy, mixed_shapes_error
from astromorph_nb.io.fits.sources import resolve_sources
from astromorph_nb.io.fits.stacking import StackWriter

__all__ = ["read_fits"]

#: Files read per chunk: bounds the memory held before a chunk is stacked and normalised.
CHUNK_FILES = 512
#: ... and at most this many bytes of files on disk, so a few huge cubes are not read at once.
CHUNK_BYTES = 256 * 2**20
#: From this many files on, reading uses one worker process per core (``n_processes=None``).
PROCESSES_MIN_FILES = 4000
#: Above this many files a progress bar is shown (``progress=None``).
PROGRESS_MIN_FILES = 200
_ON_ERROR = ("raise", "skip")


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
    n_threads: int = 1,
    n_processes: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> ImageSet:
    """Read FITS images into an ImageSet.

    Parameters
    ----------
    source : str, path-like, or a list of them
        A FITS file, a folder (all its ``.fits``/``.fit``/``.fts`` files, also gzipped or
        fpacked), a glob pattern (``"cutouts/*.fits"``, ``"data/**/*.fits"`` for sub-folders),
        a text file with one path per line (the astromorph seed's ``datafile``), or a list
        mixing these. ``**`` follows links to folders but searches each real folder once, so
        a link back up the tree is not a loop; a file that a folder or pattern reaches twice
        through links is read once, with a warning. A link to a missing file is an error
        naming its target (a reported skip with ``on_error="skip"``). Compressed files
        (gzip, bzip2, xz) are read to the end, so that their checksum is verified.
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
        Blank pixels (NaN, inf, and integers stored as BLANK, compared before BZERO as
        the FITS standard says): ``"mask"`` fills them with 0 after
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
    n_threads : int, default=1
        Reading threads in this process. They help only where the file system is slow to
        answer (network or parallel file systems); on a local disk FITS header parsing holds
        Python's GIL and threads slow reading down.
    n_processes : int, optional
        Worker processes, which use several cores. Default: 1 below 4,000 files, else one
        per core (at most 8). Starting them takes about a second.
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
        A path, folder or pattern that finds no file; a link to a missing file.
    InvalidFileError
        A file that is not FITS, truncated, corrupt, damaged (a compressed file whose
        checksum does not match) or unreadable (``on_error="raise"``).
    InvalidImageError
        An HDU without image data, an HDU the file does not have, a cube without
        ``cube_mode``, a spectral WCS card that is not a number (``cube_mode="moments"``),
        all-blank data, mixed shapes without a size policy, and the other cases the message
        explains.

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
    check_positive_int(n_threads, name="n_threads", where=where)
    if n_processes is not None:
        check_positive_int(n_processes, name="n_processes", where=where)
    if isinstance(keywords, str):
        keywords = (keywords,)
    options = ReadOptions(
        hdu=hdu,
        squeeze=bool(squeeze),
        cube_mode=cube_mode,
        n_channels=n_channels,
        nan_policy=nan_policy,
        keywords=tuple(str(k).upper() for k in keywords),
        keep_header=pixel_scale is not None,
    )

    files = resolve_sources(source)
    if n_processes is None:
        cores = os.cpu_count() or 1
        n_processes = 1 if len(files) < PROCESSES_MIN_FILES else max(1, min(cores, 8))
    show = len(files) > PROGRESS_MIN_FILES if progress is None else bool(progress)

    plan = ChunkPlan(
        options=options,
        policy=SizePolicy(size, resize_mode, _pixel_scale_deg(pixel_scale)),
        on_error=on_error,
        normalize=normalize,
        per_channel=cube_mode == "moments",
    )
    writer = StackWriter(cache_dir)
    rows: list[dict[str, Any]] = []
    skipped: list[tuple[str, str, str]] = []
    try:
        bar = progress_bar(total=len(files), disable=not show, desc="Reading FITS", unit="file")
        with bar:
            chunks = read_in_chunks(
                files,
                plan,
                chunk_size=CHUNK_FILES,
                chunk_bytes=CHUNK_BYTES,
                n_threads=n_threads,
                n_processes=n_processes,
            )
            for chunk, result in chunks:
                bar.update(len(chunk))
                skipped.extend(result.skipped)
                if result.images is None or result.mask is None:
                    continue
                if writer.image_shape is not None and writer.image_shape != result.images.shape[1:]:
                    raise mixed_shapes_error(
                        (writer.first_file, writer.image_shape),
                        (result.first_file, result.images.shape[1:]),
                    )
                writer.append(result.images, result.mask, first_file=result.first_file)
                rows.extend(result.rows)
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
