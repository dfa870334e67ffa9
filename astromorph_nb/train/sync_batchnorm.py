"""BatchNorm whose statistics span every process of a distributed run (train layer).

PyTorch's ``nn.SyncBatchNorm`` runs on CUDA only; :class:`AllReduceBatchNorm` does the same
with plain all-reduces, so it works on CPUs (gloo) too. :func:`convert_batchnorm` swaps the
BatchNorm layers of a module for the synchronised kind of its device.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = ["AllReduceBatchNorm", "convert_batchnorm"]


class _AllReduceSum(torch.autograd.Function):
    """Sum a tensor over ranks; the gradient is summed over ranks too."""

    @staticmethod
    def forward(ctx: Any, tensor: Tensor) -> Tensor:
        total = tensor.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        total = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(total)
        return total


def _is_multi_process() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


class AllReduceBatchNorm(_BatchNorm):
    """BatchNorm whose training statistics span the batches of all ranks; runs on CPUs.

    A stand-in for ``torch.nn.SyncBatchNorm``, which needs GPUs. In training mode with a
    process group of several ranks, each rank sums its values and their squares per
    channel (in float64), the sums are all-reduced, and every rank normalises with the
    global mean and variance; gradients flow back through the all-reduce, so they equal
    those of one BatchNorm over the concatenated batch. Otherwise (evaluation, or a single
    process) it is an ordinary BatchNorm. Takes inputs of shape (B, C) or (B, C, ...).

    Parameters
    ----------
    num_features : int
        Channels ``C``.
    eps, momentum, affine, track_running_stats
        As for ``torch.nn.BatchNorm1d``.

    Examples
    --------
    >>> import torch
    >>> layer = AllReduceBatchNorm(4)
    >>> layer(torch.randn(8, 4, 3, 3)).shape  # one process: an ordinary BatchNorm
    torch.Size([8, 4, 3, 3])
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            msg = (
                f"AllReduceBatchNorm expects input of shape (B, C) or (B, C, ...); got "
                f"{tuple(input.shape)}."
            )
            raise ValueError(msg)

    def forward(self, input: Tensor) -> Tensor:
        """Normalise ``input`` with statistics over every rank's batch (in training)."""
        if not (self.training and _is_multi_process()):
            return super().forward(input)
        self._check_input_dim(input)
        channels = input.shape[1]
        dims = [0, *range(2, input.dim())]
        count = input.numel() // channels
        local = torch.cat(
            [
                input.sum(dim=dims, dtype=torch.float64),
                (input * input).sum(dim=dims, dtype=torch.float64),
                input.new_full((1,), float(count), dtype=torch.float64),
            ]
        )
        total = _AllReduceSum.apply(local)
        n = total[-1]
        mean = total[:channels] / n
        variance = (total[channels : 2 * channels] / n - mean * mean).clamp_min(0.0)
        if self.track_running_stats and self.running_mean is not None:
            self._update_running_stats(mean.detach(), variance.detach(), float(n.detach()))
        shape = [1, channels] + [1] * (input.dim() - 2)
        scale = torch.rsqrt(variance + self.eps).to(input.dtype).view(shape)
        out = (input - mean.to(input.dtype).view(shape)) * scale
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out

    @torch.no_grad()
    def _update_running_stats(self, mean: Tensor, variance: Tensor, n: float) -> None:
        assert self.running_mean is not None
        assert self.running_var is not None
        assert self.num_batches_tracked is not None
        self.num_batches_tracked.add_(1)
        factor = (
            self.momentum
            if self.momentum is not None
            else 1.0 / float(self.num_batches_tracked.item())
        )
        unbiased = variance * (n / max(n - 1.0, 1.0))
        self.running_mean.lerp_(mean.to(self.running_mean.dtype), factor)
        self.running_var.lerp_(unbiased.to(self.running_var.dtype), factor)


_SYNCED = (nn.SyncBatchNorm, AllReduceBatchNorm)


def _synced_copy(layer: _BatchNorm, device_type: str) -> _BatchNorm:
    kind = nn.SyncBatchNorm if device_type == "cuda" else AllReduceBatchNorm
    new = kind(
        layer.num_features,
        eps=layer.eps,
        momentum=layer.momentum,
        affine=layer.affine,
        track_running_stats=layer.track_running_stats,
    )
    state = layer.state_dict()
    new.load_state_dict(state)
    new.train(layer.training)
    for name, parameter in layer.named_parameters(recurse=False):
        getattr(new, name).requires_grad_(parameter.requires_grad)  # frozen target stays frozen
    reference = next(iter(state.values()), None)
    return new if reference is None else new.to(reference.device)


def convert_batchnorm(module: nn.Module, device: torch.device | str) -> nn.Module:
    """Make the BatchNorm layers inside ``module`` synchronised across ranks, in place.

    On CUDA they become ``torch.nn.SyncBatchNorm``; elsewhere :class:`AllReduceBatchNorm`.
    Weights and running statistics are kept, and so are the state-dict keys, so a saved
    model loads into the unconverted network. Layers already synchronised are left alone.

    Parameters
    ----------
    module : torch.nn.Module
        A network whose children (at any depth) are converted. If ``module`` is itself a
        BatchNorm layer, the converted copy is returned instead.
    device : torch.device or str
        Where training runs.

    Returns
    -------
    torch.nn.Module
        ``module`` (or the converted layer).

    Examples
    --------
    >>> from torch import nn
    >>> head = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
    >>> type(convert_batchnorm(head, "cpu")[1]).__name__
    'AllReduceBatchNorm'
    """
    device_type = torch.device(device).type
    if isinstance(module, _BatchNorm) and not isinstance(module, _SYNCED):
        return _synced_copy(module, device_type)
    for name, child in list(module.named_children()):
        module.add_module(name, convert_batchnorm(child, device))
    return module
