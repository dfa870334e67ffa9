import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_distances

from astromorph_nb.analysis import NeighborIndex
from astromorph_nb.exceptions import NotReadyError


@pytest.fixture
def embeddings():
    return np.random.default_rng(0).normal(size=(40, 6)).astype(np.float32)


def brute_force(embeddings, row, k):
    distances = cosine_distances(embeddings[row : row + 1].astype(np.float64), embeddings)[0]
    distances[row] = np.inf
    order = np.argsort(distances, kind="stable")[:k]
    return distances[order], order


def test_query_returns_nearest_other_images_by_cosine_distance(embeddings):
    index = NeighborIndex().fit(embeddings)
    distances, neighbors = index.query([0, 7, 39], k=5)
    assert distances.shape == neighbors.shape == (3, 5)
    assert neighbors.dtype == np.int64
    for row, (d, n) in zip([0, 7, 39], zip(distances, neighbors, strict=True), strict=True):
        expected_d, expected_n = brute_force(embeddings, row, 5)
        np.testing.assert_array_equal(n, expected_n)
        np.testing.assert_allclose(d, expected_d, atol=1e-6)
        assert row not in n
        assert np.all(np.diff(d) >= 0)


def test_query_ignores_length_of_embeddings_for_cosine():
    embeddings = np.array([[1.0, 0.0], [100.0, 1.0], [0.0, 1.0], [0.5, 0.5]])
    distances, neighbors = NeighborIndex().fit(embeddings).query(0, k=3)
    np.testing.assert_array_equal(neighbors, [[1, 3, 2]])
    np.testing.assert_allclose(distances[0, -1], 1.0)


def test_query_accepts_a_single_int():
    embeddings = np.eye(5)
    distances, neighbors = NeighborIndex().fit(embeddings).query(2, k=4)
    assert neighbors.shape == (1, 4)
    assert 2 not in neighbors


def test_query_leaves_out_the_query_image_when_it_has_duplicates():
    embeddings = np.array([[1.0, 0.0]] * 4 + [[0.0, 1.0]])
    index = NeighborIndex().fit(embeddings)
    distances, neighbors = index.query(np.arange(4), k=3)
    for row in range(4):
        assert sorted(neighbors[row]) == sorted(set(range(4)) - {row})
    np.testing.assert_allclose(distances, 0.0, atol=1e-7)


def test_query_with_empty_indices_returns_empty_arrays(embeddings):
    distances, neighbors = NeighborIndex().fit(embeddings).query([], k=3)
    assert distances.shape == neighbors.shape == (0, 3)


def test_query_vectors_finds_the_image_itself_at_zero_distance(embeddings):
    index = NeighborIndex().fit(embeddings)
    distances, neighbors = index.query_vectors(embeddings[[3, 5]] * 2.5, k=2)
    np.testing.assert_array_equal(neighbors[:, 0], [3, 5])
    np.testing.assert_allclose(distances[:, 0], 0.0, atol=1e-6)


def test_query_vectors_accepts_one_vector_and_k_equal_to_n_images(embeddings):
    distances, neighbors = NeighborIndex().fit(embeddings).query_vectors(embeddings[0], k=40)
    assert neighbors.shape == (1, 40)
    assert sorted(neighbors[0]) == list(range(40))


def test_euclidean_metric_returns_euclidean_distances():
    embeddings = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    distances, neighbors = NeighborIndex(metric="euclidean").fit(embeddings).query(0, k=2)
    np.testing.assert_array_equal(neighbors, [[2, 1]])
    np.testing.assert_allclose(distances, [[1.0, 5.0]])


def test_all_zero_rows_are_at_cosine_distance_one():
    embeddings = np.array([[1.0, 0.0], [0.9, 0.5], [0.0, 0.0], [-1.0, 0.2]])
    distances, neighbors = NeighborIndex().fit(embeddings).query(0, k=3)
    np.testing.assert_array_equal(neighbors, [[1, 2, 3]])
    np.testing.assert_allclose(distances[0, 1], 1.0)
    vector_distances, _ = NeighborIndex().fit(embeddings).query_vectors([1.0, 0.0], k=2)
    np.testing.assert_allclose(vector_distances[0, 0], 0.0, atol=1e-12)


def test_query_rejects_k_outside_range():
    index = NeighborIndex().fit(np.random.default_rng(1).normal(size=(512, 3)))
    expected = (
        "The 'k' parameter of NeighborIndex.query must be an int in the range [1, 511]; got 0."
    )
    with pytest.raises(ValueError, match=expected.replace("[", r"\[").replace(".", r"\.")):
        index.query([0], k=0)
    with pytest.raises(ValueError, match=r"\[1, 511\]; got 512"):
        index.query([0], k=512)


def test_query_rejects_k_that_is_not_an_int(embeddings):
    with pytest.raises(TypeError, match=r"'k' parameter of NeighborIndex.query .* got 2.5"):
        NeighborIndex().fit(embeddings).query([0], k=2.5)


def test_query_vectors_rejects_k_above_n_images(embeddings):
    with pytest.raises(ValueError, match=r"NeighborIndex.query_vectors .*\[1, 40\]; got 41"):
        NeighborIndex().fit(embeddings).query_vectors(embeddings[0], k=41)


@pytest.mark.parametrize("bad", [40, -1])
def test_query_rejects_index_out_of_range(embeddings, bad):
    with pytest.raises(IndexError, match=rf"Image index {bad} is out of range .* \[0, 39\]"):
        NeighborIndex().fit(embeddings).query([0, bad], k=3)


def test_query_rejects_indices_that_are_not_ints(embeddings):
    with pytest.raises(TypeError, match="Wrong 'indices' in NeighborIndex.query"):
        NeighborIndex().fit(embeddings).query([0.5], k=3)


def test_query_before_fit_raises_not_ready():
    with pytest.raises(NotReadyError, match=r"not fitted yet\. Call fit\(embeddings\) first"):
        NeighborIndex().query([0])
    with pytest.raises(NotReadyError, match="not fitted yet"):
        NeighborIndex().query_vectors(np.ones((1, 3)))


def test_query_vectors_rejects_wrong_feature_count(embeddings):
    with pytest.raises(ValueError, match=r"features in 'vectors' .* Expected 6 .* got 5"):
        NeighborIndex().fit(embeddings).query_vectors(np.ones((2, 5)), k=3)


def test_fit_rejects_nan_embeddings(embeddings):
    embeddings[4, 2] = np.nan
    with pytest.raises(ValueError, match=r"Non-finite values .* 1 of 40 rows .* \(first: row 4\)"):
        NeighborIndex().fit(embeddings)


def test_fit_rejects_one_dimensional_embeddings():
    with pytest.raises(ValueError, match=r"Expected a 2-D array \(n_images, n_features\)"):
        NeighborIndex().fit(np.ones(5))


def test_fit_rejects_non_numeric_embeddings():
    with pytest.raises(TypeError, match="Expected real numbers; got dtype <U1"):
        NeighborIndex().fit([["a", "b"], ["c", "d"]])


def test_fit_rejects_a_single_image():
    with pytest.raises(
        ValueError, match="Too few images in NeighborIndex.fit. Expected at least 2"
    ):
        NeighborIndex().fit(np.ones((1, 4)))


def test_unknown_metric_lists_the_choices():
    with pytest.raises(ValueError, match="must be one of 'cosine', 'euclidean'; got 'manhattan'"):
        NeighborIndex(metric="manhattan")
