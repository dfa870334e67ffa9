"""Reading and writing files: FITS images, mosaics, bundled data sets (io layer).

This is the only layer that opens files. Names load on first use (see ``_lazy.py``), so a
FITS-reading worker process imports only what it needs.
"""

from typing import TYPE_CHECKING

from astromorph_nb._lazy import attach

__getattr__, __dir__ = attach(
    __name__,
    {
        "cutouts": "astromorph_nb.io.mosaics.stamps",
        # kept from when the data sets lived in io; they are astromorph_nb.datasets now
        "datasets": "astromorph_nb.datasets",
        "read_fits": "astromorph_nb.io.fits.reader",
        "write_fits": "astromorph_nb.io.fits.writer",
        "read_table": "astromorph_nb.io.export.tables",
        "write_table": "astromorph_nb.io.export.tables",
        "write_projector": "astromorph_nb.io.export.tensorboard",
        "SessionFiles": "astromorph_nb.io.store.session_folder",
        "read_session_folder": "astromorph_nb.io.store.session_folder",
        "write_session_folder": "astromorph_nb.io.store.session_folder",
    },
)

if TYPE_CHECKING:
    from astromorph_nb.io.export.tables import read_table, write_table
    from astromorph_nb.io.export.tensorboard import write_projector
    from astromorph_nb.io.fits.reader import read_fits
    from astromorph_nb.io.fits.writer import write_fits
    from astromorph_nb.io.mosaics.stamps import cutouts
    from astromorph_nb.io.store.session_folder import (
        SessionFiles,
        read_session_folder,
        write_session_folder,
    )

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
