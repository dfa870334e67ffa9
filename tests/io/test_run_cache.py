from __future__ import annotations

from pathlib import Path

import pytest

from astromorph_nb.io.fits.run_cache import run_cache


def test_without_a_cache_folder_nothing_is_made():
    with run_cache(None) as folder:
        assert folder is None


def test_the_run_folder_goes_and_what_was_there_stays(tmp_path):
    (tmp_path / "mine.f32").write_bytes(b"keep")
    with run_cache(tmp_path) as folder:
        assert folder is not None
        (tmp_path / "theirs.f32").write_bytes(b"written meanwhile")
        (tmp_path / folder / "imageset.images.f32").write_bytes(b"run")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mine.f32", "theirs.f32"]


def interrupted_run(cache_dir):
    with run_cache(cache_dir) as folder:
        (Path(folder) / "imageset.images.f32").write_bytes(b"run")
        raise KeyboardInterrupt


def test_folders_made_for_the_run_are_removed_after_an_error(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        interrupted_run(tmp_path / "scratch" / "cache")
    assert list(tmp_path.iterdir()) == []


def test_a_made_folder_that_others_filled_meanwhile_stays(tmp_path):
    with run_cache(tmp_path / "scratch" / "cache"):
        (tmp_path / "scratch" / "notes.txt").write_text("mine")
    assert [path.name for path in (tmp_path / "scratch").iterdir()] == ["notes.txt"]
