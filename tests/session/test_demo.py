from __future__ import annotations

import pytest
from astropy.table import Table

from astromorph_nb import OutputExistsError, Session
from astromorph_nb.cli import main
from astromorph_nb.demo import run_demo


def test_demo_writes_session_table_figures_and_summary(tmp_path):
    result = run_demo(tmp_path / "demo", minutes=None, n_epochs=1, device="cpu")
    folder = tmp_path / "demo"
    assert (folder / "summary.txt").read_text().startswith("astromorph-nb demo")
    assert "index.html" in (folder / "summary.txt").read_text()
    assert folder / "index.html" in result.files
    assert "createMapView" in (folder / "index.html").read_text(encoding="utf-8")
    figures = sorted(p.name for p in (folder / "figures").iterdir())
    assert "map_clusters.png" in figures
    assert "loss.pdf" in figures
    assert len(figures) == 14
    table = Table.read(folder / "objects.fits")
    assert len(table) == result.session.n_images == 285
    loaded = Session.load(folder / "session", device="cpu")
    assert loaded.tsne_coordinates.shape == (285, 2)
    with pytest.raises(OutputExistsError, match="--overwrite"):
        run_demo(folder, n_epochs=1)


def test_demo_refuses_to_replace_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(OutputExistsError, match="was not made by the demo"):
        run_demo(tmp_path, n_epochs=1, overwrite=True)
    assert (tmp_path / "mine.txt").exists()


def test_cli_demo_runs_with_a_tiny_budget(tmp_path, capsys):
    out = tmp_path / "cli-demo"
    assert main(["demo", "--output", str(out), "--minutes", "0.05", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "most unusual" in printed
    assert (out / "session" / "session.json").is_file()
    assert main(["demo", "--output", str(out), "--minutes", "0.05"]) == 1
    assert "--overwrite" in capsys.readouterr().err
