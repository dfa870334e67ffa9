"""A hostile OBJECT keyword from a FITS header is shown as text, never run as HTML."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from astropy.io import fits

from astromorph_nb import Session

matplotlib.use("Agg")

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def hostile_session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(0)
    for i in range(12):
        hdu = fits.PrimaryHDU(rng.normal(size=(16, 16)).astype(np.float32))
        hdu.header["OBJECT"] = HOSTILE if i == 0 else f"galaxy {i}"
        hdu.writeto(folder / f"img{i}.fits")
    session = Session.from_fits(
        folder, session_options={"random_state": 0, "device": "cpu", "model": "small"}
    )
    session.analyse(perplexity=2.0, n_clusters=2)
    return session


def test_object_keyword_is_read_verbatim(hostile_session):
    assert hostile_session.meta["OBJECT"][0] == HOSTILE


def test_to_html_escapes_object_keyword(hostile_session, tmp_path):
    page = hostile_session.to_html(tmp_path / "map.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "alert(1)" in page  # the label is still there, as escaped data shown as text


def test_explorer_details_escape_object_keyword(hostile_session):
    pytest.importorskip("ipywidgets")
    from astromorph_nb.widgets.explorer import EmbeddingExplorer

    details = EmbeddingExplorer(hostile_session)._details_html(0)
    assert "<script>" not in details
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in details


def test_figure_titles_show_object_keyword_as_plain_text(hostile_session):
    import matplotlib.pyplot as plt

    figure = hostile_session.plot_anomalies(n=12)
    try:
        texts = [t for ax in figure.axes for t in (ax.title, *ax.texts)]
        shown = [t for t in texts if HOSTILE in t.get_text()]
        assert shown, [t.get_text() for t in texts]
        for text in shown:
            assert text.get_text().endswith(f"\n{HOSTILE}")  # verbatim, not interpreted
            assert not text.get_usetex()
        figure.canvas.draw()  # renders (no mathtext parse error on the raw text)
    finally:
        plt.close(figure)
