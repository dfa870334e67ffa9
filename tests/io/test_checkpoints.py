from __future__ import annotations

from pathlib import Path

import pytest
import torch

from astromorph_nb import DataNotFoundError, InvalidFileError
from astromorph_nb.io.store.checkpoints import load_checkpoint, save_checkpoint


def test_round_trip_with_weights_only(tmp_path):
    state = {"model": {"w": torch.arange(4.0)}, "step": 3, "losses": torch.tensor([1.0, 0.5])}
    path = save_checkpoint(state, tmp_path / "run" / "last.pt")
    loaded = load_checkpoint(path)
    torch.testing.assert_close(loaded["model"]["w"], state["model"]["w"])
    assert loaded["step"] == 3
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]  # no temporary left


def test_a_crash_while_writing_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    path = save_checkpoint({"model": {"w": torch.zeros(2)}, "step": 1}, tmp_path / "last.pt")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"model": {"w": torch.ones(2)}, "step": 2}, path)
    monkeypatch.undo()
    assert load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_pickled_whole_models_are_refused(tmp_path):
    torch.save({"model": torch.nn.Linear(2, 2)}, tmp_path / "whole.pt")
    with pytest.raises(InvalidFileError, match="contains pickled Python objects.*refused"):
        load_checkpoint(tmp_path / "whole.pt")


def test_missing_damaged_and_foreign_files(tmp_path):
    with pytest.raises(DataNotFoundError, match="No checkpoint at"):
        load_checkpoint(tmp_path / "none.pt")
    (tmp_path / "junk.pt").write_bytes(b"junk" * 10)
    with pytest.raises(InvalidFileError, match="damaged or not a checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(InvalidFileError, match="not an astromorph_nb checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_whole_model_file_is_refused_with_how_to_trust(tmp_path):
    torch.save(torch.nn.Linear(2, 3), tmp_path / "seed_model.pt")  # the seed's format
    with pytest.raises(InvalidFileError, match=r"can run arbitrary code.*pass trust=True"):
        load_checkpoint(tmp_path / "seed_model.pt")


def test_whole_model_file_loads_as_state_dict_when_trusted(tmp_path):
    model = torch.nn.Linear(2, 3)
    torch.save(model, tmp_path / "seed_model.pt")
    state = load_checkpoint(tmp_path / "seed_model.pt", trust=True)
    assert set(state) == {"model"}
    assert set(state["model"]) == {"weight", "bias"}
    torch.testing.assert_close(state["model"]["weight"], model.weight.detach())


def test_trusted_dict_holding_a_module_gets_its_state_dict(tmp_path):
    torch.save({"model": torch.nn.Linear(2, 2), "step": 4}, tmp_path / "whole.pt")
    state = load_checkpoint(tmp_path / "whole.pt", trust=True)
    assert state["step"] == 4
    assert set(state["model"]) == {"weight", "bias"}
