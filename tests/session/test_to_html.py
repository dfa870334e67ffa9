"""Session.to_html: the companion-paper page written from a session's results."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from astromorph_nb import NotReadyError, OutputExistsError


def _data(path) -> dict:
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="amn-data">(.*?)</script>', text, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_to_html_needs_a_map(tiny_session, tmp_path):
    with pytest.raises(NotReadyError, match="No t-SNE map yet"):
        tiny_session.to_html(tmp_path / "page.html")
    assert not (tmp_path / "page.html").exists()


def test_to_html_writes_map_names_neighbors_and_results(analysed_session, tmp_path):
    path = analysed_session.to_html(tmp_path / "page.html", title="Tiny", n_neighbors=3)
    data = _data(path)
    assert data["title"] == "Tiny"
    assert data["n"] == 32
    assert data["labels"][:2] == ["obj-00", "obj-01"]
    x = np.frombuffer(base64.b64decode(data["x"]), "<f4")
    np.testing.assert_allclose(x, analysed_session.tsne_coordinates[:, 0], rtol=1e-6)
    found = np.frombuffer(base64.b64decode(data["neighbors"]), "<i4").reshape(32, 3)
    assert found[5].tolist() == analysed_session.neighbors(5, k=3)["index"].tolist()
    assert {"index", "OBJECT", "tsne_x", "cluster", "anomaly_score"} <= set(data["columns"])
    assert "embedding" not in data["columns"]
    assert [c["name"] for c in data["colors"]][:2] == ["cluster", "anomaly_score"]
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        analysed_session.to_html(path)


def test_to_html_checks_n_neighbors(analysed_session, tmp_path):
    with pytest.raises(ValueError, match="'n_neighbors' parameter of Session.to_html"):
        analysed_session.to_html(tmp_path / "page.html", n_neighbors=0)


def test_to_html_shows_bytes_that_are_not_utf8_readably(analysed_session, tmp_path):
    analysed_session.meta["raw"] = [b"caf\xe9" if i % 2 else b"ok" for i in range(32)]
    page = analysed_session.to_html(tmp_path / "map.html").read_text(encoding="utf-8")
    assert '"caf\\\\xe9"' in page
