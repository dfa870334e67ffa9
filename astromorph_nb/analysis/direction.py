"""Objects ordered along a direction in embedding space (analysis layer).

Two groups of objects (say, thin rings and wide rings) define a direction: from the mean
of the first group's unit embeddings to the mean of the second's. Projecting every object
on it orders them from "like the first group" to "like the second", which shows whether
the embeddings hold a gradual trend between the two and what lies along the way. A
numeric column defines the two groups itself: the objects in its lowest and highest
quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astromorph_nb._typing import ArrayLike
from astromorph_nb.analysis.neighbors import _check_embeddings, _check_object_indices, _normalize

__all__ = ["Direction", "direction_between", "direction_of_column"]

_WHERE = "direction_between"


@dataclass(frozen=True)
class Direction:
    """A direction in embedding space and every object's position along it.

    Attributes
    ----------
    vector : ndarray of shape (n_features,)
        Unit vector from the start group's mean direction to the end group's.
    positions : ndarray of shape (n_images,)
        Each object's unit embedding projected on ``vector``, shifted so that the start
        group's mean is 0 and scaled so that the end group's is 1.
    start, end : ndarray of int
        The two groups.
    """

    vector: np.ndarray
    positions: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def along(self, n: int) -> np.ndarray:
        """Return ``n`` object indices at evenly spaced quantiles of the positions, low to high.

        The quantiles are the centres of ``n`` equal bins, ``(i + 0.5) / n``, so that the
        ends show typical objects of each end rather than the single most extreme ones.
        """
        order = np.argsort(self.positions, kind="stable")
        levels = (np.arange(min(n, order.size)) + 0.5) / min(n, order.size)
        picks = np.floor(levels * order.size).astype(int)
        return order[np.unique(picks)]


def direction_between(embeddings: ArrayLike, start: ArrayLike, end: ArrayLike) -> Direction:
    """Return the direction from the objects ``start`` to the objects ``end``.

    Parameters
    ----------
    embeddings : ndarray of shape (n_images, n_features)
    start, end : array-like of int
        Indices of the two groups; each non-empty, and not the same objects.

    Examples
    --------
    >>> import numpy as np
    >>> embeddings = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0]])
    >>> direction = direction_between(embeddings, [0], [3])
    >>> np.round(direction.positions, 2)
    array([0. , 0.4, 0.6, 1. ])
    """
    array = _normalize(np.asarray(_check_embeddings(embeddings, where=_WHERE), dtype=np.float64))
    first = _check_object_indices(start, array.shape[0], name="start", where=_WHERE)
    second = _check_object_indices(end, array.shape[0], name="end", where=_WHERE)
    for group, name in ((first, "start"), (second, "end")):
        if group.size == 0:
            msg = f"The {name!r} group of {_WHERE} is empty; pass at least one object index."
            raise ValueError(msg)
    if np.array_equal(first, second):
        msg = f"The 'start' and 'end' groups of {_WHERE} are the same objects; pass two groups."
        raise ValueError(msg)
    low, high = array[first].mean(axis=0), array[second].mean(axis=0)
    step = high - low
    length = float(np.linalg.norm(step))
    if length == 0.0:
        msg = (
            f"The 'start' and 'end' groups of {_WHERE} have the same mean embedding, so they "
            "define no direction. Choose groups that differ."
        )
        raise ValueError(msg)
    vector = step / length
    positions = (array - low) @ vector / length
    return Direction(vector=vector, positions=positions, start=first, end=second)


def direction_of_column(
    embeddings: ArrayLike, values: ArrayLike, *, quantile: float = 0.2
) -> Direction:
    """Return the direction from the objects with the lowest ``values`` to the highest.

    The groups are the objects below the ``quantile`` and above the ``1 - quantile``
    quantile of the finite values (NaN and masked values are in neither).
    """
    raw = np.ma.masked_invalid(np.ma.asarray(values, dtype=np.float64))
    data = np.ma.getdata(raw)
    valid = ~np.ma.getmaskarray(raw)
    if not 0.0 < quantile < 0.5:
        msg = f"The 'quantile' parameter must be between 0 and 0.5 (exclusive); got {quantile!r}."
        raise ValueError(msg)
    if valid.sum() < 4:
        msg = (
            f"The column given to direction_of_column has {int(valid.sum())} finite values; "
            "at least 4 are needed to make two groups."
        )
        raise ValueError(msg)
    low, high = np.quantile(data[valid], [quantile, 1.0 - quantile])
    start = np.flatnonzero(valid & (data <= low))
    end = np.flatnonzero(valid & (data >= high))
    return direction_between(embeddings, start, end)
