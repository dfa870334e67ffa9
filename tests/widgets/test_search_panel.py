"""The "Find more like these" panel: seeds, yes / no / skip answers, re-ranking, errors."""

from __future__ import annotations

import numpy as np
import pytest

from astromorph_nb import Session, datasets
from astromorph_nb.session.discovery import ANOMALY_ANSWER_TAGS, answer_tags
from astromorph_nb.widgets.explorer import EmbeddingExplorer
from astromorph_nb.widgets.search_panel import SearchPanel

YES, NO, SKIPPED = answer_tags("candidate")


@pytest.fixture
def images():
    # one per test: a session's tags go into its image set's metadata table
    return datasets.synthetic(n_per_class=10, image_size=32, random_state=0)


@pytest.fixture
def session(images) -> Session:
    session = Session(images, device="cpu", random_state=0)
    session.embed()
    session.fit_tsne(perplexity=5, n_jobs=1)
    return session


@pytest.fixture
def explorer(session):
    explorer = EmbeddingExplorer(session)
    yield explorer
    explorer.close()


@pytest.fixture
def panel(explorer) -> SearchPanel:
    return explorer._search


def shown(panel: SearchPanel) -> list[int]:
    """The object indices on the visible tiles, in rank order, as the user reads them."""
    return [
        int(tile.object.button.description.lstrip("#"))
        for tile in panel._tiles.tiles
        if tile.box.layout.display is None
    ]


def tagged(session: Session, tag: str) -> list[int]:
    return np.flatnonzero(session.meta[tag]).tolist() if tag in session.meta.colnames else []


def tile_widgets(panel: SearchPanel) -> list:
    """Every widget of every tile: image, caption, show button, answer row and its buttons."""
    return [
        w for tile in panel._gallery.children for w in (*tile.children, *tile.children[3].children)
    ]


def answer(panel: SearchPanel, slot: int, what: str) -> int:
    tile = panel._tiles.tiles[slot]
    index = tile.object.index
    tile.answers[what].click()
    return index


def test_find_starts_from_the_selection_and_tags_it_yes(session, explorer, panel):
    session.select([1, 2])
    panel._find_button.click()
    assert panel._errors.text == ""
    assert tagged(session, YES) == [1, 2]
    expected = session.search(YES, k=12)["index"].tolist()
    assert shown(panel) == panel.candidates == expected
    assert not {1, 2} & set(expected)
    assert list(explorer._map.highlighted) == expected  # the map marks the candidates
    assert "<b>2</b> yes, <b>0</b> no" in panel._status.value
    assert "ranked by <b>cosine</b>" in panel._status.value
    assert "search_score" in explorer._color.options  # the scores can colour the map
    captions = [tile.object.caption.value for tile in panel._tiles.tiles]
    assert captions[0].startswith("<small>rank 1 · ")


def test_find_without_a_selection_starts_from_the_clicked_object(session, explorer, panel):
    explorer._map.clicked = 5  # as the browser sends a click
    panel._find_button.click()
    assert tagged(session, YES) == [5]
    assert 5 not in shown(panel)
    assert len(shown(panel)) == 12


def test_yes_and_no_answers_are_tags_and_change_the_candidates(session, explorer, panel):
    session.select([0])
    panel._find_button.click()
    first = shown(panel)
    liked = answer(panel, 0, "yes")
    assert tagged(session, YES) == sorted([0, liked])
    after_yes = shown(panel)
    assert liked not in after_yes
    assert after_yes != first
    assert "ranked by <b>cosine</b>" in panel._status.value
    disliked = answer(panel, 0, "no")
    assert tagged(session, NO) == [disliked]
    after_no = shown(panel)
    assert disliked not in after_no
    assert after_no != after_yes
    assert after_no == session.search(YES, NO, k=12)["index"].tolist()
    assert "<b>2</b> yes, <b>1</b> no" in panel._status.value
    assert "ranked by <b>classifier</b>" in panel._status.value  # a "no" brings the classifier
    assert list(explorer._map.highlighted) == after_no


