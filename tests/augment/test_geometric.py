"""Geometric augmentations: exact quarter turns and flips, angles, shifts, zooms, fills."""

from __future__ import annotations

import math

import pytest
import torch

from astromorph_nb import InvalidImageError
from astromorph_nb.augment import (
    FusedGeometric,
    RandomAffine,
    RandomFlip,
    RandomRot90,
    RandomRotation,
    RandomShift,
    RandomZoom,
)


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def point_source(size=33, y=16, x=16, n_images=1):
    batch = torch.zeros(n_images, 1, size, size)
    batch[:, :, y, x] = 1.0
    return batch


def centroid(batch):
    """(y, x) flux-weighted centre of each image, shape (B, 2)."""
    ny, nx = batch.shape[-2:]
    weights = batch[:, 0] / batch[:, 0].sum(dim=(-2, -1), keepdim=True)
    y = (weights.sum(-1) * torch.arange(ny)).sum(-1)
    x = (weights.sum(-2) * torch.arange(nx)).sum(-1)
    return torch.stack([y, x], dim=-1)


@pytest.mark.parametrize("size", [8, 9])
def test_rot90_equals_torch_rot90_exactly(size):
    batch = torch.randn(32, 3, size, size, generator=generator(1))
    augment = RandomRot90()
    params = augment.sample_params(batch, generator())
    out = augment.apply(batch, params)
    assert set(params["k"].tolist()) == {0, 1, 2, 3}
    for image, turned, k in zip(batch, out, params["k"].tolist(), strict=True):
        assert torch.equal(turned, torch.rot90(image, k, dims=(-2, -1)))


def test_rot90_keeps_bfloat16_values_exactly():
    batch = torch.randn(8, 1, 6, 6).to(torch.bfloat16)
    augment = RandomRot90()
    params = augment.sample_params(batch, generator())
    out = augment.apply(batch, params)
    for image, turned, k in zip(batch, out, params["k"].tolist(), strict=True):
        assert torch.equal(turned, torch.rot90(image, k, dims=(-2, -1)))


def test_rot90_rejects_rectangular_images():
    with pytest.raises(InvalidImageError, match=r"square images.*\(2, 1, 8, 10\).*RandomRotation"):
        RandomRot90()(torch.zeros(2, 1, 8, 10), generator())


@pytest.mark.parametrize("axes", ["both", "x", "y"])
def test_flips_are_exact(axes):
    batch = torch.randn(32, 2, 7, 10, generator=generator(2))
    augment = RandomFlip(flip_prob=0.5, axes=axes)
    params = augment.sample_params(batch, generator())
    out = augment.apply(batch, params)
    expected = torch.where(params["flip_x"][:, None, None, None], batch.flip(-1), batch)
    expected = torch.where(params["flip_y"][:, None, None, None], expected.flip(-2), expected)
    assert torch.equal(out, expected)
    assert params["flip_x"].any() == (axes != "y")
    assert params["flip_y"].any() == (axes != "x")


def test_flip_prob_extremes():
    batch = torch.randn(16, 1, 5, 5)
    assert torch.equal(RandomFlip(flip_prob=0.0)(batch, generator()), batch)
    assert torch.equal(RandomFlip(flip_prob=1.0)(batch, generator()), batch.flip(-1).flip(-2))


def test_positive_angle_turns_counter_clockwise_with_origin_lower():
    # A source right of the centre (+x) must move above it (+y, larger row index).
    batch = point_source(y=16, x=26)
    out = RandomRotation(angle_deg=(90.0, 90.0), fill="zero")(batch, generator())
    torch.testing.assert_close(centroid(out), torch.tensor([[26.0, 16.0]]), atol=1e-4, rtol=0)


def test_quarter_turn_through_the_affine_path_matches_rot90():
    batch = torch.randn(4, 1, 12, 12, generator=generator(3))
    out = RandomRotation(angle_deg=(-90.0, -90.0))(batch, generator())
    torch.testing.assert_close(out, torch.rot90(batch, 1, dims=(-2, -1)), atol=1e-5, rtol=0)
    nearest = RandomRotation(angle_deg=(-90.0, -90.0), interpolation="nearest")
    assert torch.equal(nearest(batch, generator()), torch.rot90(batch, 1, dims=(-2, -1)))


