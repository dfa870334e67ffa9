from __future__ import annotations

import warnings

import pytest
import torch
from builders import tiny_model

from astromorph_nb import AstromorphWarning
from astromorph_nb.train import Trainer, precision


def fit_tiny(images, precision_name):
    trainer = Trainer(
        n_epochs=1, batch_size=8, device="cpu", random_state=0, precision=precision_name
    )
    return trainer.fit(tiny_model(), images[:16])


@pytest.mark.parametrize(("answer", "expected"), [(True, True), (False, False)])
def test_cpu_has_fast_bf16_asks_torch_for_amx(monkeypatch, answer, expected):
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: answer, raising=False)
    assert precision.cpu_has_fast_bf16() is expected


def test_cpu_has_fast_bf16_is_unknown_without_the_torch_query(monkeypatch):
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)
    assert precision.cpu_has_fast_bf16() is None


def test_bf16_on_a_cpu_without_amx_warns_and_still_trains_in_bf16(monkeypatch, images):
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: False)
    used = []
    autocast = torch.autocast

    def recording_autocast(device_type, dtype=None, **kwargs):
        used.append(dtype)
        return autocast(device_type, dtype=dtype, **kwargs)

    monkeypatch.setattr(torch, "autocast", recording_autocast)
    with pytest.warns(AstromorphWarning, match=r'lacks AMX.*Use precision="fp32"'):
        assert fit_tiny(images, "bf16") == "completed"
    assert torch.bfloat16 in used  # the explicit choice is kept


@pytest.mark.parametrize(
    ("fast", "precision_name"), [(True, "bf16"), (None, "bf16"), (False, "fp32"), (False, "auto")]
)
def test_no_warning_with_amx_unknown_or_without_bf16(monkeypatch, images, fast, precision_name):
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: fast)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AstromorphWarning)
        assert fit_tiny(images, precision_name) == "completed"


def test_no_warning_for_bf16_off_the_cpu(monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AstromorphWarning)
        precision.warn_if_bf16_is_slow(torch.device("cuda"))
