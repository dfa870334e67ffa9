from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest
import torch

from astromorph_nb import NotReadyError
from astromorph_nb.io.pretrained import default_weights, has_default_weights
from astromorph_nb.model.defaults import default_model


def test_shipped_weights_load_into_the_default_model_and_differ_from_a_fresh_one():
    assert has_default_weights(1)
    model = default_model(in_channels=1)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(default_weights(1))
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, fresh[k])]
    assert len(changed) > len(fresh) // 2
    assert torch.isfinite(model.embed(torch.rand(4, 1, 64, 64))).all()


def test_no_weights_for_other_channel_counts():
    assert not has_default_weights(3)
    with pytest.raises(NotReadyError, match="No pretrained default weights for 3-channel images"):
        default_weights(3)


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
    assert "astromorph_nb/io/weights/default_1ch.pt" in names
    assert "astromorph_nb/py.typed" in names
