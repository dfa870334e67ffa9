from __future__ import annotations

import numpy as np
import pytest
from astropy.table import Table

from astromorph_nb import Session
from astromorph_nb.widgets.dashboard import Dashboard
from astromorph_nb.widgets.explorer import EmbeddingExplorer


@pytest.fixture
def session() -> Session:
    rng = np.random.default_rng(0)
    names = [f"obj-{i}" for i in range(40)]
    names[3] = "<script>alert(1)</script> & co"
    meta = Table(
        {
            "OBJECT": names,
            "flux": rng.random(40),
            "kind": ["disk", "cloud"] * 20,
        }
    )
    session = Session.from_arrays(rng.random((40, 16, 16)), meta, device="cpu", random_state=0)
    session.analyse(perplexity=5, n_clusters=3)
    return session


def test_explorer_sends_the_map_to_the_browser(session):
    explorer = EmbeddingExplorer(session)
    scatter = explorer._map
    x = np.frombuffer(scatter.x, dtype="<f4")
    np.testing.assert_allclose(x, session.tsne_coordinates[:, 0])
    assert scatter.color_mode == "categorical"
    assert list(explorer._color.options) == [
        "(none)",
        "cluster",
        "anomaly_score",
        "OBJECT",
        "flux",
        "kind",
    ]
    assert scatter.labels[3] == "#3 <script>alert(1)</script> & co"  # text; the JS escapes it
    explorer._color.value = "flux"
    assert scatter.color_mode == "numeric"
    explorer._color.value = "kind"
    assert list(scatter.categories) == ["cloud", "disk"]
    explorer.close()


def test_click_shows_object_and_neighbours_escaped(session):
    explorer = EmbeddingExplorer(session, n_neighbors=5)
    explorer._map.clicked = 3  # as the front end would
    assert explorer._map.focus == 3
    assert list(explorer._map.neighbors) == list(session.neighbors(3, k=5)["index"])
    assert len(explorer._gallery.children) == 5
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in explorer._details.value
    assert "<script>" not in explorer._details.value
    assert explorer._cutout.value[:8] == b"\x89PNG\r\n\x1a\n"
    first = int(explorer._map.neighbors[0])
    explorer._gallery.children[0].children[2].click()  # the neighbour's button moves there
    assert explorer._map.focus == first
    explorer.close()


def test_lasso_selection_reaches_the_session_and_the_table(session, tmp_path):
    explorer = EmbeddingExplorer(session)
    explorer._map.selected = [3, 5, 8]  # as the front end would after a lasso
    assert session.selection == (3, 5, 8)
    assert "3 selected" in explorer._table.value
    assert "&lt;script&gt;" in explorer._table.value
    assert "<script>" not in explorer._table.value
    explorer._tag_name.value = "odd"
    explorer._tag_button.click()
    assert list(np.flatnonzero(session.meta["odd"])) == [3, 5, 8]
    explorer._export_path.value = str(tmp_path / "sel.ecsv")
    explorer._export_button.click()
    assert list(Table.read(tmp_path / "sel.ecsv")["index"]) == [3, 5, 8]
    explorer._more_button.click()
    assert len(session.selection) > 3
    session.select(None)  # the session drives the map too
    assert list(explorer._map.selected) == []
    explorer.close()


def test_refresh_recomputes_map_and_close_stops_observing(session):
    explorer = EmbeddingExplorer(session)
    before = explorer._map.x
    session.train(n_epochs=1, batch_size=16).wait()
    explorer._refresh_button.click()
    assert "refreshed" in explorer._message.value
    assert explorer._map.x != before
    explorer.close()
    session.select([1])
    assert list(explorer._map.selected) != [1]


def test_explorer_without_map_says_what_to_run():
    session = Session.from_arrays(np.random.default_rng(1).random((12, 8, 8)), device="cpu")
    explorer = EmbeddingExplorer(session)
    assert "No map yet" in explorer._message.value
    session.embed()
    session.fit_tsne(perplexity=3, n_jobs=1)
    assert len(explorer._map.x) == 12 * 4  # the panel updated itself
    explorer.close()


def test_dashboard_holds_the_three_panels(session):
    dashboard = session.dashboard()
    assert isinstance(dashboard, Dashboard)
    assert dashboard.center is dashboard.explorer
    dashboard.close()


def test_neighbour_tiles_are_updated_in_place_when_clicking_twice(session):
    explorer = EmbeddingExplorer(session, n_neighbors=4)
    tiles = list(explorer._gallery.children)
    assert len(tiles) == 4
    assert all(tile.layout.display == "none" for tile in tiles)  # hidden before a click
    explorer._map.clicked = 3
    first = [(tile.children[0].value, tile.children[2].description) for tile in tiles]
    explorer._map.clicked = 11
    assert list(explorer._gallery.children) == tiles
    assert all(a is b for a, b in zip(explorer._gallery.children, tiles, strict=True))
    widgets = [child for tile in tiles for child in tile.children]
    assert [child for tile in explorer._gallery.children for child in tile.children] == widgets
    second = [(tile.children[0].value, tile.children[2].description) for tile in tiles]
    expected = [f"#{int(i)}" for i in session.neighbors(11, k=4)["index"]]
    assert [description for _, description in second] == expected
    assert second != first
    assert all(tile.layout.display is None for tile in tiles)
    explorer.close()


def test_unused_neighbour_tiles_are_hidden(session):
    explorer = EmbeddingExplorer(session, n_neighbors=6)
    explorer._map.clicked = 2
    explorer._n_neighbors.value = 3
    explorer.show(2)
    shown = [tile.layout.display is None for tile in explorer._gallery.children]
    assert shown == [True, True, True, False, False, False]
    explorer._n_neighbors.value = 8  # more slots than before: the pool grows
    tiles = list(explorer._gallery.children)
    explorer.show(2)
    assert list(explorer._gallery.children)[:6] == tiles[:6]
    assert len(explorer._gallery.children) == 8
    explorer.close()
