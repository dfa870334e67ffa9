"""Anomaly scores from embeddings: one number per image, higher = more unusual (analysis layer).

Three scorers, all with the same scikit-learn-style interface: ``fit(embeddings)`` sets
``scores_`` for the fitted images, and ``score(new_embeddings)`` scores other images against
them. All three work on L2-normalised embeddings, because BYOL compares embeddings by
direction (cosine similarity), not length.

- :class:`KNNDistanceScorer`: mean cosine distance to the ``n_neighbors`` nearest other images.
  Simple and easy to explain; finds isolated images.
- :class:`LOFScorer`: local outlier factor (Breunig et al. 2000), which compares an image's
  local density with its neighbours'. Finds outliers next to dense groups too.
- :class:`IsolationForestScorer`: isolation forest (Liu, Ting & Zhou 2008); images that few
  random splits isolate. Fast for large sets; random, so fix ``random_state`` to repeat it.

``make_scorer(method, **options)`` builds one by name (``ANOMALY_METHODS``).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from astromorph_nb._typing import ArrayLike, RandomState
from astromorph_nb._validation import check_choice, check_positive_int
from astromorph_nb.analysis.neighbors import (
    NeighborIndex,
    _as_seed,
    _check_embeddings,
    _check_int_in_range,
    _normalize,
)
from astromorph_nb.exceptions import NotReadyError

__all__ = [
    "ANOMALY_METHODS",
    "IsolationForestScorer",
    "KNNDistanceScorer",
    "LOFScorer",
    "make_scorer",
]

ANOMALY_METHODS = ("isolation_forest", "knn", "lof")


class _Scorer:
    """Shared checks: fitted state, embeddings in ``fit`` and ``score``."""

    def _check_fit_input(self, embeddings: ArrayLike, *, min_images: int) -> np.ndarray:
        where = f"{type(self).__name__}.fit"
        array = _check_embeddings(embeddings, where=where, min_images=min_images)
        self.n_features_ = array.shape[1]
        return array

    def _check_score_input(self, new_embeddings: ArrayLike) -> np.ndarray:
        name = type(self).__name__
        if not hasattr(self, "scores_"):
            msg = f"This {name} is not fitted yet. Call fit(embeddings) first."
            raise NotReadyError(msg)
        return _check_embeddings(
            new_embeddings,
            where=f"{name}.score",
            name="new_embeddings",
            n_features=self.n_features_,
        )


class KNNDistanceScorer(_Scorer):
    """Score each image by its mean cosine distance to its ``n_neighbors`` nearest others.

    Parameters
    ----------
    n_neighbors : int, default=10
        Neighbours averaged over. Raise it to ignore small groups of similar oddities
        (a group smaller than ``n_neighbors`` still scores high).

    Attributes
    ----------
    scores_ : ndarray of shape (n_images,)
        float64 scores of the fitted images, between 0 and 2; higher = more unusual.
    index_ : NeighborIndex
        The neighbour search over the fitted embeddings.

    Examples
    --------
    >>> import numpy as np
    >>> embeddings = np.array([[1.0, 0.0], [1.0, 0.1], [1.0, -0.1], [0.0, 1.0]])
    >>> scorer = KNNDistanceScorer(n_neighbors=2).fit(embeddings)
    >>> int(np.argmax(scorer.scores_))
    3
    """

    def __init__(self, n_neighbors: int = 10) -> None:
        self.n_neighbors = check_positive_int(
            n_neighbors, name="n_neighbors", where="KNNDistanceScorer"
        )

    def fit(self, embeddings: ArrayLike) -> KNNDistanceScorer:
        """Score ``embeddings``, an ndarray of shape (n_images, n_features); return self."""
        array = self._check_fit_input(embeddings, min_images=2)
        _check_n_neighbors(self.n_neighbors, array.shape[0], where="KNNDistanceScorer.fit")
        self.index_ = NeighborIndex(metric="cosine").fit(array)
        distances, _ = self.index_.query(np.arange(array.shape[0]), k=self.n_neighbors)
        self.scores_ = distances.mean(axis=1)
        return self

    def score(self, new_embeddings: ArrayLike) -> np.ndarray:
        """Return float64 scores of shape (n_new,) for images not in the fitted set.

        Nothing is left out of the search, so an image that *is* in the fitted set counts
        itself as one neighbour at distance 0 and scores lower here than in ``scores_``.
        """
        array = self._check_score_input(new_embeddings)
        distances, _ = self.index_.query_vectors(array, k=self.n_neighbors)
        return distances.mean(axis=1)


class LOFScorer(_Scorer):
    """Score each image by its local outlier factor among its ``n_neighbors`` nearest others.

    Parameters
    ----------
    n_neighbors : int, default=20
        Size of the neighbourhood whose density is compared. 20 works well in most cases
        (scikit-learn's advice); raise it if groups of similar oddities should count as
        outliers.

    Attributes
    ----------
    scores_ : ndarray of shape (n_images,)
        float64 local outlier factors; about 1 for ordinary images, higher = more unusual.
    model_ : sklearn.neighbors.LocalOutlierFactor
        The fitted model (``novelty=True``, on L2-normalised embeddings).

    Examples
    --------
    >>> import numpy as np
    >>> embeddings = np.array([[1.0, x] for x in np.linspace(-0.1, 0.1, 9)] + [[0.0, 1.0]])
    >>> scorer = LOFScorer(n_neighbors=3).fit(embeddings)
    >>> int(np.argmax(scorer.scores_))
    9
    """

    def __init__(self, n_neighbors: int = 20) -> None:
        self.n_neighbors = check_positive_int(n_neighbors, name="n_neighbors", where="LOFScorer")

    def fit(self, embeddings: ArrayLike) -> LOFScorer:
        """Score ``embeddings``, an ndarray of shape (n_images, n_features); return self."""
        from sklearn.neighbors import LocalOutlierFactor

        array = self._check_fit_input(embeddings, min_images=2)
        _check_n_neighbors(self.n_neighbors, array.shape[0], where="LOFScorer.fit")
        # Euclidean distance between unit vectors ranks neighbours as cosine distance does,
        # and unlike cosine distance it is a true metric, as LOF's reachability assumes.
        self.model_ = LocalOutlierFactor(n_neighbors=self.n_neighbors, novelty=True)
        self.model_.fit(_normalize(array))
        self.scores_ = -np.asarray(self.model_.negative_outlier_factor_, dtype=np.float64)
        return self

    def score(self, new_embeddings: ArrayLike) -> np.ndarray:
        """Return float64 local outlier factors of shape (n_new,) for new images."""
        array = self._check_score_input(new_embeddings)
        return -np.asarray(self.model_.score_samples(_normalize(array)), dtype=np.float64)


class IsolationForestScorer(_Scorer):
    """Score each image by how easily random splits of embedding space isolate it.

    Parameters
    ----------
    n_estimators : int, default=200
        Trees in the forest. More trees give steadier scores and take longer.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the random trees. Fix it to make scores repeatable.

    Attributes
    ----------
    scores_ : ndarray of shape (n_images,)
        float64 scores (minus scikit-learn's ``score_samples``, between 0 and 1); higher =
        more unusual.
    model_ : sklearn.ensemble.IsolationForest
        The fitted forest (on L2-normalised embeddings).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> embeddings = np.vstack([rng.normal([1.0, 0.0], 0.05, (50, 2)), [[0.0, 1.0]]])
    >>> scorer = IsolationForestScorer(n_estimators=50, random_state=0).fit(embeddings)
    >>> int(np.argmax(scorer.scores_))
    50
    """

    def __init__(self, n_estimators: int = 200, random_state: RandomState = None) -> None:
        self.n_estimators = check_positive_int(
            n_estimators, name="n_estimators", where="IsolationForestScorer"
        )
        _as_seed(random_state, where="IsolationForestScorer")  # fail early on a bad type
        self.random_state = random_state

    def fit(self, embeddings: ArrayLike) -> IsolationForestScorer:
        """Score ``embeddings``, an ndarray of shape (n_images, n_features); return self."""
        from sklearn.ensemble import IsolationForest

        array = self._check_fit_input(embeddings, min_images=2)
        self.model_ = IsolationForest(
            n_estimators=self.n_estimators,
            random_state=_as_seed(self.random_state, where="IsolationForestScorer"),
        )
        normalized = _normalize(array)
        self.model_.fit(normalized)
        self.scores_ = -np.asarray(self.model_.score_samples(normalized), dtype=np.float64)
        return self

    def score(self, new_embeddings: ArrayLike) -> np.ndarray:
        """Return float64 scores of shape (n_new,) for new images."""
        array = self._check_score_input(new_embeddings)
        return -np.asarray(self.model_.score_samples(_normalize(array)), dtype=np.float64)


_SCORERS: dict[str, type[KNNDistanceScorer | LOFScorer | IsolationForestScorer]] = {
    "isolation_forest": IsolationForestScorer,
    "knn": KNNDistanceScorer,
    "lof": LOFScorer,
}


def make_scorer(
    method: str, **options: Any
) -> KNNDistanceScorer | LOFScorer | IsolationForestScorer:
    """Return an unfitted anomaly scorer by name.

    Parameters
    ----------
    method : {"isolation_forest", "knn", "lof"}
        Which scorer (see the module docstring for when to use which).
    **options
        Passed to the scorer: ``n_neighbors`` for ``"knn"`` and ``"lof"``; ``n_estimators``
        and ``random_state`` for ``"isolation_forest"``.

    Raises
    ------
    ValueError
        For an unknown method (the message lists the choices).
    TypeError
        For an option the chosen scorer does not take.

    Examples
    --------
    >>> make_scorer("lof", n_neighbors=5).n_neighbors
    5
    """
    check_choice(method, ANOMALY_METHODS, name="method", where="make_scorer")
    cls = _SCORERS[method]
    accepted = sorted(inspect.signature(cls).parameters)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        msg = (
            f"Unknown option {unknown[0]!r} for method={method!r} in make_scorer. Expected "
            f"some of {', '.join(repr(a) for a in accepted)}; got {', '.join(map(repr, unknown))}."
            " Leave out the options of other methods."
        )
        raise TypeError(msg)
    return cls(**options)


def _check_n_neighbors(n_neighbors: int, n_images: int, *, where: str) -> None:
    """Raise if ``n_neighbors`` leaves no image out of the neighbourhood."""
    _check_int_in_range(n_neighbors, low=1, high=n_images - 1, name="n_neighbors", where=where)
