"""Chain augmentations, fuse the geometric ones, and make BYOL's two views (augment layer)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from astromorph_nb.augment._checks import check_batch, check_generator
from astromorph_nb.augment.affine import FusedGeometric, RandomAffine
from astromorph_nb.augment.base import Augmentation, GeometricAugmentation
from astromorph_nb.augment.photometric import FluxScale, GaussianNoise
from astromorph_nb.augment.psf import PSFBlur

__all__ = ["AugmentationPipeline", "default_augmentations", "two_views"]


def _fuse(transforms: Sequence[Augmentation]) -> list[Augmentation]:
    """Replace each run of consecutive geometric augmentations by one FusedGeometric."""
    steps: list[Augmentation] = []
    run: list[GeometricAugmentation] = []
    for transform in [*transforms, None]:
        if isinstance(transform, GeometricAugmentation):
            run.append(transform)
            continue
        if run:
            steps.append(run[0] if len(run) == 1 else FusedGeometric(run))
            run = []
        if transform is not None:
            steps.append(transform)
    return steps


class AugmentationPipeline(Augmentation):
    """Apply augmentations one after the other, resampling once per run of geometric ones.

    Consecutive geometric augmentations (flips, rotations, shifts, zooms) are fused: their
    matrices are multiplied per image and the batch goes through one ``grid_sample`` call
    (or one exact index gather when they are all flips and quarter turns). Nested
    pipelines are flattened first, so their geometric steps fuse with their neighbours.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    transforms : sequence of Augmentation
        Applied in this order. A single augmentation is accepted too.

    Attributes
    ----------
    transforms : tuple of Augmentation
        The augmentations as given (nested pipelines flattened).
    steps : tuple of Augmentation
        What actually runs: ``transforms`` with each run of geometric augmentations
        replaced by one :class:`FusedGeometric`.

    Raises
    ------
    TypeError
        If an item is not an astromorph_nb augmentation.
    ValueError
        If geometric augmentations fused together name different fills or interpolations.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import (
    ...     AugmentationPipeline, FluxScale, PSFBlur, RandomFlip, RandomRotation)
    >>> pipeline = AugmentationPipeline(
    ...     [RandomRotation(), RandomFlip(), PSFBlur(fwhm_px=(0.5, 2.0)), FluxScale()])
    >>> [type(step).__name__ for step in pipeline.steps]
    ['FusedGeometric', 'PSFBlur', 'FluxScale']
    >>> generator = torch.Generator().manual_seed(0)
    >>> pipeline(torch.rand(8, 1, 32, 32), generator).shape
    torch.Size([8, 1, 32, 32])
    """

    def __init__(self, transforms: Sequence[Augmentation]) -> None:
        if isinstance(transforms, Augmentation):
            transforms = [transforms]
        flat: list[Augmentation] = []
        for position, transform in enumerate(transforms):
            if isinstance(transform, AugmentationPipeline):
                flat.extend(transform.transforms)
            elif isinstance(transform, Augmentation):
                flat.append(transform)
            else:
                msg = (
                    f"Item {position} of the 'transforms' parameter of AugmentationPipeline is "
                    f"{type(transform).__module__}.{type(transform).__name__}; expected an "
                    "astromorph_nb augmentation such as RandomRotation() or PSFBlur(), which "
                    "work on whole batches on their device. torchvision transforms do not."
                )
                raise TypeError(msg)
        self.transforms: tuple[Augmentation, ...] = tuple(flat)
        self.steps: tuple[Augmentation, ...] = tuple(_fuse(flat))

    def __len__(self) -> int:
        return len(self.transforms)

    def __iter__(self) -> Iterator[Augmentation]:
        return iter(self.transforms)

    def __repr__(self) -> str:
        lines = "".join(f"    {transform!r},\n" for transform in self.transforms)
        return f"AugmentationPipeline([\n{lines}])"

    def sample_params(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw every step's parameters, in order.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape, dtype and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            Each step's parameters under ``"<step position>.<name>"`` (positions in
            :attr:`steps`).
        """
        params: dict[str, torch.Tensor] = {}
        for position, step in enumerate(self.steps):
            drawn = step.sample_params(batch, generator)
            params.update({f"{position}.{name}": value for name, value in drawn.items()})
        return params

    def apply(self, batch: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Run every step with its parameters.

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
        for position, step in enumerate(self.steps):
            prefix = f"{position}."
            own = {
                name[len(prefix) :]: value
                for name, value in params.items()
                if name.startswith(prefix)
            }
            batch = step.apply(batch, own)
        return batch


def default_augmentations(
    *,
    angle_deg: tuple[float, float] = (-180.0, 180.0),
    flip_prob: float = 0.5,
    shift_fraction: float = 0.05,
    zoom: tuple[float, float] = (0.75, 1.33),
    aspect_ratio: tuple[float, float] = (0.6, 1.67),
    fill: str = "reflect",
    fwhm_px: tuple[float, float] = (0.0, 2.5),
    relative_sigma: tuple[float, float] = (0.0, 1.0),
    flux_factor: tuple[float, float] = (0.8, 1.25),
) -> AugmentationPipeline:
    """Return augmentations that span the nuisances of sky images: angle, size, shape, PSF, depth.

    Every keyword changes one setting of the steps below; the defaults are the choices
    explained here. The keywords are what ``Session.set_augmentations`` and the
    augmentation preview widget expose.

    BYOL learns to ignore what the augmentations change, so they should change what the
    sky varies from object to object and not what tells objects apart. Mild geometry and
    blur (zoom 0.9-1.1, no stretch, 1.5 px of blur: the defaults before version 0.1) left
    the features of the shipped weights almost where they were when training on new kinds
    of objects; with these ranges, 1,800 steps on unseen clouds gave kNN 0.786 instead of
    0.743, on unseen disks 0.751 where the old ranges had flattened at 0.70, and from
    scratch on galaxy morphologies 0.90 instead of 0.85
    (``benchmarks/RESULTS.md``, "Training that pays off"). Noise up to three times the
    image's own helped disks as much, but slowed learning from scratch on clouds, whose
    fractal backgrounds make the pixel-scale noise estimate too high.

    The choices, in order:

    - ``RandomAffine(angle_deg=(-180, 180), flip_prob=0.5, shift_fraction=0.05,
      zoom=(0.75, 1.33), aspect_ratio=(0.6, 1.67), fill="reflect")``: the sky has no up and
      no handedness, so every orientation and mirror image is the same object; cutouts are
      centred to a few pixels (5 % is 3 pixels at 64×64); the same kind of object comes at
      different distances (±33 % in size) and is seen at different inclinations or through
      elongated beams (a stretch of up to 1.67 along a random axis, as a disk inclined by
      53° or a 5:3 beam). Reflection fills the corners with the image's own sky, keeping its
      noise texture (including correlated noise), so the corners carry no cue about the
      angle; it costs nothing extra.
    - ``PSFBlur(fwhm_px=(0.0, 2.5))``: seeing and beams vary; up to 2.5 pixels more FWHM
      at the working resolution of the default model (5 pixels of a 64-pixel stamp).
    - ``GaussianNoise(relative_sigma=(0.0, 1.0))``: depth varies; up to the image's own
      noise again, measured per image.
    - ``FluxScale(factor=(0.8, 1.25))``: calibration and normalisation vary by ±25 %.

    Objects whose class is their size or shape (round against elongated, compact against
    extended) are better served by narrower ``zoom`` and ``aspect_ratio`` ranges; the
    augmentation preview shows what the network sees.

    There are no colour, grayscale or ImageNet-style steps. For multi-band images append
    :class:`ChannelDropout`; for noiseless simulations give ``GaussianNoise`` a
    ``min_sigma``.

    Returns
    -------
    AugmentationPipeline
        A new pipeline; edit a copy of its ``transforms`` to build your own.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import default_augmentations, two_views
    >>> pipeline = default_augmentations()
    >>> generator = torch.Generator().manual_seed(0)
    >>> view_a, view_b = two_views(pipeline, torch.rand(8, 1, 64, 64), generator)
    >>> view_a.shape
    torch.Size([8, 1, 64, 64])
    """
    return AugmentationPipeline(
        [
            RandomAffine(
                angle_deg=angle_deg,
                flip_prob=flip_prob,
                shift_fraction=shift_fraction,
                zoom=zoom,
                aspect_ratio=aspect_ratio,
                fill=fill,
            ),
            PSFBlur(fwhm_px=fwhm_px),
            GaussianNoise(relative_sigma=relative_sigma),
            FluxScale(factor=flux_factor),
        ]
    )


def two_views(
    pipeline: Augmentation, batch: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return two independently augmented views of ``batch``, as BYOL needs.

    Both views are made in one pass over a batch of 2B images, so every image of every
    view has its own random parameters and each step runs once.

    Parameters
    ----------
    pipeline : Augmentation
        Usually an :class:`AugmentationPipeline`, e.g. :func:`default_augmentations()`.
    batch : Tensor of shape (B, C, ny, nx)
        Floating-point images on any device.
    generator : torch.Generator
        Source of randomness, on the batch's device.

    Returns
    -------
    view_a, view_b : Tensor of shape (B, C, ny, nx)
        Same dtype and device as ``batch``.

    Raises
    ------
    TypeError
        If ``pipeline`` is not an augmentation, or ``batch`` or ``generator`` have the
        wrong type.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import RandomRotation, two_views
    >>> generator = torch.Generator().manual_seed(0)
    >>> view_a, view_b = two_views(RandomRotation(), torch.rand(4, 1, 16, 16), generator)
    >>> bool((view_a != view_b).any())
    True
    """
    if not isinstance(pipeline, Augmentation):
        msg = (
            f"The 'pipeline' parameter of two_views must be an astromorph_nb augmentation, "
            f"e.g. default_augmentations(); got {type(pipeline).__name__}."
        )
        raise TypeError(msg)
    check_batch(batch, where="two_views")
    check_generator(generator, batch, where="two_views")
    both = torch.cat([batch, batch])
    views = pipeline.apply(both, pipeline.sample_params(both, generator))
    n_images = batch.shape[0]
    return views[:n_images], views[n_images:]
