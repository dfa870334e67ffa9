from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from astropy import units as u
from astropy.table import Column, MaskedColumn, QTable, Table
from astropy.time import Time

from astromorph_nb.exceptions import (
    AstromorphWarning,
    DataNotFoundError,
    InvalidFileError,
    OutputExistsError,
)
from astromorph_nb.io.store import session_folder as session_store
from astromorph_nb.io.store.session_folder import (
    FORMAT_VERSION,
    MMAP_MIN_BYTES,
    SessionFiles,
    read_session_folder,
    write_session_folder,
)


class Handle:
    """A custom class: pickling it stores code references."""


def metadata() -> Table:
    table = Table()
    table["OBJECT"] = MaskedColumn(["NGC 1068 – Seyfert", "M 87", ""], mask=[False, False, True])
    table["file"] = ["a.fits", "b.fits", "c.fits"]
    table["is_merger"] = [True, False, True]
    table["is_edge"] = MaskedColumn([True, False, True], mask=[False, True, False])
    table["n_blank"] = MaskedColumn(np.array([1, 2, 3], dtype=np.int8), mask=[0, 1, 0])
    table["flux"] = MaskedColumn([1.5, np.nan, 3.5], mask=[True, False, False], unit="Jy/beam")
    table["flux"].info.description = "total flux"
    table["half"] = np.array([0.5, 1.5, 2.5], dtype=np.float16)
    table["bands"] = np.array([["g", "r"], ["i", "ż"], ["", "y"]])
    table["xy"] = MaskedColumn(np.arange(6.0).reshape(3, 2, 1), mask=[[[0], [1]]] * 3)
    table["raw"] = np.array([b"ab", b"c", b""])
    table.meta["settings"] = {"image_size": 64, "hdu": "SCI", "bands": ["g", "r"]}
    table.meta["note"] = "réduit"
    return table


def session_files() -> SessionFiles:
    return SessionFiles(
        info={"version": "0.1", "status": "trained", "config": {"n_epochs": 3, "lr": 1e-3}},
        arrays={
            "embeddings": np.arange(12, dtype=np.float32).reshape(3, 4),
            "cluster_labels": np.array([0, -1, 2]),
            "loss_steps": np.array([], dtype=np.int64),
            "names": np.array(["a", "β"]),
        },
        meta=metadata(),
        state={"model": {"weight": torch.arange(4.0)}, "step": 7, "history": [0.5, 0.25]},
    )


def assert_tables_equal(actual: Table, expected: Table) -> None:
    assert actual.colnames == expected.colnames
    assert dict(actual.meta) == dict(expected.meta)
    for name in expected.colnames:
        a, e = actual[name], expected[name]
        assert type(a) is type(e), name
        assert a.dtype == e.dtype, name
        assert a.shape == e.shape, name
        assert a.unit == e.unit, name
        assert a.info.description == e.info.description, name
        np.testing.assert_array_equal(np.ma.getdata(a), np.ma.getdata(e), err_msg=name)
        np.testing.assert_array_equal(np.ma.getmaskarray(a), np.ma.getmaskarray(e), err_msg=name)


def test_round_trip_is_exact(tmp_path):
    files = session_files()
    path = write_session_folder(tmp_path / "run", files)
    loaded = read_session_folder(path)
    assert loaded.info == files.info
    assert loaded.arrays.keys() == files.arrays.keys()
    for name, array in files.arrays.items():
        assert loaded.arrays[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded.arrays[name], array)
    assert_tables_equal(loaded.meta, files.meta)
    torch.testing.assert_close(loaded.state["model"]["weight"], torch.arange(4.0))
    assert loaded.state["step"] == 7
    assert loaded.state["history"] == [0.5, 0.25]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_layout_on_disk(tmp_path):
    path = write_session_folder(tmp_path / "run", session_files())
    assert sorted(p.name for p in path.iterdir()) == [
        "cluster_labels.npy",
        "embeddings.npy",
        "loss_steps.npy",
        "meta.fits",
        "names.npy",
        "session.json",
        "state.pt",
    ]
    payload = json.loads((path / "session.json").read_text(encoding="utf-8"))
    assert payload["format_version"] == FORMAT_VERSION
    assert payload["arrays"] == ["embeddings", "cluster_labels", "loss_steps", "names"]
    assert payload["info"]["status"] == "trained"


