from __future__ import annotations

import numpy as np
import pytest

from astromorph_nb.data.cubes import moment_maps, rebin_planes, reduce_cube
from astromorph_nb.data.preprocess import crop_or_pad, finish_stack, normalize_stack, resample


def test_minmax_ignores_nans_and_maps_to_unit_range():
    stack = np.array([[[[1.0, 3.0], [np.nan, 5.0]]]], dtype=np.float32)
    out = normalize_stack(stack.copy(), "minmax")
    np.testing.assert_allclose(out[0, 0], [[0.0, 0.5], [np.nan, 1.0]])


def test_percentile_clips_a_hot_pixel():
    rng = np.random.default_rng(0)
    image = rng.normal(0, 1, (1, 1, 64, 64)).astype(np.float32)
    image[0, 0, 5, 5] = 1e6
    out = normalize_stack(image.copy(), "percentile")
    minmax = normalize_stack(image.copy(), "minmax")
    # One hot pixel flattens min-max scaling; the percentile interval keeps the contrast.
    assert np.median(minmax) < 1e-3
    assert 0.3 < np.median(out) < 0.7
    assert out.max() == 1.0


def test_per_channel_normalization_scales_each_channel():
    stack = np.stack([np.linspace(0, 1, 16), np.linspace(0, 1000, 16)]).reshape(1, 2, 4, 4)
    joint = normalize_stack(stack.astype(np.float32), "minmax")
    separate = normalize_stack(stack.astype(np.float32), "minmax", per_channel=True)
    assert joint[0, 0].max() < 0.01
    assert separate[0, 0].max() == pytest.approx(1.0)


def test_finish_stack_masks_and_fills_blank_pixels():
    stack = np.ones((2, 1, 3, 3), dtype=np.float32)
    stack[0, 0, 1, 1] = np.nan
    stack[1] = np.arange(9).reshape(3, 3)
    images, mask = finish_stack(stack, normalize="minmax")
    assert bool(mask[0, 0, 1, 1])
    assert int(mask.sum()) == 1
    assert float(images[0, 0, 1, 1]) == 0.0
    assert float(images[1].max()) == 1.0


def test_crop_or_pad_centres_like_cutout2d():
    image = np.arange(5 * 5, dtype=np.float32).reshape(1, 5, 5)
    cropped = crop_or_pad(image, (3, 3))
    np.testing.assert_array_equal(cropped[0], image[0, 1:4, 1:4])
    padded = crop_or_pad(image, (7, 8))
    assert np.isnan(padded[0, 0]).all()
    np.testing.assert_array_equal(padded[0, 1:6, 1:6], image[0])


def test_resample_leaves_blank_pixels_out_of_the_average():
    image = np.ones((1, 4, 4), dtype=np.float32)
    image[0, 0, 0] = np.nan
    small = resample(image, (2, 2))
    np.testing.assert_allclose(small[0], 1.0)  # 3 valid of 4 in the corner: still valid
    image[0, :2, :2] = np.nan
    assert np.isnan(resample(image, (2, 2))[0, 0, 0])


def test_rebin_planes_averages_contiguous_groups():
    cube = np.arange(6, dtype=np.float32)[:, None, None] * np.ones((6, 2, 2), dtype=np.float32)
    np.testing.assert_allclose(rebin_planes(cube, 3)[:, 0, 0], [0.5, 2.5, 4.5])
    assert rebin_planes(cube, None) is cube


def test_moment_maps_of_a_gaussian_line():
    velocity = np.linspace(-20, 20, 81)
    line = 3.0 * np.exp(-((velocity - 4.0) ** 2) / (2 * 2.5**2))
    cube = (line[:, None, None] * np.ones((81, 2, 2))).astype(np.float32)
    cube[:, 1, 1] = np.nan
    m0, m1, m2 = moment_maps(cube, velocity)
    assert m0[0, 0] == pytest.approx(3.0 * 2.5 * np.sqrt(2 * np.pi), rel=1e-3)
    assert m1[0, 0] == pytest.approx(4.0, abs=1e-3)
    assert m2[0, 0] == pytest.approx(2.5, rel=1e-3)
    assert np.isnan([m0[1, 1], m1[1, 1], m2[1, 1]]).all()


def test_sum_keeps_all_blank_pixels_blank():
    cube = np.ones((3, 2, 2), dtype=np.float32)
    cube[:, 0, 0] = np.nan
    cube[0, 1, 1] = np.nan
    (summed,) = reduce_cube(cube, "sum")
    assert np.isnan(summed[0, 0, 0])
    assert summed[0, 1, 1] == 2.0
    assert len(reduce_cube(cube, "planes")) == 3
