"""A 2-D t-SNE map of the embeddings that new images can be placed into (analysis layer).

:class:`TSNEMap` is a thin, scikit-learn-style wrapper of openTSNE (Poličar, Stražar & Zupan
2024, J. Stat. Softw. 109): ``fit`` calls ``openTSNE.TSNE(...).fit`` with PCA initialisation
and nothing else, so it costs what openTSNE costs. The fitted openTSNE embedding is kept,
so :meth:`TSNEMap.transform` can place new images into the map without moving the old ones
(openTSNE's ``TSNEEmbedding.transform``). A saved map is rebuilt with
:meth:`TSNEMap.from_coordinates`; the neighbour graph that ``transform`` needs is then
recomputed on its first call.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from astromorph_nb._typing import ArrayLike, RandomState
from astromorph_nb._validation import check_choice, check_positive_int, is_finite_real, shorten
from astromorph_nb.analysis.neighbors import _as_seed, _check_embeddings
from astromorph_nb.exceptions import AstromorphWarning, NotReadyError

if TYPE_CHECKING:  # openTSNE (and the scikit-learn it uses) loads when a map is made
    import openTSNE

__all__ = ["TSNE_METRICS", "TSNEMap"]

TSNE_METRICS = ("cosine", "euclidean")
_MIN_IMAGES = 5


class TSNEMap:
    """Lay out embeddings on a 2-D map where similar images sit close together.

    Parameters
    ----------
    perplexity : float, default=30.0
        Roughly the number of neighbours each image keeps close. Raise it (50-100) for
        more global structure in large sets. :meth:`fit` lowers a value above
        ``(n_images - 1) / 3`` to that, with a warning, and keeps the value it used here.
    metric : {"cosine", "euclidean"}, default="cosine"
        Distance between embeddings; ``"cosine"`` matches how BYOL compares them.
    n_early_exaggeration_iter : int, default=250
        Iterations of the first, "early exaggeration" phase, which pulls groups together
        (openTSNE's ``early_exaggeration_iter``).
    n_iter : int, default=500
        Iterations of the second, normal phase (openTSNE's ``n_iter``); 750 in all.
    early_exaggeration : float or "auto", default="auto"
        Exaggeration of the first phase; ``"auto"`` is 12, or ``n_images / 10`` for sets
        larger than 100,000.
    exaggeration : float, optional
        Exaggeration of the second phase. Values of 2-4 make groups more compact in sets
        of 100,000 images or more.
    learning_rate : float or "auto", default="auto"
        Step size; ``"auto"`` is ``n_images / exaggeration`` (Belkina et al. 2019).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the PCA initialisation and the approximate neighbour search. Fix it to make
        the map repeatable (exactly so with ``n_jobs=1``).
    n_jobs : int, default=-1
        CPU threads; -1 uses all.
    verbose : bool, default=False
        Let openTSNE print its progress.

    Attributes
    ----------
    coordinates_ : ndarray of shape (n_images, 2)
        float32 map positions of the fitted images.
    n_images_ : int
        Images in the map.
    n_features_ : int
        Features per embedding.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> embeddings = rng.normal(size=(60, 8)).astype(np.float32)
    >>> tsne = TSNEMap(perplexity=10, n_early_exaggeration_iter=50, n_iter=50,
    ...                random_state=0, n_jobs=1).fit(embeddings)
    >>> tsne.coordinates_.shape, tsne.coordinates_.dtype
    ((60, 2), dtype('float32'))
    >>> tsne.transform(embeddings[:3]).shape
    (3, 2)
    """

    def __init__(
        self,
        *,
        perplexity: float = 30.0,
        metric: str = "cosine",
        n_early_exaggeration_iter: int = 250,
        n_iter: int = 500,
        early_exaggeration: float | str = "auto",
        exaggeration: float | None = None,
        learning_rate: float | str = "auto",
        random_state: RandomState = None,
        n_jobs: int = -1,
        verbose: bool = False,
    ) -> None:
        where = "TSNEMap"
        self.perplexity = _check_positive_real(perplexity, name="perplexity")
        self.metric = check_choice(metric, TSNE_METRICS, name="metric", where=where)
        self.n_early_exaggeration_iter = check_positive_int(
            n_early_exaggeration_iter, name="n_early_exaggeration_iter", where=where, minimum=0
        )
        self.n_iter = check_positive_int(n_iter, name="n_iter", where=where, minimum=0)
        self.early_exaggeration = _check_positive_real(
            early_exaggeration, name="early_exaggeration", allow=("auto",)
        )
        self.exaggeration = _check_positive_real(exaggeration, name="exaggeration", allow=(None,))
        self.learning_rate = _check_positive_real(
            learning_rate, name="learning_rate", allow=("auto",)
        )
        _as_seed(random_state, where=where)  # fail early on a bad type
        self.random_state = random_state
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
            msg = (
                "The 'n_jobs' parameter of TSNEMap must be a non-zero int (-1 for all CPU "
                f"cores); got {shorten(n_jobs)}."
            )
            raise ValueError(msg)
        self.n_jobs = n_jobs
        self.verbose = bool(verbose)
        self._embedding: openTSNE.TSNEEmbedding | None = None
        self._offset = np.zeros(2)

    def fit(self, embeddings: ArrayLike) -> TSNEMap:
        """Compute the map of ``embeddings``, an ndarray of shape (n_images, n_features).

        Returns
        -------
        TSNEMap
            self, with ``coordinates_`` set.

        Raises
        ------
        ValueError
            For fewer than 5 images, NaN or infinite values, or (cosine metric) all-zero
            embeddings only.

        Warns
        -----
        AstromorphWarning
            When the perplexity is lowered to fit the number of images, and for all-zero
            embeddings (they have no cosine direction; they are mapped together, apart
            from the other images).
        """
        data = _check_embeddings(embeddings, where="TSNEMap.fit", min_images=_MIN_IMAGES)
        largest = _largest_perplexity(data.shape[0])
        if self.perplexity > largest:
            msg = (
                f"perplexity={self.perplexity:g} is too large for a map of {data.shape[0]} "
                f"images (at most (n_images - 1) / 3 = {largest:.4g}); the map uses "
                f"perplexity={largest:.4g}. Pass a smaller perplexity to silence this."
            )
            warnings.warn(msg, AstromorphWarning, stacklevel=2)
            self.perplexity = largest
        self._seed = _as_seed(self.random_state, where="TSNEMap")
        points = _with_direction_axis(data, self.metric, where="TSNEMap.fit", warn=True)
        import openTSNE

        tsne = openTSNE.TSNE(
            n_components=2,
            perplexity=self.perplexity,
            learning_rate=self.learning_rate,
            early_exaggeration_iter=self.n_early_exaggeration_iter,
            early_exaggeration=self.early_exaggeration,
            n_iter=self.n_iter,
            exaggeration=self.exaggeration,
            initialization="pca",
            metric=self.metric,
            n_jobs=self.n_jobs,
            random_state=self._seed,
            verbose=self.verbose,
        )
        self._embedding = tsne.fit(points)
        self._data = points
        self._offset = np.zeros(2)
        self.n_images_, self.n_features_ = data.shape
        self.coordinates_ = np.asarray(self._embedding, dtype=np.float32)
        return self

    @classmethod
    def from_coordinates(
        cls, embeddings: ArrayLike, coordinates: ArrayLike, **settings: Any
    ) -> TSNEMap:
        """Rebuild a fitted map from its embeddings and saved coordinates.

        Parameters
        ----------
        embeddings : ndarray of shape (n_images, n_features)
            The embeddings the map was fitted on.
        coordinates : ndarray of shape (n_images, 2)
            Its ``coordinates_``, restored exactly (as float32).
        **settings
            The parameters the map was made with (``perplexity``, ``metric``, ...); they
            matter for :meth:`transform`.

        Returns
        -------
        TSNEMap
            A map whose ``transform`` works; its neighbour graph is rebuilt on first use.

        Examples
        --------
        >>> import numpy as np
        >>> embeddings = np.random.default_rng(0).normal(size=(20, 4))
        >>> coordinates = np.random.default_rng(1).normal(size=(20, 2))
        >>> tsne = TSNEMap.from_coordinates(embeddings, coordinates, perplexity=5)
        >>> bool(np.array_equal(tsne.coordinates_, coordinates.astype(np.float32)))
        True
        """
        self = cls(**settings)
        where = "TSNEMap.from_coordinates"
        data = _check_embeddings(embeddings, where=where, min_images=_MIN_IMAGES)
        self._check_perplexity(data.shape[0])
        points = np.asarray(coordinates)
        if points.shape != (data.shape[0], 2):
            msg = (
                f"Wrong shape of 'coordinates' in {where}. Expected ({data.shape[0]}, 2) in "
                f"numpy order, one (x, y) per row of 'embeddings'; got {points.shape}. Pass "
                "the coordinates_ saved from the map of these embeddings."
            )
            raise ValueError(msg)
        points = _check_embeddings(points, where=where, name="coordinates")
        self._seed = _as_seed(self.random_state, where="TSNEMap")
        self._data = _with_direction_axis(data, self.metric, where=where, warn=False)
        self.n_images_, self.n_features_ = data.shape
        self.coordinates_ = np.array(points, dtype=np.float32)
        return self

    def transform(self, new_embeddings: ArrayLike) -> np.ndarray:
        """Place new images into the map without moving the fitted ones.

        Parameters
        ----------
        new_embeddings : ndarray of shape (n_new, n_features)
            Embeddings from the same model. Each new image is placed near the fitted images
            it resembles (openTSNE's ``transform``: perplexity 5, 250 iterations); the new
            images do not affect each other.

        Returns
        -------
        ndarray of shape (n_new, 2)
            float32 map positions, in the frame of ``coordinates_``.

        Raises
        ------
        NotReadyError
            Before :meth:`fit` or :meth:`from_coordinates`.
        ValueError
            For a different number of features than the map was fitted on, or NaNs.
        """
        if not hasattr(self, "coordinates_"):
            msg = (
                "This TSNEMap has no map yet. Call fit(embeddings) first, or "
                "TSNEMap.from_coordinates(embeddings, coordinates) to restore a saved map."
            )
            raise NotReadyError(msg)
        data = _check_embeddings(
            new_embeddings,
            where="TSNEMap.transform",
            name="new_embeddings",
            n_features=self.n_features_,
        )
        embedding = self._embedding if self._embedding is not None else self._rebuild()
        # openTSNE centres the fitted map in place before placing points (and caches its
        # interpolation grid in that frame); remember the shift to report our own frame.
        reference = np.asarray(embedding)
        self._offset = self._offset + (reference.max(axis=0) + reference.min(axis=0)) / 2
        placed = embedding.transform(
            _with_direction_axis(
                data, self.metric, where="TSNEMap.transform", warn=True, new_points=True
            )
        )
        return (np.asarray(placed) + self._offset).astype(np.float32)

    def _rebuild(self) -> openTSNE.TSNEEmbedding:
        """Recreate the openTSNE embedding of a map restored by ``from_coordinates``."""
        import openTSNE
        from openTSNE.affinity import MultiscaleMixture

        # The same affinity model that openTSNE.TSNE.fit builds, so transform behaves alike.
        affinities = MultiscaleMixture(
            self._data,
            self.perplexity,
            method="auto",
            metric=self.metric,
            n_jobs=self.n_jobs,
            random_state=self._seed,
            verbose=self.verbose,
        )
        self._embedding = openTSNE.TSNEEmbedding(
            self.coordinates_.astype(np.float64),
            affinities,
            random_state=self._seed,
            learning_rate=self.learning_rate,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        self._offset = np.zeros(2)
        return self._embedding

    def _check_perplexity(self, n_images: int) -> None:
        largest = _largest_perplexity(n_images)
        if self.perplexity > largest:
            msg = (
                f"The 'perplexity' parameter of TSNEMap is too large for {n_images} images. "
                f"Expected at most (n_images - 1) / 3 = {largest:.4g}; got {self.perplexity}. "
                f"Pass perplexity={math.floor(largest)} or less, or map more images."
            )
            raise ValueError(msg)


def _largest_perplexity(n_images: int) -> float:
    """Return the largest perplexity openTSNE accepts for ``n_images`` points."""
    return (n_images - 1) / 3


def _with_direction_axis(
    data: np.ndarray, metric: str, *, where: str, warn: bool, new_points: bool = False
) -> np.ndarray:
    """Return ``data`` with one more column that gives all-zero rows a cosine direction.

    An all-zero embedding (an untrained model on a constant image) has no direction, and
    openTSNE's cosine distances would be NaN. The extra column is 0 for every other row,
    which leaves their cosine distances exactly as they were, and 1 for the all-zero rows:
    they sit at distance 1 (orthogonal) from every other image and 0 from each other, as
    scikit-learn's cosine distance puts them. Euclidean maps need no change. A map needs
    some rows with a direction; ``new_points`` placed into a map may all be zero.
    """
    if metric != "cosine":
        return data
    zero = ~np.any(data, axis=1)
    if zero.all() and not new_points:
        msg = (
            f"Every embedding passed to {where} is all zeros, so they have no cosine "
            "direction to map. The model gives no features for these images: train it, "
            "or start from the shipped weights (pretrained=True)."
        )
        raise ValueError(msg)
    if warn and zero.any():
        listed = ", ".join(str(i) for i in np.flatnonzero(zero)[:10])
        more = " ..." if zero.sum() > 10 else ""
        msg = (
            f"{int(zero.sum())} embeddings in {where} are all zeros (rows {listed}{more}), "
            "e.g. constant images; they have no direction, so the map puts them together, "
            "apart from every other image."
        )
        warnings.warn(msg, AstromorphWarning, stacklevel=3)
    return np.concatenate([data, zero[:, None].astype(data.dtype)], axis=1)


def _check_positive_real(value: Any, *, name: str, allow: tuple[Any, ...] = ()) -> Any:
    """Return ``value`` if it is a finite real > 0 or one of ``allow``; otherwise raise."""
    if (value is None or isinstance(value, str)) and value in allow:
        return value
    if not is_finite_real(value) or value <= 0:
        extra = "".join(f" or {a!r}" for a in allow)
        msg = (
            f"The {name!r} parameter of TSNEMap must be a finite number > 0{extra}; "
            f"got {shorten(value)}."
        )
        raise ValueError(msg)
    return float(value)