def test_copies_of_one_image_get_different_angles():
    batch = point_source(y=16, x=26).expand(2, -1, -1, -1)
    augment = RandomRotation()
    params = augment.sample_params(batch, generator())
    assert params["angle_deg"][0] != params["angle_deg"][1]
    out = augment.apply(batch, params)
    assert not torch.allclose(out[0], out[1])


def test_shift_moves_a_source_by_the_drawn_pixels():
    batch = point_source(n_images=8)
    augment = RandomShift(shift_fraction=0.2, fill="zero")
    params = augment.sample_params(batch, generator())
    out = augment.apply(batch, params)
    assert params["shift_px"].abs().max() <= 0.2 * 33
    torch.testing.assert_close(centroid(out), 16.0 + params["shift_px"], atol=1e-4, rtol=0)


def test_zoom_magnifies_about_the_centre():
    batch = point_source(y=16, x=24)  # 8 pixels right of the centre
    out = RandomZoom(zoom=(1.5, 1.5), fill="zero")(batch, generator())
    torch.testing.assert_close(centroid(out), torch.tensor([[16.0, 28.0]]), atol=1e-4, rtol=0)


def test_aspect_ratio_stretches_along_a_random_axis_and_keeps_the_area():
    # A source 4 pixels from the centre moves to between 4/2 and 4*2 pixels from it
    # (magnifications 2 and 1/2 along the random axis and across it), at all distances;
    # bilinear sampling of a squeezed single-pixel source moves its centroid by < 0.5 px.
    batch = point_source(size=65, y=32, x=36, n_images=64)
    stretch = RandomZoom(zoom=(1.0, 1.0), aspect_ratio=(4.0, 4.0), fill="zero")
    out = stretch(batch, generator())
    distance = (centroid(out) - torch.tensor([32.0, 32.0])).norm(dim=1)
    assert distance.min() >= 2.0 - 0.5
    assert distance.max() <= 8.0 + 0.5
    assert distance.min() < 3.0
    assert distance.max() > 6.0
    # Shapes keep their area: the matrix of each image has determinant 1.
    matrix = stretch.sample_transform(batch, generator())["matrix"][:, :2, :2]
    torch.testing.assert_close(torch.linalg.det(matrix), torch.ones(64), atol=1e-5, rtol=0)


def test_aspect_ratio_of_one_draws_no_axis():
    # Without a stretch, the random draws are those of a plain zoom.
    plain = RandomZoom(zoom=(0.8, 1.2)).sample_transform(point_source(), generator(5))
    again = RandomZoom(zoom=(0.8, 1.2), aspect_ratio=(1.0, 1.0)).sample_transform(
        point_source(), generator(5)
    )
    torch.testing.assert_close(plain["matrix"], again["matrix"])


def rotate_45(fill, batch):
    return RandomRotation(angle_deg=(45.0, 45.0), fill=fill)(batch, generator())


def test_zero_fill_shows_zeros_in_the_corners():
    out = rotate_45("zero", torch.ones(2, 1, 32, 32))
    assert out[..., 0, 0].abs().max() == 0
    assert out[..., 16, 16].min() == pytest.approx(1.0)


def test_reflect_fill_mirrors_the_image_at_its_edge():
    batch = torch.ones(2, 1, 32, 32)
    assert torch.allclose(rotate_45("reflect", batch), batch)
    ramp = torch.arange(32.0).expand(1, 1, 32, 32)  # x coordinate
    out = rotate_45("reflect", ramp)
    assert out.min() >= 0
    assert out.max() <= 31 + 1e-4


def test_noise_fill_matches_the_image_background_and_noise():
    noise = torch.randn(4, 2, 64, 64, generator=generator(5))
    batch = 3.0 + noise * torch.tensor([0.1, 1.0])[None, :, None, None]
    out = rotate_45("noise", batch)
    corner = out[..., :8, :8]  # entirely outside the turned image
    torch.testing.assert_close(
        corner.mean(dim=(0, 2, 3)), torch.tensor([3.0, 3.0]), atol=0.2, rtol=0
    )
    torch.testing.assert_close(
        corner.std(dim=(0, 2, 3)), torch.tensor([0.1, 1.0]), rtol=0.15, atol=0
    )


def test_crop_fill_zooms_until_nothing_comes_from_outside():
    ones = torch.ones(3, 1, 32, 40)
    out = RandomAffine(shift_fraction=0.1, fill="crop")(ones, generator())
    torch.testing.assert_close(out, ones)
    # For a square image turned by 45 degrees the zoom is exactly sqrt(2).
    batch = torch.randn(2, 1, 32, 32, generator=generator(6))
    expected = RandomAffine(
        angle_deg=(45.0, 45.0), flip_prob=0.0, zoom=(math.sqrt(2), math.sqrt(2)), fill="zero"
    )(batch, generator())
    torch.testing.assert_close(rotate_45("crop", batch), expected, atol=1e-4, rtol=0)


