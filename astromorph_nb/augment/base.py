"""The two base classes every augmentation derives from (augment layer).

An augmentation works on a whole batch, a Tensor of shape (B, C, ny, nx), on the batch's
own device, in two steps, as in kornia:

1. ``sample_params(batch, generator)`` draws independent random parameters for every image
   from an explicit ``torch.Generator`` (never from torch's global generator) and returns a
   dict of Tensors; only the batch's shape, dtype and device are used;
2. ``apply(batch, params)`` applies them in one vectorised call, with no Python loop over
   images; the same ``params`` always give the same result.

``augmentation(batch, generator)`` checks its arguments and does both.
:class:`GeometricAugmentation` is the base of the transforms that move pixels: they only
describe one affine matrix per image, so that a pipeline can multiply consecutive matrices
and resample the batch once.
"""

from __future__ import annotations

import abc
import inspect

import torch

from astromorph_nb._validation import check_choice
from astromorph_nb.augment._checks import check_batch, check_generator
from astromorph_nb.augment._warp import FILL_MODES, INTERPOLATIONS, compute_dtype, warp

__all__ = ["Augmentation", "GeometricAugmentation"]


class Augmentation(abc.ABC):
    """Base class of the batched, on-device augmentations.

    Subclasses implement :meth:`sample_params` and :meth:`apply`, store their constructor
    arguments under the same names (which gives them a useful ``repr``), and are registered
    in ``tests/augment/test_common.py``.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.
    """

    @abc.abstractmethod
    def sample_params(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw this augmentation's random parameters for every image of ``batch``.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape, dtype and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            Parameters whose first axis has length B.
        """

    @abc.abstractmethod
    def apply(self, batch: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Apply parameters drawn by :meth:`sample_params` to ``batch``.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images.
        params : dict of str to Tensor
            Output of :meth:`sample_params` for a batch of this shape.

        Returns
        -------
        Tensor of shape (B, C, ny, nx)
            Augmented images, same dtype and device as ``batch``.
        """

    def __call__(self, batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Augment every image of ``batch`` with its own random parameters.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Floating-point images on any device.
        generator : torch.Generator
            Source of randomness, created on the batch's device, e.g.
            ``torch.Generator(device=batch.device).manual_seed(0)``.

        Returns
        -------
        Tensor of shape (B, C, ny, nx)
            Augmented images, same dtype and device as ``batch``.
        """
        where = type(self).__name__
        check_batch(batch, where=where)
        check_generator(generator, batch, where=where)
        return self.apply(batch, self.sample_params(batch, generator))

    def __repr__(self) -> str:
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({shown})"


class GeometricAugmentation(Augmentation):
    """Base class of the augmentations that move pixels through an affine matrix.

    Subclasses implement :meth:`sample_transform`, which returns one 3×3 matrix per image
    (and the parameters it was made from). ``apply`` resamples the batch through it, with
    one ``grid_sample`` call, or exactly, by index, when the subclass sets
    ``is_dihedral = True`` (rotations by multiples of 90 degrees and flips).

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    fill : {"reflect", "zero", "noise", "crop"} or None, default=None
        What the parts of the output that come from outside the image show:
        ``"reflect"`` mirrors the image at its edge; ``"zero"`` shows zeros; ``"noise"``
        shows Gaussian noise at the image's own background level and noise
        (median and a robust sigma from second differences, per image and channel); ``"crop"``
        magnifies each image just enough that no pixel comes from outside. None means
        ``"reflect"``, unless another geometric augmentation fused with this one in a
        pipeline names a fill.
    interpolation : {"bilinear", "nearest", "bicubic"} or None, default=None
        Pixel interpolation; None means ``"bilinear"`` unless a fused neighbour names one.
    """

    #: True when every matrix is a rotation by a multiple of 90 degrees and/or a flip.
    is_dihedral = False

    def __init__(self, *, fill: str | None = None, interpolation: str | None = None) -> None:
        where = type(self).__name__
        self.fill = check_choice(fill, (*FILL_MODES, None), name="fill", where=where)
        self.interpolation = check_choice(
            interpolation, (*INTERPOLATIONS, None), name="interpolation", where=where
        )

    @abc.abstractmethod
    def sample_transform(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw one affine matrix per image, and the parameters it was made from.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            Holds ``"matrix"``, a float32 Tensor of shape (B, 3, 3) that maps centred pixel
            coordinates ``(x, y, 1)`` of the output to those of the input, and the named
            parameters (angles, flips, ...) it was built from.
        """

    @property
    def effective_fill(self) -> str:
        """The fill mode in use: ``fill``, or ``"reflect"`` when it is None."""
        return self.fill or "reflect"

    @property
    def effective_interpolation(self) -> str:
        """The interpolation in use: ``interpolation``, or ``"bilinear"`` when it is None."""
        return self.interpolation or "bilinear"

    def sample_params(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw the matrices, plus standard-normal fill noise when ``fill="noise"``.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape, dtype and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            The output of :meth:`sample_transform`, and ``"fill_noise"`` of shape
            (B, C, ny, nx) when the fill is ``"noise"``.
        """
        params = self.sample_transform(batch, generator)
        if self.effective_fill == "noise" and not self.is_dihedral:
            params["fill_noise"] = torch.randn(
                batch.shape, generator=generator, device=batch.device, dtype=compute_dtype(batch)
            )
        return params

    def apply(self, batch: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Resample ``batch`` through ``params["matrix"]`` in one call.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images.
        params : dict of str to Tensor
            Output of :meth:`sample_params`.

        Returns
        -------
        Tensor of shape (B, C, ny, nx)
            Same dtype and device as ``batch``.
        """
        return warp(
            batch,
            params["matrix"],
            fill=self.effective_fill,
            interpolation=self.effective_interpolation,
            fill_noise=params.get("fill_noise"),
            is_dihedral=self.is_dihedral,
        )