def test_numpy_scalars_in_info_become_numbers(tmp_path):
    files = SessionFiles({"step": np.int64(3), "loss": np.float32(0.5)}, {}, Table())
    loaded = read_session_folder(write_session_folder(tmp_path / "run", files))
    assert loaded.info == {"step": 3, "loss": 0.5}
    assert len(loaded.meta.colnames) == 0
    assert loaded.state is None


def test_empty_metadata_columns_keep_their_dtype(tmp_path):
    meta = Table({"name": np.array([], dtype="U5"), "xy": np.zeros((0, 2))})
    loaded = read_session_folder(write_session_folder(tmp_path / "run", SessionFiles({}, {}, meta)))
    assert_tables_equal(loaded.meta, meta)


def test_mixin_columns_are_saved_as_ecsv(tmp_path):
    meta = QTable({"t": Time([60000.0, 60001.0], format="mjd"), "r": [1.0, 2.0] * u.arcsec})
    path = write_session_folder(tmp_path / "run", SessionFiles({}, {}, meta))
    assert (path / "meta.ecsv").is_file()
    loaded = read_session_folder(path).meta
    assert isinstance(loaded, QTable)
    assert loaded["t"].mjd.tolist() == [60000.0, 60001.0]
    assert loaded["r"].to_value(u.arcsec).tolist() == [1.0, 2.0]


