import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from astromorph_nb.analysis import CLUSTER_METHODS, cluster_embeddings


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 12)) * 4
    embeddings = np.vstack([c + rng.normal(size=(80, 12)) for c in centers]).astype(np.float32)
    return embeddings, np.repeat(np.arange(3), 80)


@pytest.mark.parametrize("method", CLUSTER_METHODS)
def test_recovers_three_blobs(method, blobs):
    embeddings, truth = blobs
    labels = cluster_embeddings(embeddings, n_clusters=3, method=method, random_state=0)
    assert labels.shape == (len(embeddings),)
    assert labels.dtype == np.int64
    assert adjusted_rand_score(truth, labels) > 0.9


def test_kmeans_repeats_with_fixed_seed(blobs):
    first = cluster_embeddings(blobs[0], n_clusters=5, random_state=4)
    second = cluster_embeddings(blobs[0], n_clusters=5, random_state=4)
    np.testing.assert_array_equal(first, second)
    assert set(first) == set(range(5))


def test_kmeans_accepts_a_generator(blobs):
    labels = cluster_embeddings(blobs[0], n_clusters=3, random_state=np.random.default_rng(0))
    assert adjusted_rand_score(blobs[1], labels) > 0.9


def test_kmeans_groups_by_direction_not_length():
    embeddings = np.array([[1.0, 0.0], [50.0, 1.0], [0.0, 1.0], [1.0, 40.0]])
    labels = cluster_embeddings(embeddings, n_clusters=2, random_state=0)
    assert labels[0] == labels[1] != labels[2] == labels[3]


def test_hdbscan_labels_an_isolated_image_as_noise(blobs):
    embeddings = np.vstack([blobs[0], -blobs[0].sum(axis=0, keepdims=True)])
    labels = cluster_embeddings(embeddings, method="hdbscan", min_cluster_size=10)
    assert labels[-1] == -1


def test_hdbscan_ignores_n_clusters(blobs):
    labels = cluster_embeddings(blobs[0][:20], method="hdbscan", n_clusters=1000)
    assert labels.shape == (20,)


@pytest.mark.parametrize("n_clusters", [1, 241])
def test_rejects_n_clusters_outside_range(n_clusters, blobs):
    expected = rf"'n_clusters' parameter of cluster_embeddings .*\[2, 240\]; got {n_clusters}\."
    with pytest.raises(ValueError, match=expected):
        cluster_embeddings(blobs[0], n_clusters=n_clusters)


def test_rejects_min_cluster_size_outside_range(blobs):
    with pytest.raises(ValueError, match=r"'min_cluster_size' .*\[2, 240\]; got 1\."):
        cluster_embeddings(blobs[0], method="hdbscan", min_cluster_size=1)


def test_unknown_method_lists_the_choices(blobs):
    with pytest.raises(ValueError, match="must be one of 'hdbscan', 'kmeans'; got 'dbscan'"):
        cluster_embeddings(blobs[0], method="dbscan")


def test_rejects_nan_embeddings(blobs):
    embeddings = blobs[0].copy()
    embeddings[0, 0] = np.nan
    with pytest.raises(ValueError, match="Non-finite values in 'embeddings' in cluster_embeddings"):
        cluster_embeddings(embeddings)
