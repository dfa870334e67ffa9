"""Checks that a saved session folder points only inside itself and declares true sizes (io).

A session folder may come from anyone, so
:func:`~astromorph_nb.io.store.session_folder.read_session_folder` checks before it opens or
allocates anything:

- every file it names (``session.json``'s ``arrays`` and ``meta_file``, ``state.pt``) is a
  plain file name inside the folder: no separators, no ``..``, no absolute paths, and no
  symbolic link that leads out of the folder. Otherwise a folder could make the reader load,
  and ``Session.to_html`` then publish, any file of the user's;
- every ``.npy`` header (read with ``np.lib.format``) declares exactly as many bytes as the
  file holds, and no Python objects;
- the metadata table's FITS extensions fit in the file, and its ``SCHEMA`` declares as many
  rows as are stored and columns no larger than their stored data.

A folder that fails is refused with an :class:`~astromorph_nb.exceptions.InvalidFileError`
naming the field, what was expected and what was found.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from astromorph_nb.exceptions import InvalidFileError

__all__ = [
    "ARRAY_NAME",
    "check_array_names",
    "check_fits_sizes",
    "check_meta_schema",
    "check_payload",
    "damaged",
    "folder_file",
    "npy_header",
]

#: A valid array name: the file name of ``<name>.npy`` without the extension.
ARRAY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_DTYPE_KINDS = "biufcUS"  # what a metadata column may hold
_MAX_ITEMSIZE = 1 << 20  # bytes of one metadata value
_MAX_GROWTH = 64  # restored bytes of a column per stored byte, beyond 64 MiB
_SLACK_BYTES = 64 << 20


def damaged(source: Path, problem: str) -> InvalidFileError:
    """Return the error for a session folder at ``source`` that is damaged by ``problem``."""
    msg = (
        f"The saved session at {str(source)!r} is damaged: {problem}. Save the session "
        "again, or restore the folder from a copy."
    )
    return InvalidFileError(msg)


def folder_file(source: Path, name: Any, *, field: str) -> Path:
    """Return the file ``name`` inside the folder ``source``, refusing names that leave it.

    Raises
    ------
    InvalidFileError
        If ``name`` is not a plain file name (a separator, ``..``, an absolute path) or is
        a symbolic link that resolves outside ``source``; the message names ``field``.
    """
    plain = (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(char in name for char in "/\\:\0")
        and not Path(name).is_absolute()
    )
    if not plain:
        problem = (
            f"{field} is {name!r}; expected a plain file name inside the folder (no "
            "separators, no '..', no absolute path)"
        )
        raise damaged(source, problem)
    path = source / name
    if path.is_symlink():
        resolved = path.resolve()
        if resolved.parent != source.resolve():
            problem = (
                f"{field} names {name!r}, a symbolic link to {str(resolved)!r} outside the "
                "folder; expected a file inside the folder"
            )
            raise damaged(source, problem)
    return path


def check_array_names(names: Any, source: Path) -> list[str]:
    """Return the ``arrays`` list of ``session.json``, checked to be unique valid names."""
    if not isinstance(names, list):
        problem = f"session.json field 'arrays' is {type(names).__name__}; expected a list"
        raise damaged(source, problem)
    for index, name in enumerate(names):
        if not isinstance(name, str) or not ARRAY_NAME.fullmatch(name):
            problem = (
                f"session.json field 'arrays[{index}]' is {name!r}; expected a plain name of "
                "letters, digits, '_', '.' and '-' (not first) naming a .npy file in the folder"
            )
            raise damaged(source, problem)
        folder_file(source, f"{name}.npy", field=f"session.json field 'arrays[{index}]'")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problem = f"session.json field 'arrays' lists {repeated} more than once"
        raise damaged(source, problem)
    return names


def check_payload(
    payload: dict[str, Any], source: Path, *, meta_files: tuple[str, ...]
) -> list[str]:
    """Check the fields of ``session.json`` that name files and say what to read.

    Returns the array names. ``meta_file`` must be one of ``meta_files``, ``meta_class``
    ``"Table"`` or ``"QTable"``, ``has_state`` a bool and ``info`` a dict.
    """
    names = check_array_names(payload.get("arrays"), source)
    meta_name = payload.get("meta_file")
    if meta_name not in meta_files:
        problem = f"session.json field 'meta_file' is {meta_name!r}; expected one of {meta_files}"
        raise damaged(source, problem)
    folder_file(source, meta_name, field="session.json field 'meta_file'")
    expected = {
        "meta_class": ("'Table' or 'QTable'", lambda v: v in ("Table", "QTable")),
        "has_state": ("true or false", lambda v: isinstance(v, bool)),
        "info": ("a dict", lambda v: isinstance(v, dict)),
    }
    for field, (what, valid) in expected.items():
        if not valid(payload.get(field)):
            problem = f"session.json field {field!r} is {payload.get(field)!r}; expected {what}"
            raise damaged(source, problem)
    return names


def npy_header(file: Path, source: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Return the shape and dtype a ``.npy`` file declares, checked against its size.

    Raises
    ------
    InvalidFileError
        If the header cannot be read, declares Python objects, or declares more or fewer
        bytes than the file holds.
    """
    with file.open("rb") as handle:
        try:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                msg = f"unsupported .npy format version {version}"
                raise ValueError(msg)
        except (ValueError, OSError, EOFError, SyntaxError) as err:
            raise damaged(source, f"cannot read the header of {file.name} ({err})") from err
        offset = handle.tell()
    if dtype.hasobject:
        problem = f"{file.name} holds Python objects (dtype {dtype}), which need pickling"
        raise damaged(source, problem)
    declared = math.prod(shape) * dtype.itemsize
    stored = file.stat().st_size - offset
    if declared != stored:
        problem = (
            f"{file.name} declares an array of shape {shape} and dtype {dtype} "
            f"({declared:,} bytes) but holds {stored:,} bytes of data"
        )
        raise damaged(source, problem)
    return tuple(shape), dtype


