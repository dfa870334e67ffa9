"""Write the images of an ImageSet to FITS files, one file per image (io layer).

This is how generated or bundled data sets become a folder of FITS cutouts, e.g. to try
:func:`~astromorph_nb.io.fits.reader.read_fits` or the command line on them.
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path

import numpy as np
from astropy.io import fits

from astromorph_nb._typing import PathLike
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.exceptions import OutputExistsError

__all__ = ["write_fits"]

#: Metadata column -> FITS header keyword, copied where the column exists.
HEADER_KEYWORDS = {"OBJECT": "OBJECT", "RA": "RA", "DEC": "DEC", "BUNIT": "BUNIT", "label": "LABEL"}
_COMMENTS = {
    "OBJECT": "name of the object",
    "RA": "right ascension of the image center (deg)",
    "DEC": "declination of the image center (deg)",
    "BUNIT": "unit of the pixel values",
    "LABEL": "class label",
}


def _header_value(value: object) -> str | int | float | None:
    """Return ``value`` as a FITS header value, or None if it is blank, masked or not finite."""
    if value is None or value is np.ma.masked:
        return None
    if isinstance(value, (str, np.str_, bytes)):
        text = value.decode() if isinstance(value, bytes) else str(value)
        return text or None
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(float(value)) else None
    return None


def write_fits(
    images: ImageSet,
    directory: PathLike,
    *,
    prefix: str = "image",
    overwrite: bool = False,
) -> list[Path]:
    """Write each image to its own FITS file, with header keywords from the metadata.

    Parameters
    ----------
    images : ImageSet
        The images to write. An image of one channel becomes a 2-D primary HDU (ny, nx);
        one of C > 1 channels becomes a cube (C, ny, nx), i.e. NAXIS3 = C.
    directory : str or os.PathLike
        Folder for the files; created (with its parents) if it does not exist.
    prefix : str, default="image"
        Start of every file name. Files are named ``<prefix>_0000.fits``,
        ``<prefix>_0001.fits``, ...; the number is the image index, zero-padded (at least 4
        digits) so that the names sort in image order.
    overwrite : bool, default=False
        Replace files that already exist. Without it nothing is written when any target
        file exists.

    Returns
    -------
    list of pathlib.Path
        The files written, in image order.

    Raises
    ------
    OutputExistsError
        If a target file exists and ``overwrite`` is False (also an ``OSError``).

    Notes
    -----
    Pixels are written as float32 (BITPIX = -32). Blank pixels (``images.mask``) are written
    as NaN, the FITS convention, so that :func:`~astromorph_nb.io.fits.reader.read_fits` masks them
    again. The metadata columns ``OBJECT``, ``RA``, ``DEC``, ``BUNIT`` and ``label`` become
    the keywords OBJECT, RA, DEC, BUNIT and LABEL where a value is present.

    Examples
    --------
    >>> import tempfile
    >>> from astromorph_nb.datasets import synthetic
    >>> images = synthetic(n_per_class=1, image_size=16, random_state=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_fits(images, folder, prefix="mock")
    ...     [path.name for path in paths[:2]]
    ['mock_0000.fits', 'mock_0001.fits']
    """
    if not isinstance(images, ImageSet):
        msg = (
            f"write_fits needs an ImageSet; got {type(images).__name__}. "
            "Wrap an array of shape (n_images, ny, nx) with ImageSet.from_arrays(array) first."
        )
        raise TypeError(msg)
    if not isinstance(prefix, str) or not prefix or any(s in prefix for s in ("/", os.sep)):
        msg = (
            "The 'prefix' parameter of write_fits must be a non-empty file name without "
            f"folder separators; got {prefix!r}. Put folders in 'directory' instead."
        )
        raise ValueError(msg)
    folder = Path(directory)
    width = max(4, len(str(len(images) - 1)))
    paths = [folder / f"{prefix}_{index:0{width}d}.fits" for index in range(len(images))]
    existing = [path for path in paths if path.exists()]
    if existing and not overwrite:
        others = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        msg = (
            f"Refusing to overwrite the existing file {str(existing[0])!r}{others}. "
            "Pass overwrite=True to replace it, or choose another directory or prefix. "
            "Nothing was written."
        )
        raise OutputExistsError(msg)
    folder.mkdir(parents=True, exist_ok=True)
    data = images.images.detach().cpu().numpy()
    blank = images.mask.detach().cpu().numpy()
    meta = images.meta
    columns = [
        (column, keyword) for column, keyword in HEADER_KEYWORDS.items() if column in meta.colnames
    ]
    for index, path in enumerate(paths):
        image = np.where(blank[index], np.float32(np.nan), data[index]).astype(np.float32)
        header = fits.Header()
        for column, keyword in columns:
            value = _header_value(meta[column][index])
            if value is not None:
                header[keyword] = (value, _COMMENTS[keyword])
        hdu = fits.PrimaryHDU(data=image[0] if image.shape[0] == 1 else image, header=header)
        hdu.writeto(path, overwrite=overwrite)
    return paths
