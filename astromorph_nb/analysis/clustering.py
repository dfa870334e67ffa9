"""Groups of similar images from their embeddings: k-means or HDBSCAN (analysis layer).

Both methods run on L2-normalised embeddings, so images group by the direction of their
embeddings, the cosine similarity BYOL is trained on.
"""

from __future__ import annotations

import numpy as np

from astromorph_nb._typing import ArrayLike, RandomState
from astromorph_nb._validation import check_choice
from astromorph_nb.analysis.neighbors import (
    _as_seed,
    _check_embeddings,
    _check_int_in_range,
    _normalize,
)

__all__ = ["CLUSTER_METHODS", "cluster_embeddings"]

CLUSTER_METHODS = ("hdbscan", "kmeans")


def cluster_embeddings(
    embeddings: ArrayLike,
    *,
    n_clusters: int = 8,
    method: str = "kmeans",
    min_cluster_size: int | None = None,
    random_state: RandomState = None,
) -> np.ndarray:
    """Return a cluster label for every image.

    Parameters
    ----------
    embeddings : ndarray of shape (n_images, n_features)
        Embeddings from :func:`compute_embeddings`.
    n_clusters : int, default=8
        Number of clusters for ``method="kmeans"``, between 2 and n_images. Ignored by
        ``"hdbscan"``, which finds the number itself.
    method : {"hdbscan", "kmeans"}, default="kmeans"
        ``"kmeans"`` splits every image into exactly ``n_clusters`` groups of similar size
        and shape (scikit-learn ``KMeans``, ``n_init="auto"``). ``"hdbscan"`` (Campello,
        Moulavi & Sander 2013; scikit-learn ``HDBSCAN``) finds dense groups of any shape and
        labels images that belong to none as noise, ``-1``; use it when you do not know how
        many kinds of object there are.
    min_cluster_size : int, optional
        Smallest group ``"hdbscan"`` reports, between 2 and n_images; default
        ``max(5, n_images // 100)``. Ignored by ``"kmeans"``.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the k-means initialisation. Fix it to make labels repeatable.

    Returns
    -------
    ndarray of shape (n_images,)
        int64 labels ``0 … n_found - 1``; ``-1`` marks noise (``"hdbscan"`` only).

    Examples
    --------
    >>> import numpy as np
    >>> embeddings = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]])
    >>> labels = cluster_embeddings(embeddings, n_clusters=2, random_state=0)
    >>> bool(labels[0] == labels[1] != labels[2] == labels[3])
    True
    """
    method = check_choice(method, CLUSTER_METHODS, name="method", where="cluster_embeddings")
    array = _check_embeddings(embeddings, where="cluster_embeddings", min_images=2)
    n_images = array.shape[0]
    if method == "kmeans":
        n_clusters = _check_int_in_range(
            n_clusters, low=2, high=n_images, name="n_clusters", where="cluster_embeddings"
        )
        seed = _as_seed(random_state, where="cluster_embeddings")
        from sklearn.cluster import KMeans

        model = KMeans(n_clusters=n_clusters, n_init="auto", random_state=seed)
        labels = model.fit_predict(_normalize(array))
    else:
        if min_cluster_size is None:
            min_cluster_size = min(max(5, n_images // 100), n_images)
        min_cluster_size = _check_int_in_range(
            min_cluster_size,
            low=2,
            high=n_images,
            name="min_cluster_size",
            where="cluster_embeddings",
        )
        from sklearn.cluster import HDBSCAN

        # copy=False: HDBSCAN may work in place on the normalised copy, which is ours.
        labels = HDBSCAN(min_cluster_size=min_cluster_size, copy=False).fit_predict(
            _normalize(array)
        )
    return np.asarray(labels, dtype=np.int64)
