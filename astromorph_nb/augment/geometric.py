"""Batched, on-device geometric augmentations: flips, rotations, shifts, zooms (augment layer).

The sky has no "up", so rotations by any angle and flips are the most natural invariances
for sky images. Each class here only draws one affine matrix per image
(:meth:`~astromorph_nb.augment.GeometricAugmentation.sample_transform`); applied alone it
resamples the batch once, and an :class:`~astromorph_nb.augment.AugmentationPipeline`
multiplies the matrices of consecutive geometric augmentations and resamples once for all
of them (see :class:`~astromorph_nb.augment.FusedGeometric`).

Angles are in degrees; positive angles turn the image counter-clockwise as displayed with
``origin="lower"`` (the usual astronomical display; ``torch.rot90`` with ``k=1`` turns it the
other way in that display, counter-clockwise as printed, row 0 on top).
"""

from __future__ import annotations

import math

import torch

from astromorph_nb._validation import check_choice
from astromorph_nb.augment._checks import check_fraction, check_range
from astromorph_nb.augment._sampling import log_uniform, uniform
from astromorph_nb.augment.base import GeometricAugmentation
from astromorph_nb.exceptions import InvalidImageError

__all__ = ["RandomFlip", "RandomRot90", "RandomRotation", "RandomShift", "RandomZoom"]


def _matrices(linear: torch.Tensor, shift: torch.Tensor | None = None) -> torch.Tensor:
    """Build (B, 3, 3) matrices from linear parts (B, 2, 2) and shifts (B, 2) in (x, y)."""
    matrix = torch.zeros(linear.shape[0], 3, 3, device=linear.device, dtype=linear.dtype)
    matrix[:, :2, :2] = linear
    matrix[:, 2, 2] = 1.0
    if shift is not None:
        matrix[:, :2, 2] = shift
    return matrix


def _rotations(angle_deg: torch.Tensor) -> torch.Tensor:
    """Output-to-input matrices that turn the content counter-clockwise by ``angle_deg``."""
    angle = torch.deg2rad(angle_deg)
    cos, sin = angle.cos(), angle.sin()
    linear = torch.stack([torch.stack([cos, sin], -1), torch.stack([-sin, cos], -1)], -2)
    return _matrices(linear)


