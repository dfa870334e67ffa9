"""Where a training run computes: its torch device, and the memory format of a model (train layer).

:func:`resolve_device` turns ``"auto"`` or a name into a device; :func:`training_device`
also gives each torchrun rank its own GPU; :func:`memory_format_for` chooses channels-last
for convolutional models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from astromorph_nb.train.process_group import DistributedContext

__all__ = ["memory_format_for", "resolve_device", "training_device"]


def resolve_device(device: str | torch.device) -> torch.device:
    """Return the torch device for ``"auto"`` (CUDA, then MPS, then CPU) or a named one."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device == "cuda" and not torch.cuda.is_available():
        msg = "device='cuda' was asked for, but PyTorch sees no CUDA GPU. Use device='auto'."
        raise RuntimeError(msg)
    return torch.device(device)


def training_device(device: str | torch.device, context: DistributedContext | None) -> torch.device:
    """Return the device to train on; under torchrun, this rank's GPU, made the current one.

    Parameters
    ----------
    device : str or torch.device
        As for :func:`resolve_device`.
    context : DistributedContext or None
        The process group (None for a single process).
    """
    resolved = resolve_device(device)
    if context is not None and resolved.type == "cuda":
        # A thread does not inherit its process's current GPU: name the rank's GPU.
        resolved = torch.device("cuda", context.local_rank)
        torch.cuda.set_device(resolved)
    return resolved


def memory_format_for(model: torch.nn.Module, setting: str) -> torch.memory_format:
    """Channels-last for convolutional models: oneDNN (CPU) and cuDNN convolve it faster.

    Parameters
    ----------
    model : torch.nn.Module
        The model to train.
    setting : {"auto", "channels_last", "contiguous"}
        ``TrainingConfig.memory_format``; ``"auto"`` picks channels-last if ``model`` has a
        2-D convolution.
    """
    if setting == "auto":
        convolutional = any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
        setting = "channels_last" if convolutional else "contiguous"
    return torch.channels_last if setting == "channels_last" else torch.contiguous_format
