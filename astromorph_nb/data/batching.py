"""Batches of an image stack on the training device, by index gathers (data layer).

When the stack fits in the device's memory it is copied there once and every batch is one
index gather on the device: no DataLoader workers and no per-image Python. Otherwise each
batch is gathered on the CPU into pinned memory and copied asynchronously, so the copy of
the next batch overlaps the computation on the current one.
"""

from __future__ import annotations

import torch

__all__ = ["BatchSource"]

#: Share of the free device memory the stack may take before it is streamed instead.
DEVICE_MEMORY_SHARE = 0.4


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
    """

    def __init__(
        self,
        images: torch.Tensor,
        device: torch.device,
        *,
        memory_format: torch.memory_format = torch.contiguous_format,
    ) -> None:
        self.device = device
        self.memory_format = memory_format
        self.n_images = int(images.shape[0])
        self.is_resident = device.type == "cpu" or self._fits_on(device, images)
        self._images = images.to(device) if self.is_resident else images
        self._pin = device.type == "cuda" and not self.is_resident

    @staticmethod
    def _fits_on(device: torch.device, images: torch.Tensor) -> bool:
        nbytes = images.numel() * images.element_size()
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            return nbytes < DEVICE_MEMORY_SHARE * free
        return True  # MPS shares the host's memory

    def gather(self, indices: torch.Tensor) -> torch.Tensor:
        """Return the images at ``indices`` (a CPU int64 Tensor) as a batch on the device."""
        if self.is_resident:
            batch = self._images[indices.to(self.device, non_blocking=True)]
        else:
            batch = self._images[indices]
            if self._pin:
                batch = batch.pin_memory()
            batch = batch.to(self.device, non_blocking=True)
        return batch.contiguous(memory_format=self.memory_format)
