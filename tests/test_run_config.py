from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from astromorph_nb import AstromorphWarning, DataNotFoundError, Session
from astromorph_nb.cli.config import RunConfig, build_session, load_run_config, parse_run_config

SEED_TOML = """
datafile = "files.txt"
epochs = 3
network_name = "n_layer_resnet"
learning_rate = 1e-3
exponential_lr = true
gamma = 0.9
batch_size = 8
core_limit = 2
trained_network_name = "saved_models/net.pt"
export_to_csv = true

[network_settings]
last_layer = "layer2"

[byol_settings]
representation_size = 128
projection_size = 16
projection_hidden_size = 64
use_momentum = true

[data_settings]
stacksize = 1
"""


def parse(values, **kwargs):
    return parse_run_config(values, name="run.toml", **kwargs)


def write(tmp_path, text, name="run.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def messages(record):
    return [str(w.message) for w in record if issubclass(w.category, AstromorphWarning)]


def test_our_layout_maps_every_section():
    config = parse(
        {
            "data": {"source": ["a/*.fits", "b.fits"], "image_size": [32, 48], "hdu": "SCI"},
            "model": {"encoder": "small", "projection_size": 32},
            "augment": {"angle_deg": [-90, 90], "flip_prob": 0.0},
            "training": {"n_epochs": 4, "batch_size": 16, "random_state": 3, "n_cpu_threads": 2},
            "distributed": {"sync_batchnorm": "all"},
            "output": {"folder": "out/run", "export": ["csv", "fits"], "analyse": False},
        }
    )
    assert config.source == ("a/*.fits", "b.fits")
    assert config.read_options == {"image_size": (32, 48), "hdu": "SCI"}
    assert (config.encoder, config.projection_size, config.projection_hidden_size) == (
        "small",
        32,
        None,
    )
    assert config.augment_settings == {"angle_deg": (-90, 90), "flip_prob": 0.0}
    assert (config.training.n_epochs, config.training.random_state) == (4, 3)
    assert config.n_cpu_threads == 2
    assert config.sync_batchnorm == "all"
    assert config.export_paths() == [Path("out/run.csv"), Path("out/run.fits")]
    assert config.checkpoint_path == Path("out/run.checkpoint.pt")
    assert not config.analyse
    assert config.layout == "ours"
    options = config.training_options()
    assert options["batch_size"] == 16
    assert "device" not in options
    assert "random_state" not in options


def test_defaults_name_the_output_after_the_file():
    config = parse({"data": {"source": "x.fits"}})
    assert config.output == Path("runs/run")
    assert config.training.n_epochs == 100
    assert (config.encoder, config.sync_batchnorm, config.export_formats) == (
        "default",
        "heads",
        (),
    )


def test_normalize_none_means_no_scaling():
    config = parse({"data": {"source": "x.fits", "normalize": "none"}})
    assert config.read_options == {"normalize": None}


def test_unknown_key_names_its_section_and_the_closest_key():
    with pytest.raises(
        ValueError, match=r"Unknown key 'n_epoch' in \[training\] of run\.toml"
    ) as info:
        parse({"data": {"source": "x.fits"}, "training": {"n_epoch": 5}})
    assert "Did you mean 'n_epochs'?" in str(info.value)


def test_unknown_key_in_the_wrong_section_points_to_the_right_one():
    with pytest.raises(ValueError, match=r"Did you mean '\[data\] image_size'\?"):
        parse({"data": {"source": "x.fits"}, "training": {"image_size": 64}})


def test_unknown_section_suggests_the_closest():
    with pytest.raises(ValueError, match=r"at the top level of run\.toml.*'trainng'.*'training'"):
        parse({"data": {"source": "x.fits"}, "trainng": {}})


def test_unknown_key_without_a_close_match_asks_to_check_spelling():
    with pytest.raises(ValueError, match=r"Unknown key 'zzz' in \[output\].*Check the spelling"):
        parse({"data": {"source": "x.fits"}, "output": {"zzz": 1}})


def test_a_section_must_be_a_table():
    with pytest.raises(ValueError, match=r"\[training\] in run\.toml must be a table"):
        parse({"data": {"source": "x.fits"}, "training": 5})


def test_missing_source_is_an_error():
    with pytest.raises(ValueError, match=r"No images named in run\.toml.*\[data\] source"):
        parse({"training": {"n_epochs": 1}})


@pytest.mark.parametrize(
    ("section", "values", "match"),
    [
        ("model", {"pretrained": "yes"}, r"'pretrained' key in \[model\].*must be a bool"),
        ("model", {"projection_size": 0}, r"'projection_size' key in \[model\].*>= 1"),
        ("model", {"encoder": "resnet81"}, r"Unknown encoder 'resnet81'.*\[model\] encoder"),
        ("data", {"normalize": "sqrt"}, r"'normalize' parameter of \[data\] of run\.toml"),
        ("data", {"image_size": "big"}, r"'image_size' parameter of \[data\]"),
        ("data", {"squeeze": 1}, r"'squeeze' key in \[data\].*must be a bool"),
        ("data", {"keywords": "EXPTIME"}, r"'keywords' key in \[data\].*must be a list"),
        ("training", {"batch_size": 0}, r"'batch_size' parameter of TrainingConfig.*\[training\]"),
        ("training", {"n_cpu_threads": 0}, r"'n_cpu_threads' key in \[training\].*>= 1"),
        ("augment", {"flip_prob": 2.0}, r"flip_prob.*Fix it in \[augment\] of run\.toml"),
        ("distributed", {"sync_batchnorm": "some"}, r"'sync_batchnorm' parameter of \[dist"),
        ("output", {"export": ["xls"]}, r"'export' parameter of \[output\]"),
        ("output", {"checkpoint_every_epochs": -1}, r"'checkpoint_every_epochs'.*>= 0"),
        ("data", {"n_threads": 0}, r"'n_threads' key in \[data\] .*>= 1; got 0\. Use 1"),
        ("data", {"n_processes": 0}, r"'n_processes' key in \[data\] .*>= 1; got 0\. Use 1"),
        ("data", {"n_processes": -2}, r"'n_processes' key .*got -2\. .*leave it out"),
        ("data", {"n_channels": 0, "cube_mode": "channels"}, r"'n_channels' key .*>= 1; got 0"),
        ("data", {"n_channels": 3}, r"'n_channels' .*got no cube_mode\. Add cube_mode = \"ch"),
        ("data", {"n_channels": 3, "cube_mode": "sum"}, r"'n_channels' .*got cube_mode = 'sum'"),
        ("model", {"projection_hidden_size": -1}, r"'projection_hidden_size' .*>= 1; got -1"),
    ],
)
def test_bad_values_name_the_key_and_section(section, values, match):
    settings = {"data": {"source": "x.fits"}}
    settings.setdefault(section, {}).update(values)
    with pytest.raises((ValueError, TypeError), match=match):
        parse(settings)


def test_seed_file_maps_onto_our_settings_and_warns_once_per_changed_key():
    import tomllib

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        config = parse(tomllib.loads(SEED_TOML))
    assert config.layout == "seed"
    assert config.source == ("files.txt",)
    assert config.encoder == "resnet18-layer2"
    assert (config.projection_size, config.projection_hidden_size) == (16, 64)
    assert (config.training.n_epochs, config.training.batch_size) == (3, 8)
    assert config.training.learning_rate == 1e-3
    assert config.n_cpu_threads == 2
    assert config.output == Path("saved_models/net")
    assert config.export_formats == ("csv",)
    warned = messages(record)
    keys = [text.split(" in run.toml")[0] for text in warned]
    assert sorted(keys) == sorted(
        [
            "learning_rate",
            "exponential_lr",
            "gamma",
            "batch_size",
            "trained_network_name",
            "export_to_csv",
        ]
    )
    assert any("accumulated gradients over single images" in text for text in warned)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"byol_settings": {"use_momentum": False}}, r"use_momentum = false.*moving-average"),
        ({"byol_settings": {"moving_average_decay": 0.9}}, r"moving_average_decay.*cosine"),
        ({"data_settings": {"stacksize": 3}}, r"stacksize = 3.*not repeated into RGB"),
        (
            {"network_name": "n_layer_resnet", "byol_settings": {"representation_size": 64}},
            r"encoder's own \(512 features\), so 64 is ignored",
        ),
    ],
)
def test_seed_keys_with_a_new_meaning_warn(values, match):
    with pytest.warns(AstromorphWarning, match=match):
        parse({"datafile": "files.txt", **values})


