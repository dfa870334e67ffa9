import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from astromorph_nb import AstromorphWarning
from astromorph_nb.analysis import TSNEMap
from astromorph_nb.exceptions import NotReadyError

FAST = {"n_early_exaggeration_iter": 100, "n_iter": 150, "n_jobs": 1}


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 16)) * 5
    embeddings = np.vstack([c + rng.normal(size=(60, 16)) for c in centers]).astype(np.float32)
    return embeddings, np.repeat(np.arange(3), 60)


@pytest.fixture(scope="module")
def fitted(blobs):
    return TSNEMap(perplexity=20, random_state=0, **FAST).fit(blobs[0])


def test_fit_sets_float32_coordinates(fitted, blobs):
    assert fitted.coordinates_.shape == (180, 2)
    assert fitted.coordinates_.dtype == np.float32
    assert (fitted.n_images_, fitted.n_features_) == (180, 16)
    assert np.isfinite(fitted.coordinates_).all()


def test_fit_repeats_with_fixed_seed(fitted, blobs):
    again = TSNEMap(perplexity=20, random_state=0, **FAST).fit(blobs[0])
    np.testing.assert_array_equal(again.coordinates_, fitted.coordinates_)


def test_separated_blobs_stay_separated(fitted, blobs):
    knn = KNeighborsClassifier(n_neighbors=5).fit(fitted.coordinates_, blobs[1])
    assert knn.score(fitted.coordinates_, blobs[1]) == 1.0
    centroids = np.array([fitted.coordinates_[blobs[1] == i].mean(axis=0) for i in range(3)])
    spread = max(
        np.linalg.norm(fitted.coordinates_[blobs[1] == i] - centroids[i], axis=1).mean()
        for i in range(3)
    )
    gaps = [np.linalg.norm(centroids[i] - centroids[j]) for i in range(3) for j in range(i)]
    assert min(gaps) > 3 * spread


def test_transform_places_a_copy_next_to_the_original(fitted, blobs):
    rows = [0, 70, 150]
    placed = fitted.transform(blobs[0][rows])
    assert placed.shape == (3, 2)
    assert placed.dtype == np.float32
    for row, point in zip(rows, placed, strict=True):
        to_others = np.linalg.norm(fitted.coordinates_ - fitted.coordinates_[row], axis=1)
        assert np.linalg.norm(point - fitted.coordinates_[row]) < np.percentile(to_others, 5)


def test_transform_keeps_the_frame_of_coordinates(blobs):
    tsne = TSNEMap(perplexity=20, random_state=1, **FAST).fit(blobs[0])
    before = tsne.coordinates_.copy()
    first = tsne.transform(blobs[0][:4])
    second = tsne.transform(blobs[0][:4])
    np.testing.assert_array_equal(tsne.coordinates_, before)
    np.testing.assert_allclose(first, second, atol=1e-4)


def test_from_coordinates_round_trip(fitted, blobs):
    settings = {"perplexity": 20, "random_state": 0, **FAST}
    restored = TSNEMap.from_coordinates(blobs[0], fitted.coordinates_.copy(), **settings)
    np.testing.assert_array_equal(restored.coordinates_, fitted.coordinates_)
    assert restored.coordinates_.dtype == np.float32
    placed = restored.transform(blobs[0][[10, 100]])
    np.testing.assert_allclose(placed, fitted.transform(blobs[0][[10, 100]]), atol=1e-3)
    np.testing.assert_array_equal(restored.coordinates_, fitted.coordinates_)


def test_fit_accepts_a_generator_seed(blobs):
    tsne = TSNEMap(perplexity=10, random_state=np.random.default_rng(0), **FAST)
    assert tsne.fit(blobs[0][:40]).coordinates_.shape == (40, 2)


def test_transform_before_fit_raises_not_ready():
    with pytest.raises(NotReadyError, match=r"has no map yet\. Call fit\(embeddings\) first"):
        TSNEMap().transform(np.ones((2, 4)))


def test_transform_names_both_feature_counts(fitted):
    with pytest.raises(ValueError, match=r"features in 'new_embeddings' .* Expected 16 .* got 8"):
        fitted.transform(np.ones((2, 8)))


def test_transform_rejects_nan(fitted):
    new = np.ones((3, 16))
    new[1, 1] = np.nan
    with pytest.raises(ValueError, match=r"Non-finite values in 'new_embeddings' .* row 1"):
        fitted.transform(new)


