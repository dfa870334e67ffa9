"""Run a module in evaluation mode and give it back its own train/eval modes (model layer)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn

__all__ = ["eval_mode"]


@contextmanager
def eval_mode(module: nn.Module) -> Iterator[None]:
    """Put ``module`` in evaluation mode for the ``with`` block, then restore every submodule.

    Each submodule gets back the mode it had, so a module with, say, BatchNorm layers frozen
    in evaluation mode inside a training network keeps them frozen. Modes are restored
    through ``train()`` rather than by setting the flag, because some modules react to it
    (the feature extractors of ``torchvision.models.feature_extraction`` switch graphs).
    """
    modules = list(module.modules())
    modes = [m.training for m in modules]
    module.eval()
    try:
        yield
    finally:
        if all(mode == modes[0] for mode in modes):
            module.train(modes[0])
        else:
            # modules() lists parents before children, so each later call refines the earlier.
            for submodule, mode in zip(modules, modes, strict=True):
                submodule.train(mode)
