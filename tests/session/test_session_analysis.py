from __future__ import annotations

import numpy as np
import pytest
from astropy.table import Table
from builders import rotated
from matplotlib.figure import Figure

from astromorph_nb import AstromorphWarning, Session


@pytest.fixture(scope="module")
def galaxy_session(galaxies):
    """120 real galaxies plus a rotated, flipped copy of galaxy 7 (index 120), embedded."""
    images = galaxies.images.numpy()
    copy = rotated(images[7:8])[..., ::-1]
    stack = np.concatenate([images, copy])
    meta = Table({"OBJECT": [*galaxies.meta["OBJECT"], "XDF-copy-of-7"]})
    session = Session.from_arrays(stack, meta, normalize=None, random_state=0, device="cpu")
    session.embed()
    session.fit_tsne(perplexity=20, n_jobs=1)
    return session


def test_neighbors_of_an_image_include_its_augmented_copy(galaxy_session):
    found = galaxy_session.neighbors(7, k=3)
    assert 120 in list(found["index"])
    assert list(found.colnames) == ["index", "distance", "OBJECT"]
    assert np.all(np.diff(found["distance"]) >= 0)
    assert galaxy_session.neighbors(120, k=1)["index"][0] == 7


def test_place_puts_a_copy_of_a_training_image_next_to_the_original(galaxy_session):
    coordinates = galaxy_session.tsne_coordinates
    placed = galaxy_session.place(galaxy_session.images.images[30:31].numpy(), normalize=None)
    assert placed.shape == (1, 2)
    distances = np.linalg.norm(coordinates - placed[0], axis=1)
    assert np.argsort(distances)[0] == 30 or distances[30] < np.percentile(distances, 3)


def test_place_rejects_images_of_another_size(galaxy_session):
    with pytest.raises(ValueError, match=r"shape \(1, 32, 32\) \(C, ny, nx\) but the session's"):
        galaxy_session.place(np.zeros((2, 32, 32)))


def test_place_warns_when_the_model_has_trained_since_the_map(tiny_session):
    tiny_session.embed()
    tiny_session.fit_tsne(perplexity=5, n_jobs=1)
    tiny_session.train(n_epochs=1, batch_size=16).wait()
    with pytest.warns(AstromorphWarning, match="trained 2 more steps since the map"):
        tiny_session.place(tiny_session.images.images[:2].numpy(), normalize=None)


def test_anomaly_scores_rank_an_injected_artefact_in_the_top_percent(galaxies):
    images = galaxies.images.numpy()[:, 0]
    artefact = np.zeros((64, 64), dtype=np.float32)
    artefact[:, 30:34] = 1.0  # a saturated column (bleed trail) across the stamp
    stack = np.concatenate([images, images[:80, :, ::-1], artefact[None]])
    session = Session.from_arrays(stack, normalize=None, random_state=0, device="cpu")
    session.embed()
    n = len(stack)
    for method in ("knn", "lof", "isolation_forest"):
        scores = session.score_anomalies(method)
        assert scores.shape == (n,)
        rank = int(np.sum(scores > scores[-1]))
        assert rank < max(1, n // 100), (method, rank)


def test_score_anomalies_and_cluster_validate_their_method(analysed_session):
    with pytest.raises(ValueError, match="'method' parameter of Session.score_anomalies"):
        analysed_session.score_anomalies("zscore")
    with pytest.raises(ValueError, match="'method' parameter of Session.cluster"):
        analysed_session.cluster(3, method="dbscan")


def test_analysis_results_and_results_version(tiny_session):
    versions = []
    tiny_session.observe(lambda c: versions.append(c["new"]), names=["results_version"])
    tiny_session.analyse(perplexity=5, n_clusters=4)
    assert versions == [1, 2, 3, 4]
    assert tiny_session.tsne_coordinates.shape == (32, 2)
    assert set(np.unique(tiny_session.cluster_labels)) <= set(range(4))
    tiny_session.embed()  # new embeddings replace results made from the old ones
    with pytest.raises(Exception, match="No t-SNE map yet"):
        _ = tiny_session.tsne_coordinates


def test_evaluate_with_partial_labels_from_a_column(tiny_session):
    tiny_session.embed()
    labels = np.array(tiny_session.meta["label"], dtype=object)
    labels[::4] = None
    tiny_session.meta["partial"] = labels.astype(str)
    tiny_session.meta["partial"][::4] = ""
    result = tiny_session.evaluate("partial", n_folds=2, n_neighbors=3)
    assert result["n_labelled"] == 24
    assert 0.0 <= result["knn_accuracy"] <= 1.0
    with pytest.raises(KeyError, match="No metadata column 'labelz'"):
        tiny_session.evaluate("labelz")


def test_select_and_tag(tiny_session):
    changes = []
    tiny_session.observe(lambda c: changes.append(c["new"]), names=["selection"])
    assert tiny_session.select([3, 1, 3]) == (3, 1)
    assert tiny_session.select(np.arange(32) == 5) == (5,)
    assert tiny_session.select(None) == ()
    assert changes == [(3, 1), (5,), ()]
    with pytest.raises(IndexError, match="Image index 40 is out of range.*0 to 31"):
        tiny_session.select([40])
    tiny_session.tag([1, 2], "merger")
    tiny_session.tag([2], "merger", value=False)
    assert list(np.flatnonzero(tiny_session.meta["merger"])) == [1]
    with pytest.raises(ValueError, match="other than anomaly_score, cluster"):
        tiny_session.tag([1], "cluster")
    with pytest.raises(ValueError, match="'label' exists and holds"):
        tiny_session.tag([1], "label")


def test_neighbors_of_a_selection_leave_out_its_members(analysed_session):
    found = analysed_session.neighbors([0, 1, 2], k=5)
    assert len(found) == 5
    assert not set(found["index"]) & {0, 1, 2}
    with pytest.raises(ValueError, match=r"'k' parameter of Session.neighbors.*\[1, 29\]"):
        analysed_session.neighbors([0, 1, 2], k=30)


def test_every_figure_builds(analysed_session):
    import matplotlib.pyplot as plt

    figures = [
        analysed_session.plot_loss(),
        analysed_session.plot_map(color="cluster"),
        analysed_session.plot_map(color="anomaly_score"),
        analysed_session.plot_map(color="label"),
        analysed_session.plot_neighbors(0, k=4),
        analysed_session.plot_clusters(n_per_cluster=3),
        analysed_session.plot_anomalies(n=4),
        analysed_session.plot_augmentations(n_images=2, n_views=2),
    ]
    assert all(isinstance(f, Figure) for f in figures)
    for figure in figures:
        plt.close(figure)
    with pytest.raises(KeyError, match="Cannot colour by 'colour'. Choose one of: anomaly_score"):
        analysed_session.plot_map(color="colour")


def test_fit_tsne_on_a_small_set_with_constant_images_from_an_untrained_model():
    flux = np.random.default_rng(0).random((30, 16, 16))
    flux[:3] = 5.0  # constant images: all zero after scaling, and so is their embedding
    session = Session.from_arrays(flux, pretrained=False, random_state=0, device="cpu")
    assert not session.embed()[:3].any()
    with pytest.warns(AstromorphWarning) as caught:
        points = session.fit_tsne(n_jobs=1)
    messages = " ".join(str(w.message) for w in caught)
    assert "perplexity=30 is too large for a map of 30 images" in messages
    assert "3 embeddings in TSNEMap.fit are all zeros (rows 0, 1, 2)" in messages
    assert np.isfinite(points).all()
