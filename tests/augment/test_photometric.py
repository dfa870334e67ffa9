"""GaussianNoise, FluxScale, BackgroundOffset and ChannelDropout."""

from __future__ import annotations

import pytest
import torch

from astromorph_nb.augment import BackgroundOffset, ChannelDropout, FluxScale, GaussianNoise


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def noisy_galaxies(sigmas=(0.01, 0.1), n_images=16, size=64, amplitude=1.0, width=6.0):
    """A smooth elliptical source plus white noise of a given sigma in each channel."""
    y, x = torch.meshgrid(torch.arange(float(size)), torch.arange(float(size)), indexing="ij")
    centre = (size - 1) / 2
    source = amplitude * torch.exp(
        -(((x - centre) / width) ** 2 + ((y - centre) / (0.6 * width)) ** 2) / 2
    )
    sigma = torch.tensor(sigmas)[None, :, None, None]
    noise = torch.randn(n_images, len(sigmas), size, size, generator=generator(1))
    return source + sigma * noise


def test_added_noise_scales_with_each_image_own_noise():
    batch = noisy_galaxies(sigmas=(0.01, 0.1, 1.0))
    out = GaussianNoise(relative_sigma=(1.0, 1.0))(batch, generator())
    added = (out - batch).std(dim=(0, 2, 3))
    torch.testing.assert_close(added, torch.tensor([0.01, 0.1, 1.0]), rtol=0.1, atol=0)


def test_noise_estimate_ignores_a_bright_source_that_fills_the_stamp():
    batch = noisy_galaxies(sigmas=(0.01,), amplitude=10.0, width=20.0)
    out = GaussianNoise(relative_sigma=(1.0, 1.0))(batch, generator())
    assert (out - batch).std().item() == pytest.approx(0.01, rel=0.15)


def test_relative_sigma_sets_the_added_noise_per_image():
    batch = noisy_galaxies(sigmas=(0.1,), n_images=32)
    augment = GaussianNoise(relative_sigma=(0.0, 2.0))
    params = augment.sample_params(batch, generator())
    added = (augment.apply(batch, params) - batch).std(dim=(1, 2, 3))
    # Each image's own noise is estimated from 256 pixels: about 7 % scatter.
    torch.testing.assert_close(added, 0.1 * params["relative_sigma"], rtol=0.25, atol=2e-3)


def test_min_sigma_gives_noiseless_images_some_noise():
    batch = torch.full((4, 1, 32, 32), 0.5)
    assert torch.equal(GaussianNoise()(batch, generator()), batch)
    out = GaussianNoise(relative_sigma=(1.0, 1.0), min_sigma=0.02)(batch, generator())
    assert (out - batch).std().item() == pytest.approx(0.02, rel=0.05)


def test_flux_factor_multiplies_each_image_within_its_range():
    batch = torch.rand(64, 2, 8, 8) + 0.1
    augment = FluxScale(factor=(0.5, 2.0))
    params = augment.sample_params(batch, generator())
    ratio = augment.apply(batch, params) / batch
    torch.testing.assert_close(ratio, params["factor"][..., None, None].expand_as(ratio))
    assert params["factor"].min() >= 0.5
    assert params["factor"].max() <= 2.0
    assert (params["factor"] < 1).sum() > 16
    assert (params["factor"] > 1).sum() > 16


def test_flux_factor_keeps_band_ratios_unless_per_channel():
    batch = torch.rand(8, 3, 8, 8) + 0.1
    same = FluxScale(factor=(0.5, 2.0))(batch, generator()) / batch
    assert torch.allclose(same, same[:, :1].expand_as(same))
    apart = FluxScale(factor=(0.5, 2.0), per_channel=True)(batch, generator()) / batch
    assert not torch.allclose(apart, apart[:, :1].expand_as(apart))


