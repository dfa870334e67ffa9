"""The training verbs of ``Session``: runs in the background, their control and record.

``train`` starts a :class:`~astromorph_nb.train.TrainingJob` on a thread of its own; the
session's :class:`~astromorph_nb.session.training.TrainingRecord` keeps what every run
leaves behind (losses, quality snapshots, time, how it ended, the state to continue it).
The augmentations that make the training views are chosen and previewed here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from astropy.table import Table

from astromorph_nb._validation import check_positive_int
from astromorph_nb.session.quality import (
    DEFAULT_QUALITY_EVERY_S,
    TrainingReport,
    make_monitor,
    quality_table,
    training_report,
)
from astromorph_nb.session.state import SessionState
from astromorph_nb.session.training import SessionReporter
from astromorph_nb.train.config import TrainingConfig

if TYPE_CHECKING:
    from astromorph_nb.augment import Augmentation
    from astromorph_nb.train.background import TrainingJob

__all__ = ["TrainingMethods"]


class TrainingMethods(SessionState):
    """The training verbs of :class:`~astromorph_nb.Session`."""

    @property
    def job(self) -> TrainingJob | None:
        """The latest training job, or None before the first :meth:`train`."""
        return self._training.job

    @property
    def config(self) -> TrainingConfig | None:
        """Settings of the latest training run, or None before the first."""
        return self._training.config

    @property
    def loss_history(self) -> Table:
        """Table of ``step`` and ``loss`` for every optimiser step so far (a copy)."""
        return self._training.loss_table()

    @property
    def quality_history(self) -> Table:
        """Table of label-free quality snapshots taken while training ran (a copy).

        One row per snapshot of a fixed subset of up to 512 images (see ``quality_every_s``
        of :meth:`train`): ``step``, ``elapsed_s`` (training time, all runs),
        ``effective_rank`` (RankMe: how many directions the embedding uses; rising or flat
        is good), ``spread`` (0 means collapse), ``neighbor_change`` (share of each image's
        nearest neighbours that changed since the previous snapshot; a few per cent means
        the map will change little more) and ``knn_accuracy`` (with labels given to
        :meth:`evaluate`; NaN otherwise). See :meth:`training_report` for a summary.
        """
        return quality_table(self._training)

    def training_report(self) -> TrainingReport:
        """Sum up training: steps, time, speed, loss and quality, and what they mean.

        Returns
        -------
        TrainingReport
            ``print(report)`` shows a few lines; in a notebook it shows as a table. The
            ``interpretation`` attribute says in one sentence whether the embedding is still
            learning, has settled, or has collapsed.
        """
        return training_report(
            self._training, steps=self.step, n_features=int(self._model.n_features)
        )

    @property
    def epoch_history(self) -> Table:
        """Table of ``epoch``, ``step`` (last step of the epoch) and ``mean_loss``."""
        return self._training.epoch_table()

    @property
    def progress(self) -> dict[str, Any]:
        """Where training is: steps, epochs, images per second, elapsed and remaining time.

        Keys: ``status``, ``job_status``, ``step`` (all runs), ``run_step`` and
        ``run_total_steps`` (this run), ``epoch`` (0-based), ``n_epochs``,
        ``images_per_second``, ``elapsed_s``, ``remaining_s`` (None when unknown),
        ``device`` and ``gpu_memory_bytes`` (None off CUDA). Before any training only
        ``status`` and ``step``.
        """
        record = self._training
        reporter, trainer = record.reporter, record.trainer
        if reporter is None or trainer is None:
            return {"status": self.status, "step": self.step}
        run_step = self.step - reporter.step_offset
        elapsed = trainer.elapsed_s() if self.is_training else None
        remaining = None
        if elapsed is not None and run_step > 0 and reporter.total_steps:
            remaining = elapsed / run_step * max(reporter.total_steps - run_step, 0)
            if trainer.config.max_time_s is not None:
                remaining = min(remaining, max(trainer.config.max_time_s - elapsed, 0.0))
        return {
            "status": self.status,
            "job_status": record.job.status if record.job is not None else None,
            "step": self.step,
            "run_step": run_step,
            "run_total_steps": reporter.total_steps,
            "epoch": reporter.epoch,
            "n_epochs": reporter.n_epochs,
            "images_per_second": reporter.images_per_second,
            "elapsed_s": elapsed,
            "remaining_s": remaining,
            "device": trainer.device.type,
            "gpu_memory_bytes": (
                torch.cuda.memory_allocated(trainer.device)
                if trainer.device.type == "cuda"
                else None
            ),
        }

    def train(
        self,
        n_epochs: int | None = None,
        *,
        callbacks: Iterable[Any] = (),
        augmentations: Augmentation | None = None,
        quality_every_s: float | None = DEFAULT_QUALITY_EVERY_S,
        **training_options: Any,
    ) -> TrainingJob:
        """Train in a background thread; return the :class:`TrainingJob` at once.

        After :meth:`stop`, calling ``train()`` with no arguments continues the stopped run
        exactly where it stopped (same schedule). With ``n_epochs`` or other settings, a new
        run starts from the current weights; steps and loss history carry on.

        Parameters
        ----------
        n_epochs : int, optional
            Passes over the images in this run (default 100, or the rest of a stopped run).
        callbacks : iterable, optional
            Extra callbacks (see :mod:`astromorph_nb.train.callbacks`), e.g.
            ``CheckpointEvery(path)``.
        augmentations : Augmentation, optional
            For this run only; default the session's (see :meth:`set_augmentations`).
        quality_every_s : float or None, default=5.0
            Every this many seconds (and at the first and last step), embed a fixed subset
            of up to 512 images and add a row to :attr:`quality_history`: effective rank,
            spread, neighbour change, and kNN accuracy if :meth:`evaluate` was given labels.
            It takes at most about 5 % of the training time and does not change the
            training (the same seed gives the same weights with or without it). None
            switches it off.
        **training_options
            :class:`~astromorph_nb.train.TrainingConfig` settings: ``batch_size``,
            ``learning_rate``, ``max_time_s``, ``optimizer``, ...

        Raises
        ------
        BusyError
            If a run is already in progress.
        """
        from astromorph_nb.train.background import TrainingJob
        from astromorph_nb.train.trainer import Trainer

        self._check_idle("train")
        images = self._images.require("train")
        record = self._training
        callbacks = list(callbacks)
        resume = (
            record.resume_state is not None
            and n_epochs is None
            and not training_options
            and augmentations is None
        )
        if resume:
            assert record.config is not None
            config, checkpoint = record.config, record.resume_state
            offset = record.reporter.step_offset if record.reporter is not None else 0
        else:
            options: dict[str, Any] = {
                "device": self.device,
                "random_state": self._seed(record.n_runs),
            }
            options.update(training_options)
            if n_epochs is not None:
                options["n_epochs"] = n_epochs
            config = TrainingConfig(**options)
            checkpoint, offset = None, self.step
        monitor = make_monitor(  # validates first
            record, images, quality_every_s, step_offset=offset, random_state=self.random_state
        )
        reporter = SessionReporter(
            self,
            record,
            step_offset=offset,
            ui_interval_s=self.ui_interval_s,
            n_epochs=config.n_epochs,
        )
        # The monitor comes first, so the reporter's last update already shows its last row.
        monitors = [] if monitor is None else [monitor]
        trainer = Trainer(
            config,
            callbacks=[*monitors, reporter, *callbacks],
            augmentations=augmentations if augmentations is not None else self._augmentations,
        )
        job = TrainingJob(trainer, self._model, images, checkpoint=checkpoint, start=False)
        record.config, record.trainer, record.resume_state = config, trainer, None
        record.reporter, record.monitor, record.job = reporter, monitor, job
        record.n_runs += 1
        self.set_trait("status", "training")
        job.display_factory = self.training_panel
        job.on_done = self._finish_run
        job.start()
        return job

    def _finish_run(self, job: TrainingJob) -> None:
        """Keep what a run leaves behind (runs on the training thread, however it ends)."""
        self.set_trait("status", self._training.finish(job))

    @property
    def last_error(self) -> BaseException | None:
        """The exception that ended the latest training run, or None."""
        return self._training.last_error

    @property
    def last_reason(self) -> str | None:
        """Why the latest run ended: "completed", "stopped", "time limit", "failed" or None."""
        return self._training.last_reason

    @property
    def can_resume(self) -> bool:
        """True when the latest run was stopped and ``train()`` would continue it exactly."""
        return self._training.resume_state is not None and not self.is_training

    def wait(self, timeout: float | None = None) -> str | None:
        """Wait for the training run to end; return why it ended (see TrainingJob.wait)."""
        return self._training.running_job("wait for").wait(timeout)

    def stop(self) -> None:
        """Ask training to stop after the current batch; returns at once."""
        self._training.running_job("stop").stop()

    def pause(self) -> None:
        """Pause training after the current batch."""
        self._training.running_job("pause").pause()

    def resume(self) -> None:
        """Continue a paused training run."""
        self._training.running_job("resume").resume()

    # -- augmentations -------------------------------------------------------------------

    @property
    def augmentation_settings(self) -> dict[str, Any]:
        """Settings given to :meth:`set_augmentations` (empty: the defaults), a copy."""
        return dict(self._augmentation_settings)

    @property
    def augmentations(self) -> Augmentation:
        """The augmentations that make training views (see :meth:`set_augmentations`)."""
        return self._augmentations

    def set_augmentations(self, augmentations: Augmentation | None = None, **settings: Any) -> None:
        """Choose how training views are made, for the next runs.

        Parameters
        ----------
        augmentations : Augmentation, optional
            A pipeline of your own (``astromorph_nb.augment``).
        **settings
            Or keywords of :func:`~astromorph_nb.augment.default_augmentations`:
            ``angle_deg``, ``flip_prob``, ``shift_fraction``, ``zoom``, ``aspect_ratio``,
            ``fill``, ``fwhm_px``, ``relative_sigma``, ``flux_factor``. No arguments restores
            the defaults.
        """
        from astromorph_nb.augment import default_augmentations

        if augmentations is not None and settings:
            msg = (
                "Pass either an augmentation pipeline or default_augmentations settings, not both."
            )
            raise TypeError(msg)
        if augmentations is not None:
            self._augmentations, self._augmentation_settings = augmentations, {}
            return
        self._augmentations = default_augmentations(**settings)
        self._augmentation_settings = dict(settings)

    def augmented_views(
        self,
        indices: Any = None,
        *,
        n_views: int = 4,
        settings: dict[str, Any] | None = None,
        random_state: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return images and augmented views of them, as the network sees them in training.

        Parameters
        ----------
        indices : int array-like, optional
            Which images (default: the first four).
        n_views : int, default=4
            Views per image.
        settings : dict, optional
            Try these :func:`~astromorph_nb.augment.default_augmentations` settings instead
            of the session's augmentations (which stay as they are).
        random_state : int, optional
            Seed of the views; default the session's ``random_state`` (or 0).

        Returns
        -------
        originals : ndarray of shape (n, n_channels, ny, nx)
        views : ndarray of shape (n, n_views, n_channels, ny, nx)
        """
        from astromorph_nb.augment import default_augmentations

        images = self._images.require("augmented_views").images
        chosen = (
            np.arange(min(4, self._images.n_images))
            if indices is None
            else self._images.check_indices(indices, "indices", "Session.augmented_views")
        )
        n_views = check_positive_int(n_views, name="n_views", where="Session.augmented_views")
        originals = images[torch.as_tensor(chosen)]
        pipeline = self._augmentations if settings is None else default_augmentations(**settings)
        seed = random_state if random_state is not None else (self._seed() or 0)
        generator = torch.Generator().manual_seed(seed)
        batch = originals.repeat_interleave(n_views, dim=0)
        views = pipeline(batch, generator)
        shape = (len(chosen), n_views, *originals.shape[1:])
        return originals.numpy().copy(), views.reshape(shape).numpy().copy()

    def training_panel(self) -> Any:
        """Return a live training panel: buttons, loss curve, speed, ETA, errors."""
        from astromorph_nb.session.session import Session
        from astromorph_nb.widgets.training_panel import TrainingPanel

        assert isinstance(self, Session)  # these verbs are always part of a Session
        return TrainingPanel(self)
