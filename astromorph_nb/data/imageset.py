"""ImageSet: N preprocessed images, their blank-pixel mask and per-image metadata (data layer).

An ImageSet is what every reader returns and what training and analysis consume. It holds no
file handles: a set read with ``cache_dir=`` is backed by a memory-mapped array that the reader
created, and behaves exactly like one in memory.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch
from astropy.table import Table

__all__ = ["ImageSet"]

_SKIPPED_COLUMNS = ("file", "hdu", "reason")


def empty_skipped_table() -> Table:
    """Return an empty table with the columns of :attr:`ImageSet.skipped`."""
    return Table(names=_SKIPPED_COLUMNS, dtype=(str, str, str))


class ImageSet:
    """A stack of images with a blank-pixel mask and a metadata table.

    Parameters
    ----------
    images : Tensor of shape (n_images, n_channels, ny, nx)
        float32 images in numpy axis order. Made contiguous if it is not.
    mask : Tensor of shape (n_images, n_channels, ny, nx), optional
        bool, True where a pixel was blank (NaN/inf in the file, or padding). Default: no
        blank pixels.
    meta : astropy.table.Table, optional
        One row per image. Readers fill provenance columns ``file``, ``hdu``, ``plane`` and
        header keywords (``OBJECT``, ``RA``, ``DEC``, ``BUNIT``, ``RESTFRQ``); users may add
        columns (tags, labels).
    skipped : astropy.table.Table, optional
        Inputs that a reader skipped with ``on_error="skip"``: columns ``file``, ``hdu``,
        ``reason``.
    backing_file : str, optional
        Path of the memory-mapped file that ``images`` views, when a reader made one.

    Examples
    --------
    >>> import numpy as np
    >>> from astromorph_nb import ImageSet
    >>> images = ImageSet.from_arrays(np.zeros((10, 32, 32), dtype="float32"))
    >>> images
    <ImageSet: 10 images, 1×32×32 (C×ny×nx), float32, in memory>
    >>> len(images[2:5]), images[np.arange(10) % 2 == 0].shape
    (3, (5, 1, 32, 32))
    """

    def __init__(
        self,
        images: torch.Tensor,
        *,
        mask: torch.Tensor | None = None,
        meta: Table | None = None,
        skipped: Table | None = None,
        backing_file: str | None = None,
    ) -> None:
        if not isinstance(images, torch.Tensor) or images.ndim != 4:
            got = getattr(images, "shape", type(images).__name__)
            msg = (
                "ImageSet needs a torch.Tensor of shape (n_images, n_channels, ny, nx) in numpy "
                f"order; got {got}. Use ImageSet.from_arrays for numpy arrays or 3-D stacks."
            )
            raise TypeError(msg)
        if images.dtype != torch.float32:
            images = images.to(torch.float32)
        self._images = images if images.is_contiguous() else images.contiguous()
        n = self._images.shape[0]
        if mask is None:
            mask = torch.zeros(self._images.shape, dtype=torch.bool)
        elif tuple(mask.shape) != tuple(self._images.shape):
            msg = (
                f"The mask has shape {tuple(mask.shape)} but the images have shape "
                f"{tuple(self._images.shape)} (numpy order). They must match."
            )
            raise ValueError(msg)
        self._mask = mask.to(torch.bool)
        meta = Table() if meta is None else Table(meta, copy=False)
        if meta.colnames and len(meta) != n:
            msg = f"The metadata table has {len(meta)} rows but there are {n} images."
            raise ValueError(msg)
        self._meta = meta
        self._skipped = empty_skipped_table() if skipped is None else skipped
        self._backing_file = backing_file

    @classmethod
    def from_arrays(
        cls,
        array: Any,
        meta: Table | None = None,
        *,
        mask: Any = None,
    ) -> ImageSet:
        """Build an ImageSet from a numpy array or tensor of images, as they are.

        No normalisation is applied. Non-finite values become 0 and are marked in the mask.

        Parameters
        ----------
        array : array-like of shape (n_images, ny, nx) or (n_images, n_channels, ny, nx)
            The images in numpy axis order.
        meta : astropy.table.Table, optional
            One row per image.
        mask : array-like of bool, same shape as ``array``, optional
            True where a pixel is blank.
        """
        tensor = torch.as_tensor(
            np.asarray(array) if not isinstance(array, torch.Tensor) else array
        )
        if tensor.ndim == 3:
            tensor = tensor[:, None]
        if tensor.ndim != 4:
            msg = (
                f"Images passed to ImageSet.from_arrays have shape {tuple(tensor.shape)} in "
                "numpy order. Expected (n_images, ny, nx) or (n_images, n_channels, ny, nx)."
            )
            raise ValueError(msg)
        tensor = tensor.to(torch.float32).clone()
        blank = ~torch.isfinite(tensor)
        if mask is not None:
            mask_tensor = torch.as_tensor(np.asarray(mask), dtype=torch.bool)
            if mask_tensor.ndim == 3:
                mask_tensor = mask_tensor[:, None]
            blank |= mask_tensor.expand_as(blank)
        tensor[~torch.isfinite(tensor)] = 0.0
        return cls(tensor, mask=blank, meta=meta)

    @property
    def images(self) -> torch.Tensor:
        """Tensor of shape (n_images, n_channels, ny, nx): the float32 images."""
        return self._images

    @property
    def mask(self) -> torch.Tensor:
        """Tensor of shape (n_images, n_channels, ny, nx): True where a pixel is blank."""
        return self._mask

    @property
    def meta(self) -> Table:
        """The per-image metadata table; add columns to it freely."""
        return self._meta

    @property
    def skipped(self) -> Table:
        """Inputs the reader skipped (``on_error="skip"``), with the reason for each."""
        return self._skipped

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(n_images, n_channels, ny, nx)`` in numpy order."""
        n, c, ny, nx = self._images.shape
        return (n, c, ny, nx)

    @property
    def n_channels(self) -> int:
        """Number of channels (bands or spectral planes) per image."""
        return self.shape[1]

    @property
    def image_shape(self) -> tuple[int, int]:
        """``(ny, nx)`` of every image."""
        return self.shape[2], self.shape[3]

    @property
    def is_memory_mapped(self) -> bool:
        """True when the images live in a memory-mapped file (``cache_dir=``), not in RAM."""
        return self._backing_file is not None

    def with_meta(self, meta: Table) -> ImageSet:
        """Return an image set with the same pixels and mask (not copied) and ``meta``.

        ``meta`` needs one row per image.
        """
        return ImageSet(
            self._images,
            mask=self._mask,
            meta=meta,
            skipped=self._skipped,
            backing_file=self._backing_file,
        )

    def describe(self, index: int) -> str:
        """Where image ``index`` came from, for messages: ``'a.fits'[SCI] plane 3``."""
        index = self._check_index(index)
        if "file" not in self._meta.colnames:
            return f"image {index}"
        row = self._meta[index]
        text = repr(str(row["file"]))
        if "hdu" in self._meta.colnames and str(row["hdu"]):
            text += f"[{row['hdu']}]"
        if "plane" in self._meta.colnames and int(row["plane"]) >= 0:
            text += f" plane {int(row['plane'])}"
        return text

    def _check_index(self, index: int) -> int:
        n = len(self)
        if not isinstance(index, numbers.Integral) or not -n <= index < n:
            msg = f"Image index must be an int in the range [{-n}, {n - 1}]; got {index!r}."
            raise IndexError(msg)
        return int(index) % n

    def __len__(self) -> int:
        return int(self._images.shape[0])

    def __getitem__(self, key: Any) -> ImageSet:
        if isinstance(key, numbers.Integral) and not isinstance(key, bool):
            key = slice(self._check_index(int(key)), self._check_index(int(key)) + 1)
        elif not isinstance(key, slice):
            key = np.asarray(key)
            if key.dtype == bool:
                if key.shape != (len(self),):
                    msg = (
                        f"A boolean index must have one entry per image ({len(self)}); "
                        f"got shape {key.shape}."
                    )
                    raise IndexError(msg)
                key = np.flatnonzero(key)
            elif not np.issubdtype(key.dtype, np.integer) and key.size:
                msg = f"Index ImageSets with ints, slices or booleans; got dtype {key.dtype}."
                raise IndexError(msg)
            key = key.astype(np.int64)
        if isinstance(key, slice):
            images, mask = self._images[key], self._mask[key]
            rows = np.arange(len(self))[key]
        else:
            torch_key = torch.from_numpy(key)
            images, mask = self._images[torch_key], self._mask[torch_key]
            rows = key
        meta = self._meta[rows] if self._meta.colnames else Table()
        # A plain slice of a memory-mapped set is still a view of the file; gathers copy to RAM.
        is_view = isinstance(key, slice) and key.step in (None, 1)
        return ImageSet(
            images,
            mask=mask,
            meta=meta,
            skipped=self._skipped,
            backing_file=self._backing_file if is_view else None,
        )

    def __repr__(self) -> str:
        n, c, ny, nx = self.shape
        where = "memory-mapped" if self.is_memory_mapped else "in memory"
        text = f"<ImageSet: {n} images, {c}×{ny}×{nx} (C×ny×nx), float32, {where}"
        n_blank = int(self._mask.sum())
        if n_blank:
            text += f", {n_blank} blank pixels masked"
        if len(self._skipped):
            text += f", {len(self._skipped)} inputs skipped"
        return text + ">"