def test_skip_removes_the_object_without_a_yes_or_no(session, panel):
    session.select([3])
    panel._find_button.click()
    skipped = answer(panel, 2, "skip")
    assert tagged(session, SKIPPED) == [skipped]
    assert skipped not in shown(panel)
    assert skipped not in tagged(session, YES) + tagged(session, NO)
    assert "1 skipped" in panel._status.value
    assert len(shown(panel)) == 12


def test_tiles_are_the_same_widgets_after_every_answer(session, panel):
    tiles = list(panel._gallery.children)
    widgets = tile_widgets(panel)
    assert len(tiles) == 12
    assert all(tile.layout.display == "none" for tile in tiles)  # hidden before a search
    session.select([7])
    panel._find_button.click()
    pictures = [tile.children[0].value for tile in tiles]
    answer(panel, 0, "yes")
    answer(panel, 1, "no")
    answer(panel, 0, "skip")
    assert all(a is b for a, b in zip(panel._gallery.children, tiles, strict=True))
    assert all(a is b for a, b in zip(tile_widgets(panel), widgets, strict=True))
    assert [tile.children[0].value for tile in tiles] != pictures
    assert pictures[0][:8] == b"\x89PNG\r\n\x1a\n"


def test_a_tile_button_shows_the_object_on_the_map(session, explorer, panel):
    session.select([4])
    panel._find_button.click()
    tile = panel._tiles.tiles[1]
    tile.object.button.click()
    assert explorer._map.focus == tile.object.index
    assert panel._errors.text == ""


def test_a_seed_answered_no_before_becomes_a_yes(session, panel):
    session.tag([6], NO)
    session.select([6, 8])
    panel._find_button.click()
    assert panel._errors.text == ""
    assert tagged(session, YES) == [6, 8]
    assert tagged(session, NO) == []


def test_answers_tagged_elsewhere_rerank_the_panel(session, panel):
    session.select([9])
    panel._find_button.click()
    top = shown(panel)[0]
    session.tag([top], SKIPPED)  # e.g. from the explorer's tag button
    assert top not in shown(panel)


def test_the_search_name_gives_the_tags(session, panel):
    panel._name.value = "ring_with_gap"
    session.select([2])
    panel._find_button.click()
    answer(panel, 0, "no")
    assert tagged(session, "ring_with_gap") == [2]
    assert len(tagged(session, "ring_with_gap_no")) == 1
    assert YES not in session.meta.colnames
    assert "ring_with_gap_no" in panel._status.value


def test_errors_are_shown_and_not_raised(session, panel, monkeypatch):
    panel._find_button.click()  # nothing selected, nothing clicked
    assert "ValueError: Nothing to start the search from. Lasso some objects" in panel._errors.text
    assert panel._errors.widget.layout.display is None
    panel._name.value = "  "
    session.select([1])
    panel._find_button.click()
    assert "The search has no name" in panel._errors.text
    panel._name.value = "candidate"
    panel._find_button.click()
    assert panel._errors.text == ""
    before = shown(panel)

    def fail(*args, **kwargs):
        msg = "the <i>index</i> broke"
        raise RuntimeError(msg)

    monkeypatch.setattr(session, "search", fail)
    answer(panel, 0, "yes")  # does not raise
    assert "RuntimeError: the &lt;i&gt;index&lt;/i&gt; broke" in panel._errors.text
    assert shown(panel) == before  # the tiles stay as they were


def test_panel_without_a_map_says_what_to_run(images):
    session = Session(images, device="cpu", random_state=0)
    panel = SearchPanel(session)
    assert "Nothing to search yet.</b> No t-SNE map yet" in panel._status.value
    assert "session.analyse()" in panel._status.value
    session.select([0])
    panel._find_button.click()
    assert "NotReadyError: No embeddings yet" in panel._errors.text
    session.embed()
    session.fit_tsne(perplexity=5, n_jobs=1)
    assert "Find more like these" in panel._status.value  # the panel updated itself
    panel._find_button.click()
    assert len(panel.candidates) == 12
    panel.close()
    panel.close()  # twice is fine


