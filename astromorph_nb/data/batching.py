"""Batches of an image stack on the training device, by index gathers (data layer).

When the stack fits in the device's memory it is copied there once and every batch is one
index gather on the device: no DataLoader workers and no per-image Python. Otherwise each
batch is gathered on the CPU (from the memory-mapped cache, if that is where the stack
lives) into pinned memory and copied asynchronously; told the next batch's indices, a
background thread gathers it while the current step computes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import torch
import torch.nn.functional as F

from astromorph_nb.data.memory import available_memory
from astromorph_nb.exceptions import is_out_of_memory

__all__ = ["BatchSource"]

#: Share of the free device memory the stack may take before it is streamed instead.
DEVICE_MEMORY_SHARE = 0.4
#: Share of the memory still available (available_memory) an averaged copy may take.
COPY_MEMORY_SHARE = 0.5


def _working_shape(images: torch.Tensor, working_size: int) -> tuple[int, int]:
    """``(ny, nx)`` scaled so that the longer side is ``working_size``."""
    ny, nx = images.shape[-2:]
    scale = working_size / max(ny, nx)
    return max(1, round(ny * scale)), max(1, round(nx * scale))


def _downsample(images: torch.Tensor, size: tuple[int, int], chunk: int = 4096) -> torch.Tensor:
    """Area-average images to ``size``, chunk by chunk."""
    out = torch.empty((images.shape[0], images.shape[1], *size), dtype=images.dtype)
    for start in range(0, images.shape[0], chunk):
        out[start : start + chunk] = F.interpolate(images[start : start + chunk], size, mode="area")
    return out


class BatchSource:
    """Gather batches of images on a device.

    Parameters
    ----------
    images : Tensor of shape (n_images, n_channels, ny, nx)
        float32 images on the CPU (possibly memory-mapped).
    device : torch.device
        Where batches are needed.
    memory_format : torch.memory_format, default=torch.contiguous_format
        Layout of the returned batches (``torch.channels_last`` helps convolutions on CUDA).
    working_size : int, optional
        Average images larger than this down to it (pixels per side), as the encoder would.
        Augmentations then act at the resolution the encoder sees (a blur of 1 pixel stays 1
        pixel), and cost a quarter per halving. The whole stack is averaged once, up front,
        when the smaller copy takes at most half of :func:`available_memory`; otherwise (a
        memory-mapped stack larger than memory) each batch is averaged as it is gathered.
    memory_mapped : bool, default=False
        Whether ``images`` is mapped from a file (an ImageSet's cache). Batches gathered
        from it on the CPU read the disk, so they are then also prepared ahead.

    Attributes
    ----------
    is_resident : bool
        Whether the stack (or its averaged copy) sits on the device, so that a batch is one
        index gather there.
    downsamples_per_batch : bool
        Whether each batch is averaged to ``working_size`` when gathered.
    """

    def __init__(
        self,
        images: torch.Tensor,
        device: torch.device,
        *,
        memory_format: torch.memory_format = torch.contiguous_format,
        working_size: int | None = None,
        memory_mapped: bool = False,
    ) -> None:
        original = images
        self.downsamples_per_batch = False
        self._size: tuple[int, int] | None = None
        if working_size is not None and max(images.shape[-2:]) > working_size:
            self._size = _working_shape(images, working_size)
            copy_bytes = images.shape[0] * images.shape[1] * math.prod(self._size) * 4
            free = available_memory()
            if free is None or copy_bytes <= COPY_MEMORY_SHARE * free:
                size = self._size
                averaged = self._copy_or_none(lambda: _downsample(images, size))
                images = averaged if averaged is not None else images
            self.downsamples_per_batch = images.shape[-2:] != self._size
        self.device = device
        self.memory_format = memory_format
        self.n_images = int(images.shape[0])
        resident = None
        if device.type == "cpu":
            resident = images
        elif self._fits_on(device, images):
            resident = self._copy_or_none(lambda: images.to(device))
        self.is_resident = resident is not None
        self._images = resident if resident is not None else images
        self._pin = device.type == "cuda" and not self.is_resident
        # Gathers from the memory-mapped file read the disk: worth doing ahead, on the CPU too.
        self._reads_files = memory_mapped and self._images is original and device.type == "cpu"
        self._executor: ThreadPoolExecutor | None = None
        self._pending: tuple[torch.Tensor, Future[torch.Tensor]] | None = None

    @staticmethod
    def _copy_or_none(copy: Callable[[], torch.Tensor]) -> torch.Tensor | None:
        """Return ``copy()``, or None if memory runs out (batches then come from the stack)."""
        try:
            return copy()
        except (RuntimeError, MemoryError) as err:
            if not is_out_of_memory(err):
                raise
            return None

    @staticmethod
    def _fits_on(device: torch.device, images: torch.Tensor) -> bool:
        nbytes = images.numel() * images.element_size()
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            return nbytes < DEVICE_MEMORY_SHARE * free
        return True  # MPS shares the host's memory

    @property
    def prefetches(self) -> bool:
        """Whether batches are prepared on the host, so that the next can be made ahead."""
        return not self.is_resident or self.downsamples_per_batch or self._reads_files

    def gather(self, indices: torch.Tensor, upcoming: torch.Tensor | None = None) -> torch.Tensor:
        """Return the images at ``indices`` (a CPU int64 Tensor) as a batch on the device.

        ``upcoming``, the indices of the next batch, lets a background thread prepare that
        batch while the caller computes on this one (only where batches are prepared on the
        host: see :attr:`prefetches`). The batches are the same with or without it.
        """
        if not self.prefetches:
            batch = self._images[indices.to(self.device, non_blocking=True)]
            return batch.contiguous(memory_format=self.memory_format)
        pending, self._pending = self._pending, None
        if pending is not None and torch.equal(pending[0], indices):
            batch = pending[1].result()
        else:
            batch = self._host_batch(indices)
        if upcoming is not None:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="astromorph-batches")
            self._pending = (upcoming, self._executor.submit(self._host_batch, upcoming))
        batch = batch.to(self.device, non_blocking=True)
        if self.downsamples_per_batch and batch.shape[-2:] != self._size:
            assert self._size is not None
            batch = F.interpolate(batch, self._size, mode="area")
        return batch.contiguous(memory_format=self.memory_format)

    def _host_batch(self, indices: torch.Tensor) -> torch.Tensor:
        """Gather on the host; average there too when the device is the CPU; pin for CUDA."""
        batch = self._images[indices.to(self._images.device)]
        if self.downsamples_per_batch and batch.device.type == "cpu" and self.device.type == "cpu":
            assert self._size is not None
            batch = F.interpolate(batch, self._size, mode="area")
        if self._pin:
            batch = batch.pin_memory()
        return batch

    def close(self) -> None:
        """Stop the background thread (if one was started); gathering still works after."""
        self._pending = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
