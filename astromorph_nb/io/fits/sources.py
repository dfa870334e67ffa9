"""Turn what the user passed as ``source`` into a sorted list of files (io layer)."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from astromorph_nb.exceptions import DataNotFoundError
from astromorph_nb.io.fits.file_patterns import match_pattern, read_once

__all__ = ["FITS_SUFFIXES", "resolve_sources"]

#: File name endings treated as FITS when a directory is scanned (compressed ones included).
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz", ".fits.fz", ".fz")

_LIST_SUFFIXES = (".txt", ".lst", ".list", ".csv", ".dat")


def _is_fits_name(path: Path) -> bool:
    return path.name.lower().endswith(FITS_SUFFIXES)


def _read_list_file(path: Path) -> list[Path]:
    """Read a text file with one path per line (the astromorph seed's input format).

    Blank lines and lines starting with ``#`` are ignored; relative paths are taken relative
    to the list file's folder when they do not exist relative to the working directory.
    """
    entries = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entry = Path(line).expanduser()
        if not entry.is_absolute() and not entry.exists():
            entry = path.parent / entry
        entries.append(entry)
    if not entries:
        msg = (
            f"The file list {str(path)!r} names no files (it is empty or all comments). "
            "Write one FITS path per line."
        )
        raise DataNotFoundError(msg)
    return entries


def _looks_like_list_file(path: Path) -> bool:
    if path.name.lower().endswith(_LIST_SUFFIXES):
        return True
    if _is_fits_name(path):
        return False
    with path.open("rb") as handle:
        start = handle.read(80)
    # A FITS file starts with the SIMPLE card; anything else that is plain text is a list.
    return not start.startswith(b"SIMPLE") and all(32 <= b < 127 or b in b"\r\n\t" for b in start)


def _is_file_or_dangling_link(path: Path) -> bool:
    # A link to a missing file is kept, so that the reader reports it (or skips it).
    return path.is_file() or (path.is_symlink() and not path.exists())


def _expand(item: Any) -> list[Path]:
    text = os.fspath(item)
    if glob.has_magic(text):
        matches = sorted(set(match_pattern(str(Path(text).expanduser()))))
        files = read_once([p for p in matches if _is_file_or_dangling_link(p)], text)
        if not files:
            msg = (
                f"The pattern {text!r} matches no files. Check the folder and the pattern "
                "(for example 'cutouts/*.fits'; use '**' with recursive folders)."
            )
            raise DataNotFoundError(msg)
        return files
    path = Path(text).expanduser()
    if _is_fits_name(path) and path.is_file():
        return [path]  # the common case, with one stat call
    if path.is_dir():
        names = sorted(p for p in path.iterdir() if _is_fits_name(p))
        files = read_once([p for p in names if _is_file_or_dangling_link(p)], text)
        if not files:
            msg = (
                f"The folder {text!r} contains no FITS files (looked for names ending in "
                f"{', '.join(FITS_SUFFIXES)}). Pass a glob pattern such as "
                f"'{Path(text) / '*.img'}' if your files are named differently."
            )
            raise DataNotFoundError(msg)
        return files
    if path.is_symlink() and not path.exists():
        return [path]  # a dangling link: the reader says where it points, or skips it
    if not path.exists():
        msg = f"No such file or folder: {text!r}. Check the path (relative to {str(Path.cwd())!r})."
        raise DataNotFoundError(msg)
    if path.is_file() and _looks_like_list_file(path):
        # Entries of a list file are plain paths; a missing one is reported per file later,
        # so that on_error="skip" can skip it instead of failing the whole set.
        return _read_list_file(path)
    return [path]


def resolve_sources(source: Any) -> list[Path]:
    """List the files named by ``source``.

    Parameters
    ----------
    source : str, path-like, or a sequence of them
        A FITS file, a folder (its FITS files, sorted), a glob pattern, a text file with one
        path per line, or a list mixing these.

    Returns
    -------
    list of pathlib.Path
        In the order given; folders and patterns sorted by name, each real file once (see
        :mod:`astromorph_nb.io.fits.file_patterns`). Files named in a list file, and links to
        missing files, are returned even if missing, so the reader can report or skip each.

    Raises
    ------
    DataNotFoundError
        When a path does not exist, a pattern or folder finds no files, or nothing is left.
    """
    items: Iterable[Any]
    if isinstance(source, (str, os.PathLike)):
        items = [source]
    else:
        try:
            items = list(source)
        except TypeError:
            msg = (
                "source must be a path, a folder, a glob pattern, a text file listing paths, "
                f"or a list of these; got {type(source).__name__}."
            )
            raise TypeError(msg) from None
    files = [path for item in items for path in _expand(item)]
    if not files:
        msg = "source is an empty list. Pass at least one FITS file, folder or pattern."
        raise DataNotFoundError(msg)
    return files
