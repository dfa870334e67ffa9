"""Batched, on-device photometric augmentations: noise, flux, background, bands (augment layer).

These mimic what differs between two observations of the same object besides the seeing
(for that see :class:`~astromorph_nb.augment.PSFBlur`): the depth (more noise), the
calibration (a flux scale), the sky subtraction (a background offset) and, for multi-band
data, a missing band. Noise and offsets can be
scaled to each image's own noise, estimated robustly on the device
(:func:`~astromorph_nb.augment._statistics.noise_sigma`). There is no colour jitter, no
grayscale and no ImageNet normalisation: band ratios and flux levels are physics.

Reduced-precision batches (float16, bfloat16) are computed in float32 and cast back.
"""

from __future__ import annotations

import torch

from astromorph_nb._validation import check_choice
from astromorph_nb.augment._checks import check_fraction, check_nonnegative, check_range
from astromorph_nb.augment._sampling import log_uniform, uniform
from astromorph_nb.augment._statistics import noise_sigma
from astromorph_nb.augment._warp import compute_dtype
from astromorph_nb.augment.base import Augmentation

__all__ = ["BackgroundOffset", "ChannelDropout", "FluxScale", "GaussianNoise"]


def _per_image(values: torch.Tensor) -> torch.Tensor:
    """Reshape (B,) or (B, C) values to broadcast against (B, C, ny, nx)."""
    return values.reshape(values.shape[0], -1, 1, 1)


