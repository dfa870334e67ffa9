r"""Write and read result tables as FITS, ECSV, CSV or Parquet, chosen by extension (io layer).

One result table (per-image metadata plus embeddings, t-SNE coordinates, anomaly scores, ...)
goes to the format its file name asks for. What each format keeps:

============  ====================  ======================  ==========================
format        multi-dim columns     masked values           table ``meta``
============  ====================  ======================  ==========================
FITS          one column (TDIM)     ints: TNULL; floats:    scalars as header cards;
                                    NaN; strings: empty;    dicts and nested lists as
                                    bools: extra            JSON text; the rest is left
                                    ``<name>.mask`` column  out with a warning
ECSV          one column            exact (astropy's own)   everything YAML can hold
CSV           split: ``name_000``   empty fields            none (plain CSV)
Parquet       split: ``name_000``   nulls                   everything YAML can hold
============  ====================  ======================  ==========================

Split columns are named ``<name>_<index>`` with the index zero-padded to the width of the
largest index (``embedding_000`` ... ``embedding_127``; ``coordinates_0``, ``coordinates_1``),
so that spreadsheets and pandas see plain columns. FITS strings must be ASCII, so columns with
other characters are stored as UTF-8 bytes (astropy reads them back as text; this goes beyond
the FITS standard). Text files are written as UTF-8. Text that UTF-8 cannot hold (file names
that are not UTF-8, which Python reads with lone surrogates, and bytes in other encodings) is
written with each undecodable byte as the four characters ``\xe9`` (see
``io/export/readable_text.py``), in the columns and in the table ``meta``.

Every write goes to a temporary file in the target folder, which is flushed to disk and then
renamed onto the target (``os.replace``): a crash leaves the old file or the new one, never
half a table.
"""

from __future__ import annotations

import importlib.util
import json
import math
import numbers
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from astropy.io.fits.connect import REMOVE_KEYWORDS, is_column_keyword
from astropy.io.misc import yaml as astropy_yaml
from astropy.table import Column, MaskedColumn, Table

from astromorph_nb._typing import PathLike
from astromorph_nb.exceptions import AstromorphWarning, DataNotFoundError, OutputExistsError
from astromorph_nb.io._atomic import refuse_existing, replace_atomically
from astromorph_nb.io.export.readable_text import make_text_readable, readable_meta, replace_values

__all__ = ["TABLE_FORMATS", "read_table", "write_table"]

#: File extension (lower case) -> astropy ``format=`` name.
TABLE_FORMATS = {
    ".fits": "fits",
    ".fit": "fits",
    ".fits.gz": "fits",
    ".ecsv": "ascii.ecsv",
    ".csv": "ascii.csv",
    ".parquet": "parquet",
}

_SPLIT_FORMATS = ("ascii.csv", "parquet")
_STANDARD_KEYWORD = re.compile(r"[A-Z0-9_-]{1,8}")
_MAX_HIERARCH_KEY = 40  # leaves room on the 80-character card for the value


def _table_format(path: Path, *, where: str) -> tuple[str, str]:
    """Return ``(extension, astropy format)`` for ``path``, matched case-insensitively.

    Raises
    ------
    ValueError
        If the extension is not one of :data:`TABLE_FORMATS`.

    Examples
    --------
    >>> _table_format(Path("results.FITS.gz"), where="write_table")
    ('.fits.gz', 'fits')
    """
    name = path.name.lower()
    for extension in sorted(TABLE_FORMATS, key=len, reverse=True):
        if name.endswith(extension):
            return extension, TABLE_FORMATS[extension]
    listed = ", ".join(sorted(TABLE_FORMATS))
    msg = (
        f"Unknown table format in {where}: {path.name!r}. Expected a file name ending in one "
        f"of {listed}; got {path.suffix or 'no extension'!r}. Rename the file, e.g. "
        f"{path.stem + '.fits'!r}."
    )
    raise ValueError(msg)


