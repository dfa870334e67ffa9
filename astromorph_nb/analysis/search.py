"""Find more objects like some examples, refined by yes/no answers (analysis layer).

A search starts from one or a few objects the user found (the positives) and ranks every
object by how much it looks like them. With positives only, the score is the cosine
similarity to the positives' mean direction, the query of a similarity search. Once the
user has also said "no" to some candidates (the negatives), a logistic regression on the
unit-length embeddings learns which directions separate the two; a random sample of the
unanswered objects joins the negatives with a small weight, because a rare kind of object
is, by definition, absent from almost all of them (learning from positives and unlabelled
data, Elkan & Noto 2008). Each refit takes a few milliseconds for hundreds of answers, and
scoring 100,000 objects is one matrix product, so the ranking can follow every answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from astromorph_nb._typing import ArrayLike, RandomState
from astromorph_nb._validation import check_choice
from astromorph_nb.analysis.neighbors import (
    _as_seed,
    _check_embeddings,
    _check_object_indices,
    _normalize,
)

__all__ = ["SEARCH_METHODS", "SearchRanking", "rank_by_examples"]

#: Values of the ``method`` parameter of :func:`rank_by_examples`.
SEARCH_METHODS = ("auto", "cosine", "classifier")

_WHERE = "rank_by_examples"
_BACKGROUND = 2000  # unanswered objects that join the negatives with a small weight
_BACKGROUND_WEIGHT = 0.2  # their total weight relative to the answered negatives' (see below)
_NEGATIVE_SHARE = 0.25  # weight of the negatives' direction in the cosine query (Rocchio)


@dataclass(frozen=True)
class SearchRanking:
    """Scores of every object for one search, and how they were made.

    Attributes
    ----------
    scores : ndarray of shape (n_images,)
        Higher = more like the positives. Cosine similarity (-1 to 1) for ``"cosine"``,
        the classifier's probability of "yes" (0 to 1) for ``"classifier"``.
    method : str
        ``"cosine"`` or ``"classifier"``: the method used.
    positives, negatives : ndarray of int
        The examples, sorted, without repeats.
    """

    scores: np.ndarray
    method: str
    positives: np.ndarray
    negatives: np.ndarray

    def order(self, *, exclude_examples: bool = True) -> np.ndarray:
        """Return the object indices from the highest score down (ties: lower index first).

        With ``exclude_examples`` the positives and negatives are left out (the candidates
        still to look at); otherwise the positives come first and the negatives last.
        """
        order = np.argsort(-self.scores, kind="stable")
        examples = np.concatenate([self.positives, self.negatives])
        if exclude_examples:
            return order[~np.isin(order, examples)]
        rest = order[~np.isin(order, examples)]
        return np.concatenate([self.positives, rest, self.negatives])


def rank_by_examples(
    embeddings: ArrayLike,
    positives: ArrayLike,
    negatives: ArrayLike = (),
    *,
    method: str = "auto",
    random_state: RandomState = None,
) -> SearchRanking:
    """Score every object by how much it looks like ``positives`` and unlike ``negatives``.

    Parameters
    ----------
    embeddings : ndarray of shape (n_images, n_features)
    positives : array-like of int
        Indices of objects of the kind searched for; at least one.
    negatives : array-like of int, default=()
        Indices of objects that are not; an object may not be in both.
    method : {"auto", "cosine", "classifier"}, default="auto"
        ``"cosine"``: similarity to the positives' mean direction, moved away from the
        negatives' (Rocchio's query update, with the negatives at a quarter weight).
        ``"classifier"``: logistic regression of the answers, the unanswered objects
        joining the negatives with a small weight. ``"auto"`` takes the classifier once
        there is at least one negative, cosine before.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the sample of unanswered objects the classifier uses.

    Returns
    -------
    SearchRanking

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> embeddings = np.vstack([rng.normal([4.0, 0.0, 1.0], 0.3, (50, 3)),
    ...                         rng.normal([0.0, 4.0, 1.0], 0.3, (5, 3))])
    >>> ranking = rank_by_examples(embeddings, [50])
    >>> ranking.method, sorted(ranking.order()[:4].tolist())
    ('cosine', [51, 52, 53, 54])
    >>> ranking = rank_by_examples(embeddings, [50, 51], [0, 1], random_state=0)
    >>> ranking.method, sorted(ranking.order()[:3].tolist())
    ('classifier', [52, 53, 54])
    """
    array = _check_embeddings(embeddings, where=_WHERE)
    check_choice(method, SEARCH_METHODS, name="method", where=_WHERE)
    n_images = array.shape[0]
    positive = _check_object_indices(positives, n_images, name="positives", where=_WHERE)
    negative = _check_object_indices(negatives, n_images, name="negatives", where=_WHERE)
    if positive.size == 0:
        msg = (
            f"The 'positives' parameter of {_WHERE} is empty. Pass at least one object of the "
            "kind to search for (an index, a list of indices, or a tag column's True rows)."
        )
        raise ValueError(msg)
    both = np.intersect1d(positive, negative)
    if both.size:
        msg = (
            f"{both.size} object(s) are among both the positives and the negatives of "
            f"{_WHERE} (first: {both[0]}). Give each object one answer."
        )
        raise ValueError(msg)
    used = "classifier" if method == "auto" and negative.size else method
    if used == "auto":
        used = "cosine"
    directions = _normalize(np.asarray(array, dtype=np.float64))
    if used == "cosine":
        scores = _cosine_scores(directions, positive, negative)
    else:
        scores = _classifier_scores(
            directions, positive, negative, _as_seed(random_state, where=_WHERE)
        )
    return SearchRanking(scores=scores, method=used, positives=positive, negatives=negative)


def _cosine_scores(
    directions: np.ndarray, positive: np.ndarray, negative: np.ndarray
) -> np.ndarray:
    query = directions[positive].mean(axis=0)
    if negative.size:
        moved = query - _NEGATIVE_SHARE * directions[negative].mean(axis=0)
        if np.linalg.norm(moved) > 0:  # examples that cancel out keep the positives alone
            query = moved
    return directions @ (query / max(float(np.linalg.norm(query)), 1e-12))


def _classifier_scores(
    directions: np.ndarray, positive: np.ndarray, negative: np.ndarray, seed: int | None
) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    n_images = directions.shape[0]
    answered = np.concatenate([positive, negative])
    unanswered = np.setdiff1d(np.arange(n_images), answered, assume_unique=True)
    rng = np.random.default_rng(seed)
    background = rng.choice(unanswered, size=min(_BACKGROUND, unanswered.size), replace=False)
    rows = np.concatenate([positive, negative, background])
    target = np.concatenate([np.ones(positive.size), np.zeros(negative.size + background.size)])
    # Positives and negatives weigh as much as each other in total (rare kinds have few
    # answers); the unanswered sample weighs a fraction of the negatives, at least of one.
    weights = np.concatenate(
        [
            np.full(positive.size, 1.0 / positive.size),
            np.full(negative.size, 1.0 / max(negative.size, 1)),
            np.full(background.size, _BACKGROUND_WEIGHT / max(background.size, 1)),
        ]
    )
    model: Any = LogisticRegression(C=10.0, max_iter=1000)
    model.fit(directions[rows], target, sample_weight=weights * rows.size)
    return np.asarray(model.predict_proba(directions)[:, 1], dtype=np.float64)
