"""Checks that an output can be written, made before the work that produces it (io layer).

``astromorph-nb train`` runs these before training starts, so that a run is not lost at
its end to an output it cannot write: a folder where a file should go, a folder that
cannot be created or written in, a file name no writer knows, a writer missing its
package. They only look; nothing is created.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from astromorph_nb._typing import PathLike
from astromorph_nb.exceptions import AstromorphError, OutputExistsError
from astromorph_nb.io.export.tables import TABLE_FORMATS

__all__ = [
    "OutputNotWritableError",
    "check_file_target",
    "check_table_target",
    "check_writable_parent",
]


class OutputNotWritableError(AstromorphError, PermissionError):
    """The folder an output goes in cannot be created or written in."""


def check_writable_parent(path: PathLike) -> None:
    """Check that the folder holding ``path`` exists or can be created, and is writable.

    Raises
    ------
    OutputNotWritableError
        If a file stands where a folder on the way must be, or the nearest existing folder
        may not be written in.
    """
    target = Path(path).expanduser().absolute()
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        msg = (
            f"{str(target)!r} cannot be written: {str(folder)!r} is a file, where a folder "
            "is needed on the way. Choose another path, or move that file."
        )
        raise OutputNotWritableError(msg)
    if not os.access(folder, os.W_OK | os.X_OK):
        msg = (
            f"{str(target)!r} cannot be written: the folder {str(folder)!r} is not writable "
            "by you. Choose a path in a folder you may write in (or ask for write access)."
        )
        raise OutputNotWritableError(msg)


def check_file_target(path: PathLike, *, overwrite: bool) -> Path:
    """Check that a file can be written at ``path`` (replacing one only if ``overwrite``).

    Returns
    -------
    pathlib.Path
        The path, with ``~`` expanded.

    Raises
    ------
    OutputExistsError
        If ``path`` is a folder, or a file while ``overwrite`` is False.
    OutputNotWritableError
        If its folder cannot be created or written in.

    Examples
    --------
    >>> import tempfile
    >>> check_file_target(Path(tempfile.mkdtemp()) / "run.checkpoint.pt", overwrite=False).name
    'run.checkpoint.pt'
    """
    target = Path(path).expanduser()
    problem = None
    if target.is_dir():
        problem = "is a folder, where a file is to be written. Choose another name, or move it"
    elif target.exists() and not overwrite:
        problem = "exists already. Choose another name, or allow overwriting to replace it"
    if problem is not None:
        msg = f"{str(target)!r} {problem}."
        raise OutputExistsError(msg)
    check_writable_parent(target)
    return target


def check_table_target(path: PathLike, *, overwrite: bool) -> Path:
    """Check :func:`check_file_target`, and that ``write_table`` can write this format.

    Raises
    ------
    ValueError
        If the file name does not end in a table format (``.fits``, ``.ecsv``, ``.csv``,
        ``.parquet``, ...).
    ImportError
        For Parquet without pyarrow installed.
    OutputExistsError, OutputNotWritableError
        As :func:`check_file_target`.
    """
    target = Path(path).expanduser()
    name = target.name.lower()
    extension = next((ending for ending in TABLE_FORMATS if name.endswith(ending)), None)
    if extension is None:
        msg = (
            f"{target.name!r} is not a table file name: expected one ending in "
            f"{', '.join(sorted(TABLE_FORMATS))}; got {target.suffix or 'no extension'!r}. "
            "Rename it."
        )
        raise ValueError(msg)
    if TABLE_FORMATS[extension] == "parquet" and importlib.util.find_spec("pyarrow") is None:
        msg = f"Writing {target.name!r} as Parquet needs pyarrow. Install it: pip install pyarrow"
        raise ImportError(msg)
    return check_file_target(target, overwrite=overwrite)
