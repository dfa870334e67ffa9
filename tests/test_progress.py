"""Progress bars in a log file redraw rarely; on a terminal they stay live."""

from __future__ import annotations

import io
import types

import pytest
import tqdm.std

from astromorph_nb._progress import LOG_INTERVAL_S, progress_bar
from astromorph_nb.train import ConsoleProgress

N_STEPS = 300


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    """tqdm's clock, advanced one second at a time by the test; no monitor thread."""
    monkeypatch.setattr(tqdm.std.tqdm, "monitor_interval", 0)
    if tqdm.std.tqdm.monitor is not None:  # a monitor from earlier bars would redraw too
        tqdm.std.tqdm.monitor.exit()
        monkeypatch.setattr(tqdm.std.tqdm, "monitor", None)
    now = types.SimpleNamespace(seconds=0.0)
    monkeypatch.setattr(tqdm.std, "time", lambda: now.seconds)
    return now


def redraws(stream):
    return stream.getvalue().count("\r")


def run_bar(stream, clock, **options):
    with progress_bar(total=N_STEPS, file=stream, **options) as bar:
        for _ in range(N_STEPS):
            clock.seconds += 1.0
            bar.update()


def test_a_bar_in_a_log_file_redraws_at_most_every_interval(clock):
    log = io.StringIO()
    run_bar(log, clock)
    # one draw on opening, one per interval, one on closing
    assert 2 <= redraws(log) <= N_STEPS / LOG_INTERVAL_S + 2
    assert f"{N_STEPS}/{N_STEPS}" in log.getvalue()


def test_a_bar_on_a_terminal_redraws_live(clock):
    terminal = Terminal()
    run_bar(terminal, clock)
    assert redraws(terminal) >= N_STEPS


def test_an_explicit_interval_is_kept(clock):
    log = io.StringIO()
    run_bar(log, clock, mininterval=0.5)
    assert redraws(log) >= N_STEPS


def test_console_progress_in_a_log_file_writes_a_few_lines_not_one_per_step(clock, monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    trainer = types.SimpleNamespace(config=types.SimpleNamespace(max_time_s=None), step=0)
    progress = ConsoleProgress(description="BYOL")
    progress.on_train_start(trainer=trainer, total_steps=N_STEPS)
    for step in range(1, N_STEPS + 1):
        clock.seconds += 1.0
        progress.on_batch_end(step=step, loss=0.5, images_per_second=100.0)
    progress.on_train_end()
    assert 2 <= redraws(log) <= N_STEPS / LOG_INTERVAL_S + 2
    assert "loss=0.5000" in log.getvalue()
