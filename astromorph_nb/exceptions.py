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
    "OutOfMemoryError",
    "OutputExistsError",
    "TrainingDivergedError",
]

# Phrases of PyTorch's allocation failures on the CPU (c10's DefaultCPUAllocator and others).
_ALLOCATION_FAILURES = ("can't allocate memory", "not enough memory", "out of memory")


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


class OutOfMemoryError(AstromorphError, MemoryError):
    """The device ran out of memory for one batch; the message suggests a smaller batch size."""


def is_out_of_memory(err: BaseException) -> bool:
    """Return True if ``err`` is PyTorch's out-of-memory error (CUDA, MPS or CPU).

    Examples
    --------
    >>> is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: 1 GB"))
    True
    >>> is_out_of_memory(RuntimeError("shape mismatch"))
    False
    """
    if isinstance(err, MemoryError) or type(err).__name__ == "OutOfMemoryError":
        return True  # torch.OutOfMemoryError (CUDA) has this name; no torch import needed
    text = str(err).lower()
    return isinstance(err, RuntimeError) and any(p in text for p in _ALLOCATION_FAILURES)


def out_of_memory_message(batch_size: int, device: str, where: str, how: str) -> str:
    """Return the text of :class:`OutOfMemoryError`: what ran out, where, a smaller batch.

    Examples
    --------
    >>> "e.g. batch_size=32," in out_of_memory_message(64, "cpu", "Trainer.fit", "batch_size={n}")
    True
    """
    smaller = max(1, batch_size // 2)
    return (
        f"The {device} device ran out of memory in {where}. Expected one batch of "
        f"{batch_size} images to fit; it did not. Use a smaller batch size, e.g. "
        f"{how.format(n=smaller)}, or smaller images."
    )


class AstromorphWarning(UserWarning):
    """A recoverable problem: something was skipped, masked or changed, and we say what."""
