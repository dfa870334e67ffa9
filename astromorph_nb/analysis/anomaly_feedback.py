"""Anomaly scores re-weighted by what the user found interesting or boring (analysis layer).

An anomaly detector ranks objects by how rare they are, but many rare objects are rare
for dull reasons (artefacts, edge effects, a known kind seen from an odd angle). Following
the human-in-the-loop scheme of Astronomaly (Lochner & Bassett 2021, Astronomy and
Computing 36, 100481), the user's answers train a prediction of their interest over the
whole embedding space, and the score is multiplied by that prediction where the answers
are close, and left as it is far from any answer:

    factor = tanh(exp(d / mean(d)) - 1 + artanh(0.1 + 0.85 u))

where ``u`` (0 = boring, 1 = interesting) is predicted from the nearest answered objects
(a distance-weighted k-nearest-neighbour vote, cosine distance), ``d`` is the distance to
the nearest answered object and ``mean(d)`` its mean over the unanswered objects. At an
answer the factor is 0.1 (boring) to 0.95 (interesting); it tends to 1 with distance
(0.94 at the mean distance), so unexplored regions keep their rank.
"""

from __future__ import annotations

import numpy as np

from astromorph_nb._typing import ArrayLike
from astromorph_nb.analysis.neighbors import NeighborIndex, _check_embeddings, _check_object_indices

__all__ = ["reweight_by_feedback"]

_WHERE = "reweight_by_feedback"
_N_VOTES = 5  # answered neighbours that predict the interest


def reweight_by_feedback(
    embeddings: ArrayLike, scores: ArrayLike, interesting: ArrayLike, boring: ArrayLike
) -> np.ndarray:
    """Return ``scores`` rescaled to 0–1 and multiplied by the predicted interest.

    Parameters
    ----------
    embeddings : ndarray of shape (n_images, n_features)
    scores : array-like of shape (n_images,)
        Anomaly scores, higher = more unusual (any scale: they are rescaled to 0–1).
    interesting, boring : array-like of int
        Indices of the objects the user answered; together at least one, none in both.

    Returns
    -------
    ndarray of shape (n_images,)
        Between 0 and 1; higher = more unusual and more like what the user found
        interesting.

    Examples
    --------
    >>> import numpy as np
    >>> embeddings = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> scores = np.array([1.0, 0.8, 1.0, 0.6])
    >>> np.round(reweight_by_feedback(embeddings, scores, [], [0]), 2)
    array([0.1 , 0.05, 1.  , 0.  ])
    """
    array = _check_embeddings(embeddings, where=_WHERE, min_images=2)
    values = np.asarray(scores, dtype=np.float64)
    if values.shape != (array.shape[0],) or not np.isfinite(values).all():
        msg = (
            f"The 'scores' of {_WHERE} must be {array.shape[0]} finite numbers, one per "
            f"object; got shape {values.shape}."
        )
        raise ValueError(msg)
    n_images = array.shape[0]
    liked = _check_object_indices(interesting, n_images, name="interesting", where=_WHERE)
    disliked = _check_object_indices(boring, n_images, name="boring", where=_WHERE)
    if liked.size + disliked.size == 0:
        msg = f"{_WHERE} needs at least one answer (an interesting or a boring object)."
        raise ValueError(msg)
    if np.intersect1d(liked, disliked).size:
        msg = f"Objects are both interesting and boring in {_WHERE}; give each one answer."
        raise ValueError(msg)
    answered = np.concatenate([liked, disliked])
    interest = np.concatenate([np.ones(liked.size), np.zeros(disliked.size)])

    k = min(_N_VOTES, answered.size)
    index = NeighborIndex().fit(
        array[answered] if answered.size >= 2 else array[answered].repeat(2, 0)
    )
    distances, found = index.query_vectors(array, k=k)
    found = found % answered.size  # the repeated single answer maps back to itself
    weights = 1.0 / (distances + 1e-6)
    predicted = (weights * interest[found]).sum(axis=1) / weights.sum(axis=1)
    nearest = distances[:, 0]
    others = np.ones(nearest.size, dtype=bool)
    others[answered] = False
    scale = nearest[others].mean() if others.any() else 0.0  # the answers' own are 0
    spread = nearest / scale if scale > 0 else np.zeros_like(nearest)
    factor = np.tanh(np.exp(spread) - 1.0 + np.arctanh(0.1 + 0.85 * predicted))

    low, high = values.min(), values.max()
    rescaled = (values - low) / (high - low) if high > low else np.ones_like(values)
    return rescaled * factor
