"""Expand glob patterns without loops, and read each real file once (io layer).

Python's ``glob.glob(..., recursive=True)`` follows links to folders while it expands
``**``, so a link that points back up the tree (``data/sub/loop -> ..``) makes it list the
same files again at every level until the path grows too long (about 40 levels). Here
``**`` still follows links to folders (data folders are often links to other disks), but
searches every real folder once: a link to a folder already searched is not followed, and is
reported in a warning. Real sub-folders are searched before links, so a folder is listed
under its real path where it has one.

A pattern or folder can still reach one file by two names (a link beside the file, a hard
link, two links to one folder): :func:`read_once` keeps the first name, in sorted order, and
warns naming the others. Files a user lists one by one are read as listed.
"""

from __future__ import annotations

import glob
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

from astromorph_nb.exceptions import AstromorphWarning

__all__ = ["match_pattern", "read_once"]

_SHOWN = 3  # names quoted in a warning


def _some(pairs: list[tuple[Path, Path]], word: str) -> str:
    shown = ", ".join(f"{str(a)!r} {word} {str(b)!r}" for a, b in pairs[:_SHOWN])
    return shown + (f" and {len(pairs) - _SHOWN} more" if len(pairs) > _SHOWN else "")


def _folders(top: Path, searched: set[str], skipped: list[tuple[Path, Path]]) -> Iterator[Path]:
    """Yield ``top`` and the folders below it, each real folder once, real folders first.

    Hidden folders (names starting with '.') are left out, as ``glob`` does for ``**``.
    """
    if not top.is_dir():
        return
    pending: list[Path] = [top]
    links: list[Path] = []
    while pending or links:
        folder = pending.pop() if pending else links.pop(0)
        real = os.path.realpath(folder)
        if real in searched:
            if folder.is_symlink():
                skipped.append((folder, Path(real)))
            continue
        searched.add(real)
        yield folder
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name, reverse=True)
        except OSError:  # an unreadable folder: glob leaves it out too
            continue
        for entry in entries:
            try:
                if entry.name.startswith(".") or not entry.is_dir():
                    continue
                (links if entry.is_symlink() else pending).append(Path(entry.path))
            except OSError:
                continue


def match_pattern(pattern: str) -> list[Path]:
    """Return the paths that match ``pattern``, with ``**`` matching any number of folders.

    Like ``glob.glob(pattern, recursive=True)``, except that each real folder is searched
    once (see the module docstring); warns naming the folder links not followed.
    """
    parts = Path(pattern).parts
    if "**" not in parts:
        return [Path(p) for p in glob.glob(pattern)]  # noqa: PTH207 (may be absolute, or hold '..')
    cut = parts.index("**")
    head, tail = parts[:cut], parts[cut + 1 :] or ("*",)
    tops = [Path(p) for p in glob.glob(str(Path(*head)))] if head else [Path()]  # noqa: PTH207
    searched: set[str] = set()
    skipped: list[tuple[Path, Path]] = []
    matches: list[Path] = []
    for top in tops:
        for folder in _folders(top, searched, skipped):
            matches.extend(match_pattern(os.path.join(glob.escape(str(folder)), *tail)))  # noqa: PTH118
    if skipped:
        message = (
            f"While expanding {pattern!r}, {len(skipped)} link(s) to folders already searched "
            f"were not followed, so that no file is listed twice: {_some(skipped, '->')}. "
            "A link that points back up its own tree makes a loop; remove it if it is a mistake."
        )
        warnings.warn(message, AstromorphWarning, stacklevel=2)
    return matches


def read_once(paths: list[Path], source: str) -> list[Path]:
    """Keep one name per real file among ``paths`` (found by ``source``), in order.

    A name that leads to a file already kept (through a symbolic or hard link) is dropped,
    with a warning naming it. Names that lead nowhere (dangling links) are all kept, so that
    the reader reports each one.
    """
    kept: list[Path] = []
    first: dict[tuple[int, int], Path] = {}
    repeats: list[tuple[Path, Path]] = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            info = None
        if info is None or info.st_ino == 0:  # no inode numbers on this file system
            kept.append(path)
            continue
        key = (info.st_dev, info.st_ino)
        if key in first:
            repeats.append((path, first[key]))
            continue
        first[key] = path
        kept.append(path)
    if repeats:
        message = (
            f"{source!r} names {len(repeats)} file(s) a second time, through a link; each "
            f"file is read once. Left out: {_some(repeats, 'is the same file as')}."
        )
        warnings.warn(message, AstromorphWarning, stacklevel=2)
    return kept
