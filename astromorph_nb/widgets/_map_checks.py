"""Checks and conversions of what ``MapScatter.set_*`` receive (widgets layer).

Each check takes the parameter's name and where it was passed, so the error can quote them;
arrays leave as little-endian ``float32`` bytes, the form the browser reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from astromorph_nb._validation import shorten

__all__ = ["TEXT_COLUMN_FIX", "check_1d_numbers", "check_categories", "float32_bytes"]

TEXT_COLUMN_FIX = (
    "For a text column use names, codes = np.unique(column, return_inverse=True) and "
    "set_colors(codes, mode='categorical', categories=list(names))."
)


def float32_bytes(values: np.ndarray) -> bytes:
    """Return little-endian float32 bytes of a 1-D array."""
    return np.ascontiguousarray(values, dtype="<f4").tobytes()


def check_1d_numbers(
    values: Any, *, name: str, where: str, fix: str = "Convert it with np.asarray(x, dtype=float)."
) -> np.ndarray:
    """Return ``values`` as a 1-D numeric array, or raise naming the parameter."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        msg = f"{name} in {where} must hold numbers; got dtype {array.dtype}. {fix}"
        raise TypeError(msg)
    if array.ndim != 1:
        msg = (
            f"{name} in {where} must be 1-D with one value per point; got shape {array.shape}. "
            "For an (n, 2) array of map coordinates pass coords[:, 0] and coords[:, 1]."
        )
        raise ValueError(msg)
    return array


def check_categories(
    codes: np.ndarray, categories: Sequence[str] | None, *, where: str
) -> list[str]:
    """Return the category names as str after checking the codes point into them."""
    if categories is None or isinstance(categories, str):
        msg = (
            f"categories must be a list of names in {where} with mode='categorical'; "
            f"got {shorten(categories)}. {TEXT_COLUMN_FIX}"
        )
        raise TypeError(msg)
    names = [str(name) for name in categories]
    finite = codes[np.isfinite(codes)]
    bad = finite[(finite != np.round(finite)) | (finite < -1) | (finite >= len(names))]
    if len(bad):
        msg = (
            f"Category codes in {where} must be integers from -1 (noise) to "
            f"{len(names) - 1} (one per name in categories); got {shorten(bad[:5].tolist())}"
            f" among {len(bad)} bad codes. Pass one name per code in categories."
        )
        raise ValueError(msg)
    return names
