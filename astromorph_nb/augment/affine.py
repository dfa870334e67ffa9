"""Several geometric augmentations fused into one matrix and one resampling (augment layer).

Resampling blurs a little and costs a pass over the batch, so doing it once for a rotation,
a flip, a shift and a zoom is both sharper and faster than doing it four times. The matrices
of consecutive geometric augmentations are multiplied per image and the batch is resampled
once; :class:`~astromorph_nb.augment.AugmentationPipeline` does this on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from astromorph_nb.augment._checks import check_fraction, check_range
from astromorph_nb.augment.base import GeometricAugmentation
from astromorph_nb.augment.geometric import RandomFlip, RandomRotation, RandomShift, RandomZoom

__all__ = ["FusedGeometric", "RandomAffine"]


def _shared_setting(
    transforms: Sequence[GeometricAugmentation], own: str | None, attribute: str
) -> str | None:
    """Return the one explicit value of ``attribute`` among ``own`` and the transforms."""
    named = [(f"the {attribute!r} argument", own)] if own is not None else []
    named += [(repr(t), getattr(t, attribute)) for t in transforms]
    values = {value for _, value in named if value is not None}
    if len(values) > 1:
        listed = "; ".join(f"{name} asks for {value!r}" for name, value in named if value)
        msg = (
            f"Geometric augmentations that follow each other are fused into one resampling, "
            f"so they need one {attribute}, but {listed}. Give them the same {attribute}, or "
            f"leave {attribute}=None on all but one."
        )
        raise ValueError(msg)
    return values.pop() if values else None


class FusedGeometric(GeometricAugmentation):
    """Apply several geometric augmentations as one matrix per image and one resampling.

    The result equals applying ``transforms`` one after the other (up to interpolation,
    which happens once instead of once per transform). If every transform only flips or
    turns by quarter turns the pixels are moved exactly, by index.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    transforms : sequence of GeometricAugmentation
        Applied in this order.
    fill : {"reflect", "zero", "noise", "crop"} or None, default=None
        Fill for the fused resampling. None takes the fill a member names (members may
        not name different ones), else ``"reflect"``.
    interpolation : {"bilinear", "nearest", "bicubic"} or None, default=None
        Interpolation for the fused resampling, chosen like ``fill``.

    Raises
    ------
    TypeError
        If a member is not a geometric augmentation.
    ValueError
        If members name different fills or interpolations.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import FusedGeometric, RandomFlip, RandomRotation
    >>> fused = FusedGeometric([RandomRotation(fill="noise"), RandomFlip()])
    >>> fused.effective_fill
    'noise'
    >>> generator = torch.Generator().manual_seed(0)
    >>> fused(torch.rand(8, 1, 32, 32), generator).shape
    torch.Size([8, 1, 32, 32])
    """

    #: Whether ``sample_transform`` prefixes member parameters with their position.
    _prefix_keys = True

    def __init__(
        self,
        transforms: Sequence[GeometricAugmentation],
        *,
        fill: str | None = None,
        interpolation: str | None = None,
    ) -> None:
        super().__init__(fill=fill, interpolation=interpolation)
        transforms = tuple(transforms)
        for position, transform in enumerate(transforms):
            if not isinstance(transform, GeometricAugmentation):
                msg = (
                    f"Item {position} of the 'transforms' parameter of FusedGeometric is "
                    f"{type(transform).__name__}; expected a geometric augmentation such as "
                    f"RandomRotation() or RandomFlip()."
                )
                raise TypeError(msg)
        self.transforms = transforms
        self.fill = _shared_setting(transforms, self.fill, "fill")
        self.interpolation = _shared_setting(transforms, self.interpolation, "interpolation")
        self.is_dihedral = all(t.is_dihedral for t in transforms)

    def sample_transform(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw every member's parameters and multiply their matrices.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            ``matrix`` (B, 3, 3), the product of the members' matrices in order, and each
            member's parameters under ``"<position>.<name>"``.
        """
        eye = torch.eye(3, device=batch.device)
        params: dict[str, torch.Tensor] = {"matrix": eye.expand(batch.shape[0], 3, 3)}
        for position, transform in enumerate(self.transforms):
            member = transform.sample_transform(batch, generator)
            # Output-to-input maps compose left to right: the first transform is outermost.
            params["matrix"] = params["matrix"] @ member.pop("matrix")
            prefix = f"{position}." if self._prefix_keys else ""
            params.update({prefix + name: value for name, value in member.items()})
        return params


class RandomAffine(FusedGeometric):
    """Flip, rotate, zoom and shift each image at random, with one resampling.

    The content is flipped, then rotated about the centre, then zoomed about the centre,
    then shifted. Each range set to a single value (or probability 0) switches that part
    off.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    angle_deg : (float, float), default=(-180.0, 180.0)
        Rotation range in degrees, drawn uniformly; see :class:`RandomRotation`.
    flip_prob : float, default=0.5
        Probability of mirroring each axis; see :class:`RandomFlip`.
    shift_fraction : float, default=0.0
        Largest shift as a fraction of the image size; see :class:`RandomShift`.
    zoom : (float, float), default=(1.0, 1.0)
        Magnification range, drawn log-uniformly; see :class:`RandomZoom`.
    aspect_ratio : (float, float), default=(1.0, 1.0)
        Range of the x to y magnification ratio; see :class:`RandomZoom`.
    fill : {"reflect", "zero", "noise", "crop"} or None, default=None
        What parts that come from outside the image show; see
        :class:`GeometricAugmentation`. None means ``"reflect"``.
    interpolation : {"bilinear", "nearest", "bicubic"} or None, default=None
        Pixel interpolation; None means ``"bilinear"``.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import RandomAffine
    >>> augment = RandomAffine(shift_fraction=0.05, zoom=(0.9, 1.1), fill="noise")
    >>> generator = torch.Generator().manual_seed(0)
    >>> augment(torch.rand(8, 1, 32, 32), generator).shape
    torch.Size([8, 1, 32, 32])
    """

    _prefix_keys = False

    def __init__(
        self,
        angle_deg: tuple[float, float] = (-180.0, 180.0),
        *,
        flip_prob: float = 0.5,
        shift_fraction: float = 0.0,
        zoom: tuple[float, float] = (1.0, 1.0),
        aspect_ratio: tuple[float, float] = (1.0, 1.0),
        fill: str | None = None,
        interpolation: str | None = None,
    ) -> None:
        where = "RandomAffine"
        self.angle_deg = check_range(angle_deg, name="angle_deg", where=where)
        self.flip_prob = check_fraction(flip_prob, name="flip_prob", where=where)
        self.shift_fraction = check_fraction(
            shift_fraction, name="shift_fraction", where=where, upper=0.5, inclusive=False
        )
        self.zoom = check_range(zoom, name="zoom", where=where, minimum=0, exclusive=True)
        self.aspect_ratio = check_range(
            aspect_ratio, name="aspect_ratio", where=where, minimum=0, exclusive=True
        )
        members = [
            RandomFlip(self.flip_prob),
            RandomRotation(self.angle_deg),
            RandomZoom(self.zoom, aspect_ratio=self.aspect_ratio),
            RandomShift(self.shift_fraction),
        ]
        super().__init__(members, fill=fill, interpolation=interpolation)
