from __future__ import annotations

import sys
import threading

import pytest
import torch
from builders import tiny_model

import astromorph_nb.train.background as background
from astromorph_nb.train import Trainer
from astromorph_nb.train._openmp import _pause_functions, release_idle_openmp_threads
from astromorph_nb.train.background import TrainingJob


def _parallel_sum() -> float:
    return float(torch.arange(4_000_000, dtype=torch.float64).sum())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_the_loaded_openmp_runtimes_are_found_and_their_idle_workers_freed():
    expected = _parallel_sum()  # this thread now has OpenMP workers (torch's libgomp)
    if not _pause_functions():
        pytest.skip("this PyTorch build loads no OpenMP runtime")
    assert release_idle_openmp_threads()
    assert release_idle_openmp_threads()  # nothing left to free is no error
    assert _parallel_sum() == expected  # the workers come back when needed


def test_nothing_happens_where_the_runtimes_cannot_be_listed(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _pause_functions() == []
    assert release_idle_openmp_threads() is False


def test_a_training_job_frees_the_starting_threads_workers_before_it_starts(monkeypatch):
    calls = []
    monkeypatch.setattr(
        background,
        "release_idle_openmp_threads",
        lambda: calls.append(threading.current_thread().name) or True,
    )
    trainer = Trainer(n_epochs=1, batch_size=8, device="cpu", random_state=0)
    job = TrainingJob(trainer, tiny_model(), torch.rand(16, 1, 16, 16))
    assert job.wait(timeout=60) == "completed"
    assert calls == [threading.current_thread().name]