def test_an_answer_does_not_send_the_thumbnails_again(session, explorer, panel, monkeypatch):
    sent = []
    monkeypatch.setattr(explorer._map, "set_thumbnails", sent.append)
    session.select([1])
    panel._find_button.click()
    answer(panel, 0, "no")
    assert sent == []  # tags and rankings change the map's colours, not its cutouts
    assert explorer._map.thumbnails  # those sent when the explorer opened


def test_the_number_of_candidates_must_be_positive(session):
    with pytest.raises(ValueError, match="'n_candidates' parameter of SearchPanel must be an int"):
        SearchPanel(session, n_candidates=0)


# -- unusual objects -----------------------------------------------------------------------

INTERESTING, BORING, UNUSUAL_SKIPPED = ANOMALY_ANSWER_TAGS


def test_unusual_mode_shows_the_highest_anomaly_scores(session, explorer, panel):
    panel._mode.value = "unusual"
    assert panel._find_button.description == "Show unusual objects"
    assert panel._name.layout.display == "none"
    assert panel._method.layout.display is None
    assert panel._tiles.tiles[0].answers["yes"].icon == "star"
    panel._method.value = "lof"
    panel._find_button.click()
    assert panel._errors.text == ""
    expected = np.argsort(-session.score_anomalies("lof"), kind="stable")[:12].tolist()
    assert shown(panel) == panel.candidates == expected
    assert list(explorer._map.highlighted) == expected
    assert "ranked by <b>lof</b> anomaly score" in panel._status.value
    assert "anomaly_score" in explorer._color.options


def test_interesting_and_boring_answers_are_tags_that_reweight(session, panel):
    panel._mode.value = "unusual"
    panel._find_button.click()
    first = shown(panel)
    boring = answer(panel, 0, "no")
    assert tagged(session, BORING) == [boring]
    after = shown(panel)
    assert boring not in after
    assert after != first[1:13]  # the boring one's look-alikes sink, not only it
    expected = session.score_anomalies("knn", interesting=INTERESTING, boring=BORING)
    order = [i for i in np.argsort(-expected, kind="stable") if i != boring][:12]
    assert after == order
    liked = answer(panel, 1, "yes")
    skipped = answer(panel, 0, "skip")
    assert tagged(session, INTERESTING) == [liked]
    assert tagged(session, UNUSUAL_SKIPPED) == [skipped]
    assert not {boring, liked, skipped} & set(shown(panel))
    assert "<b>1</b> interesting, <b>1</b> boring, 1 skipped" in panel._status.value
    assert "re-weighted by your answers as in Astronomaly" in panel._status.value
    assert YES not in session.meta.colnames  # the like-these tags are untouched


def test_each_mode_keeps_its_ranking_and_labels(session, panel):
    session.select([2])
    panel._find_button.click()
    like = shown(panel)
    panel._mode.value = "unusual"
    assert shown(panel) == []
    assert "Show unusual objects ranks" in panel._status.value
    panel._find_button.click()
    unusual = shown(panel)
    panel._mode.value = "like"
    assert shown(panel) == like
    assert panel._tiles.tiles[0].answers["yes"].description == "Yes"
    panel._mode.value = "unusual"
    assert shown(panel) == unusual
    assert panel._tiles.tiles[0].answers["no"].icon == "thumbs-down"


def test_new_embeddings_ask_for_new_scores(session, panel):
    panel._mode.value = "unusual"
    panel._find_button.click()
    session.embed()  # clears the anomaly scores with the rest of the results
    assert shown(panel) == []
    assert "Nothing to search yet" in panel._status.value
    session.fit_tsne(perplexity=5, n_jobs=1)
    assert shown(panel) == []
    assert "press Show unusual objects to score them again" in panel._status.value
    panel._find_button.click()
    assert len(shown(panel)) == 12


def test_answers_are_saved_and_restored_with_the_session(session, panel, tmp_path):
    panel._mode.value = "unusual"
    panel._find_button.click()
    boring = answer(panel, 0, "no")
    liked = answer(panel, 0, "yes")
    session.save(tmp_path / "run")
    again = Session.load(tmp_path / "run", device="cpu")
    assert tagged(again, BORING) == [boring]
    assert tagged(again, INTERESTING) == [liked]
    np.testing.assert_allclose(again.anomaly_scores, session.anomaly_scores)
