"""Exception and warning classes of astromorph_nb (base layer).

Every class subclasses a built-in as well, so ``except ValueError`` or ``except OSError``
keeps working in user code that does not know about astromorph_nb.
"""

from __future__ import annotations

__all__ = [
    "AstromorphError",
    "AstromorphWarning",
    "BusyError",
    "DataNotFoundError",
    "InvalidFileError",
    "InvalidImageError",
    "NotReadyError",
    "OutputExistsError",
    "TrainingDivergedError",
]


class AstromorphError(Exception):
    """Base class of every error raised by astromorph_nb."""


class DataNotFoundError(AstromorphError, FileNotFoundError):
    """A path, directory, glob pattern or file list named no existing file."""


class InvalidFileError(AstromorphError, OSError):
    """A file exists but cannot be read as FITS (not FITS, truncated, corrupt, no permission)."""


class OutputExistsError(AstromorphError, FileExistsError):
    """A file we were asked to write exists already and overwriting was not allowed."""


class InvalidImageError(AstromorphError, ValueError):
    """Data that cannot become images: wrong NAXIS, all blank, empty HDU, mixed shapes."""


class NotReadyError(AstromorphError, RuntimeError):
    """A step needs the result of an earlier step that has not run yet."""


class BusyError(AstromorphError, RuntimeError):
    """The model is in use by a running training job."""


class TrainingDivergedError(AstromorphError, FloatingPointError):
    """The loss or the gradients became NaN or infinite; the weights from before are kept."""


class AstromorphWarning(UserWarning):
    """A recoverable problem: something was skipped, masked or changed, and we say what."""
