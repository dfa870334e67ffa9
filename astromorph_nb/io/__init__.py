"""Reading and writing files: FITS images, mosaics, bundled data sets (io layer).

This is the only layer that opens files.
"""

from astromorph_nb.io.fits import read_fits

__all__ = ["read_fits"]
