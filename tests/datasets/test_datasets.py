from __future__ import annotations

import numpy as np
import pytest

from astromorph_nb.data.synthetic import MORPHOLOGY_CLASSES
from astromorph_nb.datasets import hubble, hubble_deep_field, synthetic
from astromorph_nb.exceptions import InvalidImageError

HDF_COLUMNS = {"x", "y", "flux", "area_px", "color_br", "OBJECT", "file", "hdu", "plane"}


@pytest.fixture(scope="module")
def stamps():
    return hubble_deep_field()


def test_hubble_deep_field_gives_at_least_200_gray_stamps(stamps):
    assert len(stamps) >= 200
    assert stamps.shape[1:] == (1, 64, 64)
    assert not stamps.mask.any()
    assert float(stamps.images.min()) == 0.0
    assert float(stamps.images.max()) == 1.0


def test_hubble_deep_field_fills_meta_sorted_by_flux(stamps):
    meta = stamps.meta
    assert set(meta.colnames) >= HDF_COLUMNS
    assert np.all(np.diff(meta["flux"]) <= 0)
    assert meta["flux"][-1] > 0
    assert list(meta["OBJECT"][:2]) == ["XDF-0000", "XDF-0001"]
    assert len(set(meta["OBJECT"])) == len(meta)
    assert set(meta["file"]) == {"skimage:hubble_deep_field"}
    assert set(meta["hdu"]) == {""}
    assert set(meta["plane"]) == {-1}
    assert np.all((meta["x"] >= 32) & (meta["x"] <= 1000 - 33))
    assert np.all((meta["y"] >= 32) & (meta["y"] <= 872 - 33))
    assert np.all(meta["area_px"] >= 30)
    assert np.isfinite(meta["color_br"]).mean() > 0.9
    assert stamps.describe(0) == "'skimage:hubble_deep_field'"


def test_hubble_deep_field_centers_each_stamp_on_its_source(stamps):
    images = stamps.images[:, 0].numpy()
    center = images[:, 29:35, 29:35].max(axis=(1, 2))
    assert np.all(center > np.median(images, axis=(1, 2)) + 0.2)


def test_hubble_deep_field_is_deterministic(stamps):
    # Clear the detection cache so that the second call really detects the sources again.
    hubble._xdf_sources.cache_clear()
    again = hubble_deep_field()
    np.testing.assert_array_equal(again.images.numpy(), stamps.images.numpy())
    assert list(again.meta["OBJECT"]) == list(stamps.meta["OBJECT"])
    np.testing.assert_array_equal(again.meta["x"], stamps.meta["x"])


def test_hubble_deep_field_gives_three_channels_when_rgb(stamps):
    rgb = hubble_deep_field(n_max=20, channels="rgb", normalize=None)
    assert rgb.shape == (20, 3, 64, 64)
    assert float(rgb.images.max()) <= 255
    assert float(rgb.images.min()) >= 0
    # Luminance is a weighted mean of red, green and blue.
    gray = hubble_deep_field(n_max=20, normalize=None).images[:, 0]
    weights = np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)[None, :, None, None]
    np.testing.assert_allclose((rgb.images.numpy() * weights).sum(axis=1), gray, rtol=1e-5)
    np.testing.assert_array_equal(rgb.meta["x"], stamps.meta["x"][:20])


def test_hubble_deep_field_keeps_the_brightest_when_n_max_is_set(stamps):
    few = hubble_deep_field(n_max=5)
    assert len(few) == 5
    np.testing.assert_array_equal(few.images.numpy(), stamps.images[:5].numpy())


