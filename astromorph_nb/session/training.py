"""A session's training runs: the record of all of them, and the callback of the current one.

:class:`TrainingRecord` owns what the runs leave behind (loss and quality histories, time,
speed, how the latest run ended, the state to continue a stopped run) and the objects of the
current run (job, trainer, reporter, quality monitor). :class:`SessionReporter` is the
current run's callback. It runs on the training thread (see ``train/background.py``): it
appends to the record's :class:`~astromorph_nb.train.callbacks.LossHistory` (which holds
the lock), and at most every ``ui_interval_s`` seconds sets the session's ``step`` and
``latest_loss`` traits, so observers (the widgets) see a few updates per second however
fast training runs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from astropy.table import Table

from astromorph_nb._throttle import Throttle
from astromorph_nb._validation import finite_or_none
from astromorph_nb.exceptions import NotReadyError
from astromorph_nb.train.callbacks import LossHistory
from astromorph_nb.train.config import TrainingConfig
from astromorph_nb.train.quality import QUALITY_COLUMNS, QualityHistory

if TYPE_CHECKING:
    from traitlets import HasTraits

    from astromorph_nb.train.background import TrainingJob
    from astromorph_nb.train.quality import QualityMonitor
    from astromorph_nb.train.trainer import Trainer

__all__ = ["SessionReporter", "TrainingRecord"]


@dataclass
class TrainingRecord:
    """Every training run of a session, and the objects of the latest one.

    Attributes
    ----------
    history : LossHistory
        Loss per step and per epoch, over all runs.
    epoch_steps : list of int
        The last step of each epoch.
    quality : QualityHistory
        Label-free quality snapshots, over all runs.
    quality_labels : int ndarray or None
        Class numbers per image (-1: none) kept from ``Session.evaluate``.
    finished_seconds : float
        Training time of all finished runs.
    images_per_second : float
        Speed of the latest finished run.
    n_runs : int
    last_reason : str or None
        How the latest run ended.
    last_error : BaseException or None
        What ended it, if it failed.
    resume_state : dict or None
        The trainer state to continue a stopped run from.
    config, job, trainer, reporter, monitor
        The latest run's settings and objects (None before the first run).
    """

    history: LossHistory = field(default_factory=LossHistory)
    epoch_steps: list[int] = field(default_factory=list)
    quality: QualityHistory = field(default_factory=QualityHistory)
    quality_labels: np.ndarray | None = None
    finished_seconds: float = 0.0
    images_per_second: float = math.nan
    n_runs: int = 0
    last_reason: str | None = None
    last_error: BaseException | None = None
    resume_state: dict[str, Any] | None = None
    config: TrainingConfig | None = None
    job: TrainingJob | None = None
    trainer: Trainer | None = None
    reporter: SessionReporter | None = None
    monitor: QualityMonitor | None = None

    @property
    def is_running(self) -> bool:
        """True while a job runs (or is paused)."""
        return self.job is not None and self.job.is_running

    def running_job(self, verb: str) -> TrainingJob:
        """Return the latest job, or NotReadyError saying there is nothing to ``verb``."""
        if self.job is None:
            msg = f"No training run to {verb}. Start one with session.train()."
            raise NotReadyError(msg)
        return self.job

    def progress_text(self) -> str:
        """Where the running job is, for messages (``"epoch 3/100"``)."""
        reporter = self.reporter
        if reporter is None or not reporter.n_epochs:
            return "starting"
        return f"epoch {reporter.epoch + 1}/{reporter.n_epochs}"

    def seconds(self) -> float:
        """Training time over all runs, including the running one."""
        seconds = self.finished_seconds
        if self.is_running and self.reporter is not None:
            seconds += time.monotonic() - self.reporter.started
        return seconds

    def speed(self) -> float:
        """Images per second of the running run, else of the latest finished one."""
        if self.is_running and self.reporter is not None:
            return self.reporter.images_per_second
        return self.images_per_second

    def epoch_table(self) -> Table:
        """Table of ``epoch``, ``step`` (last step of the epoch) and ``mean_loss``."""
        means = self.history.epoch_means
        steps = np.array(self.epoch_steps[: len(means)], dtype=np.int64)
        return Table({"epoch": np.arange(1, len(means) + 1), "step": steps, "mean_loss": means})

    def loss_table(self) -> Table:
        """Table of ``step`` and ``loss`` for every optimiser step so far (a copy)."""
        return Table({"step": self.history.steps, "loss": self.history.losses})

    def record_epoch(self, step: int, mean_loss: float) -> None:
        """Record an epoch's mean loss (runs on the training thread)."""
        self.epoch_steps.append(step)
        self.history.on_epoch_end(mean_loss=mean_loss)

    def finish(self, job: TrainingJob) -> str:
        """Keep what ``job`` leaves behind; return the session's status after it."""
        self.last_error = job.exception
        self.last_reason = "failed" if job.exception is not None else job.reason
        if self.reporter is not None:
            self.finished_seconds += time.monotonic() - self.reporter.started
            self.images_per_second = self.reporter.images_per_second
        if self.last_reason == "stopped":
            self.resume_state = job.trainer.state_dict()
        return "failed" if job.exception is not None else "trained"

    # -- the saved form ------------------------------------------------------------------

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Return ``(arrays, info)``: the histories as plain arrays, and the JSON-able rest."""
        arrays: dict[str, np.ndarray] = {
            "loss_steps": self.history.steps,
            "loss_values": self.history.losses,
            "epoch_means": self.history.epoch_means,
            "epoch_steps": np.asarray(self.epoch_steps, dtype=np.int64),
        }
        arrays.update({f"quality_{name}": v for name, v in self.quality.columns().items()})
        if self.quality_labels is not None:
            arrays["quality_labels"] = self.quality_labels
        info = {
            "config": None if self.config is None else self.config.to_dict(),
            "n_runs": self.n_runs,
            "last_reason": self.last_reason,
            "step_offset": 0 if self.reporter is None else self.reporter.step_offset,
            "training_seconds": self.seconds(),
            "images_per_second": finite_or_none(self.images_per_second),
        }
        return arrays, info

    @classmethod
    def from_arrays(
        cls,
        arrays: dict[str, np.ndarray],
        info: dict[str, Any],
        *,
        config: TrainingConfig | None,
        resume_state: dict[str, Any] | None,
    ) -> TrainingRecord:
        """Rebuild what :meth:`to_arrays` wrote (checked by ``io.store.schema`` before).

        The quality history, its labels and the training time are absent in older folders.
        """
        record = cls(
            config=config,
            n_runs=int(info["n_runs"]),
            last_reason=info["last_reason"],
            resume_state=resume_state,
            finished_seconds=float(info.get("training_seconds") or 0.0),
        )
        speed = info.get("images_per_second")
        record.images_per_second = math.nan if speed is None else float(speed)
        for step, loss in zip(arrays["loss_steps"], arrays["loss_values"], strict=True):
            record.history.on_batch_end(step=int(step), loss=float(loss))
        for mean in arrays["epoch_means"]:
            record.history.on_epoch_end(mean_loss=float(mean))
        record.epoch_steps = [int(s) for s in arrays["epoch_steps"]]
        if all(f"quality_{name}" in arrays for name in QUALITY_COLUMNS):
            columns = [np.asarray(arrays[f"quality_{name}"]) for name in QUALITY_COLUMNS]
            for row in zip(*columns, strict=True):
                record.quality.append(**dict(zip(QUALITY_COLUMNS, row, strict=True)))
        if "quality_labels" in arrays:
            record.quality_labels = np.array(arrays["quality_labels"], dtype=np.int64)
        return record


class SessionReporter:
    """Forward one training run's progress to its session.

    Parameters
    ----------
    session : HasTraits
        The session whose ``step`` and ``latest_loss`` traits to update.
    record : TrainingRecord
        The session's record of runs, whose histories the run extends.
    step_offset : int
        Steps of earlier runs, so the session's step count keeps rising across runs.
    ui_interval_s : float
        Least time between two trait updates.
    n_epochs : int
        Epochs of the run (named in messages even before the first step).
    """

    def __init__(
        self,
        session: HasTraits,
        record: TrainingRecord,
        *,
        step_offset: int,
        ui_interval_s: float,
        n_epochs: int,
    ) -> None:
        self._session = session
        self._record = record
        self.step_offset = step_offset
        self.ui_interval_s = ui_interval_s
        self.total_steps = 0
        self.n_epochs = n_epochs
        self.epoch = 0
        self.images_per_second = math.nan
        self.started = time.monotonic()
        self._throttle = Throttle(ui_interval_s)
        self._last_step = step_offset
        self._last_loss = math.nan

    def on_train_start(self, trainer: Any, total_steps: int) -> None:
        """Note the run's length."""
        self.total_steps = total_steps
        self.n_epochs = trainer.config.n_epochs
        self.started = time.monotonic()

    def on_batch_end(self, step: int, epoch: int, loss: float, images_per_second: float) -> None:
        """Record the step; update the traits if enough time has passed."""
        global_step = self.step_offset + step
        self._record.history.on_batch_end(step=global_step, loss=loss)
        self.epoch = epoch
        # Smooth the speed a little: single steps on a busy machine jitter.
        ips = self.images_per_second
        self.images_per_second = (
            images_per_second if math.isnan(ips) else 0.8 * ips + 0.2 * images_per_second
        )
        self._last_step, self._last_loss = global_step, loss
        if self._throttle.ready():
            self._publish()

    def on_epoch_end(self, epoch: int, mean_loss: float) -> None:
        """Record the epoch's mean loss at the current step."""
        self._record.record_epoch(self._last_step, mean_loss)

    def on_train_end(self) -> None:
        """Publish the final step (the session records the end from ``TrainingJob.on_done``)."""
        self._publish()

    def _publish(self) -> None:
        session = self._session
        with session.hold_trait_notifications():
            session.set_trait("step", self._last_step)
            session.set_trait("latest_loss", float(self._last_loss))
