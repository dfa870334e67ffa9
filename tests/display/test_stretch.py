"""display.stretch: one percentile interval and one table of stretches for every picture."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.visualization import PercentileInterval

from astromorph_nb.data.thumbnails import STRETCHES as THUMBNAIL_STRETCHES
from astromorph_nb.display import (
    STRETCHES,
    display_uint8,
    display_values,
    normalize,
    percentile_limits,
    stack_percentile_limits,
)
from astromorph_nb.widgets._render import normalize_image


@pytest.fixture
def galaxy() -> np.ndarray:
    y, x = np.mgrid[:32, :32]
    rng = np.random.default_rng(0)
    return np.exp(-((x - 15.5) ** 2 + (y - 15.5) ** 2) / 20.0) + 0.02 * rng.normal(size=(32, 32))


@pytest.mark.parametrize("name", sorted(STRETCHES))
def test_every_stretch_maps_the_limits_to_zero_and_one_and_is_monotone(name):
    ramp = np.linspace(-1.0, 11.0, 1201)
    shown = normalize(ramp, 0.0, 10.0, stretch=name)
    assert shown[ramp <= 0.0].max() == 0.0
    assert shown[ramp >= 10.0].min() == pytest.approx(1.0)
    assert np.all(np.diff(shown) >= 0.0)
    inside = (ramp > 0.0) & (ramp < 10.0)
    assert np.all(np.diff(shown[inside]) > 0.0)


def test_asinh_maps_the_percentile_limits_to_zero_and_one(galaxy):
    low, high = PercentileInterval(99.5).get_limits(galaxy)
    shown = display_values(galaxy, stretch="asinh", percentile=99.5)
    assert shown[galaxy <= low].max() == 0.0
    assert shown[galaxy >= high].min() == pytest.approx(1.0)
    order = np.argsort(galaxy, axis=None)
    assert np.all(np.diff(shown.ravel()[order]) >= 0.0)
    # asinh lifts the faint pixels above the linear ramp
    linear = display_values(galaxy, stretch="linear")
    middle = (galaxy > low) & (galaxy < high)
    assert np.all(shown[middle] > linear[middle])


def test_stretch_parameters_are_the_ones_users_saw():
    assert STRETCHES["asinh"].a == pytest.approx(0.1)
    assert STRETCHES["log"].a == pytest.approx(1000.0)
    assert THUMBNAIL_STRETCHES is STRETCHES


def test_limits_ignore_blank_pixels_and_blank_pixels_show_black(galaxy):
    galaxy[:4] = np.nan
    assert percentile_limits(galaxy, 90) == pytest.approx(
        PercentileInterval(90).get_limits(galaxy[4:])
    )
    shown = display_values(galaxy)
    assert np.all(shown[:4] == 0.0)
    assert np.isfinite(shown).all()


@pytest.mark.parametrize("image", [np.full((6, 6), 3.0), np.full((6, 6), np.nan)])
def test_constant_and_blank_images_show_black(image):
    np.testing.assert_array_equal(display_values(image), np.zeros((6, 6)))
    np.testing.assert_array_equal(display_uint8(image[None]), np.zeros((1, 6, 6)))


def test_stack_limits_equal_astropys_percentile_interval_per_image():
    rng = np.random.default_rng(2)
    stack = rng.lognormal(size=(5, 17, 13))
    low, high = stack_percentile_limits(stack, 98.0)
    for i, image in enumerate(stack):
        assert (low[i], high[i]) == pytest.approx(PercentileInterval(98.0).get_limits(image))
    stack[1, 3:] = np.nan  # the other path, for stacks with blank pixels
    low, high = stack_percentile_limits(stack, 98.0)
    assert (low[1], high[1]) == pytest.approx(PercentileInterval(98.0).get_limits(stack[1]))


def test_uint8_of_a_stack_matches_each_image_on_its_own(galaxy):
    stack = np.stack([galaxy, 5.0 * galaxy + 2.0, galaxy[::-1]])
    grey = display_uint8(stack, stretch="sqrt")
    assert grey.dtype == np.uint8
    for i, image in enumerate(stack):
        expected = np.round(display_values(image, stretch="sqrt") * 255.0)
        assert np.abs(grey[i].astype(int) - expected).max() <= 1
    # each image has its own limits: a scaled copy looks the same
    assert np.abs(grey[0].astype(int) - grey[1].astype(int)).max() <= 1


def test_widget_pngs_and_thumbnails_show_the_same_grey_levels(galaxy):
    from astromorph_nb.data.thumbnails import make_thumbnails

    thumbnail = make_thumbnails(galaxy[None, None], size=32)[0]
    widget = np.round(normalize_image(galaxy) * 255.0)
    assert np.abs(thumbnail.astype(int) - widget).max() <= 1


def test_reference_sets_the_limits_of_another_image(galaxy):
    shared = display_values(0.5 * galaxy, reference=galaxy, stretch="linear")
    alone = display_values(0.5 * galaxy, stretch="linear")
    assert alone.max() == pytest.approx(1.0)
    assert shared.max() < 0.6


def test_bad_stretch_and_percentile_are_named():
    with pytest.raises(ValueError, match=r"'stretch' parameter of display_values must be one of"):
        display_values(np.ones((3, 3)), stretch="hist")
    with pytest.raises(ValueError, match=r"'percentile' parameter of display_values .*\(0, 100\]"):
        display_values(np.ones((3, 3)), percentile=0)
