"""The session's training callback: history, throttled traits, and the end of a run.

It runs on the training thread (see ``train/background.py``): it appends to the session's
:class:`~astromorph_nb.train.callbacks.LossHistory` (which holds the lock), and at most every
``ui_interval_s`` seconds sets the session's ``step`` and ``latest_loss`` traits, so observers
(the widgets) see a few updates per second however fast training runs.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from astromorph_nb.session.session import Session

__all__ = ["SessionReporter"]


class SessionReporter:
    """Forward one training run's progress to its session.

    Parameters
    ----------
    session : Session
        The session whose traits and history to update.
    step_offset : int
        Steps of earlier runs, so the session's step count keeps rising across runs.
    ui_interval_s : float
        Least time between two trait updates.
    n_epochs : int
        Epochs of the run (named in messages even before the first step).
    """

    def __init__(
        self, session: Session, *, step_offset: int, ui_interval_s: float, n_epochs: int
    ) -> None:
        self._session = session
        self.step_offset = step_offset
        self.ui_interval_s = ui_interval_s
        self.total_steps = 0
        self.n_epochs = n_epochs
        self.epoch = 0
        self.images_per_second = math.nan
        self.started = time.monotonic()
        self._last_update = -math.inf
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
        self._session._history.on_batch_end(step=global_step, loss=loss)
        self.epoch = epoch
        # Smooth the speed a little: single steps on a busy machine jitter.
        ips = self.images_per_second
        self.images_per_second = (
            images_per_second if math.isnan(ips) else 0.8 * ips + 0.2 * images_per_second
        )
        self._last_step, self._last_loss = global_step, loss
        now = time.monotonic()
        if now - self._last_update >= self.ui_interval_s:
            self._last_update = now
            self._publish()

    def on_epoch_end(self, epoch: int, mean_loss: float) -> None:
        """Record the epoch's mean loss at the current step."""
        self._session._record_epoch(self._last_step, mean_loss)

    def on_train_end(self) -> None:
        """Publish the final step (the session records the end from ``TrainingJob.on_done``)."""
        self._publish()

    def _publish(self) -> None:
        session = self._session
        with session.hold_trait_notifications():
            session.set_trait("step", self._last_step)
            session.set_trait("latest_loss", float(self._last_loss))
