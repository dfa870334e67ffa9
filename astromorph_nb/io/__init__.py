"""Reading and writing files: FITS images, mosaics, bundled data sets (io layer).

This is the only layer that opens files.
"""

from astromorph_nb.io import datasets
from astromorph_nb.io.cutouts import cutouts
from astromorph_nb.io.fits import read_fits
from astromorph_nb.io.fits_writer import write_fits

__all__ = ["cutouts", "datasets", "read_fits", "write_fits"]
