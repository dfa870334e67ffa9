"""Numbers from embeddings: embeddings themselves, maps, neighbours, scores (analysis layer)."""

from astromorph_nb.analysis.embed import compute_embeddings

__all__ = ["compute_embeddings"]