def check_fits_sizes(hdus: fits.HDUList, path: Path, source: Path) -> None:
    """Check that every extension of ``hdus`` fits in the file, before any data is read."""
    size = path.stat().st_size
    for index in range(len(hdus)):
        info = hdus.fileinfo(index)
        if info is not None and info["datLoc"] + hdus[index].size > size:
            problem = (
                f"extension {index} of {path.name} declares {hdus[index].size:,} bytes of "
                f"data, more than the file's {size:,} bytes"
            )
            raise damaged(source, problem)


def _schema_problem(entry: Any, data: fits.FITS_rec | None) -> str | None:
    """Return what is wrong with one column ``entry`` of the metadata SCHEMA, or None."""
    keys = ("name", "data", "mask", "dtype", "shape", "unit", "description", "format", "meta")
    if not isinstance(entry, dict) or set(entry) != set(keys):
        return f"is not a dict with the keys {', '.join(keys)}"
    if not isinstance(entry["name"], str) or not isinstance(entry["meta"], dict):
        return "has no str 'name' or no dict 'meta'"
    for key in ("unit", "description", "format", "mask"):
        if entry[key] is not None and not isinstance(entry[key], str):
            return f"has {key} {entry[key]!r}; expected a str or None"
    try:
        dtype = np.dtype(entry["dtype"])
    except (TypeError, ValueError):
        return f"has dtype {entry['dtype']!r}; expected a numpy dtype string such as '<f8'"
    if dtype.kind not in _DTYPE_KINDS or not 0 < dtype.itemsize <= _MAX_ITEMSIZE:
        return f"has dtype {dtype}; expected numbers, bools or text of at most 1 MiB a value"
    shape = entry["shape"]
    if not isinstance(shape, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
    ):
        return f"has shape {shape!r}; expected a list of non-negative ints"
    names = () if data is None else data.columns.names
    for key in ("data", "mask"):
        if entry[key] is not None and data is not None and entry[key] not in names:
            return (
                f"names {entry[key]!r} as its stored {key} column, but the META extension "
                "has no such column"
            )
    if data is None or entry["data"] not in names:
        return None
    stored = np.asarray(data[entry["data"]])
    restored = len(data) * math.prod(shape) * dtype.itemsize
    if restored > _MAX_GROWTH * stored.nbytes + _SLACK_BYTES:
        return (
            f"declares {restored:,} bytes (dtype {dtype}, shape {shape}), far more than the "
            f"{stored.nbytes:,} bytes it stores"
        )
    return None


def check_meta_schema(
    schema: Any, data: fits.FITS_rec | None, path: Path, source: Path
) -> tuple[int, list[dict[str, Any]]]:
    """Check the ``SCHEMA`` of a metadata table against its stored data; return rows, columns.

    Raises
    ------
    InvalidFileError
        If a field is missing or has the wrong type, the number of rows differs from the
        rows stored, or a column declares far more data than it stores.
    """
    if not isinstance(schema, dict) or not isinstance(schema.get("columns"), list):
        problem = f"the SCHEMA of {path.name} is not a dict with a 'columns' list"
        raise damaged(source, problem)
    n_rows = schema.get("n_rows")
    stored_rows = 0 if data is None else len(data)
    if not isinstance(n_rows, int) or isinstance(n_rows, bool) or n_rows != stored_rows:
        problem = (
            f"the SCHEMA of {path.name} has n_rows {n_rows!r}; expected {stored_rows}, the "
            "number of rows stored"
        )
        raise damaged(source, problem)
    if not isinstance(schema.get("meta", {}), dict):
        raise damaged(source, f"the SCHEMA of {path.name} has a 'meta' that is not a dict")
    for index, entry in enumerate(schema["columns"]):
        found = _schema_problem(entry, data)
        if found:
            raise damaged(source, f"column {index} of the SCHEMA of {path.name} {found}")
    return n_rows, schema["columns"]