def test_hubble_deep_field_finds_fewer_sources_when_min_area_is_larger(stamps):
    assert 0 < len(hubble_deep_field(min_area_px=200)) < len(stamps)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"size": 4},
            ValueError,
            r"'size' parameter of datasets.hubble_deep_field must be an int >= 8",
        ),
        ({"size": 64.0}, TypeError, r"'size' parameter .* got 64.0 of type float"),
        ({"size": 900}, ValueError, r"only 872×1000 pixels .* Pass a smaller size"),
        ({"n_max": 0}, ValueError, r"'n_max' parameter .* must be an int >= 1; got 0"),
        ({"min_area_px": -1}, ValueError, r"'min_area_px' parameter"),
        (
            {"channels": "rgba"},
            ValueError,
            r"'channels' parameter .* one of 'gray', 'rgb'; got 'rgba'",
        ),
        ({"normalize": "sqrt"}, ValueError, r"'normalize' parameter .* 'zscale', None; got 'sqrt'"),
    ],
)
def test_hubble_deep_field_rejects_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        hubble_deep_field(**kwargs)


def test_hubble_deep_field_explains_when_no_source_qualifies():
    with pytest.raises(
        InvalidImageError, match=r"No source .* min_area_px=1000000\. Pass a smaller"
    ):
        hubble_deep_field(min_area_px=1_000_000)


def test_synthetic_returns_labelled_normalized_images():
    images = synthetic(n_per_class=3, image_size=32, random_state=0)
    assert images.shape == (3 * len(MORPHOLOGY_CLASSES), 1, 32, 32)
    meta = images.meta
    assert {"label", "label_id", "fwhm_px", "snr", "flux", "x", "y"} <= set(meta.colnames)
    assert [MORPHOLOGY_CLASSES[i] for i in meta["label_id"]] == list(meta["label"])
    values = images.images.numpy()
    assert np.allclose(values.min(axis=(1, 2, 3)), 0)
    assert np.allclose(values.max(axis=(1, 2, 3)), 1)


def test_synthetic_keeps_raw_counts_when_normalize_is_none():
    images = synthetic(n_per_class=2, image_size=16, normalize=None, random_state=0)
    medians = np.median(images.images.numpy(), axis=(1, 2, 3))
    np.testing.assert_allclose(medians, images.meta["sky_level"], rtol=0.5)


def test_synthetic_numbers_label_ids_by_morphology_classes_when_subset():
    images = synthetic(n_per_class=2, image_size=16, classes=["spiral", "smooth"], random_state=0)
    assert list(images.meta["label"]) == ["spiral", "spiral", "smooth", "smooth"]
    assert list(images.meta["label_id"]) == [3, 3, 0, 0]


def test_synthetic_repeats_with_the_same_random_state():
    first = synthetic(n_per_class=2, image_size=16, random_state=5)
    second = synthetic(n_per_class=2, image_size=16, random_state=5)
    np.testing.assert_array_equal(first.images.numpy(), second.images.numpy())
    third = synthetic(n_per_class=2, image_size=16, random_state=6)
    assert not np.array_equal(first.images.numpy(), third.images.numpy())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"n_per_class": 0},
            ValueError,
            r"'n_per_class' parameter of datasets.synthetic must be an int >= 1; got 0",
        ),
        ({"image_size": 64.5}, TypeError, r"'image_size' parameter .* an int or a pair"),
        ({"image_size": None}, TypeError, r"'image_size' parameter .* got None\. Pass e\.g\."),
        ({"classes": "spiral"}, TypeError, r"list of class names .* e\.g\. classes=\['spiral'\]"),
        ({"classes": []}, ValueError, r"'classes' parameter .* is empty"),
        ({"classes": ["spiral", "galaxy"]}, ValueError, r"Unknown class 'galaxy' .* 'filament'"),
        ({"classes": ["spiral", "spiral"]}, ValueError, r"names a class twice"),
        ({"normalize": "max"}, ValueError, r"'normalize' parameter of datasets.synthetic"),
        ({"random_state": 1.5}, TypeError, r"random_state must be None, an int or numpy"),
    ],
)
def test_synthetic_rejects_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        synthetic(**kwargs)
