from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import MaskedColumn, Table

from astromorph_nb.exceptions import AstromorphWarning, DataNotFoundError, OutputExistsError
from astromorph_nb.io.export.tables import TABLE_FORMATS, read_table, write_table

NAMES = ["NGC 1068 – Seyfert", "M 87", "Ωmega"]


def results_table() -> Table:
    table = Table()
    table["name"] = NAMES
    table["is_merger"] = [True, False, True]
    table["n_blank"] = MaskedColumn([1, 2, 3], mask=[False, True, False])
    table["flux"] = MaskedColumn([1.5, 2.5, 3.5], mask=[True, False, False])
    table["label"] = MaskedColumn(["spiral", "bar", "ring"], mask=[False, True, False])
    table["is_edge"] = MaskedColumn([True, False, True], mask=[False, True, False])
    table["embedding"] = np.arange(3 * 12, dtype=np.float32).reshape(3, 12)
    table["coordinates"] = np.array([[0.5, -1.0], [2.0, 3.25], [4.0, 5.0]])
    table.meta["image_size"] = 64
    table.meta["EXPTIME"] = 30.0
    return table


def read_back(path: Path) -> Table:
    kwargs = {"encoding": "utf-8"} if path.suffix in (".csv", ".ecsv") else {}
    return Table.read(path, **kwargs)


def assert_masked(column, expected_mask) -> None:
    assert np.ma.getmaskarray(column).tolist() == expected_mask


@pytest.mark.parametrize("name", ["results.fits", "results.FIT", "results.fits.gz", "r.ecsv"])
def test_fits_and_ecsv_keep_multidim_columns_and_masks(tmp_path, name):
    path = write_table(results_table(), tmp_path / name)
    table = read_back(path)
    assert table.colnames == results_table().colnames
    assert [str(value) for value in table["name"]] == NAMES
    assert table["is_merger"].tolist() == [True, False, True]
    assert table["embedding"].shape == (3, 12)
    np.testing.assert_array_equal(table["embedding"], results_table()["embedding"])
    np.testing.assert_array_equal(table["coordinates"], results_table()["coordinates"])
    assert_masked(table["n_blank"], [False, True, False])
    assert_masked(table["flux"], [True, False, False])
    assert_masked(table["label"], [False, True, False])
    assert_masked(table["is_edge"], [False, True, False])
    assert table["n_blank"][2] == 3
    assert table["flux"][1] == 2.5
    assert table.meta["image_size"] == 64
    assert table.meta["EXPTIME"] == 30.0


@pytest.mark.parametrize("name", ["results.csv", "results.PARQUET"])
def test_csv_and_parquet_split_multidim_columns(tmp_path, name):
    path = write_table(results_table(), tmp_path / name)
    table = read_back(path)
    expected = [f"embedding_{i:02d}" for i in range(12)] + ["coordinates_0", "coordinates_1"]
    assert table.colnames == results_table().colnames[:6] + expected
    assert table["name"].tolist() == NAMES
    assert table["embedding_11"].tolist() == [11.0, 23.0, 35.0]
    assert table["coordinates_1"].tolist() == [-1.0, 3.25, 5.0]
    assert_masked(table["n_blank"], [False, True, False])
    assert_masked(table["flux"], [True, False, False])
    assert_masked(table["label"], [False, True, False])
    assert_masked(table["is_edge"], [False, True, False])
    assert [str(value) for value in table["is_merger"]] == ["True", "False", "True"]


def test_split_names_are_padded_to_the_largest_index(tmp_path):
    table = Table({"embedding": np.zeros((2, 128), dtype=np.float32)})
    names = read_back(write_table(table, tmp_path / "e.csv")).colnames
    assert names[0] == "embedding_000"
    assert names[-1] == "embedding_127"
    assert len(names) == 128


def test_csv_writes_masked_values_as_empty_fields(tmp_path):
    table = Table({"n": MaskedColumn([1, 2], mask=[True, False]), "x": [0.5, 1.5]})
    path = write_table(table, tmp_path / "m.csv")
    assert path.read_text(encoding="utf-8").splitlines() == ["n,x", ",0.5", "2,1.5"]


def test_read_table_decodes_fits_text_as_utf8(tmp_path):
    path = write_table(results_table(), tmp_path / "results.fits")
    table = read_table(path)
    assert table["name"].dtype.kind == "U"
    assert table["name"].tolist() == NAMES
    assert read_table(write_table(results_table(), tmp_path / "r.ecsv"))["name"].tolist() == NAMES


def test_fits_keeps_ascii_text_standard(tmp_path):
    table = Table({"OBJECT": ["M 87", "M 31"]})
    path = write_table(table, tmp_path / "ascii.fits")
    with fits.open(path) as hdul:
        assert hdul[1].columns["OBJECT"].format == "4A"
        assert hdul[1].data["OBJECT"].tolist() == ["M 87", "M 31"]


