"""Nearest images in embedding space, by cosine distance (analysis layer).

BYOL compares embeddings by the angle between them, so the neighbours of an image are the
images whose embeddings point the same way: cosine distance ``1 - cos(angle)``, between 0
(same direction) and 2 (opposite). For speed the index L2-normalises the embeddings and
searches with euclidean distance, which ranks neighbours exactly as cosine distance does on
unit vectors (``|a - b|**2 = 2 * (1 - cos)``); the distances it returns are converted back
to cosine distances.

This module also holds the checks of embeddings and seeds that every analysis estimator
shares (``_check_embeddings``, ``_check_object_indices``, ``_as_seed``).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from astromorph_nb._typing import ArrayLike, RandomState
from astromorph_nb._validation import as_generator, check_choice, shorten
from astromorph_nb.exceptions import NotReadyError

__all__ = ["NEIGHBOR_METRICS", "NeighborIndex"]

NEIGHBOR_METRICS = ("cosine", "euclidean")


def _check_embeddings(
    embeddings: ArrayLike,
    *,
    where: str,
    name: str = "embeddings",
    min_images: int = 1,
    n_features: int | None = None,
) -> np.ndarray:
    """Return ``embeddings`` as a 2-D float array, raising if it cannot be one.

    Floating arrays are returned as they are (no copy); other numbers become float64.
    A 1-D input is refused rather than guessed at: one vector must be passed as ``v[None, :]``.
    """
    array = np.asarray(embeddings)
    if array.dtype.kind not in "fiu":
        msg = (
            f"Wrong data type of {name!r} in {where}. Expected real numbers; got dtype "
            f"{array.dtype}. Pass the float array returned by compute_embeddings."
        )
        raise TypeError(msg)
    if array.ndim != 2:
        msg = (
            f"Wrong shape of {name!r} in {where}. Expected a 2-D array (n_images, n_features) "
            f"in numpy order; got shape {array.shape}. Pass one row per image "
            "(a single vector v as v[None, :])."
        )
        raise ValueError(msg)
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    if array.shape[0] < min_images:
        msg = (
            f"Too few images in {where}. Expected at least {min_images} rows in {name!r}; "
            f"got {array.shape[0]}. Use more images."
        )
        raise ValueError(msg)
    if n_features is not None and array.shape[1] != n_features:
        msg = (
            f"Wrong number of features in {name!r} in {where}. Expected {n_features} (as in "
            f"the embeddings it was fitted on); got {array.shape[1]}. Use embeddings from the "
            "same model."
        )
        raise ValueError(msg)
    finite = np.isfinite(array).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        msg = (
            f"Non-finite values in {name!r} in {where}: {bad.size} of {array.shape[0]} rows "
            f"contain NaN or infinity (first: row {bad[0]}). Expected finite numbers; "
            "recompute the embeddings, or leave those images out."
        )
        raise ValueError(msg)
    return array


def _check_object_indices(values: ArrayLike, n_images: int, *, name: str, where: str) -> np.ndarray:
    """Return sorted unique object indices from ints or a boolean mask over the objects."""
    array = np.atleast_1d(np.asarray(values))
    if array.dtype.kind == "b" and array.shape == (n_images,):
        array = np.flatnonzero(array)
    if array.size and array.dtype.kind not in "iu":
        msg = (
            f"The {name!r} parameter of {where} must hold object indices (ints); got dtype "
            f"{array.dtype}."
        )
        raise TypeError(msg)
    array = array.astype(np.int64).ravel()
    bad = array[(array < 0) | (array >= n_images)]
    if bad.size:
        msg = (
            f"The {name!r} parameter of {where} holds index {bad[0]}, outside the "
            f"{n_images} objects (0 to {n_images - 1})."
        )
        raise IndexError(msg)
    return np.unique(array)


def _as_seed(random_state: RandomState, *, where: str) -> int | None:
    """Return an int seed (or None) for scikit-learn and openTSNE, which take no Generator.

    An int passes through unchanged, so results match the underlying library called with
    the same int; a Generator gives a fresh seed drawn from it.
    """
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    as_generator(random_state, name=f"The 'random_state' parameter of {where}")
    return None if random_state is None else int(random_state)


def _check_int_in_range(value: Any, *, low: int, high: int, name: str, where: str) -> int:
    """Return ``value`` as an int if ``low <= value <= high``; otherwise raise."""
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not is_int or not low <= value <= high:
        msg = (
            f"The {name!r} parameter of {where} must be an int in the range [{low}, {high}]; "
            f"got {shorten(value)}."
        )
        raise (ValueError if is_int else TypeError)(msg)
    return int(value)


class NeighborIndex:
    """Find the images nearest to given images, or to any vectors, in embedding space.

    Parameters
    ----------
    metric : {"cosine", "euclidean"}, default="cosine"
        ``"cosine"`` (distance ``1 - cos``) matches how BYOL compares embeddings; use
        ``"euclidean"`` only for features whose length carries meaning.

    Attributes
    ----------
    n_images_ : int
        Rows of the embeddings the index was fitted on.
    n_features_ : int
        Features per image.
    index_ : sklearn.neighbors.NearestNeighbors
        The fitted brute-force search (on L2-normalised rows for ``"cosine"``).

    Examples
    --------
    >>> import numpy as np
    >>> embeddings = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    >>> index = NeighborIndex().fit(embeddings)
    >>> distances, neighbors = index.query([0], k=2)
    >>> neighbors
    array([[1, 2]])
    >>> np.round(distances, 3)
    array([[0.006, 1.   ]])
    """

    def __init__(self, *, metric: str = "cosine") -> None:
        self.metric = check_choice(metric, NEIGHBOR_METRICS, name="metric", where="NeighborIndex")

    def fit(self, embeddings: ArrayLike) -> NeighborIndex:
        """Index ``embeddings``, an ndarray of shape (n_images, n_features); return self.

        Raises
        ------
        ValueError
            For fewer than 2 images, or NaN or infinite values.
        """
        from sklearn.neighbors import NearestNeighbors

        array = _check_embeddings(embeddings, where="NeighborIndex.fit", min_images=2)
        self.n_images_, self.n_features_ = array.shape
        # An all-zero row has no direction; sklearn's own cosine metric gives it distance 1
        # to everything, which the normalised-euclidean shortcut would not.
        self._has_zero_rows = self.metric == "cosine" and not np.any(array, axis=1).all()
        if self.metric == "euclidean" or self._has_zero_rows:
            self._data = array
            self.index_ = NearestNeighbors(metric=self.metric, algorithm="brute")
        else:
            self._data = _normalize(array)
            self.index_ = NearestNeighbors(metric="euclidean", algorithm="brute")
        self.index_.fit(self._data)
        return self

    def query(self, indices: ArrayLike, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``k`` nearest other images of each image in ``indices``.

        Parameters
        ----------
        indices : int or array-like of int
            Row numbers of the fitted embeddings (0-based).
        k : int, default=8
            Neighbours per image, between 1 and ``n_images_ - 1``.

        Returns
        -------
        distances : ndarray of shape (len(indices), k)
            float64 distances (cosine distances for ``metric="cosine"``), nearest first.
        neighbor_indices : ndarray of shape (len(indices), k)
            int64 row numbers of the neighbours. The query image itself is left out.

        Raises
        ------
        NotReadyError
            Before :meth:`fit`.
        IndexError
            For an index outside ``[0, n_images_ - 1]``.
        """
        self._check_fitted()
        k = _check_int_in_range(
            k, low=1, high=self.n_images_ - 1, name="k", where="NeighborIndex.query"
        )
        rows = np.atleast_1d(np.asarray(indices))
        if rows.size == 0:
            return np.empty((0, k)), np.empty((0, k), dtype=np.int64)
        if rows.ndim != 1 or rows.dtype.kind not in "iu":
            msg = (
                "Wrong 'indices' in NeighborIndex.query. Expected an int or a 1-D sequence of "
                f"ints (image numbers); got {shorten(indices)}."
            )
            raise TypeError(msg)
        outside = (rows < 0) | (rows >= self.n_images_)
        if outside.any():
            msg = (
                f"Image index {rows[outside][0]} is out of range in NeighborIndex.query. "
                f"Expected an index in [0, {self.n_images_ - 1}]; there are {self.n_images_} "
                "images."
            )
            raise IndexError(msg)
        distances, neighbors = self._search(self._data[rows], k + 1)
        # Leave the query image out. With exact duplicates it may not come first, and it
        # may be missing altogether; then the farthest of the k + 1 goes instead.
        drop = neighbors == rows[:, None]
        drop[~drop.any(axis=1), -1] = True
        keep = ~drop
        return distances[keep].reshape(-1, k), neighbors[keep].reshape(-1, k)

    def query_vectors(self, vectors: ArrayLike, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``k`` images nearest to each of some vectors (such as a centroid).

        Parameters
        ----------
        vectors : ndarray of shape (n_vectors, n_features) or (n_features,)
            Points in embedding space; nothing is left out, so a vector equal to a fitted
            embedding finds that image at distance 0.
        k : int, default=8
            Neighbours per vector, between 1 and ``n_images_``.

        Returns
        -------
        distances : ndarray of shape (n_vectors, k)
            float64 distances, nearest first.
        neighbor_indices : ndarray of shape (n_vectors, k)
            int64 row numbers of the fitted embeddings.
        """
        self._check_fitted()
        k = _check_int_in_range(
            k, low=1, high=self.n_images_, name="k", where="NeighborIndex.query_vectors"
        )
        array = np.asarray(vectors)
        array = _check_embeddings(
            array[None, :] if array.ndim == 1 else array,
            where="NeighborIndex.query_vectors",
            name="vectors",
            n_features=self.n_features_,
        )
        if self.metric == "cosine" and not self._has_zero_rows:
            array = _normalize(array)
        return self._search(array, k)

    def _search(self, data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        distances, neighbors = self.index_.kneighbors(data, n_neighbors=k)
        distances = np.asarray(distances, dtype=np.float64)
        if self.metric == "cosine" and not self._has_zero_rows:
            distances = np.clip(distances**2 / 2.0, 0.0, 2.0)
        return distances, neighbors.astype(np.int64, copy=False)

    def _check_fitted(self) -> None:
        if not hasattr(self, "index_"):
            msg = "This NeighborIndex is not fitted yet. Call fit(embeddings) first."
            raise NotReadyError(msg)


def _normalize(array: np.ndarray) -> np.ndarray:
    """Return the rows of ``array`` scaled to unit length; all-zero rows stay zero."""
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.where(norms > 0, norms, 1)
