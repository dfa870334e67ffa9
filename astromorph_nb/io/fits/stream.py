"""Open the bytes of a FITS file for astropy: decompressed, verified, headers sane (io layer).

astropy decompresses gzip, bzip2 and xz files on the fly and stops reading once it has the
HDU it was asked for, so the checksum at the end of a compressed stream is never read and a
damaged download silently becomes a wrong image. astropy also loops over ``range(NAXIS)``
while it parses a header, so one corrupt card (``NAXIS = 100000000000``) hangs it.

:func:`open_fits_stream` therefore reads the (decompressed) file once before astropy sees it:
it walks the headers, refusing a NAXIS outside the FITS limits, and, for a compressed file,
reads on to the end so that Python's decompressor verifies the stored checksum (CRC32 and
length for gzip). A compressed file is thus decompressed twice, once here and once by astropy
(only up to the HDU it reads); memory use stays at one block.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import math
import os
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from astromorph_nb.exceptions import InvalidFileError
from astromorph_nb.io.fits.header_cards import read_card_values

__all__ = ["open_fits_stream"]

_BLOCK = 2880
_MAX_HEADER_BLOCKS = 10_000  # 28.8 MB of header cards: far beyond any real file
_READ_SIZE = 2**20
_MAX_NAXIS = 999  # the FITS standard's limit


#: The magic bytes astropy.io.fits recognises, so every stream it decompresses is checked here.
_MAGIC = ((b"\x1f\x8b\x08", "gzip"), (b"BZ", "bzip2"), (b"\xfd7zXZ\x00", "xz"))

_Errors = tuple[type[Exception], ...]
_Stream = io.BufferedIOBase | BinaryIO


def _decompressing(kind: str, handle: BinaryIO) -> tuple[io.BufferedIOBase, _Errors]:
    """Return a reader of the decompressed bytes, and the errors its decoder raises."""
    if kind == "gzip":
        return gzip.GzipFile(fileobj=handle, mode="rb"), (OSError, EOFError, zlib.error)
    # Imported here: some Python builds lack these modules, and only such files need them.
    if kind == "bzip2":
        import bz2  # noqa: PLC0415

        return bz2.BZ2File(handle), (OSError, EOFError)
    import lzma  # noqa: PLC0415

    return lzma.LZMAFile(handle), (OSError, EOFError, lzma.LZMAError)


def _has_end_card(block: bytes) -> bool:
    return any(block[i : i + 8] == b"END     " for i in range(0, _BLOCK, 80))


def _read_header(stream: _Stream) -> bytes | None:
    """Read the header that starts here, up to the block holding END; None if none."""
    blocks = []
    for _ in range(_MAX_HEADER_BLOCKS):
        block = stream.read(_BLOCK)
        if len(block) < _BLOCK:
            return None
        blocks.append(block)
        if _has_end_card(block):
            return b"".join(blocks)
    return None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _data_size(header: bytes, naxis: int, values: dict[str, Any]) -> int | None:
    """Bytes of data after ``header`` (FITS standard 4.4.1), or None if the cards are odd."""
    keys = [f"NAXIS{i}" for i in range(1, naxis + 1)]
    sizes, _ = read_card_values(header, keys)
    lengths = [sizes.get(key) for key in keys]
    bitpix, pcount, gcount = (
        values.get(k, d) for k, d in (("BITPIX", 0), ("PCOUNT", 0), ("GCOUNT", 1))
    )
    if not all(_is_count(n) for n in (*lengths, pcount, gcount)) or not isinstance(bitpix, int):
        return None
    if not naxis:
        return 0
    if lengths[0] == 0 and values.get("GROUPS") is True:  # random groups keep NAXIS1 = 0
        lengths = lengths[1:]
    return abs(bitpix) // 8 * gcount * (pcount + math.prod(lengths))  # type: ignore[arg-type]


def _check_headers(stream: _Stream, name: str, size: int | None) -> None:
    """Refuse a header whose NAXIS is outside 0 to 999, in any HDU, before astropy reads it.

    Walks the headers, reading only their cards and skipping the data by the sizes they
    declare, up to ``size`` bytes (None: to the end of the stream). Anything it cannot
    follow is left to astropy, which reports it.
    """
    offset = 0
    while size is None or offset < size:
        stream.seek(offset)
        header = _read_header(stream)
        if header is None:
            return
        keys = ["NAXIS", "BITPIX", "PCOUNT", "GCOUNT", "GROUPS"]
        values, _ = read_card_values(header, keys)
        naxis = values.get("NAXIS")
        if not isinstance(naxis, int) or isinstance(naxis, bool):
            return
        if not 0 <= naxis <= _MAX_NAXIS:
            hdu = "the primary header" if offset == 0 else f"a header at byte {offset}"
            msg = (
                f"{name!r} is not a readable FITS file: {hdu} claims NAXIS={naxis}. "
                f"Expected 0 to {_MAX_NAXIS} axes; the header is corrupt. Re-create the file, "
                "or pass on_error='skip' to skip such files."
            )
            raise InvalidFileError(msg)
        data_size = _data_size(header, naxis, values)
        if data_size is None:
            return
        offset += len(header) + -(-data_size // _BLOCK) * _BLOCK


@contextlib.contextmanager
def open_fits_stream(handle: BinaryIO, name: str) -> Iterator[_Stream]:
    """Yield the bytes of a FITS file ready for ``astropy.io.fits.open``.

    Parameters
    ----------
    handle : binary file
        The file as opened from disk, at its start; the caller closes it.
    name : str
        The file's name, for error messages.

    Yields
    ------
    binary file
        ``handle`` itself, or a decompressing reader over it for a gzip, bzip2 or xz file
        (astropy reads those as it would read the file they hold), at position 0. Header
        offsets that astropy reports refer to this stream.

    Raises
    ------
    InvalidFileError
        A header with an impossible NAXIS, a compressed file whose checksum does not match or
        that ends early, or a read error from the disk.
    """
    magic = handle.read(6)
    handle.seek(0)
    kind = next((kind for prefix, kind in _MAGIC if magic.startswith(prefix)), "")
    try:
        stream, errors = _decompressing(kind, handle) if kind else (handle, (OSError,))
    except ImportError:  # astropy cannot decompress it either, and says so
        kind, stream, errors = "", handle, (OSError,)
    with contextlib.ExitStack() as stack:
        if stream is not handle:
            stack.enter_context(stream)
        try:
            _check_headers(stream, name, None if kind else os.fstat(handle.fileno()).st_size)
            while kind and stream.read(_READ_SIZE):  # on to the end: the checksum is there
                pass
        except InvalidFileError:
            raise
        except errors as err:
            raise _unreadable(name, kind, err) from err
        stream.seek(0)
        yield stream


def _unreadable(name: str, kind: str, err: Exception) -> InvalidFileError:
    if not kind:
        msg = f"Could not read {name!r}: {err}. Check the disk, or copy the file again."
        return InvalidFileError(msg)
    text = " ".join(str(err).split())
    if "CRC" in text or "Incorrect length" in text:
        damage = f"its contents do not match the checksum stored with them (CRC mismatch: {text})"
    elif isinstance(err, EOFError):
        damage = f"the compressed data end early, so it is truncated ({text})"
    else:
        damage = f"its compressed data cannot be decoded ({text})"
    msg = (
        f"{name!r} is a damaged {kind} file: {damage}. It was probably corrupted in transfer "
        "or on disk; download it again (or compress the original again), or pass "
        "on_error='skip' to skip such files."
    )
    return InvalidFileError(msg)
