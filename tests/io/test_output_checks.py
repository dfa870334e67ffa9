from __future__ import annotations

import importlib.util
import os

import pytest

from astromorph_nb import OutputExistsError
from astromorph_nb.io.export.output_checks import (
    OutputNotWritableError,
    check_file_target,
    check_table_target,
    check_writable_parent,
)


def test_a_new_file_in_folders_yet_to_be_made_may_be_written(tmp_path):
    target = tmp_path / "a" / "b" / "run.checkpoint.pt"
    assert check_file_target(target, overwrite=False) == target
    assert not (tmp_path / "a").exists()  # nothing is created


def test_an_existing_file_needs_overwrite(tmp_path):
    (tmp_path / "t.csv").write_text("old")
    with pytest.raises(OutputExistsError, match=r"t\.csv' exists already.*allow overwriting"):
        check_table_target(tmp_path / "t.csv", overwrite=False)
    assert check_table_target(tmp_path / "t.csv", overwrite=True) == tmp_path / "t.csv"


def test_a_folder_where_a_file_goes_is_refused_even_with_overwrite(tmp_path):
    (tmp_path / "t.fits").mkdir()
    with pytest.raises(OutputExistsError, match=r"t\.fits' is a folder, where a file is to be"):
        check_table_target(tmp_path / "t.fits", overwrite=True)


def test_a_file_in_the_way_of_the_folders_is_refused(tmp_path):
    (tmp_path / "runs").write_text("not a folder")
    with pytest.raises(OutputNotWritableError, match=r"runs' is a file, where a folder is"):
        check_writable_parent(tmp_path / "runs" / "galaxies" / "run")


def test_a_folder_that_may_not_be_written_is_refused(tmp_path, monkeypatch):
    access = os.access

    def no_write_in_tmp_path(path, mode):
        return access(path, mode) and not (
            os.fspath(path) == os.fspath(tmp_path) and mode & os.W_OK
        )

    monkeypatch.setattr(os, "access", no_write_in_tmp_path)
    with pytest.raises(OutputNotWritableError, match=r"the folder .* is not writable by you"):
        check_file_target(tmp_path / "new" / "run.csv", overwrite=False)


def test_an_unknown_table_ending_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"'t\.xlsx' is not a table file name.*got '\.xlsx'"):
        check_table_target(tmp_path / "t.xlsx", overwrite=False)


def test_parquet_without_pyarrow_is_refused(tmp_path, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "pyarrow" else find_spec(name)
    )
    with pytest.raises(ImportError, match="needs pyarrow. Install it: pip install pyarrow"):
        check_table_target(tmp_path / "t.parquet", overwrite=False)
