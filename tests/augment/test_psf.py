"""PSFBlur: flux is kept and sources widen by the drawn FWHM."""

from __future__ import annotations

import math

import pytest
import torch

from astromorph_nb.augment import PSFBlur

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def gaussian_sources(fwhm_px, size=41, n_images=1):
    y, x = torch.meshgrid(torch.arange(float(size)), torch.arange(float(size)), indexing="ij")
    centre = (size - 1) / 2
    sigma = fwhm_px / FWHM_PER_SIGMA
    image = torch.exp(-((x - centre) ** 2 + (y - centre) ** 2) / (2 * sigma**2))
    return image.expand(n_images, 1, size, size).contiguous()


def point_sources(size=41, n_images=1):
    batch = torch.zeros(n_images, 1, size, size)
    batch[..., size // 2, size // 2] = 1.0
    return batch


def measured_fwhm(batch):
    """FWHM from the flux-weighted second moment along x, one per image."""
    profile = batch[:, 0].sum(dim=-2)
    x = torch.arange(profile.shape[-1], dtype=batch.dtype)
    total = profile.sum(-1)
    mean = (profile * x).sum(-1) / total
    variance = (profile * (x - mean[:, None]) ** 2).sum(-1) / total
    return FWHM_PER_SIGMA * variance.sqrt()


def test_point_source_takes_the_drawn_fwhm():
    batch = point_sources(n_images=8)
    augment = PSFBlur(fwhm_px=(2.0, 5.0))
    params = augment.sample_params(batch, generator())
    out = augment.apply(batch, params)
    torch.testing.assert_close(measured_fwhm(out), params["fwhm_px"], rtol=0.01, atol=0)
    assert params["fwhm_px"].unique().numel() == 8


def test_gaussian_source_widens_in_quadrature():
    out = PSFBlur(fwhm_px=(3.0, 3.0))(gaussian_sources(4.0), generator())
    assert measured_fwhm(out).item() == pytest.approx(5.0, rel=0.01)


def test_total_flux_is_kept():
    batch = (
        gaussian_sources(4.0, n_images=4)
        * torch.tensor([1.0, 10.0, 100.0, 1e3])[:, None, None, None]
    )
    out = PSFBlur(fwhm_px=(0.5, 4.0))(batch, generator())
    torch.testing.assert_close(out.sum(dim=(-2, -1)), batch.sum(dim=(-2, -1)), rtol=1e-5, atol=0)


def test_zero_fwhm_leaves_images_unchanged():
    batch = torch.randn(3, 2, 16, 16)
    assert torch.equal(PSFBlur(fwhm_px=(0.0, 0.0))(batch, generator()), batch)
    out = PSFBlur(fwhm_px=(0.0, 2.0)).apply(batch, {"fwhm_px": torch.zeros(3)})
    torch.testing.assert_close(out, batch)


def test_kernel_wider_than_the_image_still_works():
    batch = torch.rand(2, 1, 4, 4)
    out = PSFBlur(fwhm_px=(6.0, 6.0))(batch, generator())
    assert out.shape == batch.shape
    assert torch.isfinite(out).all()


def test_negative_fwhm_is_rejected():
    with pytest.raises(ValueError, match=r"'fwhm_px' parameter of PSFBlur.*>= 0.*\(-1, 2\)"):
        PSFBlur(fwhm_px=(-1, 2))