class RandomFlip(GeometricAugmentation):
    """Mirror images left-right and/or up-down, independently per image.

    Flips move pixels exactly (no interpolation). Combined with
    :class:`RandomRotation` one flip axis is enough to reach every orientation; both
    axes are flipped by default so that, used alone, all four mirror images are equally
    likely.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    flip_prob : float, default=0.5
        Probability of flipping each allowed axis of each image.
    axes : {"both", "x", "y"}, default="both"
        ``"x"`` reverses the x axis (left-right), ``"y"`` the y axis (up-down), ``"both"``
        draws each independently.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import RandomFlip
    >>> batch = torch.rand(8, 1, 32, 32)
    >>> generator = torch.Generator().manual_seed(0)
    >>> RandomFlip(flip_prob=0.5)(batch, generator).shape
    torch.Size([8, 1, 32, 32])
    """

    is_dihedral = True

    def __init__(self, flip_prob: float = 0.5, *, axes: str = "both") -> None:
        super().__init__()
        self.flip_prob = check_fraction(flip_prob, name="flip_prob", where="RandomFlip")
        self.axes = check_choice(axes, ("both", "x", "y"), name="axes", where="RandomFlip")

    def sample_transform(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw ``flip_x`` and ``flip_y`` (bool, shape (B,)) and the matching matrices.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            ``flip_x``, ``flip_y`` and ``matrix`` (B, 3, 3).
        """
        flips = torch.rand(batch.shape[0], 2, generator=generator, device=batch.device)
        flips = flips < self.flip_prob
        if self.axes != "both":
            flips[:, 1 if self.axes == "x" else 0] = False
        signs = 1.0 - 2.0 * flips.float()
        return {
            "flip_x": flips[:, 0],
            "flip_y": flips[:, 1],
            "matrix": _matrices(torch.diag_embed(signs)),
        }


class RandomRot90(GeometricAugmentation):
    """Rotate each image by a random multiple of 90 degrees, exactly.

    Each image gets ``k`` in {0, 1, 2, 3}, equally likely; the result equals
    ``torch.rot90(image, k, dims=(-2, -1))``. Pixels are moved by index, so nothing is
    interpolated and nothing needs filling. Needs square images.

    Shape: Tensor of shape (B, C, n, n) in, same shape, dtype and device out.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import RandomRot90
    >>> batch = torch.rand(8, 1, 32, 32)
    >>> generator = torch.Generator().manual_seed(0)
    >>> RandomRot90()(batch, generator).shape
    torch.Size([8, 1, 32, 32])
    """

    is_dihedral = True

    def __init__(self) -> None:
        super().__init__()

    def sample_transform(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw ``k`` (int64, shape (B,)), the number of quarter turns, and the matrices.

        Parameters
        ----------
        batch : Tensor of shape (B, C, n, n)
            Square images; only their shape and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            ``k`` and ``matrix`` (B, 3, 3).

        Raises
        ------
        InvalidImageError
            If the images are not square.
        """
        ny, nx = batch.shape[-2:]
        if ny != nx:
            msg = (
                f"RandomRot90 needs square images, but the batch has shape "
                f"{tuple(batch.shape)} in numpy order (B, C, ny, nx): a quarter turn would "
                f"change it. Use RandomRotation, or bring the images to one square size "
                f"(image_size={min(ny, nx)} when reading them)."
            )
            raise InvalidImageError(msg)
        k = torch.randint(0, 4, (batch.shape[0],), generator=generator, device=batch.device)
        # torch.rot90 turns from the y axis towards the x axis: -90 degrees here.
        return {"k": k, "matrix": _rotations(-90.0 * k.float()).round()}


class RandomRotation(GeometricAugmentation):
    """Rotate each image about its centre by its own random angle.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    angle_deg : (float, float), default=(-180.0, 180.0)
        Range of the angle in degrees, drawn uniformly; positive is counter-clockwise as
        displayed with ``origin="lower"``. The default covers every orientation, right for
        sky images; narrow it only if your images have a preferred direction (e.g. they
        were aligned to a jet or a disk major axis).
    fill : {"reflect", "zero", "noise", "crop"} or None, default=None
        What the corners that rotate in from outside the image show; see
        :class:`GeometricAugmentation`. None means ``"reflect"``.
    interpolation : {"bilinear", "nearest", "bicubic"} or None, default=None
        Pixel interpolation; None means ``"bilinear"``.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import RandomRotation
    >>> batch = torch.rand(8, 1, 32, 32)
    >>> generator = torch.Generator().manual_seed(0)
    >>> RandomRotation(angle_deg=(-30, 30), fill="noise")(batch, generator).shape
    torch.Size([8, 1, 32, 32])
    """

    def __init__(
        self,
        angle_deg: tuple[float, float] = (-180.0, 180.0),
        *,
        fill: str | None = None,
        interpolation: str | None = None,
    ) -> None:
        super().__init__(fill=fill, interpolation=interpolation)
        self.angle_deg = check_range(angle_deg, name="angle_deg", where="RandomRotation")

    def sample_transform(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw ``angle_deg`` (float32, shape (B,)) and the matching matrices.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            ``angle_deg`` and ``matrix`` (B, 3, 3).
        """
        angle = uniform(*self.angle_deg, (batch.shape[0],), generator, batch.device)
        return {"angle_deg": angle, "matrix": _rotations(angle)}


class RandomShift(GeometricAugmentation):
    """Shift each image by its own random offset, a small fraction of its size.

    Cutouts are rarely centred to better than a few pixels, so small shifts teach the
    encoder not to care.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    shift_fraction : float, default=0.05
        Largest shift along each axis as a fraction of the image size along it, in
        [0, 0.5); the shift is drawn uniformly in ``±shift_fraction * (ny, nx)`` pixels.
        Keep it small: a large shift moves the object off the stamp.
    fill : {"reflect", "zero", "noise", "crop"} or None, default=None
        What the edge that shifts in from outside the image shows; see
        :class:`GeometricAugmentation`. None means ``"reflect"``.
    interpolation : {"bilinear", "nearest", "bicubic"} or None, default=None
        Pixel interpolation; None means ``"bilinear"``.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import RandomShift
    >>> batch = torch.rand(8, 1, 32, 32)
    >>> generator = torch.Generator().manual_seed(0)
    >>> RandomShift(shift_fraction=0.1)(batch, generator).shape
    torch.Size([8, 1, 32, 32])
    """

    def __init__(
        self,
        shift_fraction: float = 0.05,
        *,
        fill: str | None = None,
        interpolation: str | None = None,
    ) -> None:
        super().__init__(fill=fill, interpolation=interpolation)
        self.shift_fraction = check_fraction(
            shift_fraction, name="shift_fraction", where="RandomShift", upper=0.5, inclusive=False
        )

    def sample_transform(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw ``shift_px`` (float32, shape (B, 2), (dy, dx) in pixels) and the matrices.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            ``shift_px`` (positive moves the content to larger indices) and ``matrix``.
        """
        n_images, _, ny, nx = batch.shape
        draws = uniform(
            -self.shift_fraction, self.shift_fraction, (n_images, 2), generator, batch.device
        )
        shift_px = torch.stack([draws[:, 0] * ny, draws[:, 1] * nx], dim=-1)
        eye = torch.eye(2, device=batch.device).expand(n_images, 2, 2)
        # Output pixel q reads input q - shift; the matrix works in (x, y) order.
        return {"shift_px": shift_px, "matrix": _matrices(eye, -shift_px.flip(-1))}


class RandomZoom(GeometricAugmentation):
    """Magnify or shrink each image about its centre by its own random factor.

    Together with :class:`RandomShift` this is a random resized crop for the sky: the
    zoom range plays the part of the crop scale, ``aspect_ratio`` that of the crop ratio.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    zoom : (float, float), default=(0.9, 1.1)
        Range of the linear magnification, drawn log-uniformly; above 1 shows a smaller
        part of the sky, larger. Keep it near 1 when apparent size matters for your
        science (e.g. images at one distance and one pixel scale).
    aspect_ratio : (float, float), default=(1.0, 1.0)
        Range of the ratio of the magnifications along two perpendicular axes, drawn
        log-uniformly; the axes point in a random direction for each image, as inclined
        disks and elongated beams do. The default keeps shapes; other values stretch
        objects and change their apparent ellipticity, which may be the morphology you want
        to learn (then keep it at 1).
    fill : {"reflect", "zero", "noise", "crop"} or None, default=None
        What a shrunk image shows beyond its edges; see :class:`GeometricAugmentation`.
        None means ``"reflect"``.
    interpolation : {"bilinear", "nearest", "bicubic"} or None, default=None
        Pixel interpolation; None means ``"bilinear"``.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import RandomZoom
    >>> batch = torch.rand(8, 1, 32, 32)
    >>> generator = torch.Generator().manual_seed(0)
    >>> RandomZoom(zoom=(1.0, 1.3))(batch, generator).shape
    torch.Size([8, 1, 32, 32])
    """

    def __init__(
        self,
        zoom: tuple[float, float] = (0.9, 1.1),
        *,
        aspect_ratio: tuple[float, float] = (1.0, 1.0),
        fill: str | None = None,
        interpolation: str | None = None,
    ) -> None:
        super().__init__(fill=fill, interpolation=interpolation)
        self.zoom = check_range(zoom, name="zoom", where="RandomZoom", minimum=0, exclusive=True)
        self.aspect_ratio = check_range(
            aspect_ratio, name="aspect_ratio", where="RandomZoom", minimum=0, exclusive=True
        )

    def sample_transform(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw ``zoom`` and ``aspect_ratio`` (float32, shape (B,)) and the matrices.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            ``zoom``, ``aspect_ratio`` and ``matrix`` (B, 3, 3).
        """
        size = (batch.shape[0],)
        zoom = log_uniform(*self.zoom, size, generator, batch.device)
        aspect = log_uniform(*self.aspect_ratio, size, generator, batch.device)
        root = aspect.sqrt()
        magnification = torch.stack([zoom * root, zoom / root], dim=-1)
        linear = torch.diag_embed(1.0 / magnification)
        if self.aspect_ratio != (1.0, 1.0):  # stretch along a random axis per image
            axis = torch.rand(size, generator=generator, device=batch.device) * math.pi
            cos, sin = torch.cos(axis), torch.sin(axis)
            rotation = torch.stack([cos, -sin, sin, cos], dim=-1).reshape(-1, 2, 2)
            linear = rotation @ linear @ rotation.transpose(1, 2)
        return {
            "zoom": zoom,
            "aspect_ratio": aspect,
            "matrix": _matrices(linear),
        }
