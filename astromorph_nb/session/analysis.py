"""The analysis verbs of ``Session``: embeddings, t-SNE map, neighbours, scores, clusters.

Each verb validates its input, calls the scikit-learn-style estimators of
:mod:`astromorph_nb.analysis` on the session's embeddings, keeps the result, and raises
``results_version`` so observers (the widgets) redraw.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from astropy.table import Table

from astromorph_nb._validation import check_choice, check_positive_int
from astromorph_nb.analysis.anomaly import ANOMALY_METHODS, make_scorer
from astromorph_nb.analysis.clustering import CLUSTER_METHODS, cluster_embeddings
from astromorph_nb.analysis.embed import compute_embeddings
from astromorph_nb.analysis.evaluation import encode_labels, evaluate_embeddings
from astromorph_nb.analysis.tsne import TSNEMap
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.exceptions import AstromorphWarning, NotReadyError
from astromorph_nb.session.results import Results
from astromorph_nb.session.state import SessionState
from astromorph_nb.train._openmp import release_idle_openmp_threads

# resolve_device is imported from the trainer inside the methods that place the model: the
# trainer loads the augmentations, which this module does not otherwise need.

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AnalysisMethods"]

_DEFAULT_NEIGHBORS = {"knn": 10, "lof": 20}  # the scorers' defaults


class AnalysisMethods(SessionState):
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

        check_positive_int(batch_size, name="batch_size", where="Session.embed")
        images = self._images.require("embed")
        trainer = self._training.trainer
        if self.is_training and trainer is not None:
            model = trainer.copy_model()
            device = next(model.parameters()).device
        else:
            model = self._model
            device = resolve_device(self.device)
            model.to(device)
        embeddings = compute_embeddings(model, images, batch_size=batch_size, device=device)
        if self.is_training:  # this thread's OpenMP workers would slow training down
            release_idle_openmp_threads()
        if not np.isfinite(embeddings).all():
            n_bad = int((~np.isfinite(embeddings)).any(axis=1).sum())
            msg = (
                f"The encoder gave non-finite embeddings for {n_bad} of {len(embeddings)} "
                "images. Check those images for extreme values, or retrain."
            )
            raise FloatingPointError(msg)
        self._results = Results(embeddings=embeddings, embeddings_step=self.step)
        self._changed()
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
        embeddings = self._results.require_embeddings("fit_tsne")
        seed = self._seed() if random_state is None else random_state
        tsne = TSNEMap(perplexity=perplexity, random_state=seed, **options).fit(embeddings)
        self._results.tsne = tsne
        self._changed()
        return np.array(tsne.coordinates_, copy=True)

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

        tsne = self._results.tsne
        if tsne is None:
            msg = "No t-SNE map to place images into. Run session.fit_tsne() first."
            raise NotReadyError(msg)
        self._check_idle("place")
        if not isinstance(images, ImageSet):
            from astromorph_nb.session.images import imageset_from_arrays

            images = imageset_from_arrays(images, None, normalize=normalize, where="Session.place")
        if tuple(images.shape[1:]) != self._images.image_shape:
            msg = (
                f"Images to place have shape {tuple(images.shape[1:])} (C, ny, nx) but the "
                f"session's are {self._images.image_shape}. Bring them to the same size first "
                "(read_fits(image_size=...))."
            )
            raise ValueError(msg)
        made_at = self._results.embeddings_step
        if made_at != self.step:
            msg = (
                f"The model has trained {self.step - made_at} more steps since "
                "the map was made, so new images are embedded differently from the mapped "
                "ones. Run session.embed() and session.fit_tsne() again for exact placement."
            )
            warnings.warn(msg, AstromorphWarning, stacklevel=2)
        device = resolve_device(self.device)
        self._model.to(device)
        new = compute_embeddings(self._model, images, device=device)
        return np.asarray(tsne.transform(new))

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
        search = self._results.neighbor_search()
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            query = self._images.check_index(index, "index", "Session.neighbors")
            distances, found = search.query([query], k=k)
            distances, found = distances[0], found[0]
        else:
            members = np.unique(self._images.check_indices(index, "index", "Session.neighbors"))
            if members.size == 0:
                msg = "Session.neighbors got an empty list of images; pass at least one index."
                raise ValueError(msg)
            n_free = self._images.n_images - members.size
            if not 1 <= k <= n_free:
                msg = (
                    f"The 'k' parameter of Session.neighbors must be an int in the range "
                    f"[1, {n_free}] for this query; got {k!r}."
                )
                raise ValueError(msg)
            centroid = self._results.require_embeddings("neighbors")[members].mean(axis=0)
            distances, found = search.query_vectors(centroid[None], k=k + len(members))
            keep = ~np.isin(found[0], members)
            distances, found = distances[0][keep][:k], found[0][keep][:k]
        table = Table({"index": found.astype(np.int64), "distance": distances.astype(np.float64)})
        meta = self._images.meta
        for name in meta.colnames:
            table[name] = meta[name][found]
        return table

    def score_anomalies(
        self,
        method: str = "knn",
        *,
        interesting: Any = None,
        boring: Any = None,
        **options: Any,
    ) -> np.ndarray:
        """Score how unusual each image is among the others; higher = more unusual.

        Parameters
        ----------
        method : {"isolation_forest", "knn", "lof"}, default="knn"
            ``"knn"``: mean cosine distance to the nearest neighbours (robust, no
            assumptions); ``"lof"``: local outlier factor (unusual *for its region*);
            ``"isolation_forest"``: random partitions (fast on very large sets).
        interesting, boring : str, int, sequence of int or boolean mask, optional
            Your answers: objects (or a tag column's True rows) you found interesting or
            boring. With any answer, the scores are rescaled to 0–1 and re-weighted by the
            interest predicted from the nearest answers, as in Astronomaly (Lochner &
            Bassett 2021; see :mod:`astromorph_nb.analysis.anomaly_feedback`): unusual
            objects like the boring ones sink, those like the interesting ones stay up,
            and regions far from any answer keep their rank. Tag names are weighed again
            by :meth:`refresh`.
        **options
            Settings of the scorer (``n_neighbors``, ...; see
            :mod:`astromorph_nb.analysis.anomaly`).

        Returns
        -------
        ndarray of shape (n_images,)
        """
        check_choice(method, ANOMALY_METHODS, name="method", where="Session.score_anomalies")
        results = self._results
        embeddings = results.require_embeddings("score_anomalies")
        if method == "isolation_forest":
            options.setdefault("random_state", self._seed())
        if method in _DEFAULT_NEIGHBORS and "n_neighbors" not in options:
            # small sets: as many neighbours as there are other images
            options["n_neighbors"] = min(_DEFAULT_NEIGHBORS[method], len(embeddings) - 1)
        key = f"{method} {sorted(options.items())!r}"
        if results.raw_scores is not None and results.raw_scores[0] == key:
            scores = results.raw_scores[1].copy()  # the same scorer again, other answers
        else:
            scorer = make_scorer(method, **options).fit(embeddings)
            scores = np.asarray(scorer.scores_, dtype=np.float64)
            results.raw_scores = (key, scores.copy())  # kept apart from results.scores
        where = "Session.score_anomalies"
        liked = self._images.check_examples(interesting, "interesting", where)
        disliked = self._images.check_examples(boring, "boring", where)
        if liked.size or disliked.size:
            from astromorph_nb.analysis.anomaly_feedback import reweight_by_feedback

            scores = reweight_by_feedback(embeddings, scores, liked, disliked)
        names = {"interesting": interesting, "boring": boring}
        by_tag = any(isinstance(v, str) for v in names.values())
        results.score_feedback = (
            {k: v if isinstance(v, str) else None for k, v in names.items()} if by_tag else None
        )
        results.scores = scores
        results.score_method = method
        self._changed()
        return results.scores.copy()

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
        check_choice(method, CLUSTER_METHODS, name="method", where="Session.cluster")
        results = self._results
        embeddings = results.require_embeddings("cluster")
        options.setdefault("random_state", self._seed())
        labels = cluster_embeddings(embeddings, n_clusters=n_clusters, method=method, **options)
        results.clusters = np.asarray(labels, dtype=np.int64)
        results.cluster_method = method
        self._changed()
        return results.clusters.copy()

    def analyse(
        self,
        *,
        perplexity: float = 30.0,
        anomaly_method: str = "knn",
        n_clusters: int = 8,
        cluster_method: str = "kmeans",
    ) -> Self:
        """Run every analysis step: embed, t-SNE map, anomaly scores, clusters; return self."""
        self.embed()
        self.fit_tsne(perplexity=min(perplexity, max(2.0, (self._images.n_images - 1) / 3.0)))
        self.score_anomalies(anomaly_method)
        self.cluster(min(n_clusters, self._images.n_images), method=cluster_method)
        return self

    def refresh(self) -> Self:
        """Recompute embeddings, map, scores and clusters from the current weights; return self.

        Scores and clusters are recomputed only if they existed, with the same methods.
        Safe while training runs (the weights are copied between two steps). The explorer's
        "Refresh map" button calls this.
        """
        before = self._results
        tsne, clusters = before.tsne, before.clusters
        score_method, cluster_method = before.score_method, before.cluster_method
        feedback = before.score_feedback or {}
        self.embed()
        perplexity = tsne.perplexity if tsne is not None else 30.0
        self.fit_tsne(perplexity=min(perplexity, max(2.0, (self._images.n_images - 1) / 3.0)))
        if score_method is not None:
            self.score_anomalies(score_method, **feedback)
        if cluster_method is not None and clusters is not None:
            n_clusters = max(2, len(set(clusters.tolist()) - {-1}))
            self.cluster(n_clusters, method=cluster_method)
        if self.is_training:  # this thread's OpenMP workers would slow training down
            release_idle_openmp_threads()
        return self

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
        embeddings = self._results.require_embeddings("evaluate")
        meta = self._images.meta
        if isinstance(labels, str):
            if labels not in meta.colnames:
                msg = (
                    f"No metadata column {labels!r} to evaluate against. Columns: "
                    f"{', '.join(meta.colnames) or '(none)'}."
                )
                raise KeyError(msg)
            labels = meta[labels]
        options.setdefault("random_state", self._seed())
        result = evaluate_embeddings(embeddings, labels, **options)
        # Keep the labels (as class numbers, -1 for none) for the quality monitor of this
        # and later training runs: it then also measures kNN accuracy while training runs.
        codes, _, labelled = encode_labels(labels, len(embeddings))
        numbers = np.full(len(embeddings), -1, dtype=np.int64)
        numbers[labelled] = codes
        record = self._training
        record.quality_labels = numbers
        if record.monitor is not None and self.is_training:
            record.monitor.set_labels(numbers)
        return result
