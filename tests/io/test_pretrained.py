from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest
import torch

from astromorph_nb.io.store.pretrained import (
    default_weights,
    default_weights_provenance,
    has_default_weights,
)
from astromorph_nb.model.defaults import default_model


def test_shipped_weights_load_into_the_default_model_and_differ_from_a_fresh_one():
    assert has_default_weights(1)
    model = default_model(in_channels=1)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(default_weights(1))
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, fresh[k])]
    assert len(changed) > len(fresh) // 2
    assert torch.isfinite(model.embed(torch.rand(4, 1, 64, 64))).all()


@pytest.mark.parametrize("n_channels", [2, 3, 7])
def test_weights_for_several_channels_give_the_one_channel_features_of_equal_bands(n_channels):
    assert has_default_weights(n_channels)
    one, many = default_model(in_channels=1), default_model(in_channels=n_channels)
    one.load_state_dict(default_weights(1))
    many.load_state_dict(default_weights(n_channels))
    image = torch.rand(4, 1, 64, 64)
    torch.testing.assert_close(
        many.embed(image.expand(-1, n_channels, -1, -1)), one.embed(image), rtol=1e-4, atol=1e-5
    )
    # The bands are not interchangeable copies: a change in one band changes the features.
    bands = image.repeat(1, n_channels, 1, 1)
    bands[:, 0] = torch.rand(4, 64, 64)
    assert not torch.allclose(many.embed(bands), one.embed(image), atol=1e-3)


def test_the_weights_say_what_they_saw():
    provenance = default_weights_provenance()
    assert "protoplanetary_disks" in provenance["seen"]
    assert "dark_clouds" in provenance["seen"]
    assert provenance["steps"] > 1000
    assert "synthetic" in provenance["seen"]
    assert provenance["n_images"] > 10_000
    assert provenance["config"]["random_state"] is not None  # reproducible


def test_bad_channel_counts_are_refused():
    with pytest.raises(ValueError, match="in_channels"):
        default_weights(0)


def test_a_built_wheel_contains_the_package_data(tmp_path):
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("astromorph_nb-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "astromorph_nb/io/store/weights/default_1ch.pt" in names
    assert "astromorph_nb/py.typed" in names
