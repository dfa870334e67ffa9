"""astromorph_nb: find structure in large sets of astronomical images without labels.

The package is laid out as the pipeline it implements; imports only point down this list::

    io        read FITS files, mosaics + catalogues; bundled and generated data sets
    data      ImageSet (N x C x ny x nx float32 + blank mask + metadata); preprocessing
    augment   batched, on-device sky augmentations (rotations, flips, PSF blur, noise, ...)
    model     encoders, BYOL projection/prediction heads, the BYOL module
    train     the Trainer (synchronous loop + callbacks), TrainingJob (background thread)
    analysis  embeddings, t-SNE maps, neighbours, anomaly scores, clusters, evaluation
    plotting  publication figures (matplotlib)
    session   Session: the one object a notebook holds, from images to exports
    widgets   Jupyter panels: training panel, map explorer, augmentation preview, dashboard
    cli       the ``astromorph-nb`` command: demo, train, embed, export, info, sample, inspect

Quick start::

    import astromorph_nb as amn
    images = amn.read_fits("cutouts/*.fits", image_size=64, resize_mode="crop")
    sample = amn.datasets.hubble_deep_field()
    session = amn.Session(sample)
    session.train(n_epochs=50).wait()
    session.analyse().plot_map(color="cluster")
"""

from typing import TYPE_CHECKING

from astromorph_nb._lazy import attach
from astromorph_nb.exceptions import (
    AstromorphError,
    AstromorphWarning,
    BusyError,
    DataNotFoundError,
    InvalidFileError,
    InvalidImageError,
    NotReadyError,
    OutOfMemoryError,
    OutputExistsError,
    TrainingDivergedError,
)

__version__ = "0.1.0.dev0"

# Heavy parts (PyTorch, scikit-image) load on first use; see _lazy.py.
_LAZY = {
    "BYOL": "astromorph_nb.model.byol",
    "ImageSet": "astromorph_nb.data.imageset",
    "Session": "astromorph_nb.session",
    "Trainer": "astromorph_nb.train.trainer",
    "cutouts": "astromorph_nb.io.mosaics.stamps",
    "datasets": "astromorph_nb.datasets",
    "read_fits": "astromorph_nb.io.fits.reader",
    "write_fits": "astromorph_nb.io.fits.writer",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

if TYPE_CHECKING:
    from astromorph_nb import datasets
    from astromorph_nb.data.imageset import ImageSet
    from astromorph_nb.io.fits.reader import read_fits
    from astromorph_nb.io.fits.writer import write_fits
    from astromorph_nb.io.mosaics.stamps import cutouts
    from astromorph_nb.model.byol import BYOL
    from astromorph_nb.session import Session
    from astromorph_nb.train.trainer import Trainer

__all__ = [
    "BYOL",
    "AstromorphError",
    "AstromorphWarning",
    "BusyError",
    "DataNotFoundError",
    "ImageSet",
    "InvalidFileError",
    "InvalidImageError",
    "NotReadyError",
    "OutOfMemoryError",
    "OutputExistsError",
    "Session",
    "Trainer",
    "TrainingDivergedError",
    "__version__",
    "cutouts",
    "datasets",
    "read_fits",
    "write_fits",
]
