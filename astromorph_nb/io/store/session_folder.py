r"""Write and read the folder of a saved session, atomically and without pickles (io layer).

Layout of a session folder::

    session.json      format_version, array names, meta file name, has_state, and ``info``
    <name>.npy        one per array (np.save, never pickled; object arrays are refused)
    meta.fits         the per-image metadata table (meta.ecsv for tables with mixin columns)
    state.pt          torch state (tensors, numbers, strings, lists, dicts), if any

Writing goes into a hidden sibling folder ``.<name>.tmp-<random>``; every file is flushed
to disk, then the folder is renamed into place. When replacing a saved session, the old
folder is first renamed aside (``.<name>.old-<random>``), the new one moved in, and only
then the old one deleted. A crash therefore never leaves half a session at ``path``. Only a
folder holding our ``session.json`` and our files is ever replaced, so user data is never
deleted. On Windows, close sessions whose arrays are memory-mapped from the folder before
replacing it.

Reading runs no code from the folder: arrays are loaded with ``allow_pickle=False``, and
``state.pt`` with ``torch.load(weights_only=True)``, which refuses pickled Python objects.
Before anything is opened, the names the folder gives are checked to stay inside it, and
the sizes it declares to match the files (``io/store/safety.py``).
Arrays of 1 MiB or more are memory-mapped read-only (``mmap=True``), so opening a large
session costs almost nothing until the data are used; copy them (``np.array(a)``) before
changing them.

``io/store/_meta_table.py`` stores the metadata table (and says why as FITS);
``io/store/_state_file.py`` writes and reads ``state.pt``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from astropy.table import QTable, Table
from yaml import YAMLError

from astromorph_nb._typing import PathLike
from astromorph_nb.exceptions import DataNotFoundError, InvalidFileError, OutputExistsError
from astromorph_nb.io._atomic import fsync_path
from astromorph_nb.io.store._meta_table import (
    META_FILES,
    meta_file_name,
    read_meta_table,
    write_meta_table,
)
from astromorph_nb.io.store._state_file import STATE_FILE, read_state, write_state
from astromorph_nb.io.store.safety import (
    ARRAY_NAME,
    check_payload,
    damaged,
    folder_file,
    npy_header,
)

__all__ = [
    "FORMAT_VERSION",
    "MMAP_MIN_BYTES",
    "SessionFiles",
    "check_session_target",
    "read_session_folder",
    "write_session_folder",
]

#: Version of the folder layout; readers refuse folders from newer versions.
FORMAT_VERSION = 1
#: Arrays whose file is at least this many bytes are memory-mapped when ``mmap=True``.
MMAP_MIN_BYTES = 1 << 20

_INFO_FILE = "session.json"


@dataclass
class SessionFiles:
    """Everything a saved session holds, as plain Python and numpy objects.

    Parameters
    ----------
    info : dict
        JSON-able values (version, settings, status, training config, ...). numpy scalars
        are stored as Python numbers.
    arrays : dict of str to ndarray
        Named arrays (``"embeddings"``, ``"tsne_coordinates"``, ``"thumbnails"``, ...).
        Names are file names: letters, digits, ``_``, ``.`` and ``-``.
    meta : astropy.table.Table
        The per-image metadata table.
    state : dict or None, default=None
        Torch state (state dicts of tensors, numbers, strings, lists and dicts), loadable
        with ``torch.load(weights_only=True)``.
    """

    info: dict[str, Any]
    arrays: dict[str, np.ndarray]
    meta: Table
    state: dict[str, Any] | None = None


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    msg = f"Object of type {type(value).__name__} is not JSON serializable"
    raise TypeError(msg)


def _info_text(files: SessionFiles) -> str:
    """Return the text of session.json, or raise a TypeError naming what is not JSON-able."""
    payload = {
        "format_version": FORMAT_VERSION,
        "arrays": list(files.arrays),
        "meta_file": meta_file_name(files.meta),
        "meta_class": "QTable" if isinstance(files.meta, QTable) else "Table",
        "has_state": files.state is not None,
        "info": files.info,
    }
    try:
        return json.dumps(payload, indent=2, ensure_ascii=False, default=_json_default) + "\n"
    except (TypeError, ValueError) as err:
        msg = (
            f"The session info cannot be stored as JSON in write_session_folder: {err}. "
            "Expected numbers, strings, bools, None, lists and dicts with str keys."
        )
        raise TypeError(msg) from err


def _check_files(files: Any) -> dict[str, np.ndarray]:
    """Validate ``files``; return its arrays as numpy arrays."""
    if not isinstance(files, SessionFiles):
        msg = (
            "The 'files' parameter of write_session_folder must be a SessionFiles; got "
            f"{type(files).__name__}."
        )
        raise TypeError(msg)
    if not isinstance(files.meta, Table):
        msg = f"SessionFiles.meta must be an astropy Table; got {type(files.meta).__name__}."
        raise TypeError(msg)
    if files.state is not None and not isinstance(files.state, dict):
        msg = f"SessionFiles.state must be a dict or None; got {type(files.state).__name__}."
        raise TypeError(msg)
    arrays = {}
    for name, value in files.arrays.items():
        if not isinstance(name, str) or not ARRAY_NAME.fullmatch(name):
            msg = (
                f"Invalid array name {name!r} in SessionFiles.arrays. Expected letters, "
                "digits, '_', '.' and '-' (not first), at most 100 characters; e.g. "
                "'tsne_coordinates'."
            )
            raise ValueError(msg)
        array = np.asarray(value)
        if array.dtype.hasobject:
            msg = (
                f"Array {name!r} in SessionFiles.arrays holds Python objects (dtype "
                f"{array.dtype}), which would need pickling; sessions never store pickles. "
                "Convert it to a numeric, bool or str dtype."
            )
            raise TypeError(msg)
        arrays[name] = array
    return arrays


def check_session_target(path: PathLike, *, overwrite: bool) -> bool:
    """Check that a session folder may be written at ``path``, before any work is done.

    Returns
    -------
    bool
        True if ``path`` is a saved session that will be replaced, False if it does not
        exist or is an empty folder.

    Raises
    ------
    OutputExistsError
        If ``path`` must be kept: it is not a saved session, it holds other files, or
        ``overwrite`` is False.
    """
    target = Path(path).expanduser()
    if not target.exists() and not target.is_symlink():
        return False
    if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
        return False  # an empty folder holds nothing to lose
    if not target.is_dir() or target.is_symlink() or not (target / _INFO_FILE).is_file():
        msg = (
            f"{str(target)!r} exists and is not a saved session (a folder with "
            f"{_INFO_FILE}) in write_session_folder. It is never replaced, even with "
            "overwrite=True. Choose another path."
        )
        raise OutputExistsError(msg)
    if not overwrite:
        msg = (
            f"A saved session exists already at {str(target)!r} in write_session_folder. "
            "Choose another path, or pass overwrite=True to replace it."
        )
        raise OutputExistsError(msg)
    known = {_INFO_FILE, STATE_FILE, *META_FILES, ".DS_Store"}
    foreign = sorted(
        entry.name
        for entry in target.iterdir()
        if not (entry.is_file() and (entry.name in known or entry.suffix == ".npy"))
    )
    if foreign:
        listed = ", ".join(repr(name) for name in foreign[:5])
        msg = (
            f"The saved session at {str(target)!r} also holds files that are not part of "
            f"it ({listed}) in write_session_folder. They would be deleted, so the folder "
            "is not replaced. Move them elsewhere, or choose another path."
        )
        raise OutputExistsError(msg)
    return True


def write_session_folder(path: PathLike, files: SessionFiles, *, overwrite: bool = False) -> Path:
    """Write ``files`` as a session folder at ``path``, atomically; return the path.

    Parameters
    ----------
    path : str or os.PathLike
        The session folder. Its parent is created if needed.
    files : SessionFiles
        What to save.
    overwrite : bool, default=False
        Replace a session saved at ``path`` before. A folder that is not a saved session
        (no ``session.json``, or other files in it) is never replaced.

    Returns
    -------
    pathlib.Path
        The session folder.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and may not be replaced (see ``overwrite``).
    TypeError
        If ``info`` is not JSON-able, an array holds Python objects, ``state`` cannot be
        loaded with ``weights_only=True``, or a metadata column has an unsupported dtype.
    ValueError
        If an array name is not a valid file name.

    Warns
    -----
    AstromorphWarning
        If table ``meta`` entries cannot be saved (they are left out).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "run1"
    >>> files = SessionFiles({"status": "trained"}, {"embeddings": np.eye(2)}, Table({"a": [1, 2]}))
    >>> sorted(p.name for p in write_session_folder(folder, files).iterdir())
    ['embeddings.npy', 'meta.fits', 'session.json']
    """
    arrays = _check_files(files)
    info_text = _info_text(files)
    target = Path(path).expanduser()
    replace = check_session_target(target, overwrite=overwrite)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    temporary = parent / f".{target.name}.tmp-{token}"
    temporary.mkdir()
    try:
        for name, array in arrays.items():
            with (temporary / f"{name}.npy").open("wb") as handle:
                np.save(handle, array, allow_pickle=False)
        write_meta_table(files.meta, temporary)
        if files.state is not None:
            write_state(files.state, temporary / STATE_FILE)
        # A lone surrogate (a file name that is not UTF-8) becomes its JSON escape.
        (temporary / _INFO_FILE).write_text(info_text, encoding="utf-8", errors="backslashreplace")
        for entry in temporary.iterdir():
            fsync_path(entry)
        fsync_path(temporary)
        if replace:
            old = parent / f".{target.name}.old-{token}"
            target.replace(old)
            try:
                temporary.replace(target)
            except BaseException:
                old.replace(target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            if target.is_dir():
                target.rmdir()  # empty (checked above)
            temporary.replace(target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    fsync_path(parent)
    return target


def _read_info(source: Path) -> dict[str, Any]:
    try:
        info_file = folder_file(source, _INFO_FILE, field=_INFO_FILE)
        payload = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise damaged(source, f"cannot read {_INFO_FILE} ({err})") from err
    version = payload.get("format_version") if isinstance(payload, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise damaged(source, f"{_INFO_FILE} has no valid format_version")
    if version > FORMAT_VERSION:
        msg = (
            f"The session at {str(source)!r} was saved by a newer astromorph_nb (folder "
            f"format {version}; this version reads up to {FORMAT_VERSION}). Upgrade: "
            "pip install --upgrade astromorph-nb."
        )
        raise InvalidFileError(msg)
    return payload


def read_session_folder(path: PathLike, *, mmap: bool = True) -> SessionFiles:
    """Read a session folder written by :func:`write_session_folder`, running no code from it.

    Parameters
    ----------
    path : str or os.PathLike
        The session folder.
    mmap : bool, default=True
        Memory-map arrays of :data:`MMAP_MIN_BYTES` or more, read-only, instead of
        reading them into memory.

    Returns
    -------
    SessionFiles
        ``info`` as saved (numpy scalars became Python numbers), the arrays, the metadata
        table and the state (None if none was saved).

    Raises
    ------
    DataNotFoundError
        If ``path`` does not exist.
    InvalidFileError
        If ``path`` is not a saved session, was saved by a newer version, is damaged, or
        its ``state.pt`` contains pickled code (which is never executed).

    Examples
    --------
    >>> import tempfile
    >>> files = SessionFiles({"step": 3}, {"scores": np.arange(3.0)}, Table({"a": [1, 2, 3]}))
    >>> folder = write_session_folder(Path(tempfile.mkdtemp()) / "run", files)
    >>> loaded = read_session_folder(folder)
    >>> loaded.info, loaded.arrays["scores"].tolist(), loaded.meta["a"].tolist(), loaded.state
    ({'step': 3}, [0.0, 1.0, 2.0], [1, 2, 3], None)
    """
    source = Path(path).expanduser()
    if not source.exists():
        msg = f"No saved session at {str(source)!r} in read_session_folder. Check the path."
        raise DataNotFoundError(msg)
    if not source.is_dir() or not (source / _INFO_FILE).is_file():
        msg = (
            f"{str(source)!r} is not a saved session: it has no {_INFO_FILE}. Expected a "
            "folder written by session.save(path)."
        )
        raise InvalidFileError(msg)
    payload = _read_info(source)
    names = check_payload(payload, source, meta_files=META_FILES)
    meta_file = source / payload["meta_file"]
    if not meta_file.is_file():
        raise damaged(source, f"its metadata table {meta_file.name} is missing")
    files = {name: source / f"{name}.npy" for name in names}
    for file in files.values():
        if not file.is_file():
            raise damaged(source, f"{file.name} is missing")
        npy_header(file, source)  # sizes match before anything is allocated
    table_class = QTable if payload["meta_class"] == "QTable" else Table
    try:
        meta = read_meta_table(meta_file, table_class, source)
    except (OSError, ValueError, KeyError, TypeError, IndexError, YAMLError) as err:
        raise damaged(source, f"cannot read {meta_file.name} ({err})") from err
    arrays = {}
    for name, file in files.items():
        mode: Literal["r"] | None = "r" if mmap and file.stat().st_size >= MMAP_MIN_BYTES else None
        try:
            arrays[name] = np.load(file, allow_pickle=False, mmap_mode=mode)
        except (OSError, ValueError, EOFError) as err:
            raise damaged(source, f"cannot read {file.name} ({err})") from err
    state = None
    if payload["has_state"]:
        state = read_state(source)
    return SessionFiles(info=payload["info"], arrays=arrays, meta=meta, state=state)
