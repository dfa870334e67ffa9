"""Write files so that a crash leaves the old file or the new one, never half of one (io layer).

Every writer of the package (result tables, the companion page, TensorBoard files,
checkpoints, session folders) writes to a temporary name in the target's folder, flushes
it to disk and renames it onto the target with ``os.replace``, which is atomic on POSIX
and Windows. On any error, KeyboardInterrupt included, the temporary file is removed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from astromorph_nb.exceptions import OutputExistsError

__all__ = ["fsync_path", "refuse_existing", "replace_atomically"]


def fsync_path(path: Path) -> None:
    """Flush a file, or a folder's entries (POSIX only), to disk."""
    if path.is_dir():
        if os.name == "nt":  # Windows cannot open folders for fsync
            return
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        return
    with path.open("rb+") as handle:  # Windows needs a writable handle
        os.fsync(handle.fileno())


@contextmanager
def replace_atomically(target: Path, *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success move it onto ``target``.

    The caller writes the temporary file. It is then flushed to disk and renamed onto
    ``target`` with ``os.replace``. On any error the temporary file is removed and the
    error propagates.

    Parameters
    ----------
    target : pathlib.Path
        The final file; its folder must exist.
    suffix : str, default=""
        Ending of the temporary name, for writers that look at it (``".fits.gz"``).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "notes.txt"
    >>> with replace_atomically(target) as temporary:
    ...     _ = temporary.write_text("M 31")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('M 31', ['notes.txt'])
    """
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    temporary = target.parent / f".{target.name}.{token}.tmp{suffix}"
    try:
        yield temporary
        fsync_path(temporary)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def refuse_existing(target: Path, *, overwrite: bool, where: str) -> None:
    """Raise unless ``target`` is absent or ``overwrite`` allows replacing it.

    Raises
    ------
    OutputExistsError
        If ``target`` exists and ``overwrite`` is False; the message names ``where``.
    """
    if target.exists() and not overwrite:
        msg = (
            f"{str(target)!r} exists already in {where}. Choose another name, "
            "or pass overwrite=True to replace it."
        )
        raise OutputExistsError(msg)
