"""Which known quantities the embeddings order objects by (analysis layer).

For each quantity (a header key, a catalogue column, a tag) the question is: do objects
that the embeddings put close together share its value? It is answered with the
leave-one-out prediction of the value from the object's nearest neighbours in embedding
space (cosine distance): the mean of the neighbours' values for numbers, scored as R²,
and their majority vote for categories, scored as balanced accuracy (the mean of the
recalls of the categories, so that a rare tag predicted as always False scores 0.5, not
0.99). The same prediction after
shuffling the values among the objects gives the null level, what the score is when the
embeddings know nothing of the quantity; its mean and spread over several shuffles come
with each score. The neighbours are found once and reused for every quantity and
shuffle, so explaining dozens of columns costs about as much as one.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from astropy.table import Table

from astromorph_nb._typing import ArrayLike, RandomState
from astromorph_nb._validation import check_positive_int
from astromorph_nb.analysis.evaluation import encode_labels
from astromorph_nb.analysis.neighbors import NeighborIndex, _as_seed, _check_embeddings
from astromorph_nb.exceptions import AstromorphWarning

__all__ = ["MAX_CATEGORIES", "explain_embeddings"]

#: Integer columns with at most this many distinct values are treated as categories.
MAX_CATEGORIES = 20
_WHERE = "explain_embeddings"
_MIN_VALUES = 10  # objects with a value that a column needs to be scored
_SPARE = 3  # neighbours fetched per neighbour used, for columns with missing values


def explain_embeddings(
    embeddings: ArrayLike,
    columns: Mapping[str, ArrayLike],
    *,
    n_neighbors: int = 10,
    n_shuffles: int = 20,
    random_state: RandomState = None,
) -> Table:
    """Rank known quantities by how well the embeddings' neighbours predict them.

    Parameters
    ----------
    embeddings : ndarray of shape (n_images, n_features)
    columns : mapping of str to array-like of shape (n_images,)
        The quantities. Floats, and integers with more than :data:`MAX_CATEGORIES`
        distinct values, are numbers (scored by R²); text, booleans and other integers are
        categories (scored by balanced accuracy). Missing values (NaN, masked, None, empty text) are
        left out of that column's score.
    n_neighbors : int, default=10
        Neighbours that predict each object's value.
    n_shuffles : int, default=20
        Shuffles of the values that give the null level.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the shuffles.

    Returns
    -------
    astropy.table.Table
        One row per scored column, the best explained first (by ``skill``): ``column``,
        ``kind`` (``"number"`` or ``"category"``), ``metric`` (``"r2"`` or
        ``"balanced_accuracy"``), ``score``, ``null_mean`` and ``null_std`` (over the shuffles),
        ``skill`` (``(score - null_mean) / (1 - null_mean)``: 0 at the null level, 1 for
        a perfect prediction, comparable between R² and balanced accuracy), ``z`` (``(score -
        null_mean) / null_std``) and ``n_values`` (objects with a value). Columns that
        cannot be scored (too few values, one value only, vectors) are listed with the
        reason in ``table.meta["skipped"]`` and in an :class:`AstromorphWarning`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> size = rng.uniform(1, 5, 300)
    >>> embeddings = np.column_stack([np.cos(size), np.sin(size), rng.normal(0, 0.05, 300)])
    >>> table = explain_embeddings(embeddings, {"size": size, "noise": rng.normal(size=300)},
    ...                            random_state=0)
    >>> table["column"].tolist(), bool(table["score"][0] > 0.9)
    (['size', 'noise'], True)
    """
    array = _check_embeddings(embeddings, where=_WHERE, min_images=_MIN_VALUES)
    n_neighbors = check_positive_int(n_neighbors, name="n_neighbors", where=_WHERE)
    n_shuffles = check_positive_int(n_shuffles, name="n_shuffles", where=_WHERE, minimum=2)
    rng = np.random.default_rng(_as_seed(random_state, where=_WHERE))
    n_images = array.shape[0]
    n_fetch = min(n_images - 1, n_neighbors * _SPARE)
    _, neighbors = NeighborIndex().fit(array).query(np.arange(n_images), k=n_fetch)

    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    for name, values in columns.items():
        prepared = _prepare(values, n_images)
        if isinstance(prepared, str):
            skipped[name] = prepared
            continue
        kind, target, valid = prepared
        if valid.sum() < max(_MIN_VALUES, n_neighbors + 1):
            skipped[name] = f"only {int(valid.sum())} objects have a value"
            continue
        chosen = _valid_neighbors(neighbors, valid, n_neighbors)
        score = _score(kind, target, chosen, valid)
        null = np.array(
            [_score(kind, _shuffled(target, valid, rng), chosen, valid) for _ in range(n_shuffles)]
        )
        null_mean, null_std = float(null.mean()), float(null.std(ddof=1))
        rows.append(
            {
                "column": name,
                "kind": kind,
                "metric": "r2" if kind == "number" else "balanced_accuracy",
                "score": score,
                "null_mean": null_mean,
                "null_std": null_std,
                "skill": (score - null_mean) / max(1.0 - null_mean, 1e-12),
                "z": (score - null_mean) / null_std if null_std > 0 else float("nan"),
                "n_values": int(valid.sum()),
            }
        )
    if skipped:
        listed = "; ".join(f"{name}: {reason}" for name, reason in skipped.items())
        warnings.warn(
            f"{len(skipped)} column(s) left out of {_WHERE}: {listed}.",
            AstromorphWarning,
            stacklevel=2,
        )
    names = ["column", "kind", "metric", "score", "null_mean", "null_std", "skill", "z", "n_values"]
    rows.sort(key=lambda row: -row["skill"])
    table = Table(rows=[[row[n] for n in names] for row in rows] or None, names=names)
    if not rows:
        table = Table(
            names=names, dtype=[str, str, str, float, float, float, float, float, np.int64]
        )
    table.meta["skipped"] = skipped
    table.meta["n_neighbors"] = n_neighbors
    table.meta["n_shuffles"] = n_shuffles
    return table


def _prepare(values: ArrayLike, n_images: int) -> tuple[str, np.ndarray, np.ndarray] | str:
    """Return ``(kind, target, valid)`` of one column, or the reason it cannot be scored."""
    raw = values if isinstance(values, np.ma.MaskedArray) else np.asanyarray(values)
    if raw.ndim != 1:
        return f"holds {raw.ndim}-D values per object, not one value"
    if raw.shape[0] != n_images:
        return f"has {raw.shape[0]} values for {n_images} objects"
    data = np.ma.getdata(raw)
    numeric = data.dtype.kind == "f" or (
        data.dtype.kind in "iu" and np.unique(data).size > MAX_CATEGORIES
    )
    if numeric:
        target = np.asarray(data, dtype=np.float64)
        valid = np.isfinite(target) & ~np.ma.getmaskarray(raw)
        if np.unique(target[valid]).size < 2:
            return "has a single value"
        return "number", target, valid
    codes, names, valid = encode_labels(raw, n_images)
    if len(names) < 2:
        return "has a single value"
    target = np.full(n_images, -1, dtype=np.float64)
    target[valid] = codes
    return "category", target, valid


def _valid_neighbors(neighbors: np.ndarray, valid: np.ndarray, k: int) -> np.ndarray:
    """Return each object's ``k`` nearest neighbours that have a value (-1 pads a shortfall)."""
    has_value = valid[neighbors]
    rank = np.cumsum(has_value, axis=1)
    keep = has_value & (rank <= k)
    chosen = np.full((neighbors.shape[0], k), -1, dtype=np.int64)
    rows, cols = np.nonzero(keep)
    chosen[rows, rank[rows, cols] - 1] = neighbors[rows, cols]
    return chosen


