"""Trainer: the synchronous BYOL training loop (train layer).

The loop draws a shuffled batch by index gather on the device, makes two augmented views
there, computes BYOL's loss with both views in one forward pass, steps the optimiser,
moves the target network, and calls the callbacks. It prints nothing, writes no files and
starts no threads; :class:`~astromorph_nb.train.background.TrainingJob` runs it in the
background, and callbacks such as ``CheckpointEvery`` do the writing.

Launched by ``torchrun`` (a process group of several ranks is initialised), the same loop
trains data-parallel: see :mod:`astromorph_nb.train.distributed`. A single process runs
exactly as before.

Its parts: ``device.py`` (where it computes), ``optimizers.py`` (the optimiser, its
scheduled step), ``_guards.py`` (failed steps), ``_hooks.py`` (calling the callbacks).
"""

from __future__ import annotations

import contextlib
import copy
import math
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch

from astromorph_nb.augment import Augmentation, default_augmentations, two_views
from astromorph_nb.data.batching import BatchSource
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.model.byol import BYOL
from astromorph_nb.train._guards import StepGuard
from astromorph_nb.train._hooks import CallbackHooks
from astromorph_nb.train.config import TrainingConfig
from astromorph_nb.train.device import memory_format_for, resolve_device, training_device
from astromorph_nb.train.distributed import (
    DistributedContext,
    StepAgreement,
    broadcast_seed,
    broadcast_state,
    check_batch_size,
    current_context,
    rank_seed,
    shard_batch,
    wrap_model,
)
from astromorph_nb.train.optimizers import make_optimizer, scheduled_step
from astromorph_nb.train.precision import warn_if_bf16_is_slow

__all__ = ["Trainer", "resolve_device"]


