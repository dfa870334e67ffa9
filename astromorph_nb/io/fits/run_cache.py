"""A cache folder of one run's own, removed when the run ends (io layer).

``read_fits(cache_dir=...)`` streams images into memory-mapped files in ``cache_dir``. For
a run that ends by itself (the command line's ``train``), :func:`run_cache` makes a fresh
subfolder of the cache folder the user named, for this run alone, and deletes it when the
run ends, also after an error or Ctrl-C. Files that were in the cache folder before, or
that others put there meanwhile, are never touched; folders the run had to create are
removed again if they are empty.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from astromorph_nb._typing import PathLike
from astromorph_nb.exceptions import AstromorphWarning

__all__ = ["run_cache"]


@contextlib.contextmanager
def run_cache(cache_dir: PathLike | None) -> Iterator[str | None]:
    """Yield a new folder inside ``cache_dir`` for this run; delete it on leaving.

    Parameters
    ----------
    cache_dir : str or path-like, optional
        The cache folder the user named; created if missing. None yields None (no cache).

    Warns
    -----
    AstromorphWarning
        If the run's folder cannot be deleted (say, files still in use on Windows).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with run_cache(root / "cache") as folder:
    ...     (Path(folder) / "imageset.f32").write_bytes(b"data")
    4
    >>> list(root.iterdir())
    []
    """
    if cache_dir is None:
        yield None
        return
    root = Path(cache_dir).expanduser()
    created = [folder for folder in (root, *root.parents) if not folder.exists()]
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="astromorph-nb-run-", dir=root))
    try:
        yield str(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if folder.exists():
            msg = (
                f"The run's cache files in {str(folder)!r} could not all be deleted; "
                "delete that folder when no program uses it."
            )
            warnings.warn(msg, AstromorphWarning, stacklevel=3)
        for made in created:  # innermost first; a folder holding anything stays
            try:
                made.rmdir()
            except OSError:
                break
