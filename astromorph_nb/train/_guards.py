"""What a failed training step leaves intact, and how it is reported (train layer).

A step that runs out of memory, or whose loss or gradients are not finite, raises our error
with what to change; the model keeps the weights and the BatchNorm statistics of the last
good step (:class:`StepGuard` backs the statistics up before each step).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import torch

from astromorph_nb.exceptions import (
    OutOfMemoryError,
    TrainingDivergedError,
    is_out_of_memory,
    out_of_memory_message,
)

__all__ = ["StepGuard"]


class StepGuard:
    """Backs up a model's BatchNorm statistics before each step, and restores them on failure."""

    def __init__(self) -> None:
        self._backup: list[torch.Tensor] | None = None

    def backup(self, model: torch.nn.Module) -> None:
        """Copy the BatchNorm statistics, which a forward pass on bad data would spoil."""
        buffers = list(model.buffers())
        if self._backup is None:
            self._backup = [b.clone() for b in buffers]
        elif buffers:
            torch._foreach_copy_(self._backup, buffers)

    def restore(self, model: torch.nn.Module) -> None:
        """Put the statistics of the last :meth:`backup` back into ``model``."""
        buffers = list(model.buffers())
        if self._backup is not None and buffers:
            torch._foreach_copy_(buffers, self._backup)

    @contextlib.contextmanager
    def out_of_memory(
        self, model: torch.nn.Module | None, batch_size: int, device: torch.device, step: int
    ) -> Iterator[None]:
        """Turn PyTorch's out-of-memory error in ``step`` into ours, with a smaller batch size."""
        try:
            yield
        except (RuntimeError, MemoryError) as err:
            if not is_out_of_memory(err):
                raise
            if model is not None:  # a failed forward pass may have spoilt them
                self.restore(model)
            if device.type == "cuda":
                torch.cuda.empty_cache()
            msg = out_of_memory_message(
                batch_size,
                device.type,
                f"Trainer.fit at step {step}",
                "batch_size={n} (session.train(batch_size={n}) or Trainer(batch_size={n}))",
            )
            raise OutOfMemoryError(msg) from err

    def check_loss(
        self, value: float, model: torch.nn.Module, *, step: int, learning_rate: float
    ) -> None:
        """Raise if the loss of step ``step + 1`` is not finite, keeping step ``step``."""
        if not math.isfinite(value):
            self.restore(model)
            msg = (
                f"The loss became {value} at step {step + 1}; the weights of step "
                f"{step} are kept. Lower the learning rate (now "
                f"{learning_rate:g}) or check the images for extreme values."
            )
            raise TrainingDivergedError(msg)

    def check_gradients(
        self, norm: float, model: torch.nn.Module, optimizer: torch.optim.Optimizer, *, step: int
    ) -> None:
        """Raise if the gradient norm of step ``step + 1`` is not finite, dropping them."""
        if not math.isfinite(norm):
            optimizer.zero_grad(set_to_none=True)
            self.restore(model)
            msg = (
                f"The gradients became non-finite at step {step + 1}; the weights of step "
                f"{step} are kept. Lower the learning rate or set grad_clip_norm."
            )
            raise TrainingDivergedError(msg)
