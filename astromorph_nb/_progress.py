"""Progress bars that redraw live on a terminal and rarely in a log file.

A bar written to a terminal redraws in place, ten times a second. Written to a file (a
SLURM job's log, ``2> train.log``), every redraw is a new record, so there a bar redraws
at most every :data:`LOG_INTERVAL_S` seconds. Notebook bars (widgets) are left as they are.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["LOG_INTERVAL_S", "progress_bar"]

#: Seconds between redraws of a bar whose output is not a terminal.
LOG_INTERVAL_S = 10.0


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (ValueError, OSError):  # a closed or detached stream
        return False


def progress_bar(**options: Any) -> Any:
    """Return a ``tqdm.auto.tqdm`` bar built with ``options``, paced for where it writes.

    Parameters
    ----------
    **options
        tqdm keywords (``total``, ``desc``, ``unit``, ``disable``, ``file``, ...). Unless
        they set ``mininterval`` or ``maxinterval`` themselves, a bar whose ``file``
        (default ``sys.stderr``) is not a terminal redraws at most every
        :data:`LOG_INTERVAL_S` seconds.

    Examples
    --------
    >>> import io
    >>> log = io.StringIO()
    >>> with progress_bar(total=1000, file=log) as bar:  # a file, not a terminal
    ...     bar.mininterval
    10.0
    """
    from tqdm.auto import tqdm

    in_notebook = any(cls.__module__ == "tqdm.notebook" for cls in tqdm.__mro__)
    stream = options.get("file") or sys.stderr
    if not in_notebook and not _is_terminal(stream):
        options.setdefault("mininterval", LOG_INTERVAL_S)
        options.setdefault("maxinterval", max(LOG_INTERVAL_S, options["mininterval"]))
    return tqdm(**options)