def test_perplexity_too_large_is_lowered_with_a_warning_that_says_to_what():
    embeddings = np.random.default_rng(0).normal(size=(31, 4))
    expected = (
        r"perplexity=30 is too large for a map of 31 images \(at most \(n_images - 1\) / 3 "
        r"= 10\); the map uses perplexity=10\."
    )
    with pytest.warns(AstromorphWarning, match=expected):
        tsne = TSNEMap(**FAST, random_state=0).fit(embeddings)
    assert tsne.perplexity == 10
    assert tsne.coordinates_.shape == (31, 2)
    assert np.isfinite(tsne.coordinates_).all()
    # A saved map's settings came from a fit, so a larger value there is a damaged file.
    with pytest.raises(ValueError, match="too large for 31 images"):
        TSNEMap.from_coordinates(embeddings, np.zeros((31, 2)))


def test_all_zero_embeddings_are_mapped_together_apart_from_the_others():
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(40, 6)) + 3.0
    embeddings[:4] = 0.0  # e.g. constant images through an untrained model
    with pytest.warns(AstromorphWarning, match=r"4 embeddings in TSNEMap.fit are all zeros"):
        tsne = TSNEMap(perplexity=8, random_state=0, **FAST).fit(embeddings)
    points = tsne.coordinates_
    assert np.isfinite(points).all()
    zero_spread = np.linalg.norm(points[:4] - points[:4].mean(axis=0), axis=1).max()
    gap = np.linalg.norm(points[4:] - points[:4].mean(axis=0), axis=1).min()
    assert zero_spread < gap  # together, and nearer to each other than to any other image
    with pytest.warns(AstromorphWarning, match=r"2 embeddings in TSNEMap.transform"):
        placed = tsne.transform(np.zeros((2, 6)))
    assert np.isfinite(placed).all()
    with pytest.raises(ValueError, match="Every embedding passed to TSNEMap.fit is all zeros"):
        TSNEMap(perplexity=8, **FAST).fit(np.zeros((40, 6)))


def test_too_few_images_raise():
    with pytest.raises(ValueError, match=r"Too few images in TSNEMap.fit\. Expected at least 5"):
        TSNEMap(perplexity=1, **FAST).fit(np.random.default_rng(0).normal(size=(4, 3)))


def test_nan_embeddings_raise(blobs):
    embeddings = blobs[0].copy()
    embeddings[7] = np.nan
    with pytest.raises(ValueError, match=r"Non-finite values .* TSNEMap.fit: 1 of 180 rows"):
        TSNEMap(**FAST).fit(embeddings)


def test_from_coordinates_rejects_wrong_shape(blobs):
    with pytest.raises(ValueError, match=r"Expected \(180, 2\) .* got \(179, 2\)"):
        TSNEMap.from_coordinates(blobs[0], np.zeros((179, 2)))


def test_from_coordinates_rejects_nan_coordinates(blobs):
    coordinates = np.zeros((180, 2))
    coordinates[3, 0] = np.nan
    with pytest.raises(ValueError, match="Non-finite values in 'coordinates'"):
        TSNEMap.from_coordinates(blobs[0], coordinates)


@pytest.mark.parametrize(
    ("option", "value", "match"),
    [
        ("perplexity", 0, r"'perplexity' parameter of TSNEMap must be a finite number > 0; got 0"),
        ("metric", "l1", "must be one of 'cosine', 'euclidean'; got 'l1'"),
        ("learning_rate", "fast", r"> 0 or 'auto'; got 'fast'"),
        ("exaggeration", -1.0, r"> 0 or None; got -1\.0"),
        ("n_jobs", 0, r"'n_jobs' parameter of TSNEMap must be a non-zero int"),
    ],
)
def test_bad_settings_raise_value_error(option, value, match):
    with pytest.raises(ValueError, match=match):
        TSNEMap(**{option: value})


def test_bad_iteration_count_raises():
    with pytest.raises(ValueError, match=r"'n_iter' parameter of TSNEMap must be an int >= 0"):
        TSNEMap(n_iter=-1)


def test_bad_random_state_raises():
    with pytest.raises(TypeError, match="'random_state' parameter of TSNEMap must be None"):
        TSNEMap(random_state=1.5)
