"""AugmentationPipeline fuses geometric steps; default_augmentations; two_views."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from astromorph_nb.augment import (
    AugmentationPipeline,
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
    two_views,
)

NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def grid_sample_calls(monkeypatch):
    calls = []

    def counting_grid_sample(*args, **kwargs):
        calls.append(args[0].shape)
        return original(*args, **kwargs)

    original = F.grid_sample
    monkeypatch.setattr(F, "grid_sample", counting_grid_sample)
    return calls


def test_consecutive_geometric_steps_resample_once(grid_sample_calls):
    pipeline = AugmentationPipeline(
        [RandomRotation(), RandomFlip(), RandomShift(), RandomZoom(), RandomRot90(), PSFBlur()]
    )
    assert [type(step) for step in pipeline.steps] == [FusedGeometric, PSFBlur]
    pipeline(torch.rand(8, 1, 16, 16), generator())
    assert len(grid_sample_calls) == 1


def test_default_augmentations_resample_once(grid_sample_calls):
    views = two_views(default_augmentations(), torch.rand(8, 1, 32, 32), generator())
    assert len(grid_sample_calls) == 1
    assert grid_sample_calls[0] == (16, 1, 32, 32)  # both views in one call
    assert views[0].shape == (8, 1, 32, 32)


def test_flips_and_quarter_turns_alone_never_interpolate(grid_sample_calls):
    batch = torch.rand(8, 2, 16, 16)
    out = AugmentationPipeline([RandomRot90(), RandomFlip()])(batch, generator())
    assert grid_sample_calls == []
    assert sorted(out.flatten().tolist()) == sorted(batch.flatten().tolist())


def test_photometric_steps_split_geometric_runs(grid_sample_calls):
    pipeline = AugmentationPipeline([RandomRotation(), PSFBlur(), RandomShift(), RandomZoom()])
    assert [type(step).__name__ for step in pipeline.steps] == [
        "RandomRotation",
        "PSFBlur",
        "FusedGeometric",
    ]
    pipeline(torch.rand(2, 1, 16, 16), generator())
    assert len(grid_sample_calls) == 2


def test_nested_pipelines_are_flattened_and_fused():
    inner = AugmentationPipeline([RandomRotation(), RandomFlip()])
    outer = AugmentationPipeline([inner, RandomShift(), FluxScale()])
    assert len(outer) == 4
    assert [type(step).__name__ for step in outer.steps] == ["FusedGeometric", "FluxScale"]
    assert len(outer.steps[0].transforms) == 3


def test_pipeline_equals_its_steps_applied_in_turn():
    batch = torch.rand(4, 3, 16, 16)
    pipeline = AugmentationPipeline([PSFBlur(), GaussianNoise(), ChannelDropout(drop_prob=0.5)])
    params = pipeline.sample_params(batch, generator())
    expected = batch
    for position, step in enumerate(pipeline.steps):
        own = {k.split(".", 1)[1]: v for k, v in params.items() if k.startswith(f"{position}.")}
        expected = step.apply(expected, own)
    assert torch.equal(pipeline.apply(batch, params), expected)


def test_pipeline_rejects_conflicting_fills_when_it_fuses():
    with pytest.raises(ValueError, match=r"fused into one resampling.*'crop'.*'noise'"):
        AugmentationPipeline([RandomRotation(fill="crop"), RandomShift(fill="noise")])


def test_pipeline_rejects_non_augmentations():
    with pytest.raises(
        TypeError, match=r"Item 1 .*AugmentationPipeline is builtins.function.*batches"
    ):
        AugmentationPipeline([RandomFlip(), lambda batch: batch])


def test_pipeline_repr_lists_its_transforms():
    text = repr(AugmentationPipeline([RandomFlip(flip_prob=0.3), PSFBlur(fwhm_px=(1, 2))]))
    assert "RandomFlip(flip_prob=0.3, axes='both')" in text
    assert "PSFBlur(fwhm_px=(1.0, 2.0))" in text


def test_default_augmentations_span_sky_nuisances_without_colour_steps():
    pipeline = default_augmentations()
    kinds = [type(t) for t in pipeline.transforms]
    assert kinds == [RandomAffine, PSFBlur, GaussianNoise, FluxScale]
    affine = pipeline.transforms[0]
    assert affine.angle_deg == (-180.0, 180.0)
    assert affine.effective_fill == "reflect"
    assert affine.zoom == (0.75, 1.33)
    assert affine.aspect_ratio == (0.6, 1.67)
    assert affine.shift_fraction <= 0.05
    assert pipeline.transforms[1].fwhm_px == (0.0, 2.5)
    assert pipeline.transforms[2].relative_sigma == (0.0, 1.0)


def test_default_augmentations_stretch_along_random_axes():
    # A round blob comes out elongated, and the elongation points different ways.
    y, x = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    blob = torch.exp(-((y - 15.5) ** 2 + (x - 15.5) ** 2) / 30)[None, None].repeat(64, 1, 1, 1)
    pipeline = AugmentationPipeline([default_augmentations().transforms[0]])
    views = pipeline(blob, generator(3))[:, 0]
    weights = views.clamp(min=0) / views.clamp(min=0).sum(dim=(1, 2), keepdim=True)
    dy, dx = (
        y - (weights * y).sum(dim=(1, 2))[:, None, None],
        x - (weights * x).sum(dim=(1, 2))[:, None, None],
    )
    cyy, cxx, cxy = ((weights * d).sum(dim=(1, 2)) for d in (dy * dy, dx * dx, dx * dy))
    spread = torch.sqrt((cxx - cyy) ** 2 + 4 * cxy**2)
    axis_ratio = torch.sqrt((cxx + cyy - spread) / (cxx + cyy + spread))
    angle = 0.5 * torch.atan2(2 * cxy, cxx - cyy)
    assert axis_ratio.min() < 0.75
    assert axis_ratio.max() > 0.95
    elongated = angle[axis_ratio < 0.85]
    assert elongated.numel() >= 8
    # The stretch axis is random, not the image's x or y axis.
    off_axis = torch.remainder(elongated, math.pi / 2)
    assert ((off_axis > 0.3) & (off_axis < math.pi / 2 - 0.3)).float().mean() > 0.3


def test_two_views_are_independent_and_repeatable():
    batch = torch.rand(6, 1, 32, 32)
    view_a, view_b = two_views(default_augmentations(), batch, generator(1))
    again_a, again_b = two_views(default_augmentations(), batch, generator(1))
    assert torch.equal(view_a, again_a)
    assert torch.equal(view_b, again_b)
    assert not torch.allclose(view_a, view_b)
    assert view_a.shape == view_b.shape == batch.shape


def test_two_views_rejects_a_non_augmentation():
    with pytest.raises(TypeError, match=r"'pipeline' parameter of two_views.*got list"):
        two_views([RandomFlip()], torch.rand(2, 1, 8, 8), generator())


@pytest.mark.gpu
@NO_CUDA
def test_two_views_rejects_a_generator_on_another_device():
    with pytest.raises(ValueError, match=r"lives on 'cpu' but the batch is on 'cuda:0'"):
        two_views(RandomFlip(), torch.rand(2, 1, 8, 8, device="cuda"), generator())


@pytest.mark.gpu
@NO_CUDA
def test_augmentations_never_wait_for_the_gpu():
    batch = torch.rand(8, 3, 32, 32, device="cuda")
    cuda_generator = torch.Generator(device="cuda").manual_seed(0)
    pipeline = AugmentationPipeline(
        [
            RandomAffine(shift_fraction=0.05, zoom=(0.9, 1.1), fill="noise"),
            PSFBlur(),
            GaussianNoise(),
            FluxScale(gamma=(0.8, 1.25)),
            ChannelDropout(),
        ]
    )
    dihedral = AugmentationPipeline([RandomRot90(), RandomFlip()])
    for augment in (pipeline, dihedral, RandomRotation(fill="crop")):
        augment(batch, cuda_generator)  # fill the caches first
        torch.cuda.set_sync_debug_mode("warn")  # a synchronising call warns: an error here
        try:
            two_views(augment, batch, cuda_generator)
        finally:
            torch.cuda.set_sync_debug_mode("default")
