r"""Text that every output format can hold, from names and bytes that are not UTF-8 (io layer).

Python reads a file name that is not valid UTF-8 (``b'gal\xe9.fits'``, common on old
cluster file systems) as a str holding a lone surrogate (``'gal\udce9.fits'``, PEP 383),
and metadata columns may hold bytes in other encodings (Latin-1 FITS headers). Neither can
be written as UTF-8 text. The exports (CSV, ECSV, FITS and Parquet tables, the HTML page,
TensorBoard files) write them in a readable form instead: every byte that is not UTF-8
becomes the four characters ``\xe9``, as Python's ``backslashreplace`` error handler writes
it, and everything else is kept. Saved sessions keep the exact bytes instead (see
``io/store/session_folder.py``), so that file names stay reopenable.

Examples
--------
>>> print(readable_text("gal\udce9.fits"), readable_text(b"caf\xe9"), readable_text("ok"))
gal\xe9.fits caf\xe9 ok
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy.table import Column, MaskedColumn, Table

__all__ = [
    "make_text_readable",
    "readable_array",
    "readable_meta",
    "readable_text",
    "replace_values",
]


def readable_text(value: str | bytes) -> str:
    r"""Return ``value`` as text that UTF-8 can hold; undecodable bytes become ``\xNN``."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return value
    try:
        raw = value.encode("utf-8", "surrogateescape")  # the bytes of the file name
    except UnicodeEncodeError:  # a surrogate no decoder makes: write its code point
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def readable_array(values: np.ndarray) -> np.ndarray:
    """Return a text array with :func:`readable_text` applied where UTF-8 cannot hold it.

    Arrays that are already valid (and arrays of numbers) are returned as they are; bytes
    arrays that are not valid UTF-8 come back as str arrays.
    """
    kind = values.dtype.kind
    try:
        if kind == "U":
            np.char.encode(values, "utf-8")
        elif kind == "S":
            np.char.decode(values, "utf-8")
        return values
    except UnicodeError:
        texts = [readable_text(value) for value in values.ravel().tolist()]
        return np.array(texts, dtype=str).reshape(values.shape)


def readable_meta(value: Any) -> Any:
    """Return ``value`` with every str and bytes inside dicts and lists made readable."""
    if isinstance(value, (str, bytes)):
        return readable_text(value)
    if isinstance(value, dict):
        return {readable_meta(key): readable_meta(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(readable_meta(item) for item in value)
    return value


def replace_values(table: Table, name: str, data: np.ndarray) -> None:
    """Replace the values of column ``name`` by ``data``; keep its mask, unit and meta."""
    column = table[name]
    if isinstance(column, MaskedColumn):
        new: Column = MaskedColumn(data, mask=column.mask)
    else:
        new = Column(data)
    new.info.unit = column.info.unit
    new.info.description = column.info.description
    new.info.meta = column.info.meta
    table.replace_column(name, new)


def make_text_readable(table: Table, *, kinds: str = "US") -> None:
    """Apply :func:`readable_array` to the text columns of ``table``, in place.

    ``kinds`` are the dtype kinds to look at: ``"U"`` str, ``"S"`` bytes. Only columns that
    need it are replaced, so pass a shallow copy to keep the original.
    """
    for name in table.colnames:
        column = table[name]
        if isinstance(column, Column) and column.dtype.kind in kinds:
            data = np.asarray(column)
            readable = readable_array(data)
            if readable is not data:
                replace_values(table, name, readable)
