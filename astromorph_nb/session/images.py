"""A session's images and their metadata: one owner for the pixels, the table and the tags.

:class:`SessionImages` holds the image set (or None for a session saved without it), the
metadata table with the user's tags, the number and shape of the images (known even
without the pixels) and the cached thumbnails. It checks the image indices every verb
takes. :func:`imageset_from_arrays` turns raw arrays into an image set as ``read_fits``
would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from astropy.table import Table

from astromorph_nb._validation import check_choice
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.exceptions import NotReadyError

__all__ = ["NAME_COLUMNS", "RESERVED_COLUMNS", "SessionImages", "imageset_from_arrays"]

#: Metadata columns that name the objects, in order of preference.
NAME_COLUMNS = ("OBJECT", "name", "id")
#: Columns that the session writes; metadata tags may not take these names.
RESERVED_COLUMNS = frozenset({"index", "embedding", "tsne_x", "tsne_y", "cluster", "anomaly_score"})
_THUMBNAIL_SIZE = 64


@dataclass
class SessionImages:
    """The images of a session, their metadata table, and checks of image indices.

    Attributes
    ----------
    images : ImageSet or None
        None when the session was saved without its images.
    meta : astropy.table.Table
        One row per image (an empty table when there is no metadata); tags add columns.
    n_images : int
    image_shape : tuple of int
        ``(n_channels, ny, nx)``.
    thumbnails_cache : ndarray or None
        The thumbnails once made (or read from a saved session).
    """

    images: ImageSet | None
    meta: Table
    n_images: int
    image_shape: tuple[int, ...]
    thumbnails_cache: np.ndarray | None = None

    @classmethod
    def of(cls, images: ImageSet) -> SessionImages:
        """Hold ``images`` with a copy of their metadata table.

        The session's tags go to its own table, so the caller's image set is left as it was.
        """
        own = images.with_meta(Table(images.meta, copy=True))
        return cls(own, own.meta, len(own), tuple(own.shape[1:]))

    def __post_init__(self) -> None:
        if not self.meta.colnames:
            self.meta = Table()

    def require(self, verb: str) -> ImageSet:
        """Return the image set, or NotReadyError saying how to get it back for ``verb``."""
        if self.images is None:
            msg = (
                f"This session was saved without its images, so {verb}() cannot run. Load "
                "the images again (Session.from_fits) and continue from the saved weights, or "
                "save with include_images=True."
            )
            raise NotReadyError(msg)
        return self.images

    @property
    def object_names(self) -> list[str] | None:
        """Each image's name from the first name column (see :data:`NAME_COLUMNS`), or None."""
        column = next((c for c in NAME_COLUMNS if c in self.meta.colnames), None)
        return None if column is None else [str(v) for v in self.meta[column]]

    @property
    def thumbnails(self) -> np.ndarray:
        """uint8 array of shape (n_images, ty, tx): grey previews (asinh stretch), cached."""
        if self.thumbnails_cache is None:
            from astromorph_nb.data.thumbnails import make_thumbnails

            images = self.require("thumbnails")
            self.thumbnails_cache = make_thumbnails(images.images, size=_THUMBNAIL_SIZE)
        return self.thumbnails_cache

    def cutouts(self) -> np.ndarray:
        """Float images for figures when present, else the thumbnails."""
        if self.images is not None:
            return self.images.images.numpy()
        return self.thumbnails

    # -- indices -------------------------------------------------------------------------

    def check_index(self, index: Any, name: str, where: str) -> int:
        """Return ``index`` as a non-negative int (negative ones count from the end)."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            msg = f"The {name!r} parameter of {where} must be an int; got {index!r}."
            raise TypeError(msg)
        if not -self.n_images <= int(index) < self.n_images:
            msg = (
                f"Image index {int(index)} is out of range for this session of "
                f"{self.n_images} images (valid: 0 to {self.n_images - 1})."
            )
            raise IndexError(msg)
        return int(index) % self.n_images

    def check_indices(self, indices: Any, name: str, where: str) -> np.ndarray:
        """Return int indices from ints, a boolean mask over the images, or None (none)."""
        if indices is None:
            return np.empty(0, dtype=np.int64)
        array = np.asarray(indices)
        if array.dtype == bool:
            if array.shape != (self.n_images,):
                msg = (
                    f"A boolean {name!r} for {where} must have one entry per image "
                    f"({self.n_images}); got shape {array.shape}."
                )
                raise ValueError(msg)
            return np.flatnonzero(array)
        array = np.atleast_1d(array)
        if array.size and array.dtype.kind not in "iu":
            msg = f"The {name!r} parameter of {where} must hold ints; got dtype {array.dtype}."
            raise TypeError(msg)
        return np.array([self.check_index(int(i), name, where) for i in array], dtype=np.int64)

    def check_examples(self, examples: Any, name: str, where: str) -> np.ndarray:
        """Return sorted unique indices from indices, a boolean mask, or a tag column's name.

        A name picks the rows where that boolean metadata column is True (an unknown name
        is no rows, so a search can name the tags its answers will go to before any exist).
        """
        if isinstance(examples, str):
            if examples not in self.meta.colnames:
                return np.empty(0, dtype=np.int64)
            column = np.asarray(self.meta[examples])
            if column.dtype != bool:
                msg = (
                    f"The {name!r} parameter of {where} names the metadata column "
                    f"{examples!r}, which holds {column.dtype} values; a tag column of "
                    "True/False values (session.tag) or indices are needed."
                )
                raise TypeError(msg)
            return np.flatnonzero(column)
        if isinstance(examples, (int, np.integer)) and not isinstance(examples, bool):
            return np.array([self.check_index(examples, name, where)], dtype=np.int64)
        return np.unique(self.check_indices(examples, name, where))

    # -- tags ----------------------------------------------------------------------------

    def tag(self, indices: Any, name: str, *, value: bool) -> None:
        """Set the boolean metadata column ``name`` to ``value`` at ``indices``."""
        chosen = self.check_indices(indices, "indices", "Session.tag")
        if not isinstance(name, str) or not name.strip() or name in RESERVED_COLUMNS:
            msg = (
                f"The 'name' parameter of Session.tag must be a non-empty column name other "
                f"than {', '.join(sorted(RESERVED_COLUMNS))}; got {name!r}."
            )
            raise ValueError(msg)
        if name in self.meta.colnames:
            if self.meta[name].dtype != bool:
                msg = (
                    f"Metadata column {name!r} exists and holds {self.meta[name].dtype} values, "
                    "not tags. Choose another tag name."
                )
                raise ValueError(msg)
        else:
            self.meta[name] = np.zeros(self.n_images, dtype=bool)
        self.meta[name][chosen] = bool(value)

    # -- the saved form ------------------------------------------------------------------

    def to_arrays(self, *, include_images: bool) -> dict[str, np.ndarray]:
        """Return the pixels and mask (if kept and ``include_images``) and the thumbnails."""
        arrays: dict[str, np.ndarray] = {}
        if self.images is not None and include_images:
            arrays["images"] = self.images.images.numpy()
            arrays["mask"] = self.images.mask.numpy()
        if self.images is not None or self.thumbnails_cache is not None:
            arrays["thumbnails"] = self.thumbnails
        return arrays


def imageset_from_arrays(
    array: Any, meta: Table | None, *, normalize: str | None, where: str
) -> ImageSet:
    """Normalise raw images as ``read_fits`` does and wrap them in an ImageSet."""
    from astromorph_nb.data.preprocess import NORMALIZATIONS, mask_and_fill

    check_choice(normalize, NORMALIZATIONS, name="normalize", where=where)
    values = array.detach().cpu().numpy() if isinstance(array, torch.Tensor) else array
    stack = np.array(values, dtype=np.float32)  # a copy: normalisation works in place
    if stack.ndim == 3:
        stack = stack[:, None]
    if stack.ndim != 4:
        msg = (
            f"Images passed to {where} have shape {stack.shape} in numpy order. Expected "
            "(n_images, ny, nx) or (n_images, n_channels, ny, nx)."
        )
        raise ValueError(msg)
    images, mask = mask_and_fill(stack, normalize=normalize)
    return ImageSet(torch.from_numpy(images), mask=torch.from_numpy(mask), meta=meta)
