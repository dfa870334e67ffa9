import numpy as np
import pytest

from astromorph_nb.analysis import (
    ANOMALY_METHODS,
    IsolationForestScorer,
    KNNDistanceScorer,
    LOFScorer,
    make_scorer,
)
from astromorph_nb.exceptions import NotReadyError

SCORERS = [
    lambda: KNNDistanceScorer(n_neighbors=5),
    lambda: LOFScorer(n_neighbors=10),
    lambda: IsolationForestScorer(n_estimators=50, random_state=0),
]


def three_clusters_and_an_outlier(n_per_cluster=100, n_features=16, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(3, n_features)) * 4
    points = [center + rng.normal(size=(n_per_cluster, n_features)) for center in centers]
    outlier = -centers.sum(axis=0)  # points away from all three clusters
    return np.vstack([*points, outlier[None]]).astype(np.float32)


@pytest.fixture(scope="module")
def embeddings():
    return three_clusters_and_an_outlier()


@pytest.mark.parametrize("make", SCORERS, ids=["knn", "lof", "isolation_forest"])
def test_common_scorer_contract(make, embeddings):
    scorer = make()
    with pytest.raises(NotReadyError, match=r"is not fitted yet\. Call fit\(embeddings\) first"):
        scorer.score(embeddings[:3])
    assert scorer.fit(embeddings) is scorer
    assert scorer.scores_.shape == (embeddings.shape[0],)
    assert scorer.scores_.dtype == np.float64
    assert np.isfinite(scorer.scores_).all()
    new = scorer.score(embeddings[:7] + 0.01)
    assert new.shape == (7,)
    assert new.dtype == np.float64
    with pytest.raises(ValueError, match=r"Expected 16 .* got 3"):
        scorer.score(np.ones((2, 3)))


@pytest.mark.parametrize("method", ANOMALY_METHODS)
def test_injected_outlier_ranks_in_top_percent(method, embeddings):
    options = {"random_state": 0} if method == "isolation_forest" else {}
    scores = make_scorer(method, **options).fit(embeddings).scores_
    top = np.argsort(scores)[::-1][: max(1, len(scores) // 100)]
    assert len(embeddings) - 1 in top


@pytest.mark.parametrize("method", ANOMALY_METHODS)
def test_new_outlier_scores_higher_than_new_ordinary_image(method, embeddings):
    options = {"random_state": 0} if method == "isolation_forest" else {}
    scorer = make_scorer(method, **options).fit(embeddings[:-1])
    ordinary, unusual = scorer.score(embeddings[[0, -1]])
    assert unusual > ordinary


def test_knn_scores_are_mean_cosine_distances():
    embeddings = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    scorer = KNNDistanceScorer(n_neighbors=2).fit(embeddings)
    np.testing.assert_allclose(scorer.scores_, [1.5, 1.0, 1.5])
    np.testing.assert_allclose(scorer.score([[0.0, -3.0]]), [1.0])


def test_isolation_forest_repeats_with_fixed_seed(embeddings):
    first = IsolationForestScorer(n_estimators=30, random_state=3).fit(embeddings).scores_
    second = IsolationForestScorer(n_estimators=30, random_state=3).fit(embeddings).scores_
    np.testing.assert_array_equal(first, second)


def test_isolation_forest_accepts_a_generator(embeddings):
    scorer = IsolationForestScorer(n_estimators=10, random_state=np.random.default_rng(1))
    assert scorer.fit(embeddings).scores_.shape == (len(embeddings),)


def test_isolation_forest_rejects_a_bad_random_state():
    with pytest.raises(TypeError, match="'random_state' parameter of IsolationForestScorer must"):
        IsolationForestScorer(random_state="seed")


@pytest.mark.parametrize("cls", [KNNDistanceScorer, LOFScorer])
def test_fit_rejects_n_neighbors_as_large_as_the_image_count(cls):
    name = cls.__name__
    with pytest.raises(
        ValueError, match=rf"'n_neighbors' parameter of {name}.fit .*\[1, 4\]; got 5"
    ):
        cls(n_neighbors=5).fit(np.random.default_rng(0).normal(size=(5, 3)))


@pytest.mark.parametrize("cls", [KNNDistanceScorer, LOFScorer])
def test_n_neighbors_must_be_a_positive_int(cls):
    with pytest.raises(ValueError, match=r"'n_neighbors' parameter of .* must be an int >= 1"):
        cls(n_neighbors=0)


def test_n_estimators_must_be_a_positive_int():
    with pytest.raises(TypeError, match="'n_estimators' parameter of IsolationForestScorer"):
        IsolationForestScorer(n_estimators=1.5)


def test_fit_rejects_nan_embeddings():
    embeddings = np.ones((10, 3))
    embeddings[2, 0] = np.nan
    with pytest.raises(ValueError, match=r"Non-finite values in 'embeddings' in LOFScorer.fit"):
        LOFScorer(n_neighbors=3).fit(embeddings)


def test_make_scorer_builds_each_method():
    assert isinstance(make_scorer("knn"), KNNDistanceScorer)
    assert isinstance(make_scorer("lof", n_neighbors=7), LOFScorer)
    scorer = make_scorer("isolation_forest", n_estimators=10, random_state=0)
    assert isinstance(scorer, IsolationForestScorer)
    assert scorer.n_estimators == 10


def test_make_scorer_lists_sorted_choices_for_unknown_method():
    expected = "must be one of 'isolation_forest', 'knn', 'lof'; got 'zscore'"
    with pytest.raises(ValueError, match=expected):
        make_scorer("zscore")


def test_make_scorer_rejects_an_option_of_another_method():
    with pytest.raises(TypeError, match="Unknown option 'n_estimators' for method='knn'"):
        make_scorer("knn", n_estimators=10)