def _split_name(name: str, index: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """``embedding``, (7,), (128,) -> ``embedding_007``."""
    parts = (f"{i:0{len(str(max(size - 1, 0)))}d}" for i, size in zip(index, shape, strict=True))
    return "_".join([name, *parts])


def _split_multidim_columns(table: Table) -> Table:
    """Return ``table`` (without meta) with every column of shape (n, ...) split up.

    Examples
    --------
    >>> table = Table({"id": [1, 2], "xy": [[0.5, 1.5], [2.5, 3.5]]})
    >>> _split_multidim_columns(table).colnames
    ['id', 'xy_0', 'xy_1']
    """
    out = Table()
    for name in table.colnames:
        column = table[name]
        shape = tuple(column.shape[1:])
        if not shape:
            out.add_column(column, name=name, copy=False)
            continue
        for index in np.ndindex(*shape):
            part = _split_name(name, index, shape)
            if part in table.colnames or part in out.colnames:
                msg = (
                    f"Cannot split column {name!r} of shape {column.shape} into plain columns: "
                    f"the name {part!r} is taken. Rename one of the two columns."
                )
                raise ValueError(msg)
            out[part] = column[(slice(None),) + index]
    return out


def _plain(value: Any) -> Any:
    """Numpy scalars -> Python scalars; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _header_scalar(value: Any) -> bool:
    """Return True if ``value`` can be the value of one FITS header card."""
    if isinstance(value, str):
        return value.isascii() and value.isprintable()
    if isinstance(value, bool):
        return True
    if isinstance(value, numbers.Integral):
        return -(2**63) <= int(value) < 2**63
    return isinstance(value, numbers.Real) and math.isfinite(float(value))


def _fits_meta(meta: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Return the meta entries a FITS header can hold (keys made card-safe) and the rest."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, raw in meta.items():
        value = _plain(raw)
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, list):
            value = [_plain(item) for item in value]
        name = str(key)
        if name.lower() in ("comments", "history"):
            if isinstance(value, str):
                value = [value]
            if isinstance(value, list) and all(
                isinstance(item, str) and _header_scalar(item) for item in value
            ):
                kept[name.lower()] = value
            else:
                dropped.append(name)
            continue
        upper = name.upper()
        if is_column_keyword(upper) or upper in REMOVE_KEYWORDS:
            dropped.append(name)
            continue
        if not _STANDARD_KEYWORD.fullmatch(name):
            # HIERARCH cards keep long and lower-case keys exactly.
            if len(name) > _MAX_HIERARCH_KEY or not (name.isascii() and name.isprintable()):
                dropped.append(name)
                continue
            name = f"HIERARCH {name}"
        if isinstance(value, list) and value and all(_header_scalar(item) for item in value):
            kept[name] = value  # astropy writes one card per item and reads a list back
        elif not isinstance(value, list) and _header_scalar(value):
            kept[name] = value
        elif isinstance(value, (dict, list)):
            try:
                kept[name] = json.dumps(value, ensure_ascii=True, allow_nan=False)
            except (TypeError, ValueError):
                dropped.append(str(key))
        else:  # non-ASCII text, NaN, objects
            dropped.append(str(key))
    return kept, dropped


def yaml_meta(meta: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Return the meta entries astropy's YAML (ECSV, Parquet) can hold, and the rest."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in meta.items():
        try:
            astropy_yaml.dump({key: value})
        except (yaml.YAMLError, TypeError, ValueError):
            dropped.append(str(key))
        else:
            kept[key] = value
    return kept, dropped


def _encode_for_fits(table: Table) -> None:
    """Make ``table`` (a shallow copy) writable to FITS, in place.

    Non-ASCII text becomes UTF-8 bytes, and masked bool columns get an explicit mask
    column, since FITS logical columns have no null that astropy writes.
    """
    for name in table.colnames:
        column = table[name]
        if not isinstance(column, Column):
            continue
        if column.dtype.kind == "U":
            data = np.asarray(column)
            if not all(text.isascii() for text in data.ravel().tolist()):
                replace_values(table, name, np.char.encode(data, "utf-8"))
        elif column.dtype.kind == "b" and isinstance(column, MaskedColumn):
            table[name] = column.copy()
            table[name].info.serialize_method["fits"] = "data_mask"


def _warn_dropped(dropped: list[str], target: Path, fix: str) -> None:
    """Warn that the table meta entries ``dropped`` were not written to ``target``."""
    if dropped:
        keys = ", ".join(repr(key) for key in dropped[:10])
        more = f" and {len(dropped) - 10} more" if len(dropped) > 10 else ""
        msg = (
            f"{len(dropped)} table meta entries cannot be stored in {target.name!r} and were "
            f"left out: {keys}{more}. {fix}"
        )
        warnings.warn(msg, AstromorphWarning, stacklevel=3)


def write_table(table: Table, path: PathLike, *, overwrite: bool = False) -> Path:
    r"""Write ``table`` to ``path`` in the format its extension names; return the path.

    Parameters
    ----------
    table : astropy.table.Table
        The table. Columns of shape (n_rows, ...) stay one column in FITS and ECSV and are
        split into plain columns for CSV and Parquet (see the module docstring).
    path : str or os.PathLike
        Target file ending in ``.fits``, ``.fit``, ``.fits.gz``, ``.ecsv``, ``.csv`` or
        ``.parquet`` (any case). Its folder is created if needed.
    overwrite : bool, default=False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If the extension is unknown, or splitting a column would reuse a column name.
    OutputExistsError
        If the file exists and ``overwrite`` is False.
    ImportError
        For Parquet without pyarrow installed.

    Warns
    -----
    AstromorphWarning
        If table ``meta`` entries cannot be stored in the format (they are left out; the
        columns are always written in full). CSV stores no meta at all, by design.

    Notes
    -----
    Text that UTF-8 cannot hold is written readably: a file name read from
    ``b'gal\xe9.fits'`` (``'gal\udce9.fits'`` in Python) is written as ``gal\xe9.fits``,
    and so are bytes values that are not UTF-8.

    Examples
    --------
    >>> import tempfile
    >>> table = Table({"name": ["NGC 1068"], "xy": [[0.5, 1.5]]})
    >>> folder = tempfile.mkdtemp()
    >>> write_table(table, Path(folder) / "results.csv").read_text().splitlines()
    ['name,xy_0,xy_1', 'NGC 1068,0.5,1.5']
    """
    target = Path(path).expanduser()
    extension, fmt = _table_format(target, where="write_table")
    if not isinstance(table, Table):
        msg = (
            f"The 'table' parameter of write_table must be an astropy Table; got "
            f"{type(table).__name__}. Convert it with astropy.table.Table(...)."
        )
        raise TypeError(msg)
    if fmt == "parquet" and importlib.util.find_spec("pyarrow") is None:
        msg = f"Writing {target.name!r} as Parquet needs pyarrow. Install it: pip install pyarrow"
        raise ImportError(msg)
    if target.is_dir():
        msg = f"{str(target)!r} is a folder, not a file, in write_table. Choose a file name."
        raise OutputExistsError(msg)
    refuse_existing(target, overwrite=overwrite, where="write_table")

    out = _split_multidim_columns(table) if fmt in _SPLIT_FORMATS else Table(table, copy=False)
    make_text_readable(out)
    meta = readable_meta(dict(table.meta))
    if fmt == "fits":
        out.meta, dropped = _fits_meta(meta)
        _encode_for_fits(out)
        _warn_dropped(dropped, target, "Write .ecsv to keep all meta.")
    elif fmt == "ascii.csv":
        out.meta = {}
    else:
        out.meta, dropped = yaml_meta(meta)
        _warn_dropped(dropped, target, "Convert them to numbers, strings, lists or dicts.")

    target.parent.mkdir(parents=True, exist_ok=True)
    with replace_atomically(target, suffix=extension) as temporary:
        if fmt.startswith("ascii."):
            with temporary.open("w", encoding="utf-8", newline="") as handle:
                out.write(handle, format=fmt)
        else:
            out.write(temporary, format=fmt, overwrite=True)
    return target


def read_table(path: PathLike) -> Table:
    r"""Read a table written by :func:`write_table`, choosing the format by extension.

    FITS text columns (stored as bytes) come back as ``str`` columns, decoded as UTF-8
    (bytes that are not UTF-8 as ``\xNN``). Split columns (CSV, Parquet) stay split.

    Raises
    ------
    DataNotFoundError
        If the file does not exist.
    ValueError
        If the extension is unknown.

    Examples
    --------
    >>> import tempfile
    >>> path = write_table(Table({"a": [1, 2]}), Path(tempfile.mkdtemp()) / "t.ecsv")
    >>> read_table(path)["a"].tolist()
    [1, 2]
    """
    source = Path(path).expanduser()
    _, fmt = _table_format(source, where="read_table")
    if not source.is_file():
        msg = f"No table at {str(source)!r} in read_table. Check the path."
        raise DataNotFoundError(msg)
    if fmt.startswith("ascii."):
        return Table.read(source, format=fmt, encoding="utf-8")
    table = Table.read(source, format=fmt)
    if fmt == "fits":
        for name in table.colnames:
            column = table[name]
            if isinstance(column, Column) and column.dtype.kind == "S":
                text = np.char.decode(np.asarray(column.data), "utf-8", "backslashreplace")
                if isinstance(column, MaskedColumn):
                    new: Column = MaskedColumn(text, mask=column.mask, unit=column.unit)
                else:
                    new = Column(text, unit=column.unit)
                table.replace_column(name, new)
    return table
