"""Numbers from embeddings: embeddings, maps, neighbours, scores, searches (analysis layer).

Names load on first use (see ``_lazy.py``), so the scikit-learn and openTSNE estimators can be
imported without PyTorch; only :func:`compute_embeddings` needs it. scikit-learn and openTSNE
themselves load when an estimator is first fitted, so importing these names costs little.
"""

from typing import TYPE_CHECKING

from astromorph_nb._lazy import attach

__getattr__, __dir__ = attach(
    __name__,
    {
        "ANOMALY_METHODS": "astromorph_nb.analysis.anomaly",
        "CLUSTER_METHODS": "astromorph_nb.analysis.clustering",
        "IsolationForestScorer": "astromorph_nb.analysis.anomaly",
        "KNNDistanceScorer": "astromorph_nb.analysis.anomaly",
        "LOFScorer": "astromorph_nb.analysis.anomaly",
        "NeighborIndex": "astromorph_nb.analysis.neighbors",
        "TSNEMap": "astromorph_nb.analysis.tsne",
        "SEARCH_METHODS": "astromorph_nb.analysis.search",
        "cluster_embeddings": "astromorph_nb.analysis.clustering",
        "compute_embeddings": "astromorph_nb.analysis.embed",
        "direction_between": "astromorph_nb.analysis.direction",
        "direction_of_column": "astromorph_nb.analysis.direction",
        "evaluate_embeddings": "astromorph_nb.analysis.evaluation",
        "explain_embeddings": "astromorph_nb.analysis.explain",
        "make_scorer": "astromorph_nb.analysis.anomaly",
        "rank_by_examples": "astromorph_nb.analysis.search",
        "reweight_by_feedback": "astromorph_nb.analysis.anomaly_feedback",
    },
)

if TYPE_CHECKING:
    from astromorph_nb.analysis.anomaly import (
        ANOMALY_METHODS,
        IsolationForestScorer,
        KNNDistanceScorer,
        LOFScorer,
        make_scorer,
    )
    from astromorph_nb.analysis.anomaly_feedback import reweight_by_feedback
    from astromorph_nb.analysis.clustering import CLUSTER_METHODS, cluster_embeddings
    from astromorph_nb.analysis.direction import direction_between, direction_of_column
    from astromorph_nb.analysis.embed import compute_embeddings
    from astromorph_nb.analysis.evaluation import evaluate_embeddings
    from astromorph_nb.analysis.explain import explain_embeddings
    from astromorph_nb.analysis.neighbors import NeighborIndex
    from astromorph_nb.analysis.search import SEARCH_METHODS, rank_by_examples
    from astromorph_nb.analysis.tsne import TSNEMap

__all__ = [
    "ANOMALY_METHODS",
    "CLUSTER_METHODS",
    "IsolationForestScorer",
    "KNNDistanceScorer",
    "LOFScorer",
    "NeighborIndex",
    "SEARCH_METHODS",
    "TSNEMap",
    "cluster_embeddings",
    "compute_embeddings",
    "direction_between",
    "direction_of_column",
    "evaluate_embeddings",
    "explain_embeddings",
    "make_scorer",
    "rank_by_examples",
    "reweight_by_feedback",
]
