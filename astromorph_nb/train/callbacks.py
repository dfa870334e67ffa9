"""Hooks into a training run: loss history, checkpoints, console progress (train layer).

A callback is any object with some of these methods; the trainer calls each with keyword
arguments and passes only those the method names (so ``def on_batch_end(self, loss)`` is
enough):

- ``on_train_start(trainer, total_steps)``
- ``on_batch_end(trainer, step, epoch, loss, learning_rate, images_per_second)``
- ``on_epoch_end(trainer, epoch, mean_loss)``
- ``on_train_end(trainer, reason)`` with ``reason`` one of ``"completed"``, ``"stopped"``,
  ``"time limit"`` or ``"failed"``.

Callbacks run on the training thread when training runs in the background: they must be
quick and must not touch widgets or print (see ``train/background.py``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from astromorph_nb._progress import progress_bar
from astromorph_nb._throttle import Throttle
from astromorph_nb._validation import check_positive_int
from astromorph_nb.io.store.checkpoints import save_checkpoint

__all__ = ["Callback", "CheckpointEvery", "ConsoleProgress", "LossHistory"]


class Callback(Protocol):
    """Any object with some of the ``on_*`` hooks listed in this module's docstring."""


class LossHistory:
    """Thread-safe record of the loss at every step, readable while training runs.

    Examples
    --------
    >>> history = LossHistory()
    >>> history.on_batch_end(step=1, loss=2.5)
    >>> history.steps, history.losses
    (array([1]), array([2.5]))
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: list[int] = []
        self._losses: list[float] = []
        self._epoch_means: list[float] = []

    def on_batch_end(self, step: int, loss: float) -> None:
        """Append one step's loss."""
        with self._lock:
            self._steps.append(int(step))
            self._losses.append(float(loss))

    def on_epoch_end(self, mean_loss: float) -> None:
        """Append one epoch's mean loss."""
        with self._lock:
            self._epoch_means.append(float(mean_loss))

    @property
    def steps(self) -> np.ndarray:
        """Step numbers (1-based), a copy."""
        with self._lock:
            return np.array(self._steps, dtype=np.int64)

    @property
    def losses(self) -> np.ndarray:
        """Loss at each step, a copy."""
        with self._lock:
            return np.array(self._losses, dtype=np.float64)

    @property
    def epoch_means(self) -> np.ndarray:
        """Mean loss of each completed epoch, a copy."""
        with self._lock:
            return np.array(self._epoch_means, dtype=np.float64)

    def __len__(self) -> int:
        with self._lock:
            return len(self._losses)


class CheckpointEvery:
    """Save a checkpoint every few steps or epochs, and at the end of training.

    The checkpoint is written atomically (see :mod:`astromorph_nb.io.store.checkpoints`): if
    training is killed at any moment, ``path`` holds the last complete checkpoint.

    Parameters
    ----------
    path : str or path-like
        Checkpoint file; overwritten each time.
    n_steps : int, optional
        Save every ``n_steps`` optimiser steps.
    n_epochs : int, optional
        Save every ``n_epochs`` epochs. Give ``n_steps`` or ``n_epochs`` (default: every
        epoch).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        n_steps: int | None = None,
        n_epochs: int | None = None,
    ) -> None:
        if n_steps is not None and n_epochs is not None:
            msg = "Give CheckpointEvery either n_steps or n_epochs, not both."
            raise ValueError(msg)
        self.path = Path(path)
        self.n_steps = (
            None
            if n_steps is None
            else check_positive_int(n_steps, name="n_steps", where="CheckpointEvery")
        )
        self.n_epochs = 1 if n_steps is None and n_epochs is None else n_epochs
        if self.n_epochs is not None:
            check_positive_int(self.n_epochs, name="n_epochs", where="CheckpointEvery")
        self.n_saved = 0

    def _save(self, trainer: Any) -> None:
        save_checkpoint(trainer.state_dict(), self.path)
        self.n_saved += 1

    def on_batch_end(self, trainer: Any, step: int) -> None:
        """Save when the step count reaches a multiple of ``n_steps``."""
        if self.n_steps is not None and step % self.n_steps == 0:
            self._save(trainer)

    def on_epoch_end(self, trainer: Any, epoch: int) -> None:
        """Save when the epoch count reaches a multiple of ``n_epochs``."""
        if self.n_epochs is not None and (epoch + 1) % self.n_epochs == 0:
            self._save(trainer)

    def on_train_end(self, trainer: Any, reason: str) -> None:
        """Save the final state, unless training failed (then the last good one stays)."""
        if reason != "failed":
            self._save(trainer)


class ConsoleProgress:
    """A tqdm progress bar with the loss and images per second (for scripts and the CLI).

    On a terminal the bar redraws live; written to a log file (a batch job), it redraws at
    most every 10 seconds, so the log does not grow by a line per step.
    """

    def __init__(self, *, description: str = "Training") -> None:
        self.description = description
        self._bar: Any = None
        self._postfix = Throttle(0.25)

    def on_train_start(self, trainer: Any, total_steps: int) -> None:
        """Open the bar (without a total when a time budget will end training first)."""
        total = None if trainer.config.max_time_s is not None else total_steps
        self._bar = progress_bar(total=total, initial=trainer.step, desc=self.description)

    def on_batch_end(self, step: int, loss: float, images_per_second: float) -> None:
        """Advance the bar; change its text at most 4 times per second."""
        if self._bar is None:
            return
        if self._postfix.ready():
            postfix = {"loss": f"{loss:.4f}", "img_s": f"{images_per_second:.0f}"}
            self._bar.set_postfix(postfix, refresh=False)  # drawn when the bar next redraws
        self._bar.update(step - self._bar.n)

    def on_train_end(self) -> None:
        """Close the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
