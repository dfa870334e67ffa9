from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import numpy as np
from astropy.io import fits

from astromorph_nb.cli import main


def test_sample_prints_a_summary_of_the_bundled_data(capsys, tmp_path):
    assert main(["sample", "--write-fits", str(tmp_path / "xdf")]) == 0
    out = capsys.readouterr().out
    assert "Hubble eXtreme Deep Field" in out
    n_images = int(out.split("images     : ")[1].split()[0])
    assert n_images >= 200
    assert len(list((tmp_path / "xdf").glob("*.fits"))) == n_images


def test_inspect_reports_read_and_skipped_files(capsys, example_fits_dir):
    (example_fits_dir / "broken.fits").write_bytes(b"not fits" * 400)
    assert main(["inspect", str(example_fits_dir), "--image-size", "16"]) == 0
    captured = capsys.readouterr()
    assert "Read 6 images" in captured.out
    assert "6 of 1×16×16" in captured.out
    assert "skipped    : 1 inputs" in captured.out
    assert "broken.fits' is not a readable FITS file" in captured.out
    assert "warning: 1 of 7 inputs were skipped" in captured.err


def test_errors_of_ours_exit_1_with_one_line(capsys, tmp_path):
    fits.PrimaryHDU(np.ones((8, 8, 8), dtype=np.float32)).writeto(tmp_path / "cube.fits")
    assert main(["inspect", str(tmp_path / "cube.fits"), "--on-error", "raise"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("astromorph-nb: error: ")
    assert "Pass cube_mode= with one of" in err
    assert err.count("\n") == 1


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "astromorph_nb", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("astromorph-nb ")


# -- train, embed, export, info ---------------------------------------------------------

import pytest  # noqa: E402
from astropy.table import Table  # noqa: E402

import astromorph_nb as amn  # noqa: E402
from astromorph_nb import Session  # noqa: E402
from astromorph_nb.io.store.checkpoints import load_checkpoint  # noqa: E402

SEED_SETTINGS = """
datafile = "files.txt"
epochs = 1
network_name = "n_layer_resnet"
learning_rate = 1e-3
batch_size = 8
core_limit = 1
trained_network_name = "models/seed_net.pt"
export_to_csv = true

[network_settings]
last_layer = "layer1"

[byol_settings]
representation_size = 64
projection_size = 16
projection_hidden_size = 32
use_momentum = true
"""


@pytest.fixture
def fits_files(tmp_path):
    """14 synthetic 16×16 FITS images and a seed-style list file naming them."""
    images = amn.datasets.synthetic(n_per_class=2, image_size=16, random_state=0)
    paths = amn.write_fits(images, tmp_path / "fits", prefix="obj")
    (tmp_path / "files.txt").write_text("\n".join(str(p) for p in paths) + "\n")
    return paths


def write_config(tmp_path, **sections):
    settings = {
        "data": {"source": str(tmp_path / "fits")},
        "model": {"pretrained": False},
        "training": {"n_epochs": 2, "batch_size": 8, "random_state": 0, "device": "cpu"},
        "output": {"analyse": False, "folder": str(tmp_path / "runs" / "run")},
    }
    for name, values in sections.items():
        settings.setdefault(name, {}).update(values)
    lines = []
    for name, values in settings.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml(value)}" for key, value in values.items())
    path = tmp_path / "run.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value).replace("'", '"')
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


@pytest.fixture
def trained_folder(tmp_path, fits_files):
    """A saved, analysed session (trained one epoch through the Python API)."""
    session = Session.from_fits(
        tmp_path / "fits", session_options={"random_state": 0, "device": "cpu"}
    )
    session.train(n_epochs=1, batch_size=7).wait()
    session.embed()
    session.fit_tsne(perplexity=4.0, n_jobs=1)
    return session.save(tmp_path / "trained")


def test_train_writes_a_session_that_loads_and_exports(tmp_path, fits_files, capsys):
    config = write_config(
        tmp_path, output={"analyse": True, "export": ["csv"], "checkpoint_every_epochs": 1}
    )
    folder = tmp_path / "out" / "run"
    assert main(["train", str(config), "--output", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Read 14 images of 1×16×16" in out
    assert "Trained 2 steps" in out
    assert f"Session.load({str(folder)!r})" in out
    session = Session.load(folder)
    assert session.step == 2
    assert session.embeddings.shape == (14, 128)
    assert session.tsne_coordinates.shape == (14, 2)
    assert session.cluster_labels.shape == (14,)
    assert len(Table.read(tmp_path / "out" / "run.csv")) == 14
    assert load_checkpoint(tmp_path / "out" / "run.checkpoint.pt")["step"] == 2
    table = tmp_path / "objects.parquet"
    assert main(["export", str(folder), str(table)]) == 0
    assert f"Wrote {str(table)!r}" in capsys.readouterr().out
    exported = Table.read(table)
    assert len(exported) == 14
    assert {"file", "tsne_x", "anomaly_score", "embedding_000"} <= set(exported.colnames)


def test_train_accepts_a_seed_settings_file_and_warns_once_per_changed_key(
    tmp_path, fits_files, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seed.toml").write_text(SEED_SETTINGS)
    assert main(["train", "seed.toml"]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if line.startswith("warning: ")]
    keys = sorted(line.split()[1] for line in warned)
    assert keys == ["batch_size", "export_to_csv", "learning_rate", "trained_network_name"]
    assert "warning: batch_size in seed.toml: each step now processes 8 images" in err
    session = Session.load(tmp_path / "models" / "seed_net")
    assert session.step == 1
    assert session.model.n_features == 64  # resnet18 cut after layer1, as the seed's
    assert session.model.projector.out_features == 16
    assert len(Table.read(tmp_path / "models" / "seed_net.csv")) == 14


def test_train_reports_an_unknown_key_in_one_line(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('[data]\nsource = "x.fits"\n[training]\nn_epoch = 5\n')
    assert main(["train", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("astromorph-nb: error: Unknown key 'n_epoch' in [training] of run.toml")
    assert "Did you mean 'n_epochs'?" in err
    assert err.count("\n") == 1


def test_train_refuses_to_replace_outputs_without_overwrite(tmp_path, fits_files, capsys):
    config = write_config(tmp_path, output={"export": ["csv"]})
    (tmp_path / "out.csv").write_text("old")
    assert main(["train", str(config), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "The output " in err
    assert "exists already. Pass --overwrite to replace it" in err
    assert not (tmp_path / "out").exists()


def test_train_reports_a_broken_torchrun_environment(tmp_path, fits_files, capsys, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "first")
    assert main(["train", str(write_config(tmp_path))]) == 1
    assert "The environment variable RANK must be an int >= 0; got 'first'" in (
        capsys.readouterr().err
    )


def test_info_summarises_a_saved_session(trained_folder, capsys):
    assert main(["info", str(trained_folder)]) == 0
    out = capsys.readouterr().out
    assert "images     : 14 (stored)" in out
    assert "training   : 2 steps, status 'trained'" in out
    assert "last run   : 1 epochs, batch 7" in out
    assert "results    : embeddings 14×128, t-SNE map" in out
    assert "metadata   : file, hdu" in out


def test_embed_recomputes_the_embeddings_in_the_session(trained_folder, capsys):
    before = Session.load(trained_folder).embeddings
    assert main(["embed", str(trained_folder), "--embeddings-only"]) == 0
    assert "Updated the embeddings" in capsys.readouterr().out
    after = Session.load(trained_folder)
    np.testing.assert_allclose(after.embeddings, before, atol=1e-5)
    assert after.step == 2


def test_embed_new_files_writes_a_table_placed_in_the_map(trained_folder, fits_files, capsys):
    out = trained_folder.parent / "new.ecsv"
    data = [str(p) for p in fits_files[:3]]
    assert main(["embed", str(trained_folder), "--data", *data, "--output", str(out)]) == 0
    assert "Embedded 3 new images" in capsys.readouterr().out
    table = Table.read(out)
    assert len(table) == 3
    assert table["embedding"].shape == (3, 128)
    assert {"tsne_x", "tsne_y", "file"} <= set(table.colnames)
    np.testing.assert_allclose(
        table["embedding"], Session.load(trained_folder).embeddings[:3], atol=1e-5
    )


def test_embed_data_needs_an_output_table(trained_folder, capsys):
    with pytest.raises(SystemExit) as info:
        main(["embed", str(trained_folder), "--data", "x.fits"])
    assert info.value.code == 2
    assert "embed --data writes a table: give --output" in capsys.readouterr().err


def test_export_rejects_an_unknown_table_format(trained_folder, capsys):
    with pytest.raises(SystemExit) as info:
        main(["export", str(trained_folder), "objects.xlsx"])
    assert info.value.code == 2
    assert "expected a file ending in .csv, .ecsv, .fits, .parquet" in capsys.readouterr().err


def test_export_before_embedding_exits_1(tmp_path, capsys):
    session = Session.from_arrays(np.random.default_rng(0).random((6, 8, 8)), device="cpu")
    folder = session.save(tmp_path / "fresh")
    assert main(["export", str(folder), str(tmp_path / "x.csv")]) == 1
    assert capsys.readouterr().err.startswith("astromorph-nb: error: No embeddings yet.")


def test_train_refuses_a_batch_smaller_than_the_processes(
    tmp_path, fits_files, capsys, monkeypatch
):
    from astromorph_nb.train import distributed

    def sixteen_processes(device):
        return distributed.DistributedContext(0, 16, 0, "gloo")

    monkeypatch.setattr(distributed, "init_distributed", sixteen_processes)
    assert main(["train", str(write_config(tmp_path))]) == 1
    err = capsys.readouterr().err
    assert "The batch size (8 images per step) is smaller than the number of processes (16)" in err
    assert not (tmp_path / "runs").exists()


def test_embed_one_new_image_exits_1(trained_folder, fits_files, capsys):
    out = trained_folder.parent / "one.csv"
    assert (
        main(["embed", str(trained_folder), "--data", str(fits_files[0]), "--output", str(out)])
        == 1
    )
    assert "Only 1 image was read from --data" in capsys.readouterr().err


def test_train_reports_a_bad_count_in_data_in_one_line(tmp_path, fits_files, capsys):
    assert main(["train", str(write_config(tmp_path, data={"n_processes": 0}))]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "astromorph-nb: error: The 'n_processes' key in [data] of run.toml must be an int >= 1;"
        " got 0. Use 1"
    )
    assert err.count("\n") == 1


def _session_with_notes(run):
    from astromorph_nb.io import SessionFiles, write_session_folder

    write_session_folder(run, SessionFiles({}, {"embeddings": np.eye(2)}, Table({"a": [1, 2]})))
    (run / "notes.txt").write_text("mine")


def _folder_of_images(run):
    run.mkdir()
    (run / "a.fits").write_text("x")


def _file_for_the_parent(run):
    run.parent.rmdir()
    run.parent.write_text("x")


@pytest.mark.parametrize(
    ("prepare", "output", "match"),
    [
        (_session_with_notes, {}, r"also holds files that are not part of it \('notes.txt'\)"),
        (_folder_of_images, {}, r"exists and is not a saved session.*--output"),
        (
            lambda run: run.with_name("run.csv").mkdir(),
            {"export": ["csv"]},
            r"run\.csv' is a folder, where a file is to be written",
        ),
        (
            lambda run: run.with_name("run.checkpoint.pt").mkdir(),
            {"checkpoint_every_epochs": 1},
            r"run\.checkpoint\.pt' is a folder, where a file",
        ),
        (_file_for_the_parent, {}, r"out' is a file, where a folder is needed"),
    ],
    ids=["session-with-other-files", "not-a-session", "export-folder", "checkpoint-folder", "file"],
)
def test_train_overwrite_refuses_unwritable_outputs_before_training(
    tmp_path, fits_files, capsys, prepare, output, match
):
    run = tmp_path / "out" / "run"
    run.parent.mkdir()
    prepare(run)
    config = write_config(tmp_path, output=output)
    assert main(["train", str(config), "--output", str(run), "--overwrite"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("astromorph-nb: error: ")
    assert captured.err.count("\n") == 1
    assert re.search(match, captured.err)
    assert "Read " not in captured.out  # refused before reading or training


def test_train_removes_its_cache_files_and_keeps_the_users(
    tmp_path, fits_files, capsys, monkeypatch
):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "mine.f32").write_bytes(b"keep")
    cached_while_running = []
    embed = Session.embed

    def recording_embed(self, *args, **kwargs):
        cached_while_running.extend(path.name for path in cache.rglob("*.f32"))
        return embed(self, *args, **kwargs)

    monkeypatch.setattr(Session, "embed", recording_embed)
    assert main(["train", str(write_config(tmp_path, data={"cache_dir": str(cache)}))]) == 0
    assert len(cached_while_running) == 2  # the user's file and this run's images
    assert [path.name for path in cache.iterdir()] == ["mine.f32"]
    assert Session.load(tmp_path / "runs" / "run").images.shape == (14, 1, 16, 16)


def test_train_removes_its_cache_when_interrupted(tmp_path, fits_files, monkeypatch):
    cache = tmp_path / "scratch" / "cache"

    def interrupted(self, *args, **kwargs):
        assert list(cache.rglob("*.f32"))  # the images are cached there
        raise KeyboardInterrupt

    monkeypatch.setattr(Session, "embed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["train", str(write_config(tmp_path, data={"cache_dir": str(cache)}))])
    assert not (tmp_path / "scratch").exists()  # made by the run, removed with it


def test_sigterm_from_a_batch_system_stops_training_and_saves(tmp_path, fits_files):
    cache = tmp_path / "scratch"
    config = write_config(
        tmp_path,
        data={"cache_dir": str(cache)},
        training={"n_epochs": 100_000, "batch_size": 4},
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "astromorph_nb", "train", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        assert "training" in process.stdout.readline()  # "Read N images ...; training."
        process.send_signal(signal.SIGTERM)  # what SLURM sends at the time limit
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, stderr[-2000:]
    assert "Stopped by SIGTERM after the current step; the session is saved." in stderr
    assert "(stopped)" in stdout
    saved = Session.load(tmp_path / "runs" / "run")
    assert 0 <= saved.step < 100_000
    assert not cache.exists()  # the run's cache went with it
