"""Colours by category in the explorer: capped, and by the companion page's rule."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from astropy.table import Table

from astromorph_nb import Session
from astromorph_nb.io.export import html_page
from astromorph_nb.widgets.explorer import MAX_COLOR_CATEGORIES, EmbeddingExplorer


@pytest.fixture
def session() -> Session:
    rng = np.random.default_rng(0)
    kinds = [f"kind-{i % 30:02d}" for i in range(60)] + ["kind-07"] * 10
    meta = Table({"kind": kinds, "raw": [b"caf\xe9", b"ok"] * 35})
    session = Session.from_arrays(rng.random((70, 8, 8)), meta, device="cpu", random_state=0)
    session.analyse(perplexity=5, n_clusters=3)
    return session


def codes_of(scatter) -> np.ndarray:
    return np.frombuffer(scatter.values, dtype="<f4")


def test_cluster_labels_far_apart_are_two_categories(session, monkeypatch):
    labels = np.where(np.arange(70) % 2 == 0, 0, 3_000_000)
    labels[5] = -1
    monkeypatch.setattr(session._results, "clusters", labels)
    explorer = EmbeddingExplorer(session, color="cluster")
    scatter = explorer._map
    assert list(scatter.categories) == ["cluster 0", "cluster 3000000"]
    codes = codes_of(scatter)
    assert codes[[0, 1, 5]].tolist() == [0, 1, -1]
    explorer.close()


def test_many_distinct_values_keep_the_most_common_and_group_the_rest(session):
    explorer = EmbeddingExplorer(session, color="kind")
    categories = list(explorer._map.categories)
    assert len(categories) == MAX_COLOR_CATEGORIES
    assert categories[-1] == "other"
    assert "kind-07" in categories  # the most common value keeps its colour
    assert categories[:-1] == sorted(categories[:-1])
    codes = codes_of(explorer._map)
    kinds = np.asarray(session.meta["kind"])
    assert set(kinds[codes == MAX_COLOR_CATEGORIES - 1]) == set(kinds) - set(categories)
    explorer.close()


def test_bytes_that_are_not_utf8_colour_with_a_readable_name(session):
    explorer = EmbeddingExplorer(session, color="raw")
    assert list(explorer._map.categories) == ["caf\\xe9", "ok"]
    explorer.close()


def test_explorer_and_companion_page_colour_alike(session, monkeypatch):
    assert MAX_COLOR_CATEGORIES == html_page.MAX_COLOR_CATEGORIES
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 40, size=70) ** 2
    labels[rng.random(70) < 0.1] = -1
    monkeypatch.setattr(session._results, "clusters", labels)
    explorer = EmbeddingExplorer(session, color="cluster")
    page = html_page._color("cluster", {"cluster": labels.tolist()})
    page_codes = np.frombuffer(base64.b64decode(page["values"]), "<f4")
    np.testing.assert_array_equal(codes_of(explorer._map), page_codes)
    assert list(explorer._map.categories) == page["categories"]
    assert page["categories"][-1] == "other"
    explorer.close()


def test_explorer_and_companion_page_colour_text_alike(session):
    explorer = EmbeddingExplorer(session, color="kind")
    kinds = [str(k) for k in session.meta["kind"]]
    page = html_page._color("kind", {"kind": kinds})
    page_codes = np.frombuffer(base64.b64decode(page["values"]), "<f4")
    np.testing.assert_array_equal(codes_of(explorer._map), page_codes)
    assert list(explorer._map.categories) == page["categories"]
    explorer.close()