def _score(kind: str, target: np.ndarray, chosen: np.ndarray, valid: np.ndarray) -> float:
    """Return the leave-one-out R² or balanced accuracy of ``target`` from ``chosen``."""
    rows = np.flatnonzero(valid & (chosen[:, 0] >= 0))
    picks = chosen[rows]
    present = picks >= 0
    values = np.where(present, target[np.maximum(picks, 0)], 0.0)
    truth = target[rows]
    if kind == "number":
        predicted = values.sum(axis=1) / present.sum(axis=1)
        total = ((truth - truth.mean()) ** 2).sum()
        return float(1.0 - ((truth - predicted) ** 2).sum() / total)
    n_classes = int(target[valid].max()) + 1
    # Votes, each slightly heavier the nearer it is, so that ties go to the nearer class.
    weight = present * (1.0 + 1e-3 * np.arange(picks.shape[1], 0, -1))
    votes = np.zeros((rows.size, n_classes))
    np.add.at(
        votes,
        (np.repeat(np.arange(rows.size), picks.shape[1]), values.astype(int).ravel()),
        weight.ravel(),
    )
    hits = votes.argmax(axis=1) == truth
    present_classes = np.unique(truth)
    return float(np.mean([hits[truth == c].mean() for c in present_classes]))


def _shuffled(target: np.ndarray, valid: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    result = target.copy()
    result[valid] = rng.permutation(target[valid])
    return result
