"""Fast look-up of a few header keywords from a FITS header's raw cards (io layer).

astropy parses a card's value on first access and consults its configuration several times
per card (about 10 µs each); for a 64×64 cutout that is more than the cost of reading the
pixels. :func:`read_card_values` reads the handful of keywords we copy into the metadata
straight from the 80-character card images. Anything unusual (long-string CONTINUE cards,
HIERARCH keywords, complex values, an unparsable value) is left to astropy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["read_card_values"]

_CARD = 80
_STRING = re.compile(r"'((?:[^']|'')*)'")
_FALLBACK = object()


def _parse_value(field: str) -> Any:
    """Value part of a card (after ``= ``), or the fallback marker if it is not simple."""
    text = field.lstrip()
    if not text or text.startswith("/"):
        return None
    if text.startswith("'"):
        match = _STRING.match(text)
        if match is None:
            return _FALLBACK
        value = match.group(1).replace("''", "'").rstrip()
        return _FALLBACK if value.endswith("&") else value  # '&' starts a CONTINUE string
    token = text.split("/", 1)[0].strip()
    if token in ("T", "F"):
        return token == "T"
    try:
        return int(token)
    except ValueError:
        pass
    try:
        return float(token.replace("D", "E").replace("d", "e"))
    except ValueError:
        return _FALLBACK


def read_card_values(raw: bytes, keywords: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """Return the values of ``keywords`` found in a raw header, and those left to astropy.

    Parameters
    ----------
    raw : bytes
        The header as stored in the file: 80-character ASCII cards up to ``END``.
    keywords : iterable of str
        Upper-case keywords of at most 8 characters.

    Returns
    -------
    values : dict
        Keyword to value (str, int, float or bool) for the keywords found.
    unresolved : list of str
        Keywords present whose value this parser does not handle; read them with astropy.
    """
    wanted = set(keywords)
    values: dict[str, Any] = {}
    unresolved: list[str] = []
    text = raw.decode("ascii", errors="replace")
    for start in range(0, len(text) - _CARD + 1, _CARD):
        key = text[start : start + 8].rstrip()
        if key == "END":
            break
        if key not in wanted or key in values or text[start + 8 : start + 10] != "= ":
            continue
        value = _parse_value(text[start + 10 : start + _CARD])
        if value is _FALLBACK:
            unresolved.append(key)
        else:
            values[key] = value
    return values, unresolved
