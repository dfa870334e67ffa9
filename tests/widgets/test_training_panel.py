from __future__ import annotations

import time

import numpy as np
import pytest

from astromorph_nb import Session
from astromorph_nb.plotting import smooth_loss
from astromorph_nb.train.config import TrainingConfig
from astromorph_nb.widgets._quality_line import quality_text
from astromorph_nb.widgets.training_panel import (
    DEFAULT_LEARNING_RATE,
    DEFAULT_N_EPOCHS,
    MAX_POINTS,
    TrainingPanel,
    _status_text,
)


@pytest.fixture
def session() -> Session:
    images = np.random.default_rng(0).random((32, 16, 16))
    return Session.from_arrays(images, device="cpu", random_state=0, ui_interval_s=0.0)


@pytest.fixture
def panel(session):
    panel = TrainingPanel(session)
    yield panel
    if session.is_training:
        session.stop()
        session.wait()
    panel.close()


def wait_until(condition, timeout=20.0):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            msg = "condition not met in time"
            raise AssertionError(msg)
        time.sleep(0.01)


class FailAtFirstStep:
    def on_batch_end(self, step):
        msg = "bad <b>& flux"
        raise RuntimeError(msg)


def test_panel_builds_with_only_start_enabled_when_session_is_ready(panel):
    assert not panel._start_button.disabled
    assert panel._pause_button.disabled
    assert panel._resume_button.disabled
    assert panel._stop_button.disabled
    assert "not trained yet" in panel._status_html.value
    assert "32 images" in panel._status_html.value
    assert panel._figure in panel.children
    assert [axis.label for axis in panel._axes] == ["optimiser step", "BYOL loss"]
    children = list(panel.children)
    assert children.index(panel._quality_html) == children.index(panel._figure) + 1
    assert "no snapshot yet" in panel._quality_html.value


def test_start_click_trains_with_the_inputs_and_fills_the_loss_lines(session, panel):
    panel._n_epochs_input.value = 3
    panel._learning_rate_input.value = 1e-3
    panel._start_button.click()
    session.wait()
    assert session.config.n_epochs == 3
    assert session.config.learning_rate == pytest.approx(1e-3)
    history = session.loss_history
    np.testing.assert_array_equal(panel._loss_line.x, history["step"])
    np.testing.assert_allclose(panel._loss_line.y, history["loss"])
    assert len(panel._smoothed_line.y) == len(history)
    np.testing.assert_array_equal(panel._epoch_line.x, session.epoch_history["step"])
    assert panel._epoch_line.marker == "circle"
    assert "trained" in panel._status_html.value
    assert "step 3/3" in panel._status_html.value
    assert "images/s" in panel._status_html.value
    assert not panel._start_button.disabled
    assert panel._stop_button.disabled
    # the line under the curve shows the last quality snapshot, that of the last step
    last = session.quality_history[-1]
    assert last["step"] == 3
    line = panel._quality_html.value
    assert f"effective rank <b>{last['effective_rank']:.1f}</b>" in line
    assert f"spread <b>{last['spread']:.3f}</b>" in line
    assert f"neighbours changed <b>{100 * last['neighbor_change']:.0f} %</b>" in line
    assert "snapshot at step 3" in line
    assert "kNN accuracy" not in line  # no labels given


def test_pause_resume_and_stop_buttons_drive_the_job(session, panel):
    panel._n_epochs_input.value = 1000
    panel._start_button.click()
    assert panel._start_button.disabled
    wait_until(lambda: session.step > 0)
    panel._pause_button.click()
    assert session.job.status == "paused"
    assert "paused" in panel._status_html.value
    assert panel._pause_button.disabled
    assert not panel._resume_button.disabled
    time.sleep(0.2)  # the batch in flight ends
    paused_at = session.step
    time.sleep(0.2)
    assert session.step == paused_at
    panel._resume_button.click()
    assert session.job.status == "running"
    assert panel._resume_button.disabled
    wait_until(lambda: session.step > paused_at)
    panel._stop_button.click()
    assert session.wait() == "stopped"
    assert "stopped" in panel._status_html.value
    assert panel._start_button.description == "Continue"
    assert not panel._start_button.disabled


def test_start_continues_the_stopped_run_when_inputs_are_unchanged(session, panel):
    panel._n_epochs_input.value = 1000
    panel._start_button.click()
    wait_until(lambda: session.step > 0)
    panel._stop_button.click()
    session.wait()
    config, stopped_at = session.config, session.step
    panel._start_button.click()
    wait_until(lambda: session.step > stopped_at)
    assert session.config is config
    panel._stop_button.click()
    session.wait()


def test_start_begins_a_new_run_when_an_input_changed_after_stop(session, panel):
    panel._n_epochs_input.value = 1000
    panel._start_button.click()
    wait_until(lambda: session.step > 0)
    panel._stop_button.click()
    session.wait()
    panel._n_epochs_input.value = 2
    assert panel._start_button.description == "Start"
    panel._start_button.click()
    session.wait()
    assert session.config.n_epochs == 2


