"""Embeddings of an image set from a trained model's encoder (analysis layer).

Under ``torchrun`` (a process group of several ranks is initialised), the images are split
into one contiguous block per rank, each rank embeds its block, and the blocks are gathered
so that every rank returns the whole array. Every rank must then make the same call.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.distributed as dist

from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.exceptions import OutOfMemoryError, is_out_of_memory, out_of_memory_message
from astromorph_nb.model.byol import BYOL

__all__ = ["compute_embeddings"]


def _world() -> tuple[int, int]:
    """Return ``(rank, world_size)`` of the running process group; ``(0, 1)`` without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _embed_rows(
    model: BYOL, tensor: torch.Tensor, start: int, stop: int, batch_size: int, device: torch.device
) -> np.ndarray:
    out = np.empty((stop - start, model.n_features), dtype=np.float32)
    for first in range(start, stop, batch_size):
        try:
            batch = tensor[first : min(first + batch_size, stop)].to(device, non_blocking=True)
            out[first - start : first - start + batch.shape[0]] = (
                model.embed(batch).float().cpu().numpy()
            )
        except (RuntimeError, MemoryError) as err:
            if not is_out_of_memory(err):
                raise
            msg = out_of_memory_message(
                batch_size,
                device.type,
                "compute_embeddings",
                "batch_size={n} (session.embed(batch_size={n}))",
            )
            raise OutOfMemoryError(msg) from err
    return out


def _gather_blocks(block: np.ndarray, per_rank: int, n_images: int, world_size: int) -> np.ndarray:
    """All-gather equal-length blocks (the last ones padded) and trim to ``n_images`` rows."""
    backend = dist.get_backend()
    device = torch.device("cuda", torch.cuda.current_device()) if backend == "nccl" else None
    padded = torch.zeros((per_rank, block.shape[1]), dtype=torch.float32, device=device)
    padded[: block.shape[0]] = torch.from_numpy(block).to(padded.device)
    pieces = [torch.empty_like(padded) for _ in range(world_size)]
    dist.all_gather(pieces, padded)
    return torch.cat(pieces)[:n_images].cpu().numpy()


def compute_embeddings(
    model: BYOL,
    images: ImageSet | torch.Tensor,
    *,
    batch_size: int = 512,
    device: torch.device | str | None = None,
    shard: bool = True,
) -> np.ndarray:
    """Return the encoder's representation of every image.

    Parameters
    ----------
    model : BYOL
        A (trained) model; its online encoder is run in evaluation mode. Under ``torchrun``
        it must hold the same weights on every rank (as after training).
    images : ImageSet or Tensor of shape (n_images, n_channels, ny, nx)
        Preprocessed like the training images.
    batch_size : int, default=512
        Images per forward pass; lower it if the device runs out of memory.
    device : torch.device or str, optional
        Where to run; default: the model's device.
    shard : bool, default=True
        When a process group of several ranks is running (``torchrun``), split the work
        over the ranks and gather the result: a collective call that every rank must make.
        False embeds every image in this process.

    Returns
    -------
    ndarray of shape (n_images, n_features)
        float32, the same on every rank.

    Raises
    ------
    OutOfMemoryError
        If one batch does not fit on the device; the message suggests half the batch size.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.model import BYOL, SmallCNN
    >>> model = BYOL(SmallCNN(in_channels=1, width=8), projection_size=16)
    >>> compute_embeddings(model, torch.rand(5, 1, 16, 16), batch_size=2).shape
    (5, 64)
    """
    tensor = images.images if isinstance(images, ImageSet) else images
    if device is None:
        device = next(model.parameters()).device
    device = torch.device(device)
    n_images = int(tensor.shape[0])
    rank, world_size = _world() if shard else (0, 1)
    if world_size == 1:
        return _embed_rows(model, tensor, 0, n_images, batch_size, device)
    per_rank = math.ceil(n_images / world_size)
    start, stop = min(rank * per_rank, n_images), min((rank + 1) * per_rank, n_images)
    block = _embed_rows(model, tensor, start, stop, batch_size, device)
    return _gather_blocks(block, per_rank, n_images, world_size)
