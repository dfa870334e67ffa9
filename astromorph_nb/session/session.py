"""Session: the one object a user holds, from images to maps and exports (session layer).

A session owns an image set, a BYOL model, at most one background training job, and the
results computed from the model: embeddings, a t-SNE map, anomaly scores and clusters.
Small observable state is held in traits (``status``, ``step``, ``latest_loss``,
``selection``, ``results_version``) that widgets observe; heavy results are read-only
properties that raise :class:`~astromorph_nb.NotReadyError` naming the step that makes them.
Analysis steps run in the caller's thread; only training runs in the background.

Examples
--------
>>> import numpy as np
>>> from astromorph_nb import Session
>>> rng = np.random.default_rng(0)
>>> session = Session.from_arrays(rng.random((40, 32, 32)), random_state=0, device="cpu")
>>> session
<Session: 40 images 1×32×32, status='ready', 0 steps, t-SNE map: no>
>>> job = session.train(n_epochs=2, batch_size=16)
>>> job.wait()
'completed'
>>> session.embed().shape
(40, 128)
>>> session.neighbors(0, k=3)["index"].shape
(3,)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from astropy.table import Table
from traitlets import Float, HasTraits, Int, Tuple, Unicode

from astromorph_nb._validation import check_choice, check_positive_int
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.exceptions import BusyError, NotReadyError
from astromorph_nb.session.analysis import AnalysisMethods
from astromorph_nb.session.figures import FigureMethods
from astromorph_nb.session.model_spec import ModelSpec, model_for
from astromorph_nb.session.quality import (
    DEFAULT_QUALITY_EVERY_S,
    TrainingReport,
    make_monitor,
    quality_table,
    training_report,
)
from astromorph_nb.session.tables import RESERVED_COLUMNS, results_table
from astromorph_nb.session.training import SessionReporter
from astromorph_nb.train.callbacks import LossHistory
from astromorph_nb.train.config import DEVICES, TrainingConfig
from astromorph_nb.train.quality import QualityHistory

# What only some methods use is imported inside them, so that ``import astromorph_nb`` and
# the Session class load neither the trainer and augmentations nor matplotlib (which
# astropy.visualization imports), scikit-learn or openTSNE.
if TYPE_CHECKING:
    from torch import nn

    from astromorph_nb.analysis.neighbors import NeighborIndex
    from astromorph_nb.analysis.tsne import TSNEMap
    from astromorph_nb.augment import Augmentation
    from astromorph_nb.model.byol import BYOL
    from astromorph_nb.train.background import TrainingJob
    from astromorph_nb.train.quality import QualityMonitor
    from astromorph_nb.train.trainer import Trainer

__all__ = ["NAME_COLUMNS", "STATUSES", "Session"]

#: Values of :attr:`Session.status`.
STATUSES = ("empty", "ready", "training", "trained", "failed")
#: Metadata columns that name the objects, in order of preference.
NAME_COLUMNS = ("OBJECT", "name", "id")
_THUMBNAIL_SIZE = 64


class Session(HasTraits, AnalysisMethods, FigureMethods):
    """Images, a BYOL model, its training, and everything computed from it.

    Parameters
    ----------
    images : ImageSet
        Preprocessed images (see :func:`astromorph_nb.read_fits`). The session does no I/O
        and starts no work when created.
    model : None, "default", str, torch.nn.Module or BYOL, default=None
        The network. None (or ``"default"``) is the default model for quality per minute of
        CPU, starting from the weights shipped with the package when ``pretrained`` (one-
        channel images). A string names an encoder for
        :func:`~astromorph_nb.model.build_encoder` (``"resnet18-layer2"``); a module is used
        as the encoder; a ``BYOL`` model is used as it is; a
        :class:`~astromorph_nb.session.model_spec.ModelSpec` is built as it says.
    pretrained : bool, default=True
        Start the default model from the shipped weights; False trains from scratch.
    random_state : int or None, default=None
        Seed for the model's initial weights, training, t-SNE, clustering and anomaly
        scores; fix it to repeat results.
    device : {"auto", "cpu", "cuda", "mps"}, default="auto"
        Where training and embedding run; ``"auto"`` takes a GPU when there is one.
    ui_interval_s : float, default=0.25
        Least time between two updates of the ``step`` and ``latest_loss`` traits while
        training runs (observers such as widgets see at most 4 updates per second).

    Attributes
    ----------
    status : str
        One of ``"empty"`` (saved without images), ``"ready"`` (not trained),
        ``"training"``, ``"trained"`` or ``"failed"``. Observable; read-only.
    step : int
        Optimiser steps taken over all training runs. Observable; read-only.
    latest_loss : float
        Loss of the latest step (NaN before training). Observable; read-only.
    selection : tuple of int
        The selected images (see :meth:`select`). Observable; read-only.
    results_version : int
        Goes up whenever embeddings, the map, scores, clusters or tags change. Observable.
    """

    status = Unicode("ready", read_only=True)
    step = Int(0, read_only=True)
    latest_loss = Float(math.nan, read_only=True)
    selection = Tuple(read_only=True)
    results_version = Int(0, read_only=True)

    def __init__(
        self,
        images: ImageSet,
        *,
        model: str | nn.Module | ModelSpec | None = None,
        pretrained: bool = True,
        random_state: int | None = None,
        device: str = "auto",
        ui_interval_s: float = 0.25,
    ) -> None:
        super().__init__()
        if not isinstance(images, ImageSet):
            msg = (
                f"Session needs an ImageSet; got {type(images).__name__}. Use "
                "Session.from_fits(...) for files or Session.from_arrays(...) for arrays."
            )
            raise TypeError(msg)
        if len(images) < 2:
            msg = f"A session needs at least 2 images; got {len(images)}."
            raise ValueError(msg)
        if random_state is not None:
            check_positive_int(random_state, name="random_state", where="Session", minimum=0)
        check_choice(device, DEVICES, name="device", where="Session")
        byol, spec = model_for(
            model, in_channels=images.n_channels, pretrained=pretrained, random_state=random_state
        )
        self._setup(
            images,
            n_images=len(images),
            image_shape=tuple(images.shape[1:]),
            meta=images.meta,
            model=byol,
            spec=spec,
            random_state=random_state,
            device=device,
            ui_interval_s=ui_interval_s,
        )

    @classmethod
    def _restored(cls, images: ImageSet | None, **parts: Any) -> Session:
        """Build a session over checked saved state (``persistence.py``), images or not.

        ``parts`` are the keywords of :meth:`_setup`.
        """
        session = cls.__new__(cls)
        HasTraits.__init__(session)
        session._setup(images, **parts)
        return session

    def _setup(
        self,
        images: ImageSet | None,
        *,
        n_images: int,
        image_shape: tuple[int, ...],
        meta: Table,
        model: BYOL,
        spec: ModelSpec,
        random_state: int | None,
        device: str,
        ui_interval_s: float,
    ) -> None:
        from astromorph_nb.augment import default_augmentations

        self._images = images
        self._meta = meta if meta.colnames else Table()
        self._n_images = n_images
        self._image_shape = image_shape
        self._model, self._model_spec = model, spec
        self.random_state = random_state
        self.device = device
        self.ui_interval_s = float(ui_interval_s)
        self._history = LossHistory()
        self._epoch_steps: list[int] = []
        self._quality = QualityHistory()
        self._quality_labels: np.ndarray | None = None  # class numbers from evaluate()
        self._monitor: QualityMonitor | None = None
        self._training_seconds = 0.0  # all finished runs
        self._images_per_second = math.nan  # of the latest finished run
        self._job: TrainingJob | None = None
        self._trainer: Trainer | None = None
        self._reporter: SessionReporter | None = None
        self._config: TrainingConfig | None = None
        self._resume_state: dict[str, Any] | None = None
        self._n_runs = 0
        self._last_reason: str | None = None
        self._last_error: BaseException | None = None
        self._thumbnails: np.ndarray | None = None
        self._augmentation_settings: dict[str, Any] = {}
        self._augmentations: Augmentation = default_augmentations()
        self._clear_results()

    def _clear_results(self) -> None:
        self._embeddings: np.ndarray | None = None
        self._embeddings_step = -1
        self._tsne: TSNEMap | None = None
        self._neighbor_index: NeighborIndex | None = None
        self._scores: np.ndarray | None = None
        self._score_method: str | None = None
        self._clusters: np.ndarray | None = None
        self._cluster_method: str | None = None

    # -- constructors --------------------------------------------------------------------

    @classmethod
    def from_fits(
        cls, source: Any, *, session_options: dict[str, Any] | None = None, **read_options: Any
    ) -> Session:
        """Read FITS files with :func:`astromorph_nb.read_fits` and start a session.

        Parameters
        ----------
        source : str, path-like, or a list of them
            Files, folders, globs or list files, as for :func:`~astromorph_nb.read_fits`.
        session_options : dict, optional
            Keywords for :class:`Session` (``model``, ``random_state``, ``device``, ...).
        **read_options
            Keywords for :func:`~astromorph_nb.read_fits` (``image_size``, ``hdu``,
            ``cube_mode``, ``normalize``, ``on_error``, ...).
        """
        from astromorph_nb.io.fits.reader import read_fits

        return cls(read_fits(source, **read_options), **(session_options or {}))

    @classmethod
    def from_arrays(
        cls,
        array: Any,
        meta: Table | None = None,
        *,
        normalize: str | None = "minmax",
        **session_options: Any,
    ) -> Session:
        """Start a session from a numpy array (or tensor) of images.

        Parameters
        ----------
        array : array-like of shape (n_images, ny, nx) or (n_images, n_channels, ny, nx)
            Images in numpy axis order; NaN or inf marks blank pixels.
        meta : astropy.table.Table, optional
            One row per image (names, coordinates, labels, ...).
        normalize : str or None, default="minmax"
            Scaling of each image, as ``read_fits(normalize=...)``: one of "minmax",
            "percentile", "zscale", "asinh", "log", or None for arrays already scaled.
        **session_options
            Keywords for :class:`Session`.
        """
        imageset = imageset_from_arrays(
            array, meta, normalize=normalize, where="Session.from_arrays"
        )
        return cls(imageset, **session_options)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        model: nn.Module | None = None,
        device: str = "auto",
    ) -> Session:
        """Open a session saved with :meth:`save`, with no retraining.

        Weights and arrays are read as plain tensors and arrays: nothing in the folder is
        executed (``torch.load(weights_only=True)``, ``np.load(allow_pickle=False)``). Large
        arrays are memory-mapped, so even 100,000 objects open in seconds.

        Parameters
        ----------
        path : str or path-like
            The session folder.
        model : torch.nn.Module, optional
            Needed only for sessions trained with your own encoder: the same network, whose
            weights are then loaded from the folder.
        device : str, default="auto"
            Where to train and embed from now on.
        """
        from astromorph_nb.session import persistence

        return persistence.load_session(cls, path, model=model, device=device)

    # -- small helpers -------------------------------------------------------------------

    def _require_images(self, verb: str) -> ImageSet:
        if self._images is None:
            msg = (
                f"This session was saved without its images, so {verb}() cannot run. Load "
                "the images again (Session.from_fits) and continue from the saved weights, or "
                "save with include_images=True."
            )
            raise NotReadyError(msg)
        return self._images

    def _check_idle(self, verb: str) -> None:
        if self.is_training:
            msg = (
                f"A training run is already in progress ({self._progress_text()}). Call "
                f"session.stop() or session.wait() first, then session.{verb}()."
            )
            raise BusyError(msg)

    def _progress_text(self) -> str:
        reporter = self._reporter
        if reporter is None or not reporter.n_epochs:
            return "starting"
        return f"epoch {reporter.epoch + 1}/{reporter.n_epochs}"

    def _bump(self) -> None:
        self.set_trait("results_version", self.results_version + 1)

    def _seed(self, offset: int = 0) -> int | None:
        return None if self.random_state is None else self.random_state + offset

    def _check_index(self, index: Any, name: str, where: str) -> int:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            msg = f"The {name!r} parameter of {where} must be an int; got {index!r}."
            raise TypeError(msg)
        if not -self._n_images <= int(index) < self._n_images:
            msg = (
                f"Image index {int(index)} is out of range for this session of "
                f"{self._n_images} images (valid: 0 to {self._n_images - 1})."
            )
            raise IndexError(msg)
        return int(index) % self._n_images

    def _check_indices(self, indices: Any, name: str, where: str) -> np.ndarray:
        if indices is None:
            return np.empty(0, dtype=np.int64)
        array = np.asarray(indices)
        if array.dtype == bool:
            if array.shape != (self._n_images,):
                msg = (
                    f"A boolean {name!r} for {where} must have one entry per image "
                    f"({self._n_images}); got shape {array.shape}."
                )
                raise ValueError(msg)
            return np.flatnonzero(array)
        array = np.atleast_1d(array)
        if array.size and array.dtype.kind not in "iu":
            msg = f"The {name!r} parameter of {where} must hold ints; got dtype {array.dtype}."
            raise TypeError(msg)
        return np.array([self._check_index(int(i), name, where) for i in array], dtype=np.int64)

    # -- read-only results ---------------------------------------------------------------

    @property
    def images(self) -> ImageSet:
        """The image set (NotReadyError if the session was saved without images)."""
        return self._require_images("images")

    @property
    def meta(self) -> Table:
        """Metadata table, one row per image, with any tags added by :meth:`tag`."""
        return self._meta

    @property
    def object_names(self) -> list[str] | None:
        """Each image's name from the first of the ``OBJECT``, ``name`` or ``id`` columns.

        None when the metadata has none of them. Used for labels in figures, widgets and
        the companion page.
        """
        column = next((c for c in NAME_COLUMNS if c in self._meta.colnames), None)
        return None if column is None else [str(v) for v in self._meta[column]]

    @property
    def n_images(self) -> int:
        """Number of images."""
        return self._n_images

    @property
    def model_spec(self) -> ModelSpec:
        """How the model was built: what a saved session needs to build it again."""
        return self._model_spec

    @property
    def model(self) -> BYOL:
        """The BYOL model (owned by the training thread while a run is in progress)."""
        return self._model

    @property
    def job(self) -> TrainingJob | None:
        """The latest training job, or None before the first :meth:`train`."""
        return self._job

    @property
    def config(self) -> TrainingConfig | None:
        """Settings of the latest training run, or None before the first."""
        return self._config

    @property
    def is_training(self) -> bool:
        """True while a training job is running (or paused)."""
        return self._job is not None and self._job.is_running

    @property
    def embeddings(self) -> np.ndarray:
        """Array of shape (n_images, n_features): the latest :meth:`embed` result, a copy."""
        if self._embeddings is None:
            msg = "No embeddings yet. Run session.embed() first, or session.analyse()."
            raise NotReadyError(msg)
        return self._embeddings.copy()

    @property
    def tsne_coordinates(self) -> np.ndarray:
        """Array of shape (n_images, 2): the t-SNE map from :meth:`fit_tsne`, a copy."""
        if self._tsne is None:
            msg = "No t-SNE map yet. Run session.fit_tsne() first, or session.analyse()."
            raise NotReadyError(msg)
        return np.array(self._tsne.coordinates_, copy=True)

    @property
    def anomaly_scores(self) -> np.ndarray:
        """Array of shape (n_images,) from :meth:`score_anomalies`; higher = more unusual."""
        if self._scores is None:
            msg = "No anomaly scores yet. Run session.score_anomalies() first."
            raise NotReadyError(msg)
        return self._scores.copy()

    @property
    def cluster_labels(self) -> np.ndarray:
        """Array of shape (n_images,) of int cluster labels from :meth:`cluster` (-1: noise)."""
        if self._clusters is None:
            msg = "No clusters yet. Run session.cluster() first."
            raise NotReadyError(msg)
        return self._clusters.copy()

    @property
    def thumbnails(self) -> np.ndarray:
        """Array of uint8, shape (n_images, ty, tx): grey previews (asinh stretch), cached."""
        if self._thumbnails is None:
            from astromorph_nb.data.thumbnails import make_thumbnails

            images = self._require_images("thumbnails")
            self._thumbnails = make_thumbnails(images.images, size=_THUMBNAIL_SIZE)
        return self._thumbnails

    @property
    def loss_history(self) -> Table:
        """Table of ``step`` and ``loss`` for every optimiser step so far (a copy)."""
        return Table({"step": self._history.steps, "loss": self._history.losses})

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
        return quality_table(self)

    def training_report(self) -> TrainingReport:
        """Sum up training: steps, time, speed, loss and quality, and what they mean.

        Returns
        -------
        TrainingReport
            ``print(report)`` shows a few lines; in a notebook it shows as a table. The
            ``interpretation`` attribute says in one sentence whether the embedding is still
            learning, has settled, or has collapsed.
        """
        return training_report(self)

    @property
    def epoch_history(self) -> Table:
        """Table of ``epoch``, ``step`` (last step of the epoch) and ``mean_loss``."""
        means = self._history.epoch_means
        steps = np.array(self._epoch_steps[: len(means)], dtype=np.int64)
        return Table({"epoch": np.arange(1, len(means) + 1), "step": steps, "mean_loss": means})

    @property
    def progress(self) -> dict[str, Any]:
        """Where training is: steps, epochs, images per second, elapsed and remaining time.

        Keys: ``status``, ``job_status``, ``step`` (all runs), ``run_step`` and
        ``run_total_steps`` (this run), ``epoch`` (0-based), ``n_epochs``,
        ``images_per_second``, ``elapsed_s``, ``remaining_s`` (None when unknown),
        ``device`` and ``gpu_memory_bytes`` (None off CUDA). Before any training only
        ``status`` and ``step``.
        """
        reporter, trainer = self._reporter, self._trainer
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
            "job_status": self._job.status if self._job is not None else None,
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

    # -- training ------------------------------------------------------------------------

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
        images = self._require_images("train")
        callbacks = list(callbacks)
        resume = (
            self._resume_state is not None
            and n_epochs is None
            and not training_options
            and augmentations is None
        )
        if resume:
            assert self._config is not None
            config, checkpoint = self._config, self._resume_state
            offset = self._reporter.step_offset if self._reporter is not None else 0
        else:
            options: dict[str, Any] = {
                "device": self.device,
                "random_state": self._seed(self._n_runs),
            }
            options.update(training_options)
            if n_epochs is not None:
                options["n_epochs"] = n_epochs
            config = TrainingConfig(**options)
            checkpoint, offset = None, self.step
        monitor = make_monitor(self, quality_every_s, step_offset=offset)  # validates first
        self._monitor = monitor
        self._reporter = SessionReporter(
            self, step_offset=offset, ui_interval_s=self.ui_interval_s, n_epochs=config.n_epochs
        )
        # The monitor comes first, so the reporter's last update already shows its last row.
        monitors = [] if monitor is None else [monitor]
        trainer = Trainer(
            config,
            callbacks=[*monitors, self._reporter, *callbacks],
            augmentations=augmentations if augmentations is not None else self._augmentations,
        )
        self._config, self._trainer, self._resume_state = config, trainer, None
        self._n_runs += 1
        self.set_trait("status", "training")
        self._job = TrainingJob(trainer, self._model, images, checkpoint=checkpoint, start=False)
        self._job.display_factory = self.training_panel
        self._job.on_done = self._finish_run
        self._job.start()
        return self._job

    def _record_epoch(self, step: int, mean_loss: float) -> None:
        """Record an epoch's mean loss (runs on the training thread)."""
        self._epoch_steps.append(step)
        self._history.on_epoch_end(mean_loss=mean_loss)

    def _finish_run(self, job: TrainingJob) -> None:
        """Keep what a run leaves behind (runs on the training thread, however it ends)."""
        self._last_error = job.exception
        self._last_reason = "failed" if job.exception is not None else job.reason
        if self._reporter is not None:
            self._training_seconds += time.monotonic() - self._reporter.started
            self._images_per_second = self._reporter.images_per_second
        if self._last_reason == "stopped":
            self._resume_state = job.trainer.state_dict()
        self.set_trait("status", "failed" if job.exception is not None else "trained")

    @property
    def last_error(self) -> BaseException | None:
        """The exception that ended the latest training run, or None."""
        return self._last_error

    @property
    def last_reason(self) -> str | None:
        """Why the latest run ended: "completed", "stopped", "time limit", "failed" or None."""
        return self._last_reason

    @property
    def can_resume(self) -> bool:
        """True when the latest run was stopped and ``train()`` would continue it exactly."""
        return self._resume_state is not None and not self.is_training

    def _job_or_error(self, verb: str) -> TrainingJob:
        if self._job is None:
            msg = f"No training run to {verb}. Start one with session.train()."
            raise NotReadyError(msg)
        return self._job

    def wait(self, timeout: float | None = None) -> str | None:
        """Wait for the training run to end; return why it ended (see TrainingJob.wait)."""
        return self._job_or_error("wait for").wait(timeout)

    def stop(self) -> None:
        """Ask training to stop after the current batch; returns at once."""
        self._job_or_error("stop").stop()

    def pause(self) -> None:
        """Pause training after the current batch."""
        self._job_or_error("pause").pause()

    def resume(self) -> None:
        """Continue a paused training run."""
        self._job_or_error("resume").resume()

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

        images = self._require_images("augmented_views").images
        chosen = (
            np.arange(min(4, self._n_images))
            if indices is None
            else self._check_indices(indices, "indices", "Session.augmented_views")
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

    # -- selection and tags --------------------------------------------------------------

    def select(self, indices: Any) -> tuple[int, ...]:
        """Make ``indices`` the selection (None or empty clears it); return it as a tuple."""
        chosen = self._check_indices(indices, "indices", "Session.select")
        selection = tuple(int(i) for i in dict.fromkeys(chosen.tolist()))
        self.set_trait("selection", selection)
        return selection

    def tag(self, indices: Any, name: str, *, value: bool = True) -> None:
        """Mark images in a boolean metadata column ``name`` (created, False elsewhere)."""
        chosen = self._check_indices(indices, "indices", "Session.tag")
        if not isinstance(name, str) or not name.strip() or name in RESERVED_COLUMNS:
            msg = (
                f"The 'name' parameter of Session.tag must be a non-empty column name other "
                f"than {', '.join(sorted(RESERVED_COLUMNS))}; got {name!r}."
            )
            raise ValueError(msg)
        if name in self._meta.colnames:
            if self._meta[name].dtype != bool:
                msg = (
                    f"Metadata column {name!r} exists and holds {self._meta[name].dtype} values, "
                    "not tags. Choose another tag name."
                )
                raise ValueError(msg)
        else:
            if not self._meta.colnames:
                self._meta = Table()
            self._meta[name] = np.zeros(self._n_images, dtype=bool)
        self._meta[name][chosen] = bool(value)
        self._bump()

    # -- colours for maps -----------------------------------------------------------------

    def color_options(self) -> list[str]:
        """Names that :meth:`color_values` accepts: results that exist, then metadata columns."""
        options = []
        if self._clusters is not None:
            options.append("cluster")
        if self._scores is not None:
            options.append("anomaly_score")
        return options + [n for n in self._meta.colnames if self._meta[n].ndim == 1]

    def color_values(self, name: str) -> tuple[np.ndarray, str]:
        """Return ``(values, label)`` to colour the map by ``name`` (see :meth:`color_options`).

        ``"cluster"`` gives the cluster labels, ``"anomaly_score"`` the scores, any other
        name a metadata column (as an array).
        """
        if name == "cluster":
            return self.cluster_labels, "cluster"
        if name == "anomaly_score":
            return self.anomaly_scores, "anomaly score"
        if name in self._meta.colnames:
            return np.asarray(self._meta[name]), name
        choices = ["anomaly_score", "cluster", *self._meta.colnames]
        msg = f"Cannot colour by {name!r}. Choose one of: {', '.join(choices)}."
        raise KeyError(msg)

    # -- saving and exporting ------------------------------------------------------------

    def to_table(self) -> Table:
        """One row per image: ``index``, the metadata, and every result computed so far."""
        return results_table(self)

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        include_images: bool = True,
    ) -> os.PathLike[str]:
        """Save everything to one folder that :meth:`load` reopens with no retraining.

        The folder holds the weights (state dicts), training settings and loss history,
        embeddings, map, scores, clusters, metadata (with tags), thumbnails, and the images
        unless ``include_images=False``. It is written to a temporary folder and moved into
        place, so an interrupted save never damages an earlier one.

        Raises
        ------
        BusyError
            While training runs (stop or wait first).
        OutputExistsError
            If ``path`` exists and ``overwrite`` is False.
        """
        from astromorph_nb.session import persistence

        self._check_idle("save")
        return persistence.save_session(
            self, path, overwrite=overwrite, include_images=include_images
        )

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        rows: Any = None,
        overwrite: bool = False,
    ) -> os.PathLike[str]:
        """Write :meth:`to_table` as a FITS table, ECSV, CSV or Parquet file (by extension).

        Parameters
        ----------
        path : str or path-like
            ``.fits``, ``.ecsv``, ``.csv`` or ``.parquet`` (needs pyarrow).
        rows : int array-like, optional
            Only these images (e.g. ``session.selection``); default all.
        overwrite : bool, default=False
            Replace an existing file.
        """
        from astromorph_nb.io.export.tables import write_table

        self._embeddings_or_error("export")
        table = self.to_table()
        if rows is not None:
            table = table[self._check_indices(rows, "rows", "Session.export")]
        return write_table(table, path, overwrite=overwrite)

    def to_tensorboard(
        self, logdir: str | os.PathLike[str], *, overwrite: bool = False
    ) -> os.PathLike[str]:
        """Write TensorBoard projector files (embeddings, metadata, sprite of thumbnails)."""
        from astromorph_nb.io.export.tensorboard import write_projector

        embeddings = self._embeddings_or_error("to_tensorboard")
        table = self.to_table()
        table.remove_columns([n for n in table.colnames if table[n].ndim > 1])
        return write_projector(logdir, embeddings, table, self.thumbnails, overwrite=overwrite)

    def to_html(
        self,
        path: str | os.PathLike[str],
        *,
        title: str | None = None,
        n_neighbors: int = 8,
        overwrite: bool = False,
    ) -> os.PathLike[str]:
        """Write one self-contained HTML page of the map, for a paper's companion site.

        The page needs no kernel, server or network: the t-SNE map with hover cutouts, a
        colour-by selector, search by object name, the clicked object with its
        ``n_neighbors`` most similar objects (computed now), and the results table.

        Parameters
        ----------
        path : str or path-like
            The ``.html`` file to write.
        title : str, optional
            Page title; default names the number of objects.
        n_neighbors : int, default=8
            Neighbours stored per object (fewer if there are fewer other objects).
        overwrite : bool, default=False
            Replace an existing file.

        Raises
        ------
        NotReadyError
            Without a t-SNE map (run :meth:`analyse` or :meth:`fit_tsne` first).
        """
        from astromorph_nb.io.export.html_page import write_html_page

        coordinates = self.tsne_coordinates
        n_neighbors = check_positive_int(n_neighbors, name="n_neighbors", where="Session.to_html")
        k = min(n_neighbors, self._n_images - 1)
        if k:
            distances, found = self._neighbor_index_fitted().query(np.arange(self._n_images), k=k)
        else:
            distances, found = np.zeros((self._n_images, 0)), np.zeros((self._n_images, 0), int)
        table = self.to_table()
        columns = {n: table[n].tolist() for n in table.colnames if table[n].ndim == 1}
        labels = self.object_names or [f"#{i}" for i in range(self._n_images)]
        return write_html_page(
            path,
            title=title or f"astromorph-nb map of {self._n_images} objects",
            x=coordinates[:, 0],
            y=coordinates[:, 1],
            thumbnails=self.thumbnails,
            labels=labels,
            columns=columns,
            color_options=[c for c in self.color_options() if c in columns],
            neighbors=found,
            neighbor_distances=distances,
            overwrite=overwrite,
        )

    # -- widgets -------------------------------------------------------------------------

    def training_panel(self) -> Any:
        """Return a live training panel: buttons, loss curve, speed, ETA, errors."""
        from astromorph_nb.widgets.training_panel import TrainingPanel

        return TrainingPanel(self)

    def explorer(self, **options: Any) -> Any:
        """Return the map explorer: hover cutouts, click for neighbours, lasso to select.

        ``options`` go to :class:`~astromorph_nb.widgets.EmbeddingExplorer` (``n_neighbors``,
        ``color``).
        """
        from astromorph_nb.widgets.explorer import EmbeddingExplorer

        return EmbeddingExplorer(self, **options)

    def augmentation_preview(self) -> Any:
        """Return a preview of augmented views with controls for their settings."""
        from astromorph_nb.widgets.augmentation_preview import AugmentationPreview

        return AugmentationPreview(self)

    def dashboard(self) -> Any:
        """Return the training panel, explorer and augmentation preview in one layout."""
        from astromorph_nb.widgets.dashboard import Dashboard

        return Dashboard(self)

    def __repr__(self) -> str:
        c, ny, nx = self._image_shape
        has_map = "yes" if self._tsne is not None else "no"
        return (
            f"<Session: {self._n_images} images {c}×{ny}×{nx}, status={self.status!r}, "
            f"{self.step} steps, t-SNE map: {has_map}>"
        )


def imageset_from_arrays(
    array: Any, meta: Table | None, *, normalize: str | None, where: str
) -> ImageSet:
    """Normalise raw images as ``read_fits`` does and wrap them in an ImageSet."""
    from astromorph_nb.data.preprocess import NORMALIZATIONS, mask_and_fill

    check_choice(normalize, NORMALIZATIONS, name="normalize", where=where)
    values = array.detach().cpu().numpy() if isinstance(array, torch.Tensor) else array
    stack = np.array(values, dtype=np.float32)  # a copy: normalisation works in place
    if stack.ndim == 3:
        stack = stack[:, None]
    if stack.ndim != 4:
        msg = (
            f"Images passed to {where} have shape {stack.shape} in numpy order. Expected "
            "(n_images, ny, nx) or (n_images, n_channels, ny, nx)."
        )
        raise ValueError(msg)
    images, mask = mask_and_fill(stack, normalize=normalize)
    return ImageSet(torch.from_numpy(images), mask=torch.from_numpy(mask), meta=meta)
