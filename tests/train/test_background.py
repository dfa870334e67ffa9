from __future__ import annotations

import threading
import time

import pytest
import torch
from builders import tiny_model

from astromorph_nb.train import Trainer
from astromorph_nb.train.background import TrainingJob


def trainer(**overrides):
    settings = {"n_epochs": 10_000, "batch_size": 8, "device": "cpu", "random_state": 0}
    return Trainer(**{**settings, **overrides.pop("settings", {})}, **overrides)


def test_stop_returns_at_once_and_takes_effect_within_one_batch(images):
    steps_at_stop = []
    job = TrainingJob(trainer(), tiny_model(), images)
    while job.trainer.step < 3:
        time.sleep(0.01)
    started = time.perf_counter()
    steps_at_stop.append(job.trainer.step)
    job.stop()
    assert time.perf_counter() - started < 0.05
    assert job.wait(timeout=30) == "stopped"
    assert job.trainer.step <= steps_at_stop[0] + 1
    assert job.status == "stopped"
    assert not job.is_running


def test_worker_exception_comes_back_out_of_wait(images):
    class Boom:
        def on_batch_end(self, step):
            if step == 2:
                msg = "callback failed at step 2"
                raise ValueError(msg)

    job = TrainingJob(trainer(callbacks=[Boom()]), tiny_model(), images)
    with pytest.raises(ValueError, match="callback failed at step 2") as info:
        job.wait(timeout=30)
    assert job.status == "failed"
    frames = [frame.name for frame in __import__("traceback").extract_tb(info.value.__traceback__)]
    assert "on_batch_end" in frames  # the worker's traceback is kept


def test_pause_and_resume(images):
    job = TrainingJob(trainer(), tiny_model(), images)
    while job.trainer.step < 2:
        time.sleep(0.01)
    job.pause()
    time.sleep(0.3)
    assert job.status == "paused"
    paused_at = job.trainer.step
    time.sleep(0.3)
    assert job.trainer.step <= paused_at + 1
    job.resume()
    deadline = time.monotonic() + 30
    while job.trainer.step < paused_at + 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.trainer.step >= paused_at + 3
    job.stop()
    job.wait(timeout=30)


def test_callbacks_on_the_worker_thread_do_not_deadlock_with_the_caller(images):
    lock = threading.Lock()
    seen = []

    class Observer:
        def on_batch_end(self, step):
            with lock:  # the caller holds this lock at times, as an observer would
                seen.append((threading.current_thread().name, step))

    job = TrainingJob(
        trainer(settings={"n_epochs": 2}, callbacks=[Observer()]), tiny_model(), images
    )
    for _ in range(20):
        with lock:
            time.sleep(0.001)
    assert job.wait(timeout=60) == "completed"
    assert seen
    assert {name for name, _ in seen} == {"astromorph-training"}


def test_a_job_starts_once_and_reports_progress(images):
    job = TrainingJob(trainer(settings={"n_epochs": 1}), tiny_model(), images, start=False)
    assert job.status == "not started"
    with pytest.raises(RuntimeError, match="has not been started"):
        job.wait()
    job.start()
    with pytest.raises(RuntimeError, match="already been started"):
        job.start()
    assert job.wait(timeout=30) == "completed"
    assert repr(job).startswith("<TrainingJob: finished, step ")
    assert torch.isfinite(torch.tensor(job.trainer.losses)).all()
