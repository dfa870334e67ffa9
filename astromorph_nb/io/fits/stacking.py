"""Collect normalised chunks of images in memory or in memory-mapped files (io layer)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import torch

__all__ = ["StackWriter"]


class StackWriter:
    """Append chunks of images; get one stack back at the end.

    Parameters
    ----------
    cache_dir : str or path-like, optional
        Without it, chunks are kept in memory and concatenated. With it, each chunk is
        appended to raw files in this folder (``imageset-<id>.images.f32`` and
        ``.mask.u8``), which are memory-mapped at the end: memory use stays at one chunk.
    """

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self._chunks: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._shape: tuple[int, ...] | None = None
        self.first_file = ""
        self._n_images = 0
        self._paths: tuple[Path, Path] | None = None
        if cache_dir is not None:
            folder = Path(cache_dir).expanduser()
            folder.mkdir(parents=True, exist_ok=True)
            stem = folder / f"imageset-{uuid.uuid4().hex[:12]}"
            self._paths = (Path(f"{stem}.images.f32"), Path(f"{stem}.mask.u8"))

    @property
    def image_shape(self) -> tuple[int, ...] | None:
        """``(n_channels, ny, nx)`` of the images appended so far (None before the first)."""
        return self._shape

    def append(self, images: np.ndarray, mask: np.ndarray, *, first_file: str = "") -> None:
        """Keep a finished chunk: float32 images and bool mask of shape (n, C, ny, nx)."""
        if self._shape is None:
            self._shape, self.first_file = tuple(images.shape[1:]), first_file
        self._n_images += images.shape[0]
        if self._paths is None:
            self._chunks.append((torch.from_numpy(images), torch.from_numpy(mask)))
            return
        with self._paths[0].open("ab") as handle:
            images.tofile(handle)
        with self._paths[1].open("ab") as handle:
            mask.astype(np.uint8).tofile(handle)

    def finish(self) -> tuple[torch.Tensor, torch.Tensor, str | None]:
        """Return ``(images, mask, backing_file)``; ``backing_file`` is None in memory."""
        if self._paths is None:
            images = torch.cat([chunk[0] for chunk in self._chunks])
            mask = torch.cat([chunk[1] for chunk in self._chunks])
            self._chunks.clear()
            return images, mask, None
        assert self._shape is not None  # finish() follows at least one append()
        shape = (self._n_images, *self._shape)
        images_map = np.memmap(self._paths[0], dtype=np.float32, mode="r+", shape=shape)
        mask_map = np.memmap(self._paths[1], dtype=np.bool_, mode="r+", shape=shape)
        return torch.from_numpy(images_map), torch.from_numpy(mask_map), str(self._paths[0])

    def discard(self) -> None:
        """Forget the chunks and delete cache files (after an error)."""
        self._chunks.clear()
        if self._paths is not None:
            for path in self._paths:
                path.unlink(missing_ok=True)