def test_seed_defaults_to_its_own_ten_epochs_and_our_model():
    config = parse({"datafile": "files.txt"})
    assert config.training.n_epochs == 10
    assert config.encoder == "default"


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"maskfile": "mask.fits"}, r"maskfile in run\.toml.*not supported.*cutouts"),
        ({"network_name": "cloudscanner"}, r"'network_name' parameter of the top level"),
        ({"network_settings": {"last_layer": "layer5"}}, r"'last_layer' parameter of \[network"),
        ({"data_settings": {"stacksize": 2}}, r"'stacksize' parameter of \[data_settings\]"),
        ({"byol_settings": {"hidden_size": 3}}, r"Unknown key 'hidden_size' in \[byol_settings\]"),
    ],
)
def test_seed_values_we_cannot_follow_are_errors(values, match):
    with pytest.raises(ValueError, match=match):
        parse({"datafile": "files.txt", **values})


def test_seed_keys_and_our_sections_combine_but_not_twice():
    config = parse({"datafile": "files.txt", "data": {"image_size": 32}})
    assert config.read_options == {"image_size": (32, 32)}
    with pytest.raises(ValueError, match=r"\[training\] n_epochs in run\.toml is set twice"):
        parse({"datafile": "files.txt", "epochs": 2, "training": {"n_epochs": 3}})


