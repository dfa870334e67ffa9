"""Checks of the arrays passed to the plotting functions (plotting layer, private).

Each check takes the parameter name and the public function it belongs to, so the message
says where the problem is, and returns a clean numpy array the caller can trust.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from astromorph_nb._validation import shorten

__all__ = [
    "check_coordinates",
    "check_indices",
    "check_labels",
    "check_length",
    "check_per_image",
    "check_values",
]


def check_coordinates(coordinates: Any, *, where: str) -> np.ndarray:
    """Return t-SNE coordinates as a finite float64 array of shape (n_images, 2).

    Examples
    --------
    >>> check_coordinates([[0, 1], [2, 3]], where="plot_map").shape
    (2, 2)
    """
    array = np.asarray(coordinates)
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        msg = (
            f"Wrong shape of 'coordinates' in {where}. Expected a t-SNE map of shape "
            f"(n_images, 2) with at least one row; got shape {array.shape}. "
            "Pass the 2-D map itself, e.g. session.tsne_coordinates, not the embeddings."
        )
        raise ValueError(msg)
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        msg = (
            f"Non-numeric 'coordinates' in {where}. Expected real numbers; "
            f"got dtype {array.dtype}. Pass the t-SNE map as a float array."
        )
        raise TypeError(msg)
    array = array.astype(np.float64)
    n_bad = int(np.count_nonzero(~np.isfinite(array).all(axis=1)))
    if n_bad:
        msg = (
            f"Non-finite 'coordinates' in {where}. Expected finite positions for every "
            f"image; got NaN or infinity in {n_bad} of {array.shape[0]} rows. "
            "Drop those images (and the matching rows of color and cutouts) first."
        )
        raise ValueError(msg)
    return array


def check_length(length: int, expected: int, *, name: str, expected_name: str, where: str) -> None:
    """Raise a ValueError naming both lengths if ``length != expected``."""
    if length != expected:
        msg = (
            f"Length mismatch in {where}: {name!r} has {length} entries but "
            f"{expected_name!r} has {expected}. Expected one entry per image; "
            f"pass {name} for the same images, in the same order, as {expected_name}."
        )
        raise ValueError(msg)


def _one_dimensional(values: Any, *, name: str, where: str, expected: str, fix: str) -> np.ndarray:
    """Return ``values`` as an array if it is 1-D; else raise, saying ``expected`` and ``fix``."""
    array = np.asarray(values)
    if array.ndim != 1:
        msg = (
            f"Wrong shape of {name!r} in {where}. Expected {expected}; "
            f"got shape {array.shape}. {fix}"
        )
        raise ValueError(msg)
    return array


def check_per_image(
    values: Any, n_images: int, *, name: str, expected_name: str, where: str, what: str = "value"
) -> np.ndarray:
    """Return ``values`` as a 1-D array (of any dtype) with one entry per image.

    ``expected_name`` is the parameter that sets ``n_images``; ``what`` is one entry as the
    message calls it (``"label"``, ``"value"``).

    Examples
    --------
    >>> check_per_image([1, 0, 1], 3, name="color", expected_name="coordinates", where="plot_map")
    array([1, 0, 1])
    """
    expected = f"one {what} per image, shape ({n_images},)"
    array = _one_dimensional(
        values, name=name, where=where, expected=expected, fix="Pass a 1-D array."
    )
    check_length(len(array), n_images, name=name, expected_name=expected_name, where=where)
    return array


def check_values(values: Any, *, name: str, where: str) -> np.ndarray:
    """Return ``values`` as a 1-D float64 array (NaN allowed), e.g. losses or scores."""
    array = _one_dimensional(
        values,
        name=name,
        where=where,
        expected="a 1-D array of numbers",
        fix="Pass one value per entry.",
    )
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        msg = (
            f"Non-numeric {name!r} in {where}. Expected real numbers; got dtype "
            f"{array.dtype}. Convert them with numpy.asarray(..., dtype=float)."
        )
        raise TypeError(msg)
    return array.astype(np.float64)


def check_indices(indices: Any, n_images: int, *, name: str, where: str) -> np.ndarray:
    """Return ``indices`` as a 1-D int64 array in [0, n_images), negatives counted from the end.

    Raises
    ------
    TypeError
        If the values are not integers.
    IndexError
        If one is outside [-n_images, n_images - 1].

    Examples
    --------
    >>> check_indices([0, -1], 5, name="indices", where="plot_montage")
    array([0, 4])
    """
    if isinstance(indices, numbers.Integral) and not isinstance(indices, bool):
        indices = [indices]
    array = np.asarray(indices)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.ndim != 1 or array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        msg = (
            f"Wrong {name!r} in {where}. Expected a 1-D sequence of integer image indices; "
            f"got {shorten(indices)} (dtype {array.dtype}, shape {array.shape}). "
            "Pass row numbers of the cutouts, e.g. [0, 5, 12]."
        )
        raise TypeError(msg)
    outside = array[(array < -n_images) | (array >= n_images)]
    if outside.size:
        msg = (
            f"Index out of range in {name!r} of {where}. Expected integers in "
            f"[{-n_images}, {n_images - 1}] for {n_images} images; got {int(outside[0])}. "
            "Pass indices of rows that exist."
        )
        raise IndexError(msg)
    return array.astype(np.int64) % max(n_images, 1)


def check_labels(labels: Sequence[Any] | None, n_images: int, *, where: str) -> list[str] | None:
    """Return per-image labels as a list of strings (one per image), or None.

    Examples
    --------
    >>> check_labels(["NGC 1", 2], 2, where="plot_montage")
    ['NGC 1', '2']
    """
    if labels is None:
        return None
    if isinstance(labels, str):
        msg = (
            f"Wrong 'labels' in {where}. Expected one string per image; got the single "
            f"string {shorten(labels)}. Pass a list, e.g. session.images.meta['OBJECT']."
        )
        raise TypeError(msg)
    texts = [str(label) for label in np.asarray(labels, dtype=object).ravel()]
    check_length(len(texts), n_images, name="labels", expected_name="cutouts", where=where)
    return texts