class Trainer:
    """Train a :class:`~astromorph_nb.model.BYOL` model on an image set.

    Parameters
    ----------
    config : TrainingConfig, optional
        All settings. Instead, settings may be given as keywords (``Trainer(n_epochs=5)``).
    callbacks : iterable of objects with ``on_*`` hooks, optional
        See :mod:`astromorph_nb.train.callbacks`.
    augmentations : Augmentation, optional
        Makes the views; default :func:`~astromorph_nb.augment.default_augmentations`.
    **settings
        :class:`TrainingConfig` fields, when ``config`` is not given.

    Attributes
    ----------
    step : int
        Optimiser steps taken so far (continues across resumed runs).
    epoch : int
        Current epoch (0-based).
    losses : list of float
        Loss at every step, including steps before a resume.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.model import BYOL, SmallCNN
    >>> from astromorph_nb.train import Trainer
    >>> model = BYOL(SmallCNN(in_channels=1, width=8), projection_size=16,
    ...              projection_hidden_size=32)
    >>> trainer = Trainer(n_epochs=2, batch_size=8, random_state=0, device="cpu")
    >>> trainer.fit(model, torch.rand(16, 1, 16, 16))
    'completed'
    >>> trainer.step
    4
    """

    def __init__(
        self,
        config: TrainingConfig | None = None,
        *,
        callbacks: Iterable[Any] = (),
        augmentations: Augmentation | None = None,
        **settings: Any,
    ) -> None:
        if config is not None and settings:
            msg = f"Pass either a TrainingConfig or settings, not both; got {sorted(settings)}."
            raise TypeError(msg)
        self.config = config if config is not None else TrainingConfig(**settings)
        self.callbacks = list(callbacks)
        self.augmentations = augmentations if augmentations is not None else default_augmentations()
        self.step = 0
        self.epoch = 0
        self.losses: list[float] = []
        self.device = torch.device("cpu")
        self.total_steps = 0
        self._position = 0
        self._order: torch.Tensor | None = None
        self._elapsed_before = 0.0
        self._started = 0.0
        self._model: BYOL | None = None
        self._optimizer: torch.optim.Optimizer | None = None
        self._shuffle_generator = torch.Generator()
        self._augment_generator: torch.Generator | None = None
        self._rate = 0.0
        self._guard = StepGuard()
        self._hooks = CallbackHooks()
        self._model_lock = threading.Lock()
        # Multi-process runs only (train/distributed.py): the process group, and what all
        # ranks agreed on at the last step (to stop, time elapsed).
        self._context: DistributedContext | None = None
        self._agreement: StepAgreement | None = None

    # -- callbacks -------------------------------------------------------------------------

    def _call(self, hook: str, **kwargs: Any) -> None:
        self._hooks.call(self.callbacks, hook, **kwargs)

    # -- set-up ----------------------------------------------------------------------------

    def _seed(self) -> int:
        seed = self.config.random_state
        if seed is None:
            seed = int(np.random.default_rng().integers(2**62))
            if self._context is not None:  # one shuffled order for all ranks
                seed = broadcast_seed(seed, self._context)
        self._shuffle_generator.manual_seed(seed)
        rank = 0 if self._context is None else self._context.rank
        self._augment_generator = torch.Generator(device=self.device).manual_seed(
            rank_seed(seed + 1, rank)
        )
        return seed

    def _progress(self) -> float:
        progress = self.step / max(self.total_steps, 1)
        if self.config.max_time_s is not None:
            progress = max(progress, self.elapsed_s() / self.config.max_time_s)
        return min(progress, 1.0)

    def elapsed_s(self) -> float:
        """Seconds of training so far, this run and the runs it resumed (the time limit's clock).

        Under torchrun every rank reads the same value, agreed at the latest step.
        """
        if self._agreement is not None:
            return self._agreement.elapsed_s  # the same on every rank, so schedules agree
        return self._elapsed_before + (time.monotonic() - self._started)

    @property
    def model(self) -> BYOL | None:
        """The model being trained (None before :meth:`fit`), for callbacks on its thread.

        Callbacks run between two steps, on the training thread, and may use it there (as
        :class:`~astromorph_nb.train.quality.QualityMonitor` does, without changing it).
        From another thread, use :meth:`copy_model`.
        """
        return self._model

    def copy_model(self) -> BYOL:
        """Return a copy of the model being trained, taken between two steps.

        Safe to call from another thread while :meth:`fit` runs (for example to embed images
        with the current weights); it waits for the running step to finish.
        """
        if self._model is None:
            msg = "The trainer has no model yet: call fit() first."
            raise RuntimeError(msg)
        with self._model_lock:
            return copy.deepcopy(self._model)

    # -- checkpoints -----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this run exactly: pass it to ``fit(checkpoint=)``."""
        if self._model is None or self._optimizer is None or self._augment_generator is None:
            msg = "The trainer has no state yet: call fit() first."
            raise RuntimeError(msg)
        return {
            "model": {k: v.detach().cpu() for k, v in self._model.state_dict().items()},
            "optimizer": self._optimizer.state_dict(),
            "config": self.config.to_dict(),
            "step": self.step,
            "epoch": self.epoch,
            "position": self._position,
            "order": None if self._order is None else self._order.clone(),
            "elapsed_s": self.elapsed_s(),
            "losses": torch.tensor(self.losses, dtype=torch.float64),
            "shuffle_rng": self._shuffle_generator.get_state(),
            "augment_rng": self._augment_generator.get_state().cpu(),
        }

    def _restore(self, state: dict[str, Any], model: BYOL) -> None:
        model.load_state_dict(state["model"])
        assert self._optimizer is not None
        assert self._augment_generator is not None
        self._optimizer.load_state_dict(state["optimizer"])
        self.step, self.epoch = int(state["step"]), int(state["epoch"])
        self._position = int(state["position"])
        self._order = state["order"]
        self._elapsed_before = float(state["elapsed_s"])
        self.losses = [float(x) for x in state["losses"]]
        self._shuffle_generator.set_state(state["shuffle_rng"])
        self._augment_generator.set_state(state["augment_rng"].to(self._augment_generator.device))

    # -- the loop --------------------------------------------------------------------------

    def fit(
        self,
        model: BYOL,
        images: ImageSet | torch.Tensor,
        *,
        checkpoint: dict[str, Any] | None = None,
        stop_event: threading.Event | None = None,
        pause_event: threading.Event | None = None,
    ) -> str:
        """Train ``model`` on ``images``; return why training ended.

        Parameters
        ----------
        model : BYOL
            Moved to the training device; trained in place.
        images : ImageSet or Tensor of shape (n_images, n_channels, ny, nx)
            Preprocessed images (float32, no NaN).
        checkpoint : dict, optional
            A :meth:`state_dict` (or a loaded checkpoint) to continue from, exactly.
        stop_event, pause_event : threading.Event, optional
            Checked between batches: ``stop_event`` ends training after the current step;
            while ``pause_event`` is set, training waits.

        Returns
        -------
        str
            ``"completed"``, ``"stopped"`` or ``"time limit"``.

        Raises
        ------
        TrainingDivergedError
            If the loss or gradients become NaN or infinite. The model keeps the weights of
            the last good step.
        """
        tensor = images.images if isinstance(images, ImageSet) else images
        config = self.config
        context = self._context = current_context()
        self.device = training_device(config.device, context)
        memory_format = memory_format_for(model, config.memory_format)
        model.to(self.device, memory_format=memory_format)  # type: ignore[call-overload]
        model.train()
        runner: torch.nn.Module = model
        if context is not None:  # before the optimiser: synchronised BatchNorm is new layers
            runner = wrap_model(model, self.device)
        self._model = model
        self._guard = StepGuard()
        self._optimizer = make_optimizer(model, config, self.device)
        seed = self._seed()
        if checkpoint is not None:
            self._restore(checkpoint, model)
            if context is not None and context.rank > 0:  # rank 0 continues its stream
                assert self._augment_generator is not None
                self._augment_generator.manual_seed(rank_seed(seed + 1 + self.step, context.rank))
        self._agreement = None
        if context is not None:
            # Every rank must stop at the same step: the loop sees an event that is set when
            # the ranks agree (see _loss_value); pausing is not supported across processes.
            self._agreement = StepAgreement(context, stop_event, self._elapsed_before)
            stop_event, pause_event = self._agreement.stop, None
        # Augment at the resolution the encoder works at (see Encoder.working_size).
        working_size = getattr(model.encoder, "working_size", None)
        source = BatchSource(
            tensor,
            self.device,
            memory_format=memory_format,
            working_size=working_size,
            memory_mapped=isinstance(images, ImageSet) and images.is_memory_mapped,
        )
        n_images = source.n_images
        batch_size = min(config.batch_size, n_images)
        n_batches = max(1, n_images // batch_size)
        self.total_steps = config.n_epochs * n_batches
        if context is not None:
            check_batch_size(batch_size, context)
        on_cuda = self.device.type == "cuda"
        use_bf16 = config.precision == "bf16" or (config.precision == "auto" and on_cuda)
        if use_bf16:
            warn_if_bf16_is_slow(self.device)
        autocast = (
            torch.autocast(self.device.type, dtype=torch.bfloat16)
            if use_bf16
            else contextlib.nullcontext()
        )
        loss_function = torch.compile(runner) if config.compile else runner
        self._started = time.monotonic()
        reason = "completed"
        self._call("on_train_start", trainer=self, total_steps=self.total_steps)
        try:
            for batch_indices, upcoming in self._batches(n_images, batch_size, n_batches):
                if stop_event is not None and stop_event.is_set():
                    reason = "stopped"
                    break
                while pause_event is not None and pause_event.is_set():
                    if stop_event is not None and stop_event.wait(0.05):
                        break
                    if stop_event is None:
                        time.sleep(0.05)
                if stop_event is not None and stop_event.is_set():
                    reason = "stopped"
                    break
                if config.max_time_s is not None and self.elapsed_s() >= config.max_time_s:
                    reason = "time limit"
                    break
                started = time.perf_counter()
                batch_indices = shard_batch(batch_indices, context)
                if upcoming is not None and source.prefetches:
                    upcoming = shard_batch(upcoming, context)
                out_of_memory = self._guard.out_of_memory(
                    model, batch_size, self.device, step=self.step + 1
                )
                with self._model_lock, out_of_memory:
                    self._guard.backup(model)  # copy_model() reads between steps
                    batch = source.gather(batch_indices, upcoming if source.prefetches else None)
                    with autocast:
                        assert self._augment_generator is not None
                        view_a, view_b = two_views(
                            self.augmentations, batch, self._augment_generator
                        )
                        loss = loss_function(view_a, view_b)
                    value = self._optimizer_step(model, loss)
                n_world = 1 if context is None else context.world_size
                self._after_step(value, len(batch_indices) * n_world, started)
        except BaseException:
            self._call("on_train_end", trainer=self, reason="failed")
            raise
        finally:
            source.close()
        if context is not None:
            broadcast_state(model)  # rank 0's BatchNorm statistics on every rank
        self._call("on_train_end", trainer=self, reason=reason)
        return reason

    def _batches(
        self, n_images: int, batch_size: int, n_batches: int
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        """Yield each step's indices and the next step's in the same epoch (None at its end)."""
        while self.epoch < self.config.n_epochs:
            if self._order is None or self._position == 0:
                self._order = torch.randperm(n_images, generator=self._shuffle_generator)
            while self._position < n_batches:
                start = self._position * batch_size
                upcoming = None
                if self._position + 1 < n_batches:
                    upcoming = self._order[start + batch_size : start + 2 * batch_size]
                yield self._order[start : start + batch_size], upcoming
            mean = float(np.mean(self.losses[-n_batches:])) if self.losses else math.nan
            self._call("on_epoch_end", trainer=self, epoch=self.epoch, mean_loss=mean)
            self.epoch += 1
            self._position = 0

    def _optimizer_step(self, model: BYOL, loss: torch.Tensor) -> float:
        """Check the loss, step the optimiser and the target; return the loss value."""
        assert self._optimizer is not None
        value = self._loss_value(loss)
        self._guard.check_loss(
            value, model, step=self.step, learning_rate=self.config.learning_rate
        )
        # Zeroing keeps the gradient tensors: fresh ones each step cost page faults on the CPU.
        self._optimizer.zero_grad(set_to_none=False)
        loss.backward()
        params = [p for p in model.parameters() if p.grad is not None]
        clip = self.config.grad_clip_norm
        norm = torch.nn.utils.clip_grad_norm_(params, clip if clip is not None else math.inf)
        self._guard.check_gradients(float(norm), model, self._optimizer, step=self.step)
        self._rate = scheduled_step(self._optimizer, model, self.config, self._progress())
        return value

    def _loss_value(self, loss: torch.Tensor) -> float:
        """Return the step's loss; across processes, the mean over ranks, and agree to stop."""
        if self._agreement is None:
            return float(loss.detach())
        elapsed = self._elapsed_before + (time.monotonic() - self._started)
        return self._agreement.loss_value(loss, elapsed)

    def _after_step(self, value: float, n_images: int, started: float) -> None:
        self.step += 1
        self._position += 1
        self.losses.append(value)
        seconds = time.perf_counter() - started
        self._call(
            "on_batch_end",
            trainer=self,
            step=self.step,
            epoch=self.epoch,
            loss=value,
            learning_rate=self._rate,
            images_per_second=n_images / max(seconds, 1e-9),
        )
