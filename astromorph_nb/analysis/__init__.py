"""Numbers from embeddings: embeddings themselves, maps, neighbours, scores (analysis layer).

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
        "cluster_embeddings": "astromorph_nb.analysis.clustering",
        "compute_embeddings": "astromorph_nb.analysis.embed",
        "evaluate_embeddings": "astromorph_nb.analysis.evaluation",
        "make_scorer": "astromorph_nb.analysis.anomaly",
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
    from astromorph_nb.analysis.clustering import CLUSTER_METHODS, cluster_embeddings
    from astromorph_nb.analysis.embed import compute_embeddings
    from astromorph_nb.analysis.evaluation import evaluate_embeddings
    from astromorph_nb.analysis.neighbors import NeighborIndex
    from astromorph_nb.analysis.tsne import TSNEMap

__all__ = [
    "ANOMALY_METHODS",
    "CLUSTER_METHODS",
    "IsolationForestScorer",
    "KNNDistanceScorer",
    "LOFScorer",
    "NeighborIndex",
    "TSNEMap",
    "cluster_embeddings",
    "compute_embeddings",
    "evaluate_embeddings",
    "make_scorer",
]