def test_rotation_of_rectangular_images_keeps_them_unsheared():
    wide = torch.zeros(1, 1, 33, 65)
    wide[..., 16, 42] = 1.0  # 10 pixels right of the centre (16, 32)
    out = RandomRotation(angle_deg=(90.0, 90.0), fill="zero")(wide, generator())
    torch.testing.assert_close(centroid(out), torch.tensor([[26.0, 32.0]]), atol=1e-4, rtol=0)


def test_fused_geometric_equals_the_transforms_applied_in_turn():
    batch = torch.randn(16, 1, 16, 16, generator=generator(7))
    fused = FusedGeometric([RandomRot90(), RandomFlip()])
    assert fused.is_dihedral
    params = fused.sample_params(batch, generator(8))
    assert set(params) == {"matrix", "0.k", "1.flip_x", "1.flip_y"}
    expected = []
    for image, k, flip_x, flip_y in zip(
        batch,
        params["0.k"].tolist(),
        params["1.flip_x"].tolist(),
        params["1.flip_y"].tolist(),
        strict=True,
    ):
        image = torch.rot90(image, k, dims=(-2, -1))
        image = image.flip(-1) if flip_x else image
        expected.append(image.flip(-2) if flip_y else image)
    assert torch.equal(fused.apply(batch, params), torch.stack(expected))


def test_fused_geometric_composes_in_order():
    # One resampling of [turn, flip] equals turning and then flipping, not the reverse.
    batch = point_source(size=65, y=40, x=36)
    turn = RandomRotation(angle_deg=(90.0, 90.0), fill="zero")
    flip = RandomFlip(flip_prob=1.0, axes="y")
    out = FusedGeometric([turn, flip])(batch, generator())
    in_order = flip(turn(batch, generator()), generator())
    reverse = turn(flip(batch, generator()), generator())
    torch.testing.assert_close(centroid(out), centroid(in_order), atol=1e-4, rtol=0)
    assert (centroid(out) - centroid(reverse)).abs().max() > 4


def test_fused_geometric_rejects_conflicting_fills():
    with pytest.raises(ValueError, match=r"one fill.*'noise'.*'zero'.*fill=None on all but one"):
        FusedGeometric([RandomRotation(fill="noise"), RandomShift(fill="zero")])


def test_fused_geometric_takes_the_one_named_fill():
    fused = FusedGeometric([RandomRotation(fill="noise"), RandomShift(), RandomFlip()])
    assert fused.effective_fill == "noise"
    assert FusedGeometric([RandomFlip()]).effective_fill == "reflect"


def test_fused_geometric_rejects_photometric_members():
    from astromorph_nb.augment import PSFBlur

    with pytest.raises(TypeError, match=r"Item 1 .*FusedGeometric is PSFBlur"):
        FusedGeometric([RandomFlip(), PSFBlur()])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: RandomRotation(angle_deg=(30, -30)), r"'angle_deg'.*RandomRotation.*Swap them"),
        (lambda: RandomRotation(angle_deg=30), r"'angle_deg'.*pair.*angle_deg=\(v, v\)"),
        (lambda: RandomRotation(fill="wrap"), r"'fill'.*'crop', 'noise', 'reflect', 'zero'"),
        (lambda: RandomRotation(interpolation="area"), r"'interpolation'.*'bicubic'"),
        (lambda: RandomFlip(flip_prob=1.5), r"'flip_prob'.*RandomFlip.*\[0, 1\]; got 1.5"),
        (lambda: RandomFlip(axes="xy"), r"'axes'.*'both', 'x', 'y'"),
        (lambda: RandomShift(shift_fraction=0.5), r"'shift_fraction'.*\[0, 0.5\)"),
        (lambda: RandomZoom(zoom=(0.0, 1.0)), r"'zoom'.*RandomZoom.*> 0"),
        (lambda: RandomAffine(aspect_ratio=(-1, 1)), r"'aspect_ratio'.*RandomAffine"),
    ],
)
def test_invalid_parameters_are_named_in_the_error(build, message):
    with pytest.raises((TypeError, ValueError), match=message):
        build()