def test_stretch_jitter_keeps_zero_and_one_and_sign():
    batch = torch.tensor([-1.0, -0.25, 0.0, 0.25, 1.0]).expand(16, 1, 1, 5)
    out = FluxScale(factor=(1.0, 1.0), gamma=(0.5, 2.0))(batch, generator())
    torch.testing.assert_close(out[..., [0, 2, 4]], batch[..., [0, 2, 4]])
    torch.testing.assert_close(out[..., 1], -out[..., 3])
    assert out[..., 3].unique().numel() == 16


def test_background_offset_in_data_units():
    batch = torch.rand(32, 2, 8, 8)
    augment = BackgroundOffset(offset=(-0.1, 0.1))
    params = augment.sample_params(batch, generator())
    difference = augment.apply(batch, params) - batch
    torch.testing.assert_close(difference, params["offset"][..., None, None].expand_as(difference))
    assert difference.abs().max() <= 0.1


def test_background_offset_in_noise_units_follows_each_image_noise():
    batch = noisy_galaxies(sigmas=(0.01, 1.0), n_images=4)
    out = BackgroundOffset(offset=(2.0, 2.0), units="noise", per_channel=True)(batch, generator())
    shift = (out - batch).mean(dim=(0, 2, 3))
    torch.testing.assert_close(shift, torch.tensor([0.02, 2.0]), rtol=0.15, atol=0)


def test_channel_dropout_never_drops_every_channel():
    batch = torch.rand(256, 3, 4, 4) + 0.5
    augment = ChannelDropout(drop_prob=1.0)
    params = augment.sample_params(batch, generator())
    out = augment.apply(batch, params)
    kept = out.amax(dim=(-2, -1)) > 0
    assert torch.equal(kept, params["keep"])
    assert torch.equal(kept.sum(dim=1), torch.ones(256, dtype=torch.long))
    assert set(kept.float().argmax(dim=1).tolist()) == {0, 1, 2}


def test_channel_dropout_blanks_dropped_channels_at_the_asked_rate():
    batch = torch.rand(512, 4, 4, 4) + 0.5
    out = ChannelDropout(drop_prob=0.25)(batch, generator())
    dropped = out.amax(dim=(-2, -1)) == 0
    assert dropped.float().mean().item() == pytest.approx(0.25, abs=0.03)
    assert torch.equal(out[~dropped], batch[~dropped])


def test_channel_dropout_leaves_single_band_images_alone():
    batch = torch.rand(16, 1, 8, 8)
    assert torch.equal(ChannelDropout(drop_prob=1.0)(batch, generator()), batch)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: GaussianNoise(relative_sigma=(-0.5, 1.0)), ValueError, r"'relative_sigma'.*>= 0"),
        (lambda: GaussianNoise(min_sigma=-1.0), ValueError, r"'min_sigma'.*>= 0; got -1.0"),
        (lambda: GaussianNoise(min_sigma="0.1"), TypeError, r"'min_sigma'.*type str"),
        (lambda: FluxScale(factor=(0.0, 2.0)), ValueError, r"'factor'.*FluxScale.*> 0"),
        (
            lambda: FluxScale(gamma=(2.0, 0.5)),
            ValueError,
            r"'gamma'.*Swap them: gamma=\(0.5, 2.0\)",
        ),
        (lambda: FluxScale(factor=("a", 2)), TypeError, r"'factor'.*finite numbers"),
        (lambda: BackgroundOffset(units="sigma"), ValueError, r"'units'.*'data', 'noise'"),
        (lambda: BackgroundOffset(offset=(0, float("nan"))), TypeError, r"'offset'.*finite"),
        (lambda: ChannelDropout(drop_prob=-0.1), ValueError, r"'drop_prob'.*\[0, 1\]"),
        (lambda: ChannelDropout(drop_prob=True), TypeError, r"'drop_prob'.*type bool"),
    ],
)
def test_invalid_parameters_are_named_in_the_error(build, error, message):
    with pytest.raises(error, match=message):
        build()
