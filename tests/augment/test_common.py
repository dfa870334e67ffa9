"""Checks every registered augmentation must pass (STYLE.md §12)."""

from __future__ import annotations

import pytest
import torch

from astromorph_nb import InvalidImageError
from astromorph_nb.augment import (
    AugmentationPipeline,
    BackgroundOffset,
    ChannelDropout,
    FluxScale,
    FusedGeometric,
    GaussianNoise,
    PSFBlur,
    RandomAffine,
    RandomFlip,
    RandomRot90,
    RandomRotation,
    RandomShift,
    RandomZoom,
    default_augmentations,
)

#: One instance of every augmentation, with settings that make every image change.
REGISTRY = {
    "RandomFlip": lambda: RandomFlip(flip_prob=0.5),
    "RandomRot90": lambda: RandomRot90(),
    "RandomRotation": lambda: RandomRotation(),
    "RandomRotation-noise": lambda: RandomRotation(fill="noise"),
    "RandomRotation-crop": lambda: RandomRotation(fill="crop", interpolation="bicubic"),
    "RandomShift": lambda: RandomShift(shift_fraction=0.1, fill="zero"),
    "RandomZoom": lambda: RandomZoom(zoom=(0.8, 1.2), aspect_ratio=(0.8, 1.25)),
    "RandomAffine": lambda: RandomAffine(shift_fraction=0.05, zoom=(0.9, 1.1)),
    "FusedGeometric": lambda: FusedGeometric([RandomRot90(), RandomFlip()]),
    "PSFBlur": lambda: PSFBlur(fwhm_px=(0.5, 2.5)),
    "GaussianNoise": lambda: GaussianNoise(relative_sigma=(0.5, 1.0)),
    "FluxScale": lambda: FluxScale(factor=(0.5, 2.0), gamma=(0.8, 1.25)),
    "BackgroundOffset": lambda: BackgroundOffset(offset=(-1.0, 1.0), units="noise"),
    "ChannelDropout": lambda: ChannelDropout(drop_prob=0.5),
    "AugmentationPipeline": lambda: AugmentationPipeline(
        [RandomRotation(), RandomFlip(), PSFBlur(), ChannelDropout()]
    ),
    "default_augmentations": default_augmentations,
}
NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu, NO_CUDA])]


@pytest.fixture(params=sorted(REGISTRY))
def augmentation(request):
    return REGISTRY[request.param]()


def sky_batch(n_images=6, n_channels=2, size=16, seed=0, device="cpu"):
    """Off-centre elliptical sources on noise: asymmetric, so every transform shows."""
    generator = torch.Generator().manual_seed(seed)
    y, x = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    source = torch.exp(-(((x - 0.6 * size) / 3.0) ** 2 + ((y - 0.4 * size) / 1.5) ** 2))
    noise = 0.05 * torch.randn(n_images, n_channels, size, size, generator=generator)
    return (source + noise + 0.1).to(device)


def generator_on(device, seed=0):
    return torch.Generator(device=device).manual_seed(seed)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
def test_shape_dtype_and_device_are_kept(augmentation, device, dtype):
    batch = sky_batch(device=device).to(dtype)
    out = augmentation(batch, generator_on(device))
    assert out.shape == batch.shape
    assert out.dtype == dtype
    assert out.device == batch.device
    assert torch.isfinite(out).all()


def test_results_repeat_for_a_fixed_seed(augmentation):
    batch = sky_batch()
    first = augmentation(batch, generator_on("cpu", seed=3))
    second = augmentation(batch, generator_on("cpu", seed=3))
    other = augmentation(batch, generator_on("cpu", seed=4))
    assert torch.equal(first, second)
    assert not torch.equal(first, other)


def test_params_determine_the_result(augmentation):
    batch = sky_batch()
    params = augmentation.sample_params(batch, generator_on("cpu"))
    assert all(value.shape[0] == batch.shape[0] for value in params.values())
    assert torch.equal(augmentation.apply(batch, params), augmentation.apply(batch, params))


def test_finite_input_gives_finite_output_and_input_is_untouched(augmentation):
    batch = sky_batch() * 1e3
    before = batch.clone()
    out = augmentation(batch, generator_on("cpu"))
    assert torch.isfinite(out).all()
    assert torch.equal(batch, before)


def test_works_at_batch_size_one(augmentation):
    batch = sky_batch(n_images=1)
    assert augmentation(batch, generator_on("cpu")).shape == (1, 2, 16, 16)


def test_copies_of_one_image_get_different_parameters(augmentation):
    batch = sky_batch(n_images=1).expand(8, -1, -1, -1).contiguous()
    out = augmentation(batch, generator_on("cpu"))
    distinct = {tuple(image.flatten().tolist()) for image in out}
    assert len(distinct) > 1


def test_global_torch_generator_is_not_used(augmentation):
    state = torch.random.get_rng_state()
    augmentation(sky_batch(), generator_on("cpu"))
    assert torch.equal(torch.random.get_rng_state(), state)


def test_repr_names_the_class(augmentation):
    assert type(augmentation).__name__ in repr(augmentation)


def test_rejects_a_batch_without_channel_axis(augmentation):
    with pytest.raises(
        InvalidImageError, match=r"shape \(16, 16\).*\(B, C, ny, nx\).*image\[None, None\]"
    ):
        augmentation(torch.zeros(16, 16), generator_on("cpu"))


def test_rejects_integer_pixels(augmentation):
    with pytest.raises(TypeError, match=r"floating-point pixels; got dtype torch.uint8"):
        augmentation(torch.zeros(2, 1, 8, 8, dtype=torch.uint8), generator_on("cpu"))


def test_rejects_a_seed_instead_of_a_generator(augmentation):
    with pytest.raises(TypeError, match=r"must be a torch.Generator; got int.*manual_seed"):
        augmentation(sky_batch(), 0)
