"""The data of the companion HTML page: its inputs checked and encoded for JSON (io layer).

Arrays travel as base64 of little-endian float32 or int32 (:func:`b64`), table cells as
JSON values (:func:`json_value`), colour choices as :func:`color_choice` codes them, and the
whole as JSON that cannot end its ``<script>`` element (:func:`script_json`). Every check
names ``write_html_page``, the function users call.
"""

from __future__ import annotations

import base64
import json
import math
import numbers
from typing import Any

import numpy as np

from astromorph_nb._validation import shorten
from astromorph_nb.data.thumbnails import pad_to_square, shrink_square
from astromorph_nb.display.colors import color_coding
from astromorph_nb.io.export.readable_text import readable_text

__all__ = [
    "WHERE",
    "b64",
    "checked_length",
    "checked_neighbors",
    "checked_thumbnails",
    "color_choice",
    "json_value",
    "page_text",
    "script_json",
]

#: The function the page's error messages name.
WHERE = "write_html_page"
_MIN_THUMBNAIL_SIZE = 8


def checked_length(name: str, values: Any, n: int) -> Any:
    """Return ``values`` if it holds one entry per object; otherwise raise, naming it."""
    if len(values) != n:
        msg = (
            f"{name!r} in {WHERE} has {len(values)} entries; expected {n}, one per object "
            "(the length of x). Pass one value per point of the map."
        )
        raise ValueError(msg)
    return values


def checked_thumbnails(thumbnails: Any, n: int, budget: int) -> np.ndarray:
    """Return the thumbnails as squares of uint8, shrunk to ``budget`` bytes (>= 8 px)."""
    thumbs = np.asarray(thumbnails)
    if thumbs.dtype != np.uint8 or thumbs.ndim != 3:
        msg = (
            f"thumbnails in {WHERE} must be a uint8 array of shape (n_objects, ty, tx); got "
            f"{thumbs.dtype} of shape {thumbs.shape}. Scale them to 0-255 and cast with "
            ".astype(np.uint8)."
        )
        raise TypeError(msg)
    return _shrink(pad_to_square(checked_length("thumbnails", thumbs, n)), budget)


def checked_neighbors(neighbors: Any, distances: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the neighbour indices (checked to lie in ``[0, n)``) and their distances."""
    found = np.asarray(neighbors)
    if found.ndim != 2 or (found.size and found.dtype.kind not in "iu"):
        msg = (
            f"neighbors in {WHERE} must be an int array of shape (n_objects, k); got "
            f"{found.dtype} of shape {found.shape}."
        )
        raise TypeError(msg)
    found = checked_length("neighbors", found, n)
    if found.size and (found.min() < 0 or found.max() >= n):
        msg = (
            f"neighbors in {WHERE} must hold indices in [0, {n - 1}]; got values from "
            f"{found.min()} to {found.max()}."
        )
        raise ValueError(msg)
    found_distances = np.asarray(distances, dtype=np.float32)
    if found_distances.shape != found.shape:
        msg = (
            f"neighbor_distances in {WHERE} must have the shape of neighbors, "
            f"{found.shape}; got {found_distances.shape}."
        )
        raise ValueError(msg)
    return found, found_distances


def color_choice(name: str, table: dict[str, list[Any]]) -> dict[str, Any]:
    """Return one colour choice: numeric values, or codes into category names."""
    if name not in table:
        msg = (
            f"Colour option {name!r} in {WHERE} is not one of the columns. Expected one "
            f"of {shorten(sorted(table), 200)}; got {name!r}. Add the column or drop it."
        )
        raise ValueError(msg)
    values = table[name]
    missing = np.array([v is None for v in values], dtype=bool)
    numeric = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values if v is not None
    )
    if numeric:
        array = np.array([0 if v is None else v for v in values], dtype=np.float64)
        if name == "cluster":  # labels: integers, -1 = noise
            array = array.astype(np.int64)
    else:
        array = np.array(["" if v is None else page_text(v) for v in values], dtype=str)
    coding = color_coding(name, array, missing=missing)
    return {
        "name": name,
        "mode": coding.mode,
        "values": b64(coding.values),
        "categories": coding.categories,
    }


def _shrink(thumbnails: np.ndarray, budget: int) -> np.ndarray:
    """Area-average square thumbnails down until they fit ``budget`` bytes (>= 8 px)."""
    n, size = len(thumbnails), thumbnails.shape[1]
    if n * size * size <= budget or size <= _MIN_THUMBNAIL_SIZE:
        return thumbnails
    return shrink_square(thumbnails, max(_MIN_THUMBNAIL_SIZE, math.isqrt(budget // max(n, 1))))


def page_text(value: Any) -> str:
    """Return ``value`` as text UTF-8 can hold (bytes decoded, see ``readable_text``)."""
    return readable_text(value if isinstance(value, (str, bytes)) else str(value))


def json_value(value: Any) -> Any:
    """Return a JSON value for one table cell: None, bool, int, finite float or str."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(value) else None
    return page_text(value)


def b64(array: np.ndarray) -> str:
    """Little-endian bytes of ``array`` (float32 or int32), base64-encoded."""
    dtype = "<i4" if array.dtype.kind in "iu" else "<f4"
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def script_json(payload: dict[str, Any]) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' characters."""
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
