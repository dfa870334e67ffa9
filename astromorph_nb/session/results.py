"""What a session computes from its embeddings, in one record, and its saved form.

:class:`Results` holds the embeddings and everything made from them (the t-SNE map, the
neighbour index, anomaly scores, clusters) together with how each was made. New
embeddings replace the whole record, so a map or scores from older embeddings never
outlive them. The analysis verbs of ``Session`` (``analysis.py``) fill it; the session's
read-only properties, its results table and its saved folder read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from astromorph_nb.analysis.neighbors import NeighborIndex
from astromorph_nb.analysis.search import SearchRanking
from astromorph_nb.analysis.tsne import TSNEMap
from astromorph_nb.exceptions import NotReadyError

__all__ = ["Results"]

#: Settings of the t-SNE map kept in a saved folder (the map is rebuilt from coordinates).
TSNE_SETTINGS = (
    "perplexity",
    "metric",
    "n_early_exaggeration_iter",
    "n_iter",
    "early_exaggeration",
    "exaggeration",
    "learning_rate",
    "random_state",
    "n_jobs",
)
#: What to run when a result is asked for before it exists.
_MISSING = {
    "embeddings": "No embeddings yet. Run session.embed() first, or session.analyse().",
    "tsne_coordinates": "No t-SNE map yet. Run session.fit_tsne() first, or session.analyse().",
    "anomaly_scores": "No anomaly scores yet. Run session.score_anomalies() first.",
    "cluster_labels": "No clusters yet. Run session.cluster() first.",
}


@dataclass
class Results:
    """Embeddings of one set of weights and what was computed from them.

    Attributes
    ----------
    embeddings : ndarray of shape (n_images, n_features) or None
    embeddings_step : int
        The session's step when the embeddings were made (-1: none).
    tsne : TSNEMap or None
    neighbor_index : NeighborIndex or None
        Fitted on first use by :meth:`neighbor_search`.
    scores, score_method : ndarray of shape (n_images,) and str, or None
    raw_scores : tuple of (str, ndarray) or None
        The scorer's own scores before any re-weighting by answers, under a key of its
        method and settings, so that new answers re-weight without fitting it again (not
        saved).
    score_feedback : dict or None
        The tag columns of the answers that re-weighted the scores (``interesting``,
        ``boring``), so that :meth:`Session.refresh` weighs them again.
    clusters, cluster_method : int ndarray of shape (n_images,) and str, or None
    search : SearchRanking or None
        The latest :meth:`Session.search` (not saved: its answers are tags, which are).

    Examples
    --------
    >>> import numpy as np
    >>> results = Results(embeddings=np.eye(3, dtype=np.float32), embeddings_step=5)
    >>> results.array("embeddings").shape
    (3, 3)
    >>> results.array("cluster_labels")
    Traceback (most recent call last):
    ...
    astromorph_nb.exceptions.NotReadyError: No clusters yet. Run session.cluster() first.
    """

    embeddings: np.ndarray | None = None
    embeddings_step: int = -1
    tsne: TSNEMap | None = None
    neighbor_index: NeighborIndex | None = None
    scores: np.ndarray | None = None
    score_method: str | None = None
    raw_scores: tuple[str, np.ndarray] | None = None
    score_feedback: dict[str, str | None] | None = None
    clusters: np.ndarray | None = None
    cluster_method: str | None = None
    search: SearchRanking | None = None

    def array(self, name: str) -> np.ndarray:
        """Return a copy of one result array; NotReadyError names the step that makes it.

        ``name`` is ``"embeddings"``, ``"tsne_coordinates"``, ``"anomaly_scores"`` or
        ``"cluster_labels"``.
        """
        value = self._named_arrays()[name]
        if value is None:
            raise NotReadyError(_MISSING[name])
        return np.array(value, copy=True)

    def _named_arrays(self) -> dict[str, np.ndarray | None]:
        """Return the result arrays under their public names (None where not computed)."""
        return {
            "embeddings": self.embeddings,
            "tsne_coordinates": None if self.tsne is None else self.tsne.coordinates_,
            "anomaly_scores": self.scores,
            "cluster_labels": self.clusters,
        }

    def require_embeddings(self, verb: str) -> np.ndarray:
        """Return the embeddings (not a copy) for ``session.<verb>()``, or NotReadyError."""
        if self.embeddings is None:
            msg = (
                f"No embeddings yet. Run session.embed() first, or session.analyse() to run "
                f"all analysis steps, before session.{verb}()."
            )
            raise NotReadyError(msg)
        return self.embeddings

    def neighbor_search(self) -> NeighborIndex:
        """Return the cosine neighbour index of the embeddings, fitting it on first use."""
        if self.neighbor_index is None:
            self.neighbor_index = NeighborIndex().fit(self.require_embeddings("neighbors"))
        return self.neighbor_index

    # -- the saved form ------------------------------------------------------------------

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Return ``(arrays, info)``: the arrays that exist, and the JSON-able rest."""
        arrays = {name: v for name, v in self._named_arrays().items() if v is not None}
        info = {
            "embeddings_step": self.embeddings_step,
            "tsne_settings": None
            if self.tsne is None
            else {name: getattr(self.tsne, name) for name in TSNE_SETTINGS},
            "score_method": self.score_method,
            "score_feedback": self.score_feedback,
            "cluster_method": self.cluster_method,
        }
        return arrays, info

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> Results:
        """Rebuild what :meth:`to_arrays` wrote (checked by ``io.store.schema`` before).

        A map needs its embeddings (to place new images), so without them it is left out.
        """
        results = cls()
        if "embeddings" in arrays:
            results.embeddings = np.asarray(arrays["embeddings"])
            results.embeddings_step = int(info["embeddings_step"])
            if "tsne_coordinates" in arrays and info["tsne_settings"] is not None:
                results.tsne = TSNEMap.from_coordinates(
                    results.embeddings, arrays["tsne_coordinates"], **info["tsne_settings"]
                )
        if "anomaly_scores" in arrays:
            results.scores = np.asarray(arrays["anomaly_scores"])
            results.score_method = info["score_method"]
            results.score_feedback = info.get("score_feedback")
        if "cluster_labels" in arrays:
            results.clusters = np.asarray(arrays["cluster_labels"])
            results.cluster_method = info["cluster_method"]
        return results
