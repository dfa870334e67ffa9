"""Session.search, explain, direction, feedback anomaly scores and their figures."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.table import Table

from astromorph_nb import NotReadyError, Session, datasets
from astromorph_nb.session.discovery import answer_tags


@pytest.fixture(scope="module")
def galaxies_session() -> Session:
    """140 synthetic 32×32 galaxies of seven kinds, embedded by the shipped weights."""
    images = datasets.synthetic(n_per_class=20, image_size=32, random_state=1)
    session = Session(images, random_state=0, device="cpu")
    session.embed()
    return session


def test_search_from_one_example_finds_its_kind(galaxies_session):
    labels = np.asarray(galaxies_session.meta["label"])
    start = int(np.flatnonzero(labels == "ringed_disk")[0])
    table = galaxies_session.search(start, k=10)
    assert table.colnames[:3] == ["rank", "index", "score"]
    assert "label" in table.colnames
    assert table["rank"].tolist() == list(range(1, 11))
    assert start not in table["index"]
    assert np.all(np.diff(table["score"]) <= 0)
    assert table.meta["method"] == "cosine"
    assert (table["label"] == "ringed_disk").sum() >= 5
    assert "search_score" in galaxies_session.color_options()
    values, label = galaxies_session.color_values("search_score")
    assert values.shape == (140,)
    assert label == "search score"


def test_answers_as_tags_rerank_with_the_classifier(galaxies_session):
    session = galaxies_session
    labels = np.asarray(session.meta["label"])
    yes, no, skipped = answer_tags("spiral_hunt")
    session.tag(int(np.flatnonzero(labels == "spiral")[0]), yes)
    first = session.search(yes, no, k=20)
    assert first.meta["method"] == "cosine"
    for row in first:
        session.tag(row["index"], yes if row["label"] == "spiral" else no)
    session.tag(int(first["index"][0]), skipped)  # skipping keeps it out of later pages
    second = session.search(yes, no, k=20, exclude=skipped)
    assert second.meta["method"] == "classifier"
    assert second.meta["n_positives"] == session.meta[yes].sum()
    answered = np.flatnonzero(session.meta[yes] | session.meta[no] | session.meta[skipped])
    assert not np.isin(second["index"], answered).any()
    # The answers move the spirals not yet found up, against similarity to the yes ones.
    by_classifier = session.search(yes, no, k=None)
    by_cosine = session.search(yes, no, k=None, method="cosine")
    ranks = [np.flatnonzero(t["label"] == "spiral").mean() for t in (by_classifier, by_cosine)]
    assert ranks[0] < 0.7 * ranks[1]
    for name in (yes, no, skipped):
        del session.meta[name]


def test_search_needs_embeddings_and_a_positive(tiny_session, galaxies_session):
    with pytest.raises(NotReadyError, match="session.embed"):
        tiny_session.search(0)
    with pytest.raises(ValueError, match="at least one object"):
        galaxies_session.search("no_such_tag")
    with pytest.raises(TypeError, match="holds <U"):
        galaxies_session.search("label")


def test_explain_ranks_true_parameters_above_noise(galaxies_session):
    session = galaxies_session
    meta = session.meta
    meta["noise"] = np.random.default_rng(0).normal(size=len(meta))
    try:
        table = session.explain(["label", "size_px", "noise"], n_shuffles=10)
    finally:
        del meta["noise"]
    rows = {row["column"]: row for row in table}
    assert table["column"][-1] == "noise"
    assert rows["label"]["skill"] > 0.5
    assert rows["size_px"]["z"] > 3
    assert abs(rows["noise"]["skill"]) < 0.15


def test_explain_by_default_takes_every_column_but_names(analysed_session):
    table = analysed_session.explain(n_shuffles=5)
    scored = set(table["column"]) | set(table.meta["skipped"])
    assert "OBJECT" not in scored
    assert {"label", "size_px", "cluster"} <= scored
    with pytest.raises(KeyError, match="No metadata column 'nope'"):
        analysed_session.explain("nope")


def test_direction_and_gallery_along_a_column(galaxies_session):
    direction = galaxies_session.direction("size_px")
    size = np.asarray(galaxies_session.meta["size_px"])
    assert np.corrcoef(direction.positions, size)[0, 1] > 0.4
    figure = galaxies_session.gallery_along("size_px", n=6)
    titles = [ax.get_title() for ax in figure.axes]
    assert len(titles) == 6
    positions = [float(t.split("\n")[0]) for t in titles]
    assert positions == sorted(positions)
    with pytest.raises(ValueError, match="two groups"):
        galaxies_session.direction([1, 2])


def test_plot_explain_draws_every_scored_column(galaxies_session):
    figure = galaxies_session.plot_explain(["label", "size_px"], n_shuffles=5)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert sorted(labels) == ["label (balanced accuracy)", "size_px (R²)"]


def test_feedback_anomaly_scores_follow_answers_and_survive_refresh_and_save(
    analysed_session, tmp_path
):
    session = analysed_session
    plain = session.score_anomalies()
    top = np.argsort(-plain)[:3]
    session.tag(top, "boring")
    reweighted = session.score_anomalies(boring="boring")
    assert np.all(reweighted[top] < 0.11)
    assert reweighted.min() >= 0
    assert reweighted.max() <= 1
    session.refresh()
    assert np.all(session.anomaly_scores[top] < 0.11)
    session.save(tmp_path / "s")
    loaded = Session.load(tmp_path / "s")
    np.testing.assert_allclose(loaded.anomaly_scores, session.anomaly_scores)
    loaded.refresh()
    assert np.all(loaded.anomaly_scores[top] < 0.11)
    assert isinstance(loaded.meta, Table)
    assert loaded.meta["boring"][top].all()


def test_tags_stay_in_the_session_not_in_the_callers_image_set():
    images = datasets.synthetic(n_per_class=2, image_size=16, random_state=0)
    session = Session(images, random_state=0, device="cpu")
    session.tag([0, 1], "picked")
    assert "picked" in session.meta.colnames
    assert "picked" in session.images.meta.colnames
    assert "picked" not in images.meta.colnames
    assert session.images.images.data_ptr() == images.images.data_ptr()


def test_new_answers_reweight_without_fitting_the_scorer_again(monkeypatch):
    import astromorph_nb.session.analysis as analysis

    images = datasets.synthetic(n_per_class=5, image_size=16, random_state=0)
    session = Session(images, random_state=0, device="cpu")
    session.embed()
    fitted = []
    make = analysis.make_scorer
    monkeypatch.setattr(analysis, "make_scorer", lambda *a, **k: fitted.append(a) or make(*a, **k))
    plain = session.score_anomalies("lof")
    once = session.score_anomalies("lof", boring=[int(np.argmax(plain))])
    assert len(fitted) == 1  # the answers re-weight the same raw scores
    np.testing.assert_array_equal(session.score_anomalies("lof"), plain)  # not changed by it
    session.score_anomalies("lof", n_neighbors=5)
    session.score_anomalies("knn", boring=[0])
    assert len(fitted) == 3  # other settings, another method: fitted again
    assert once.max() <= 1
    session.embed()  # new embeddings, new scorer
    session.score_anomalies("lof")
    assert len(fitted) == 4
