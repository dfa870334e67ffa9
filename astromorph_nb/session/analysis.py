"""The analysis verbs of ``Session``: embeddings, t-SNE map, neighbours, scores, clusters.

Each verb validates its input, calls the scikit-learn-style estimators of
:mod:`astromorph_nb.analysis` on the session's embeddings, keeps the result, and raises
``results_version`` so observers (the widgets) redraw.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from astropy.table import Table

from astromorph_nb._validation import check_choice, check_positive_int
from astromorph_nb.analysis.anomaly import ANOMALY_METHODS, make_scorer
from astromorph_nb.analysis.clustering import CLUSTER_METHODS, cluster_embeddings
from astromorph_nb.analysis.embed import compute_embeddings
from astromorph_nb.analysis.evaluation import encode_labels, evaluate_embeddings
from astromorph_nb.analysis.neighbors import NeighborIndex
from astromorph_nb.analysis.tsne import TSNEMap
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.exceptions import AstromorphWarning, NotReadyError
from astromorph_nb.train._openmp import release_idle_openmp_threads

# resolve_device is imported from the trainer inside the methods that place the model: the
# trainer loads the augmentations, which this module does not otherwise need.

if TYPE_CHECKING:
    from astromorph_nb.session.session import Session

__all__ = ["AnalysisMethods"]

_DEFAULT_NEIGHBORS = {"knn": 10, "lof": 20}  # the scorers' defaults


class AnalysisMethods:
    """The analysis verbs of :class:`~astromorph_nb.Session`."""

    def embed(self, *, batch_size: int = 512) -> np.ndarray:
        """Compute every image's representation with the current weights.

        Safe while training runs: the weights are copied between two steps. New embeddings
        replace the map, scores and clusters made from older ones.

        Returns
        -------
        ndarray of shape (n_images, n_features)
            float32; also kept as :attr:`embeddings`.
        """
        from astromorph_nb.train.trainer import resolve_device

        session = cast("Session", self)
        check_positive_int(batch_size, name="batch_size", where="Session.embed")
        images = session._require_images("embed")
        if session.is_training and session._trainer is not None:
            model = session._trainer.copy_model()
            device = next(model.parameters()).device
        else:
            model = session._model
            device = resolve_device(session.device)
            model.to(device)
        embeddings = compute_embeddings(model, images, batch_size=batch_size, device=device)
        if session.is_training:  # this thread's OpenMP workers would slow training down
            release_idle_openmp_threads()
        if not np.isfinite(embeddings).all():
            n_bad = int((~np.isfinite(embeddings)).any(axis=1).sum())
            msg = (
                f"The encoder gave non-finite embeddings for {n_bad} of {session._n_images} "
                "images. Check those images for extreme values, or retrain."
            )
            raise FloatingPointError(msg)
        session._clear_results()
        session._embeddings = embeddings
        session._embeddings_step = session.step
        session._bump()
        return embeddings.copy()

    def fit_tsne(
        self, perplexity: float = 30.0, *, random_state: int | None = None, **options: Any
    ) -> np.ndarray:
        """Make a 2-D t-SNE map of the embeddings with openTSNE (PCA initialisation).

        Parameters
        ----------
        perplexity : float, default=30.0
            Roughly the number of neighbours each point keeps close. A value above
            ``(n_images - 1) / 3`` is lowered to that, with a warning.
        random_state : int, optional
            Seed; default the session's ``random_state``.
        **options
            More :class:`~astromorph_nb.analysis.TSNEMap` settings (``metric``, ``n_jobs``,
            ...).

        Returns
        -------
        ndarray of shape (n_images, 2)
        """
        session = cast("Session", self)
        embeddings = session._embeddings_or_error("fit_tsne")
        seed = session._seed() if random_state is None else random_state
        tsne = TSNEMap(perplexity=perplexity, random_state=seed, **options).fit(embeddings)
        session._tsne = tsne
        session._bump()
        return np.array(tsne.coordinates_, copy=True)

    def _embeddings_or_error(self, verb: str) -> np.ndarray:
        session = cast("Session", self)
        if session._embeddings is None:
            msg = (
                f"No embeddings yet. Run session.embed() first, or session.analyse() to run "
                f"all analysis steps, before session.{verb}()."
            )
            raise NotReadyError(msg)
        return session._embeddings

    def place(self, images: Any, *, normalize: str | None = "minmax") -> np.ndarray:
        """Put new images into the existing t-SNE map without moving the others.

        Parameters
        ----------
        images : ImageSet or array-like of shape (n, ny, nx) or (n, n_channels, ny, nx)
            Images of the same size as the session's. Arrays are normalised like
            :meth:`from_arrays` (``normalize``); an ImageSet is used as it is.
        normalize : str or None, default="minmax"
            Scaling for arrays.

        Returns
        -------
        ndarray of shape (n, 2)
        """
        from astromorph_nb.train.trainer import resolve_device

        session = cast("Session", self)
        if session._tsne is None:
            msg = "No t-SNE map to place images into. Run session.fit_tsne() first."
            raise NotReadyError(msg)
        session._check_idle("place")
        if not isinstance(images, ImageSet):
            from astromorph_nb.session.session import imageset_from_arrays

            images = imageset_from_arrays(images, None, normalize=normalize, where="Session.place")
        if tuple(images.shape[1:]) != session._image_shape:
            msg = (
                f"Images to place have shape {tuple(images.shape[1:])} (C, ny, nx) but the "
                f"session's are {session._image_shape}. Bring them to the same size first "
                "(read_fits(image_size=...))."
            )
            raise ValueError(msg)
        if session._embeddings_step != session.step:
            msg = (
                f"The model has trained {session.step - session._embeddings_step} more steps since "
                "the map was made, so new images are embedded differently from the mapped "
                "ones. Run session.embed() and session.fit_tsne() again for exact placement."
            )
            warnings.warn(msg, AstromorphWarning, stacklevel=2)
        device = resolve_device(session.device)
        session._model.to(device)
        new = compute_embeddings(session._model, images, device=device)
        return np.asarray(session._tsne.transform(new))

    def _neighbor_index_fitted(self) -> NeighborIndex:
        session = cast("Session", self)
        if session._neighbor_index is None:
            session._neighbor_index = NeighborIndex().fit(session._embeddings_or_error("neighbors"))
        return session._neighbor_index

    def neighbors(self, index: int | Sequence[int], k: int = 8) -> Table:
        """Return the ``k`` images most similar to an image (cosine similarity).

        Parameters
        ----------
        index : int or sequence of int
            One image; or several, whose mean embedding is the query ("more like these"),
            and which are left out of the answer.
        k : int, default=8
            Number of neighbours.

        Returns
        -------
        astropy.table.Table
            Columns ``index`` and ``distance`` (cosine distance, 0 = same direction), nearest
            first, then the images' metadata.
        """
        session = cast("Session", self)
        search = session._neighbor_index_fitted()
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            query = session._check_index(index, "index", "Session.neighbors")
            distances, found = search.query([query], k=k)
            distances, found = distances[0], found[0]
        else:
            members = np.unique(session._check_indices(index, "index", "Session.neighbors"))
            if members.size == 0:
                msg = "Session.neighbors got an empty list of images; pass at least one index."
                raise ValueError(msg)
            n_free = session._n_images - members.size
            if not 1 <= k <= n_free:
                msg = (
                    f"The 'k' parameter of Session.neighbors must be an int in the range "
                    f"[1, {n_free}] for this query; got {k!r}."
                )
                raise ValueError(msg)
            centroid = session._embeddings_or_error("neighbors")[members].mean(axis=0)
            distances, found = search.query_vectors(centroid[None], k=k + len(members))
            keep = ~np.isin(found[0], members)
            distances, found = distances[0][keep][:k], found[0][keep][:k]
        table = Table({"index": found.astype(np.int64), "distance": distances.astype(np.float64)})
        for name in session._meta.colnames:
            table[name] = session._meta[name][found]
        return table

    def score_anomalies(self, method: str = "knn", **options: Any) -> np.ndarray:
        """Score how unusual each image is among the others; higher = more unusual.

        Parameters
        ----------
        method : {"isolation_forest", "knn", "lof"}, default="knn"
            ``"knn"``: mean cosine distance to the nearest neighbours (robust, no
            assumptions); ``"lof"``: local outlier factor (unusual *for its region*);
            ``"isolation_forest"``: random partitions (fast on very large sets).
        **options
            Settings of the scorer (``n_neighbors``, ...; see
            :mod:`astromorph_nb.analysis.anomaly`).

        Returns
        -------
        ndarray of shape (n_images,)
        """
        session = cast("Session", self)
        check_choice(method, ANOMALY_METHODS, name="method", where="Session.score_anomalies")
        embeddings = session._embeddings_or_error("score_anomalies")
        if method == "isolation_forest":
            options.setdefault("random_state", session._seed())
        if method in _DEFAULT_NEIGHBORS and "n_neighbors" not in options:
            # small sets: as many neighbours as there are other images
            options["n_neighbors"] = min(_DEFAULT_NEIGHBORS[method], len(embeddings) - 1)
        scorer = make_scorer(method, **options).fit(embeddings)
        session._scores = np.asarray(scorer.scores_, dtype=np.float64)
        session._score_method = method
        session._bump()
        return session._scores.copy()

    def cluster(self, n_clusters: int = 8, *, method: str = "kmeans", **options: Any) -> np.ndarray:
        """Group the images by their embeddings.

        Parameters
        ----------
        n_clusters : int, default=8
            Number of groups for ``"kmeans"`` (ignored by ``"hdbscan"``, which finds it).
        method : {"hdbscan", "kmeans"}, default="kmeans"
            ``"hdbscan"`` also marks images that belong to no group as noise (-1).
        **options
            ``min_cluster_size`` for hdbscan.

        Returns
        -------
        ndarray of int, shape (n_images,)
        """
        session = cast("Session", self)
        check_choice(method, CLUSTER_METHODS, name="method", where="Session.cluster")
        embeddings = session._embeddings_or_error("cluster")
        options.setdefault("random_state", session._seed())
        labels = cluster_embeddings(embeddings, n_clusters=n_clusters, method=method, **options)
        session._clusters = np.asarray(labels, dtype=np.int64)
        session._cluster_method = method
        session._bump()
        return session._clusters.copy()

    def analyse(
        self,
        *,
        perplexity: float = 30.0,
        anomaly_method: str = "knn",
        n_clusters: int = 8,
        cluster_method: str = "kmeans",
    ) -> Session:
        """Run every analysis step: embed, t-SNE map, anomaly scores, clusters; return self."""
        session = cast("Session", self)
        session.embed()
        session.fit_tsne(perplexity=min(perplexity, max(2.0, (session._n_images - 1) / 3.0)))
        session.score_anomalies(anomaly_method)
        session.cluster(min(n_clusters, session._n_images), method=cluster_method)
        return session

    def refresh(self) -> Session:
        """Recompute embeddings, map, scores and clusters from the current weights; return self.

        Scores and clusters are recomputed only if they existed, with the same methods.
        Safe while training runs (the weights are copied between two steps). The explorer's
        "Refresh map" button calls this.
        """
        session = cast("Session", self)
        tsne = session._tsne
        score_method, cluster_method = session._score_method, session._cluster_method
        clusters = session._clusters
        session.embed()
        perplexity = tsne.perplexity if tsne is not None else 30.0
        session.fit_tsne(perplexity=min(perplexity, max(2.0, (session._n_images - 1) / 3.0)))
        if score_method is not None:
            session.score_anomalies(score_method)
        if cluster_method is not None and clusters is not None:
            n_clusters = max(2, len(set(clusters.tolist()) - {-1}))
            session.cluster(n_clusters, method=cluster_method)
        if session.is_training:  # this thread's OpenMP workers would slow training down
            release_idle_openmp_threads()
        return session

    def evaluate(self, labels: Any, **options: Any) -> dict[str, Any]:
        """Measure how well the embeddings separate known classes (for partial labels).

        Parameters
        ----------
        labels : str or array-like of length n_images
            A metadata column name, or one label per image; missing values (None, NaN, "",
            masked) are left out.
        **options
            ``n_neighbors``, ``n_folds``, ``random_state`` (see
            :func:`~astromorph_nb.analysis.evaluate_embeddings`).

        Returns
        -------
        dict
            ``knn_accuracy``, ``linear_probe_accuracy`` (cross-validated, with ``_std``),
            ``chance_accuracy``, ``n_labelled``, ``n_classes``.

        Notes
        -----
        The session keeps the labels (also in :meth:`save`): from then on, the quality
        monitor of :meth:`train` also records the kNN accuracy of the labelled images of its
        subset in :attr:`quality_history`, live while training runs.
        """
        session = cast("Session", self)
        embeddings = session._embeddings_or_error("evaluate")
        if isinstance(labels, str):
            if labels not in session._meta.colnames:
                msg = (
                    f"No metadata column {labels!r} to evaluate against. Columns: "
                    f"{', '.join(session._meta.colnames) or '(none)'}."
                )
                raise KeyError(msg)
            labels = session._meta[labels]
        options.setdefault("random_state", session._seed())
        result = evaluate_embeddings(embeddings, labels, **options)
        # Keep the labels (as class numbers, -1 for none) for the quality monitor of this
        # and later training runs: it then also measures kNN accuracy while training runs.
        codes, _, labelled = encode_labels(labels, session._n_images)
        numbers = np.full(session._n_images, -1, dtype=np.int64)
        numbers[labelled] = codes
        session._quality_labels = numbers
        if session._monitor is not None and session.is_training:
            session._monitor.set_labels(numbers)
        return result
