import numpy as np
import pytest
from astropy.table import Column, MaskedColumn

from astromorph_nb.analysis import evaluate_embeddings
from astromorph_nb.exceptions import AstromorphWarning

KEYS = {
    "knn_accuracy",
    "knn_accuracy_std",
    "linear_probe_accuracy",
    "linear_probe_accuracy_std",
    "n_labelled",
    "n_classes",
    "chance_accuracy",
    "n_folds",
}


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 8)) * 4
    embeddings = np.vstack([c + rng.normal(size=(40, 8)) for c in centers]).astype(np.float32)
    return embeddings, np.repeat(["spiral", "elliptical", "merger"], 40)


def test_separable_blobs_are_classified_accurately(blobs):
    result = evaluate_embeddings(*blobs, random_state=0)
    assert set(result) == KEYS
    assert result["knn_accuracy"] > 0.95
    assert result["linear_probe_accuracy"] > 0.95
    assert result["n_labelled"] == 120
    assert result["n_classes"] == 3
    assert result["n_folds"] == 5
    assert result["chance_accuracy"] == pytest.approx(1 / 3)


def test_random_labels_score_about_chance():
    rng = np.random.default_rng(1)
    embeddings = rng.normal(size=(300, 8))
    labels = rng.integers(0, 3, size=300)
    result = evaluate_embeddings(embeddings, labels, random_state=0)
    assert abs(result["knn_accuracy"] - result["chance_accuracy"]) < 0.12
    assert abs(result["linear_probe_accuracy"] - result["chance_accuracy"]) < 0.12


def test_results_repeat_with_fixed_seed(blobs):
    first = evaluate_embeddings(*blobs, random_state=2)
    assert evaluate_embeddings(*blobs, random_state=2) == first


def test_missing_labels_are_left_out(blobs):
    embeddings, names = blobs
    labels = list(names)
    labels[0], labels[1], labels[2], labels[50] = None, float("nan"), "", "  "
    result = evaluate_embeddings(embeddings, labels, random_state=0)
    assert result["n_labelled"] == 116
    assert result["n_classes"] == 3


def test_nan_in_numeric_labels_is_left_out(blobs):
    labels = np.repeat([1.0, 2.0, 3.0], 40)
    labels[[5, 6, 90]] = np.nan
    result = evaluate_embeddings(blobs[0], labels, random_state=0)
    assert result["n_labelled"] == 117
    assert result["n_classes"] == 3
    assert result["chance_accuracy"] == pytest.approx(40 / 117)


def test_masked_array_and_astropy_columns_are_accepted(blobs):
    embeddings, names = blobs
    mask = np.zeros(120, dtype=bool)
    mask[:4] = True
    masked = evaluate_embeddings(embeddings, np.ma.masked_array(names, mask=mask), random_state=0)
    column = evaluate_embeddings(embeddings, MaskedColumn(names, mask=mask), random_state=0)
    assert masked["n_labelled"] == column["n_labelled"] == 116
    encoded = np.char.encode(names.astype(str), "ascii")
    encoded[:3] = b""
    plain = evaluate_embeddings(embeddings, Column(encoded), random_state=0)
    assert plain["n_labelled"] == 117
    assert plain["knn_accuracy"] > 0.95


def test_mixed_python_objects_are_accepted(blobs):
    labels = [1] * 40 + ["two"] * 40 + [(3, "c")] * 40
    assert evaluate_embeddings(blobs[0], labels, random_state=0)["n_classes"] == 3


def test_small_class_reduces_folds_with_a_warning(blobs):
    labels = np.array(blobs[1], dtype=object)
    labels[3:40] = None  # three labelled spirals remain
    with pytest.warns(AstromorphWarning, match=r"\('spiral'\) has 3 labelled images, fewer than"):
        result = evaluate_embeddings(blobs[0], labels, n_neighbors=3, random_state=0)
    assert result["n_folds"] == 3
    assert result["n_labelled"] == 83


def test_class_with_a_single_image_raises(blobs):
    labels = list(blobs[1])
    labels[0] = "quasar"
    with pytest.raises(ValueError, match=r"have a single labelled image .*\(first: 'quasar'\)"):
        evaluate_embeddings(blobs[0], labels)


def test_length_mismatch_names_both_lengths(blobs):
    with pytest.raises(ValueError, match=r"Wrong length of 'labels' .* Expected .* 120 .* got 119"):
        evaluate_embeddings(blobs[0], blobs[1][:119])


def test_two_dimensional_labels_are_refused(blobs):
    with pytest.raises(ValueError, match=r"got an array of shape \(120, 1\)"):
        evaluate_embeddings(blobs[0], blobs[1][:, None])


def test_one_class_raises(blobs):
    labels = ["star"] * 60 + [None] * 60
    with pytest.raises(
        ValueError, match=r"Expected at least 2 different labels .* got 1 \('star'\)"
    ):
        evaluate_embeddings(blobs[0], labels)


def test_no_labels_raises(blobs):
    with pytest.raises(ValueError, match="got none in 0 labelled images"):
        evaluate_embeddings(blobs[0], [None] * 120)


def test_n_neighbors_larger_than_a_training_fold_raises(blobs):
    with pytest.raises(
        ValueError, match=r"'n_neighbors' parameter of evaluate_embeddings .* at most 96"
    ):
        evaluate_embeddings(*blobs, n_neighbors=97)


def test_n_folds_must_be_at_least_two(blobs):
    with pytest.raises(
        ValueError, match=r"'n_folds' parameter of evaluate_embeddings must be an int >= 2"
    ):
        evaluate_embeddings(*blobs, n_folds=1)
