from __future__ import annotations

import numpy as np
import pytest
import torch

from astromorph_nb import Session
from astromorph_nb.session.model_spec import ModelSpec, model_for


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(
        torch.equal(x, y)
        for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    )


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec("default", 1, pretrained=True),
        ModelSpec("default", 3),
        ModelSpec.named("small", in_channels=2, projection_size=32, projection_hidden_size=64),
        ModelSpec("custom", 1, encoder="MyNet"),
    ],
)
def test_a_spec_goes_to_a_dict_and_back(spec):
    assert ModelSpec.from_dict(spec.to_dict()) == spec


def test_a_spec_builds_the_same_weights_from_the_same_seed():
    spec = ModelSpec.named("small", in_channels=1, projection_size=16, projection_hidden_size=32)
    first, second = spec.build(random_state=3), spec.build(random_state=3)
    assert _same_weights(first, second)
    assert not _same_weights(first, spec.build(random_state=4))
    assert first.projector.out_features == 16


def test_a_custom_spec_says_to_pass_the_model():
    with pytest.raises(TypeError, match=r"your own encoder \(MyNet\).*model=my_byol_model"):
        ModelSpec("custom", 1, encoder="MyNet").build()


def test_a_session_built_from_a_spec_keeps_it_and_rejects_other_channels():
    images = np.random.default_rng(0).random((6, 16, 16))
    spec = ModelSpec.named("small", in_channels=1, projection_size=16, projection_hidden_size=32)
    session = Session.from_arrays(images, model=spec, random_state=0, device="cpu")
    assert session.model_spec == spec
    assert session.model.projector.out_features == 16
    with pytest.raises(ValueError, match=r"spec is for 3-channel images, but the images have 1"):
        model_for(ModelSpec("default", 3), in_channels=1, pretrained=True)


def test_a_spec_session_saves_and_loads_with_its_heads(tmp_path):
    images = np.random.default_rng(1).random((6, 16, 16))
    spec = ModelSpec.named("small", in_channels=1, projection_size=16, projection_hidden_size=32)
    session = Session.from_arrays(images, model=spec, random_state=0, device="cpu")
    session.save(tmp_path / "s")
    loaded = Session.load(tmp_path / "s", device="cpu")
    assert loaded.model_spec == spec
    assert _same_weights(loaded.model, session.model)