def test_failed_run_shows_the_escaped_error(session, panel):
    session.train(n_epochs=1, callbacks=[FailAtFirstStep()])
    with pytest.raises(RuntimeError, match="bad <b>& flux"):
        session.wait()
    assert session.status == "failed"
    assert panel._error_html.layout.display is None
    assert "RuntimeError: bad &lt;b&gt;&amp; flux" in panel._error_html.value
    assert "<b>&" not in panel._error_html.value
    assert "failed" in panel._status_html.value
    assert not panel._start_button.disabled


def test_start_shows_why_it_cannot_train_when_a_run_is_in_progress(session, panel):
    session.train(n_epochs=1000)
    panel._start_button.click()
    assert "BusyError: A training run is already in progress" in panel._error_html.value


def test_many_epochs_are_drawn_as_a_line_without_markers(session, panel):
    session.train(n_epochs=61).wait()
    assert len(panel._epoch_line.x) == 61
    assert panel._epoch_line.marker is None


def test_close_removes_observers_and_stops_updates(session):
    panel = TrainingPanel(session)
    panel.close()
    for name in ("step", "status"):
        assert not session._trait_notifiers.get(name, {}).get("change")
    session.train(n_epochs=2).wait()
    assert len(panel._loss_line.x) == 0
    assert "not trained yet" in panel._status_html.value
    assert "no snapshot yet" in panel._quality_html.value


def test_quality_line_shows_knn_accuracy_once_the_session_has_labels(session, panel):
    session.train(n_epochs=1, batch_size=16).wait()
    session.embed()
    session.evaluate(np.arange(session.n_images) % 2, n_folds=2, n_neighbors=3)
    session.train(n_epochs=1, batch_size=16).wait()
    accuracy = session.quality_history["knn_accuracy"][-1]
    assert f"kNN accuracy <b>{accuracy:.3f}</b>" in panel._quality_html.value


def test_quality_text_formats_a_snapshot_and_explains_each_number():
    row = {
        "step": 1234,
        "effective_rank": 41.26,
        "spread": 0.05123,
        "neighbor_change": 0.0349,
        "knn_accuracy": 0.8125,
    }
    text = quality_text(row)
    for part in (
        "effective rank <b>41.3</b>",
        "spread <b>0.051</b>",
        "neighbours changed <b>3 %</b>",
        "kNN accuracy <b>0.812</b>",
        "snapshot at step 1,234",
        'title="How many directions the embedding uses (RankMe).',
    ):
        assert part in text
    first = quality_text({**row, "neighbor_change": float("nan"), "knn_accuracy": float("nan")})
    assert "neighbours changed" not in first
    assert "kNN accuracy" not in first
    assert "no snapshot yet" in quality_text(None)


def test_live_curve_is_the_paper_figures_moving_average(session, panel):
    session.train(n_epochs=20).wait()
    panel._refresh()
    history = session.loss_history
    np.testing.assert_allclose(panel._smoothed_line.x, history["step"])
    np.testing.assert_allclose(panel._smoothed_line.y, smooth_loss(history["loss"]))


def test_long_histories_are_sent_decimated(session, panel, monkeypatch):
    n = 3 * MAX_POINTS
    steps, losses = np.arange(1, n + 1), np.linspace(2.0, 1.0, n)
    monkeypatch.setattr(type(session), "loss_history", {"step": steps, "loss": losses})
    panel._refresh_curve()
    assert len(panel._loss_line.x) <= MAX_POINTS
    assert (panel._loss_line.x[0], panel._loss_line.x[-1]) == (1.0, float(n))
    assert len(panel._smoothed_line.y) <= MAX_POINTS


def test_status_text_reports_speed_eta_device_and_gpu_memory():
    progress = {
        "status": "training",
        "run_step": 1200,
        "run_total_steps": 5000,
        "epoch": 2,
        "n_epochs": 10,
        "images_per_second": 1234.4,
        "remaining_s": 65.0,
        "device": "cuda",
        "gpu_memory_bytes": 1.5 * 2**30,
    }
    text = _status_text(progress, "training", 0.12345, 100)
    for part in (
        "step 1,200/5,000",
        "epoch 3/10",
        "loss 0.1235",
        "1,234 images/s",
        "ETA 1 min 05 s",
        "device cuda",
        "GPU memory 1.50 GiB",
    ):
        assert part in text


def test_input_defaults_match_the_training_config_defaults(panel):
    assert (
        TrainingConfig.n_epochs,
        TrainingConfig.learning_rate,
    ) == (DEFAULT_N_EPOCHS, DEFAULT_LEARNING_RATE)
    assert panel._n_epochs_input.value == DEFAULT_N_EPOCHS