def test_fits_stores_meta_it_can_and_warns_about_the_rest(tmp_path):
    table = Table({"a": [1]})
    table.meta.update(
        {
            "settings": {"hdu": "SCI", "image_size": 64},
            "comments": ["trained with astromorph_nb"],
            "TTYPE1": "clash",
            "note": "café",
            "handle": object(),
        }
    )
    with pytest.warns(AstromorphWarning, match="3 table meta entries .* 'TTYPE1', 'note'"):
        path = write_table(table, tmp_path / "m.fits")
    meta = read_back(path).meta
    assert meta["settings"] == '{"hdu": "SCI", "image_size": 64}'
    assert meta["comments"] == ["trained with astromorph_nb"]
    assert read_back(path)["a"].tolist() == [1]


def test_ecsv_leaves_out_meta_yaml_cannot_hold(tmp_path):
    table = Table({"a": [1]}, meta={"settings": {"n_epochs": 3}, "handle": object()})
    with pytest.warns(AstromorphWarning, match="1 table meta entries .*'handle'"):
        path = write_table(table, tmp_path / "m.ecsv")
    assert read_back(path).meta == {"settings": {"n_epochs": 3}}


def test_csv_drops_meta_without_warning(tmp_path):
    table = Table({"a": [1]}, meta={"handle": object()})
    path = write_table(table, tmp_path / "m.csv")
    assert path.read_text(encoding="utf-8").splitlines() == ["a", "1"]


def test_existing_file_is_kept_unless_overwrite(tmp_path):
    path = write_table(Table({"a": [1]}), tmp_path / "t.ecsv")
    with pytest.raises(OutputExistsError, match=r"t\.ecsv' exists already.*overwrite=True"):
        write_table(Table({"a": [2]}), path)
    assert read_back(path)["a"].tolist() == [1]
    write_table(Table({"a": [2]}), path, overwrite=True)
    assert read_back(path)["a"].tolist() == [2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.ecsv"]


def test_folder_target_is_refused(tmp_path):
    (tmp_path / "t.csv").mkdir()
    with pytest.raises(OutputExistsError, match="is a folder, not a file"):
        write_table(Table({"a": [1]}), tmp_path / "t.csv", overwrite=True)


def test_unknown_extension_lists_supported_formats(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown table format.*\.csv, \.ecsv, .*got '\.xlsx'"):
        write_table(Table({"a": [1]}), tmp_path / "t.xlsx")
    with pytest.raises(ValueError, match="got 'no extension'"):
        read_table(tmp_path / "table")


def test_split_name_clash_is_an_error(tmp_path):
    table = Table({"xy": [[1, 2]], "xy_0": [3]})
    with pytest.raises(ValueError, match="the name 'xy_0' is taken"):
        write_table(table, tmp_path / "t.csv")


def test_non_table_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="must be an astropy Table; got dict"):
        write_table({"a": [1]}, tmp_path / "t.csv")


def test_parquet_without_pyarrow_says_how_to_install(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name)
    )
    with pytest.raises(ImportError, match="pip install pyarrow"):
        write_table(Table({"a": [1]}), tmp_path / "t.parquet")


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = write_table(Table({"a": [1]}), tmp_path / "t.fits")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Table, "write", crash)
    with pytest.raises(KeyboardInterrupt):
        write_table(Table({"a": [2]}), path, overwrite=True)
    monkeypatch.undo()
    assert read_back(path)["a"].tolist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["t.fits"]


def test_read_table_of_missing_file(tmp_path):
    with pytest.raises(DataNotFoundError, match="No table at .*none.csv"):
        read_table(tmp_path / "none.csv")


def test_table_formats_are_lower_case_extensions():
    assert all(ext == ext.lower() and ext.startswith(".") for ext in TABLE_FORMATS)
    assert set(TABLE_FORMATS.values()) == {"fits", "ascii.ecsv", "ascii.csv", "parquet"}


@pytest.mark.parametrize("name", ["t.csv", "t.ecsv", "t.fits", "t.parquet"])
def test_text_that_is_not_utf8_is_written_readably(tmp_path, name):
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    table = Table({"file": ["gal\udce9.fits", "b.fits"], "raw": [b"caf\xe9", b"ok"]})
    table.meta["origin"] = "gal\udce9.fits"
    back = read_table(write_table(table, tmp_path / name))
    assert [str(v) for v in back["file"]] == ["gal\\xe9.fits", "b.fits"]
    assert [v.decode() if isinstance(v, bytes) else str(v) for v in back["raw"]] == [
        "caf\\xe9",
        "ok",
    ]
    assert list(table["file"]) == ["gal\udce9.fits", "b.fits"]  # the caller's table is kept
