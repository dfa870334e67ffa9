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
        "read_table": "astromorph_nb.io.tables",
        "write_table": "astromorph_nb.io.tables",
        "write_projector": "astromorph_nb.io.tensorboard",
        "SessionFiles": "astromorph_nb.io.session_store",
        "read_session_folder": "astromorph_nb.io.session_store",
        "write_session_folder": "astromorph_nb.io.session_store",
    },
)

if TYPE_CHECKING:
    from astromorph_nb.io import datasets
    from astromorph_nb.io.cutouts import cutouts
    from astromorph_nb.io.fits import read_fits
    from astromorph_nb.io.fits_writer import write_fits
    from astromorph_nb.io.session_store import (
        SessionFiles,
        read_session_folder,
        write_session_folder,
    )
    from astromorph_nb.io.tables import read_table, write_table
    from astromorph_nb.io.tensorboard import write_projector

__all__ = [
    "SessionFiles",
    "cutouts",
    "datasets",
    "read_fits",
    "read_session_folder",
    "read_table",
    "write_fits",
    "write_projector",
    "write_session_folder",
    "write_table",
]
