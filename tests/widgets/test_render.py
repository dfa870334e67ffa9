from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from astromorph_nb.widgets._render import (
    STRETCHES,
    cutout_png,
    normalize_image,
    render_png,
    thumbnail_grid_png,
)


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


@pytest.fixture
def galaxy() -> np.ndarray:
    y, x = np.mgrid[:16, :16]
    return np.exp(-((x - 7.5) ** 2 + (y - 7.5) ** 2) / 8.0) + 0.01 * np.random.default_rng(
        0
    ).random((16, 16))


def test_normalize_image_maps_limits_to_zero_and_one():
    shown = normalize_image(np.arange(16.0).reshape(4, 4), stretch="linear", percentile=100)
    assert shown.min() == 0.0
    assert shown.max() == 1.0
    np.testing.assert_allclose(shown.ravel(), np.arange(16) / 15)


def test_normalize_image_draws_blank_pixels_black(galaxy):
    galaxy[3, 4] = np.nan
    shown = normalize_image(galaxy)
    assert np.isfinite(shown).all()
    assert shown[3, 4] == 0.0
    assert shown.max() == pytest.approx(1.0)


@pytest.mark.parametrize("image", [np.ones((4, 4)), np.full((4, 4), np.nan)])
def test_normalize_image_gives_zeros_when_image_is_constant_or_blank(image):
    np.testing.assert_array_equal(normalize_image(image), np.zeros((4, 4)))


def test_normalize_image_takes_limits_from_reference(galaxy):
    alone = normalize_image(galaxy * 0.5)
    shared = normalize_image(galaxy * 0.5, reference=galaxy)
    assert alone.max() == pytest.approx(1.0)
    assert shared.max() < 0.9


def test_stretches_differ_between_the_limits(galaxy):
    middles = {name: normalize_image(galaxy, stretch=name)[7, 2] for name in STRETCHES}
    assert len(set(np.round(list(middles.values()), 6))) == len(STRETCHES)
    assert middles["asinh"] > middles["linear"]


def test_render_png_puts_numpy_row_zero_at_the_bottom():
    image = np.zeros((8, 6))
    image[0] = 1.0
    grey = decode(render_png(image, stretch="linear"))
    assert grey.shape == (8, 6)
    assert (grey[-1] == 255).all()
    assert (grey[:-1] == 0).all()


def test_render_png_repeats_pixels_when_zoomed(galaxy):
    grey = decode(render_png(galaxy, zoom=3))
    assert grey.shape == (48, 48)
    np.testing.assert_array_equal(grey[::3, ::3], decode(render_png(galaxy)))


def test_render_png_is_deterministic(galaxy):
    assert render_png(galaxy) == render_png(galaxy.copy())


def test_cutout_png_shows_the_chosen_channel_near_the_wanted_size(galaxy):
    cube = np.stack([np.zeros((16, 16)), galaxy])
    grey = decode(cutout_png(cube, size=70, channel=1))
    assert grey.shape == (64, 64)
    assert grey.max() == 255
    assert decode(cutout_png(galaxy)).shape == (16, 16)


def test_cutout_png_rejects_a_missing_channel(galaxy):
    with pytest.raises(IndexError, match="Channel 2 does not exist in cutout_png.*from 0 to 1"):
        cutout_png(np.stack([galaxy, galaxy]), channel=2)


def test_thumbnail_grid_png_tiles_images_in_rows(galaxy):
    grey = decode(thumbnail_grid_png(np.stack([galaxy] * 5), n_columns=3, zoom=2, gap_px=4))
    assert grey.shape == (2 * 32 + 4, 3 * 32 + 2 * 4)
    np.testing.assert_array_equal(grey[:32, :32], decode(render_png(galaxy, zoom=2)))
    assert (grey[32:36] == 48).all()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: normalize_image(np.ones(5)), ValueError, r"shape \(5,\) in numpy order"),
        (
            lambda: normalize_image(np.ones((4, 4)), stretch="hist"),
            ValueError,
            "'stretch' parameter of normalize_image must be one of 'asinh'",
        ),
        (
            lambda: normalize_image(np.ones((4, 4)), percentile=0),
            ValueError,
            r"'percentile' parameter of normalize_image must be a number in \(0, 100\]",
        ),
        (lambda: render_png(np.ones((4, 4)), zoom=0), ValueError, "'zoom' parameter of render_png"),
        (
            lambda: thumbnail_grid_png(np.ones((4, 4))),
            ValueError,
            "Expected at least one image as \\(n_images, ny, nx\\)",
        ),
        (
            lambda: thumbnail_grid_png(np.ones((2, 4, 4)), n_columns=0),
            ValueError,
            "'n_columns' parameter of thumbnail_grid_png",
        ),
    ],
)
def test_render_functions_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