def test_inputs_missing_here_are_found_next_to_the_config(tmp_path, monkeypatch):
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "local.txt").write_text("x.fits\n")
    (tmp_path / "here.txt").write_text("x.fits\n")
    monkeypatch.chdir(tmp_path)
    config = parse({"data": {"source": ["local.txt", "here.txt", "/abs.fits"]}}, base_dir=folder)
    assert config.source == (str(folder / "local.txt"), "here.txt", "/abs.fits")


def test_load_reads_a_file_and_reports_syntax_and_missing_files(tmp_path):
    path = write(tmp_path, '[data]\nsource = "x.fits"\n[training]\nn_epochs = 2\n')
    assert load_run_config(path).training.n_epochs == 2
    broken = write(tmp_path, "[data\nsource = 1\n", name="broken.toml")
    with pytest.raises(ValueError, match=r"broken\.toml is not valid TOML: .*line 1"):
        load_run_config(broken)
    with pytest.raises(DataNotFoundError, match=r"No configuration file at 'nothere\.toml'"):
        load_run_config("nothere.toml")


@pytest.fixture
def fits_list(tmp_path):
    import astromorph_nb as amn

    images = amn.datasets.synthetic(n_per_class=2, image_size=16, random_state=0)
    return amn.write_fits(images, tmp_path / "fits", prefix="obj")


def test_build_session_reads_images_and_seeds_the_initial_weights(fits_list):
    config = RunConfig(
        source=(str(fits_list[0].parent),),
        training=parse({"data": {"source": "x"}, "training": {"random_state": 5}}).training,
        augment_settings={"flip_prob": 0.0},
        pretrained=False,
    )
    first, second = build_session(config), build_session(config)
    assert first.n_images == len(fits_list)
    assert first.random_state == 5
    assert first.augmentation_settings == {"flip_prob": 0.0}
    for a, b in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_named_encoder_with_seed_head_sizes_saves_a_loadable_session(fits_list, tmp_path):
    config = RunConfig(
        source=tuple(str(p) for p in fits_list),
        encoder="resnet18-layer1",
        projection_size=16,
        projection_hidden_size=32,
    )
    session = build_session(config)
    assert session.model.projector.out_features == 16
    session.save(tmp_path / "saved")
    loaded = Session.load(tmp_path / "saved")
    assert loaded.model.projector.hidden_features == 32
    state = session.model.state_dict()
    for key, value in loaded.model.state_dict().items():
        assert np.array_equal(value.numpy(), state[key].numpy()), key


def test_parsing_leaves_the_settings_it_was_given_unchanged():
    values = {"datafile": "files.txt", "epochs": 2, "data": {"image_size": 32}}
    parse(values)
    assert values == {"datafile": "files.txt", "epochs": 2, "data": {"image_size": 32}}


def test_a_negative_seed_core_limit_names_core_limit():
    with pytest.raises(ValueError, match=r"'core_limit' key at the top level .*>= 0; got -1"):
        parse({"datafile": "files.txt", "core_limit": -1})


def test_n_channels_with_cube_mode_channels_is_kept():
    config = parse({"data": {"source": "x.fits", "cube_mode": "channels", "n_channels": 3}})
    assert config.read_options == {"cube_mode": "channels", "n_channels": 3}
