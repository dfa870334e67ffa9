"""Choose the HDU to read in a FITS file, and describe the HDUs when the choice fails (io layer).

Used by :func:`astromorph_nb.read_fits` and :func:`astromorph_nb.cutouts`. The HDU list is
opened lazily, so these functions index one HDU at a time rather than iterate over the file.
"""

from __future__ import annotations

from typing import Any

from astropy.io import fits

from astromorph_nb.exceptions import InvalidImageError

__all__ = ["choose_hdu", "describe_hdus", "hdu_label", "shape_text"]


def shape_text(shape: tuple[int, ...]) -> str:
    """Write a shape as ``2048×2048``."""
    return "×".join(str(n) for n in shape)


def hdu_label(index: int, hdu: Any) -> str:
    """Name the HDU as users do: ``"0"`` for the primary HDU, else its EXTNAME or index."""
    if index == 0:
        return "0"  # the primary HDU; looking up its (rare) EXTNAME costs a card parse
    return str(hdu.name) if hdu.name else str(index)


def _has_image(hdu: Any) -> bool:
    # ``shape`` comes from the NAXISn values astropy parsed on reading; no card is re-parsed.
    return bool(hdu.is_image) and len(hdu.shape) > 0


def _hdu_shape(hdu: Any) -> tuple[int, ...]:
    header = hdu.header
    if isinstance(hdu, fits.CompImageHDU):
        return tuple(int(n) for n in hdu.shape)
    return tuple(int(header.get(f"NAXIS{k}", 0)) for k in range(int(header.get("NAXIS", 0)), 0, -1))


def describe_hdus(hdul: fits.HDUList) -> str:
    """List HDUs as ``0 'PRIMARY' (empty), 1 'SCI' (2048×2048), 2 'CAT' (table)``."""
    parts = []
    for index, hdu in enumerate(hdul):
        if _has_image(hdu):
            kind = shape_text(_hdu_shape(hdu))
        elif hdu.is_image:
            kind = "empty"
        else:
            kind = "table"
        parts.append(f"{index} {hdu.name!r} ({kind})")
    return ", ".join(parts)


def _image_choices(hdul: fits.HDUList) -> str:
    choices = [
        f"{i} {h.name!r} ({shape_text(_hdu_shape(h))})" for i, h in enumerate(hdul) if _has_image(h)
    ]
    return ", ".join(choices)


def _first_image(hdul: fits.HDUList, name: str) -> tuple[int, Any]:
    # Index one HDU at a time: iterating would read every HDU of the file first.
    index = 0
    while True:
        try:
            candidate = hdul[index]
        except IndexError:
            break
        if _has_image(candidate):
            return index, candidate
        index += 1
    if all(not h.is_image for h in hdul[1:]) and len(hdul) > 1:
        msg = (
            f"No image data in {name!r}: it holds only tables ({describe_hdus(hdul)}). "
            "Pass FITS images, or cut images from a mosaic with astromorph_nb.cutouts."
        )
    else:
        msg = (
            f"No image data in {name!r}: every HDU is empty ({describe_hdus(hdul)}). "
            "Check that the file was written completely."
        )
    raise InvalidImageError(msg)


def choose_hdu(hdul: fits.HDUList, hdu: int | str | None, name: str) -> tuple[int, Any]:
    """Return ``(index, hdu)`` of the HDU to read; explain the choices when it fails.

    ``hdu=None`` picks the first HDU with image data. An index or EXTNAME the file does not
    have is an :class:`~astromorph_nb.exceptions.InvalidImageError` that lists the HDUs it
    does have.
    """
    if hdu is None:
        return _first_image(hdul, name)
    try:
        index = hdul.index_of(hdu)
        chosen = hdul[index]  # an index past the last HDU fails here, once the file has ended
    except (KeyError, IndexError):
        count, everything = len(hdul), describe_hdus(hdul)
        msg = (
            f"{name!r} has no HDU {hdu!r}. Pass hdu= with one of: "
            f"{_image_choices(hdul) or everything}. "
            f"The file has {count} HDU{'s' if count != 1 else ''}: {everything}."
        )
        raise InvalidImageError(msg) from None
    if not _has_image(chosen):
        kind = "is empty" if chosen.is_image else "is a table"
        choices = _image_choices(hdul)
        fix = f"Pass hdu= with one of: {choices}." if choices else "The file holds no image."
        kind_name = chosen.name or type(chosen).__name__
        msg = f"No image data in {name!r}: HDU {index} ({kind_name}) {kind}. {fix}"
        raise InvalidImageError(msg)
    return index, chosen
