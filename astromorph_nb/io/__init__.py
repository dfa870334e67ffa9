"""Reading and writing files: FITS images, mosaics, bundled data sets (io layer).

This is the only layer that opens files. Names load on first use (see ``_lazy.py``), so a
FITS-reading worker process imports only what it needs.
"""

from typing import TYPE_CHECKING

from astromorph_nb._lazy import attach

__getattr__, __dir__ = attach(
    __name__,
    {
        "cutouts": "astromorph_nb.io.cutouts",
        "datasets": "astromorph_nb.io.datasets",
        "read_fits": "astromorph_nb.io.fits",
        "write_fits": "astromorph_nb.io.fits_writer",
    },
)

if TYPE_CHECKING:
    from astromorph_nb.io import datasets
    from astromorph_nb.io.cutouts import cutouts
    from astromorph_nb.io.fits import read_fits
    from astromorph_nb.io.fits_writer import write_fits

__all__ = ["cutouts", "datasets", "read_fits", "write_fits"]