class GaussianNoise(Augmentation):
    """Add Gaussian noise scaled to each image's own noise level.

    The noise level of every image and channel is estimated robustly from second
    differences of neighbouring pixels (smooth sources and gradients hardly bias it), so
    the same setting suits deep and shallow images, normalised or not. Adding noise of
    ``relative_sigma`` times the image's own sigma makes the total noise
    ``sqrt(1 + relative_sigma**2)`` times larger, as if the exposure were shallower.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    relative_sigma : (float, float), default=(0.0, 1.0)
        Range of the added noise's standard deviation in units of the image's own, drawn
        uniformly per image. The default at most adds as much noise again, i.e. makes an
        image up to half as deep.
    min_sigma : float, default=0.0
        Floor for the estimated noise, in data units. Noiseless images (simulations)
        otherwise get no noise at all; for images normalised to [0, 1] a floor of about
        0.01 gives them some.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import GaussianNoise
    >>> generator = torch.Generator().manual_seed(0)
    >>> GaussianNoise(relative_sigma=(0.5, 1.0))(torch.rand(8, 1, 32, 32), generator).shape
    torch.Size([8, 1, 32, 32])
    """

    def __init__(
        self, relative_sigma: tuple[float, float] = (0.0, 1.0), *, min_sigma: float = 0.0
    ) -> None:
        self.relative_sigma = check_range(
            relative_sigma, name="relative_sigma", where="GaussianNoise", minimum=0
        )
        self.min_sigma = check_nonnegative(min_sigma, name="min_sigma", where="GaussianNoise")

    def sample_params(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw ``relative_sigma`` (shape (B,)) and standard-normal ``noise`` like ``batch``.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape, dtype and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            ``relative_sigma`` and ``noise`` (B, C, ny, nx).
        """
        size = (batch.shape[0],)
        return {
            "relative_sigma": uniform(*self.relative_sigma, size, generator, batch.device),
            "noise": torch.randn(
                batch.shape, generator=generator, device=batch.device, dtype=compute_dtype(batch)
            ),
        }

    def apply(self, batch: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Add the noise, scaled per image and channel; see the class docstring.

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
        work = batch.to(compute_dtype(batch))
        sigma = noise_sigma(work).clamp_min(self.min_sigma).to(work.dtype)
        scale = _per_image(params["relative_sigma"]).to(work.dtype) * sigma
        return torch.addcmul(work, scale, params["noise"].to(work.dtype)).to(batch.dtype)


class FluxScale(Augmentation):
    """Scale each image's flux by a random factor, with an optional mild stretch jitter.

    The factor imitates calibration and normalisation differences. The stretch jitter
    applies ``sign(x) * |x| ** gamma`` first, which on images normalised to [0, 1] keeps 0
    and 1 in place and brightens (gamma < 1) or darkens (gamma > 1) faint structure, like a
    slightly different display stretch.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    factor : (float, float), default=(0.8, 1.25)
        Range of the multiplicative factor, drawn log-uniformly (0.8 and 1.25 are equally
        likely).
    gamma : (float, float), default=(1.0, 1.0)
        Range of the stretch exponent, drawn log-uniformly. The default switches the
        stretch off; (0.8, 1.25) is a mild jitter. Meant for data normalised to [0, 1].
    per_channel : bool, default=False
        Draw a factor (and gamma) per channel instead of per image. Leave it off to keep
        band ratios (colours), which carry physical information.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import FluxScale
    >>> generator = torch.Generator().manual_seed(0)
    >>> FluxScale(factor=(0.8, 1.25))(torch.rand(8, 1, 32, 32), generator).shape
    torch.Size([8, 1, 32, 32])
    """

    def __init__(
        self,
        factor: tuple[float, float] = (0.8, 1.25),
        *,
        gamma: tuple[float, float] = (1.0, 1.0),
        per_channel: bool = False,
    ) -> None:
        where = "FluxScale"
        self.factor = check_range(factor, name="factor", where=where, minimum=0, exclusive=True)
        self.gamma = check_range(gamma, name="gamma", where=where, minimum=0, exclusive=True)
        self.per_channel = bool(per_channel)

    def sample_params(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw ``factor`` and ``gamma``, of shape (B, C) if ``per_channel`` else (B, 1).

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            ``factor`` and ``gamma``.
        """
        size = (batch.shape[0], batch.shape[1] if self.per_channel else 1)
        return {
            "factor": log_uniform(*self.factor, size, generator, batch.device),
            "gamma": log_uniform(*self.gamma, size, generator, batch.device),
        }

    def apply(self, batch: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Stretch, then scale; see the class docstring.

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
        work = batch.to(compute_dtype(batch))
        if self.gamma != (1.0, 1.0):
            gamma = _per_image(params["gamma"]).to(work.dtype)
            work = work.sign() * work.abs().pow(gamma)
        return (work * _per_image(params["factor"]).to(work.dtype)).to(batch.dtype)


class BackgroundOffset(Augmentation):
    """Add a random constant to each image, like an error in the sky subtraction.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    offset : (float, float), default=(-0.02, 0.02)
        Range of the offset, drawn uniformly, in the units set by ``units``.
    units : {"data", "noise"}, default="data"
        ``"data"``: the offset is in data units (the default range is 2 % of the range of
        images normalised to [0, 1]). ``"noise"``: in units of each image's own robust
        noise sigma, so (-0.5, 0.5) is a sky error of up to half the noise, whatever the
        normalisation.
    per_channel : bool, default=False
        Draw an offset per channel (sky errors differ between bands) instead of one per
        image.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import BackgroundOffset
    >>> generator = torch.Generator().manual_seed(0)
    >>> augment = BackgroundOffset(offset=(-0.5, 0.5), units="noise")
    >>> augment(torch.rand(8, 1, 32, 32), generator).shape
    torch.Size([8, 1, 32, 32])
    """

    def __init__(
        self,
        offset: tuple[float, float] = (-0.02, 0.02),
        *,
        units: str = "data",
        per_channel: bool = False,
    ) -> None:
        where = "BackgroundOffset"
        self.offset = check_range(offset, name="offset", where=where)
        self.units = check_choice(units, ("data", "noise"), name="units", where=where)
        self.per_channel = bool(per_channel)

    def sample_params(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw ``offset``, of shape (B, C) if ``per_channel`` else (B, 1).

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            ``offset``, in the units set by ``units``.
        """
        size = (batch.shape[0], batch.shape[1] if self.per_channel else 1)
        return {"offset": uniform(*self.offset, size, generator, batch.device)}

    def apply(self, batch: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Add the offsets; see the class docstring.

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
        work = batch.to(compute_dtype(batch))
        offset = _per_image(params["offset"]).to(work.dtype)
        if self.units == "noise":
            offset = offset * noise_sigma(work).to(work.dtype)
        return (work + offset).to(batch.dtype)


class ChannelDropout(Augmentation):
    """Blank random channels (bands) of multi-band images, never all of them.

    Teaches the encoder not to rely on one band, as when a band is missing or shallow.
    A dropped channel is set to zero (blank sky after background subtraction, the floor
    of images normalised to [0, 1]). If every channel of an image would be dropped, one
    of them, chosen at random, is kept; single-band images are therefore left unchanged.

    Shape: Tensor of shape (B, C, ny, nx) in, same shape, dtype and device out.

    Parameters
    ----------
    drop_prob : float, default=0.25
        Probability of dropping each channel of each image.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.augment import ChannelDropout
    >>> generator = torch.Generator().manual_seed(0)
    >>> ChannelDropout(drop_prob=0.3)(torch.rand(8, 3, 32, 32), generator).shape
    torch.Size([8, 3, 32, 32])
    """

    def __init__(self, drop_prob: float = 0.25) -> None:
        self.drop_prob = check_fraction(drop_prob, name="drop_prob", where="ChannelDropout")

    def sample_params(
        self, batch: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Draw ``keep`` (bool, shape (B, C)), with at least one True per image.

        Parameters
        ----------
        batch : Tensor of shape (B, C, ny, nx)
            Images; only their shape and device are used.
        generator : torch.Generator
            Source of randomness, on the batch's device.

        Returns
        -------
        dict of str to Tensor
            ``keep``: True for the channels that stay.
        """
        n_images, n_channels = batch.shape[:2]
        device = batch.device
        drop = torch.rand(n_images, n_channels, generator=generator, device=device)
        drop = drop < self.drop_prob
        rescue = torch.randint(0, n_channels, (n_images,), generator=generator, device=device)
        # Compare with arange rather than F.one_hot, which waits for the GPU to check bounds.
        channels = torch.arange(n_channels, device=device)
        rescued = (channels == rescue[:, None]) & drop.all(dim=1, keepdim=True)
        return {"keep": ~drop | rescued}

    def apply(self, batch: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Set the dropped channels to zero.

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
        return batch.masked_fill(~params["keep"][..., None, None], 0.0)