def test_big_arrays_are_memory_mapped(tmp_path):
    big = np.zeros(MMAP_MIN_BYTES // 4, dtype=np.float32)
    files = SessionFiles({}, {"big": big, "small": np.ones(3)}, Table())
    path = write_session_folder(tmp_path / "run", files)
    loaded = read_session_folder(path)
    assert isinstance(loaded.arrays["big"], np.memmap)
    assert not loaded.arrays["big"].flags.writeable
    assert not isinstance(loaded.arrays["small"], np.memmap)
    assert not isinstance(read_session_folder(path, mmap=False).arrays["big"], np.memmap)


def test_existing_session_is_replaced_only_with_overwrite(tmp_path):
    path = write_session_folder(tmp_path / "run", session_files())
    newer = SessionFiles({"status": "new"}, {"scores": np.ones(2)}, Table())
    with pytest.raises(OutputExistsError, match="A saved session exists already.*overwrite=True"):
        write_session_folder(path, newer)
    assert read_session_folder(path).info["status"] == "trained"
    write_session_folder(path, newer, overwrite=True)
    loaded = read_session_folder(path)
    assert loaded.info == {"status": "new"}
    assert list(loaded.arrays) == ["scores"]
    assert not (path / "embeddings.npy").exists()  # nothing stale from the old session
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary folders


def test_non_session_folder_is_never_replaced(tmp_path):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("precious")
    with pytest.raises(OutputExistsError, match="is not a saved session.*even with overwrite"):
        write_session_folder(folder, session_files(), overwrite=True)
    (tmp_path / "notes.txt").write_text("precious")
    with pytest.raises(OutputExistsError, match="is not a saved session"):
        write_session_folder(tmp_path / "notes.txt", session_files(), overwrite=True)
    assert (folder / "chapter1.tex").read_text() == "precious"
    assert (tmp_path / "notes.txt").read_text() == "precious"


def test_session_folder_with_foreign_files_is_not_replaced(tmp_path):
    path = write_session_folder(tmp_path / "run", session_files())
    (path / "my_notes.txt").write_text("precious")
    with pytest.raises(OutputExistsError, match=r"also holds files .*'my_notes\.txt'"):
        write_session_folder(path, session_files(), overwrite=True)
    assert (path / "my_notes.txt").read_text() == "precious"


def test_empty_folder_is_used(tmp_path):
    (tmp_path / "run").mkdir()
    path = write_session_folder(tmp_path / "run", session_files())
    assert read_session_folder(path).info["status"] == "trained"


def test_crash_while_writing_keeps_the_previous_session(tmp_path, monkeypatch):
    path = write_session_folder(tmp_path / "run", session_files())
    real_save = np.save
    calls = []

    def crash_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_save(*args, **kwargs)

    monkeypatch.setattr(np, "save", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        write_session_folder(path, session_files(), overwrite=True)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert_tables_equal(read_session_folder(path).meta, metadata())


def test_crash_when_moving_in_restores_the_previous_session(tmp_path, monkeypatch):
    path = write_session_folder(tmp_path / "run", session_files())
    real_replace = type(path).replace

    def fail_moving_in(self, target):
        if self.name.startswith(".run.tmp-"):
            msg = "disk gone"
            raise OSError(msg)
        return real_replace(self, target)

    monkeypatch.setattr(type(path), "replace", fail_moving_in)
    with pytest.raises(OSError, match="disk gone"):
        write_session_folder(path, session_files(), overwrite=True)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert read_session_folder(path).info["status"] == "trained"


def test_pickled_code_in_state_is_refused(tmp_path):
    path = write_session_folder(tmp_path / "run", session_files())
    torch.save({"model": Handle()}, path / "state.pt")
    with pytest.raises(InvalidFileError, match="contains pickled Python code.*never executed"):
        read_session_folder(path)


def test_state_that_cannot_be_loaded_safely_is_not_written(tmp_path):
    files = SessionFiles({}, {}, Table(), state={"model": Handle()})
    with pytest.raises(TypeError, match="state holds Python objects .* model.state_dict"):
        write_session_folder(tmp_path / "run", files)
    assert list(tmp_path.iterdir()) == []


def test_invalid_inputs_are_explained(tmp_path):
    objects = np.array([{"a": 1}, None], dtype=object)
    with pytest.raises(TypeError, match="Array 'bad' .* holds Python objects"):
        write_session_folder(tmp_path / "r", SessionFiles({}, {"bad": objects}, Table()))
    with pytest.raises(ValueError, match=r"Invalid array name '\.\./x'"):
        write_session_folder(tmp_path / "r", SessionFiles({}, {"../x": np.ones(1)}, Table()))
    with pytest.raises(TypeError, match="info cannot be stored as JSON.*Handle"):
        write_session_folder(tmp_path / "r", SessionFiles({"h": Handle()}, {}, Table()))
    dates = Table({"when": np.array(["2024-01-01"], dtype="datetime64[D]")})
    with pytest.raises(TypeError, match="Column 'when' .* dtype datetime64"):
        write_session_folder(tmp_path / "r", SessionFiles({}, {}, dates))
    with pytest.raises(TypeError, match="must be a SessionFiles; got dict"):
        write_session_folder(tmp_path / "r", {"info": {}})
    assert list(tmp_path.iterdir()) == []


def test_meta_that_cannot_be_saved_is_left_out_with_a_warning(tmp_path):
    meta = Table({"a": [1]}, meta={"ok": 1, "handle": Handle()})
    with pytest.warns(AstromorphWarning, match="1 table meta entries cannot be saved.*'handle'"):
        path = write_session_folder(tmp_path / "run", SessionFiles({}, {}, meta))
    assert read_session_folder(path).meta.meta == {"ok": 1}


def test_missing_folder_and_non_sessions(tmp_path):
    with pytest.raises(DataNotFoundError, match="No saved session at .*nowhere"):
        read_session_folder(tmp_path / "nowhere")
    with pytest.raises(InvalidFileError, match="is not a saved session: it has no session.json"):
        read_session_folder(tmp_path)


def test_newer_format_and_damage_are_reported(tmp_path):
    path = write_session_folder(tmp_path / "run", session_files())
    info = path / "session.json"
    payload = json.loads(info.read_text(encoding="utf-8"))
    info.write_text(json.dumps({**payload, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(InvalidFileError, match="saved by a newer astromorph_nb.*pip install"):
        read_session_folder(path)
    info.write_text(json.dumps(payload))
    (path / "names.npy").unlink()
    with pytest.raises(InvalidFileError, match="is damaged: names.npy is missing"):
        read_session_folder(path)
    info.write_text("{not json")
    with pytest.raises(InvalidFileError, match="is damaged: cannot read session.json"):
        read_session_folder(path)


def test_metadata_columns_are_plain_astropy_columns(tmp_path):
    meta = Table({"a": Column([1, 2], format="%03d", meta={"origin": "catalog"})})
    loaded = read_session_folder(write_session_folder(tmp_path / "run", SessionFiles({}, {}, meta)))
    assert loaded.meta["a"].info.format == "%03d"
    assert loaded.meta["a"].info.meta == {"origin": "catalog"}
    assert session_store.__all__[0] == "FORMAT_VERSION"


def test_text_that_is_not_utf8_round_trips_exactly(tmp_path):
    name = "gal\udce9.fits"  # how Python reads the file name b"gal\xe9.fits"
    files = SessionFiles(
        info={"source": name},
        arrays={},
        meta=Table({"file": [name, "b.fits"], "raw": [b"caf\xe9", b"ok"]}),
    )
    files.meta.meta["origin"] = name
    loaded = read_session_folder(write_session_folder(tmp_path / "run", files))
    assert loaded.info == {"source": name}
    assert list(loaded.meta["file"]) == [name, "b.fits"]
    assert np.asarray(loaded.meta["raw"]).tolist() == [b"caf\xe9", b"ok"]
    assert loaded.meta.meta["origin"] == name
    json.loads((tmp_path / "run" / "session.json").read_text(encoding="utf-8"))


def edit_info(folder, **changes) -> None:
    info_file = folder / "session.json"
    payload = json.loads(info_file.read_text(encoding="utf-8"))
    payload.update(changes)
    info_file.write_text(json.dumps(payload), encoding="utf-8")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"arrays": ["../outside/secret"]}, r"arrays\[0\]"),
        ({"arrays": ["/etc/passwd"]}, r"arrays\[0\]"),
        ({"arrays": "embeddings"}, "'arrays'"),
        ({"meta_file": "../outside/meta.fits"}, "meta_file"),
        ({"meta_file": "/tmp/meta.fits"}, "meta_file"),
        ({"meta_class": "Column"}, "meta_class"),
        ({"has_state": "yes"}, "has_state"),
        ({"info": [1, 2]}, "'info'"),
    ],
)
def test_names_that_leave_the_folder_are_refused(tmp_path, changes, field):
    outside = tmp_path / "outside"
    outside.mkdir()
    np.save(outside / "secret.npy", np.arange(3))
    folder = write_session_folder(tmp_path / "run", session_files())
    edit_info(folder, **changes)
    with pytest.raises(InvalidFileError, match=field):
        read_session_folder(folder)


@pytest.mark.parametrize("name", ["embeddings.npy", "meta.fits", "state.pt"])
def test_symlinks_out_of_the_folder_are_refused(tmp_path, name):
    folder = write_session_folder(tmp_path / "run", session_files())
    outside = tmp_path / f"outside-{name}"
    (folder / name).replace(outside)
    try:
        (folder / name).symlink_to(outside)
    except OSError:
        pytest.skip("this file system has no symbolic links")
    with pytest.raises(InvalidFileError, match="symbolic link"):
        read_session_folder(folder)


def test_npy_header_that_declares_more_than_the_file_holds_is_refused(tmp_path):
    folder = write_session_folder(tmp_path / "run", session_files())
    file = folder / "embeddings.npy"
    header = np.lib.format.header_data_from_array_1_0(np.zeros((3, 4), np.float32))
    header["shape"] = (250_000_000, 4)
    with file.open("wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        handle.write(np.zeros((3, 4), np.float32).tobytes())
    with pytest.raises(InvalidFileError, match=r"embeddings.npy declares .*\(250000000, 4\)"):
        read_session_folder(folder)


def rewrite_schema(folder, change) -> None:
    from astropy.io import fits
    from astropy.io.misc import yaml as astropy_yaml

    with fits.open(folder / "meta.fits") as hdus:
        schema = astropy_yaml.load(hdus["SCHEMA"].data.tobytes().decode())
        change(schema)
        text = astropy_yaml.dump(schema).encode()
        new = fits.HDUList([hdu.copy() for hdu in hdus[:2]])
    new.append(fits.ImageHDU(np.frombuffer(text, np.uint8), name="SCHEMA"))
    new.writeto(folder / "meta.fits", overwrite=True)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda s: s.update(n_rows=10_000_000_000), "n_rows 10000000000"),
        (lambda s: s["columns"][4].update(shape=[10_000_000_000]), "far more than"),
        (lambda s: s["columns"][1].update(dtype="<U1000000000"), "dtype"),
        (lambda s: s["columns"][0].update(dtype="O"), "dtype"),
        (lambda s: s["columns"][0].pop("name"), "keys"),
        (lambda s: s.pop("columns"), "'columns' list"),
    ],
)
def test_metadata_schema_sizes_are_checked_before_allocating(tmp_path, change, match):
    folder = write_session_folder(tmp_path / "run", session_files())
    rewrite_schema(folder, change)
    with pytest.raises(InvalidFileError, match=match):
        read_session_folder(folder)
