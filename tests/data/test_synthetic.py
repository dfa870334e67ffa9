from __future__ import annotations

import numpy as np
import pytest

from astromorph_nb.data.synthetic import MORPHOLOGY_CLASSES, render_morphologies


@pytest.fixture(scope="module")
def rendered():
    return render_morphologies(30, 64, random_state=3)


def test_render_morphologies_returns_float32_stack_of_requested_shape(rendered):
    images, labels, params = rendered
    assert images.dtype == np.float32
    assert images.shape == (30 * len(MORPHOLOGY_CLASSES), 64, 64)
    assert len(labels) == len(images)
    assert all(values.shape == (len(images),) for values in params.values())


def test_render_morphologies_balances_and_groups_labels(rendered):
    _, labels, _ = rendered
    names, counts = np.unique(labels, return_counts=True)
    assert set(names) == set(MORPHOLOGY_CLASSES)
    assert set(counts) == {30}
    assert labels[::30] == list(MORPHOLOGY_CLASSES)


def test_render_morphologies_gives_finite_positive_counts(rendered):
    images, _, params = rendered
    assert np.isfinite(images).all()
    assert all(np.isfinite(values).all() for values in params.values())
    # Sky plus source: the median pixel sits near the sky level, well above zero.
    medians = np.median(images, axis=(1, 2))
    assert np.all(medians > 0.5 * params["sky_level"])


def test_render_morphologies_records_psf_and_noise_in_their_ranges(rendered):
    images, _, params = rendered
    assert params["fwhm_px"].min() >= 1.5
    assert params["fwhm_px"].max() <= 4.5
    assert params["snr"].min() >= 8
    assert params["snr"].max() <= 150
    assert np.ptp(params["fwhm_px"]) > 2
    assert params["snr"].max() / params["snr"].min() > 5
    # The sky noise measured in a corner matches the recorded noise_sigma.
    corner = images[:, :8, :8].std(axis=(1, 2))
    assert np.median(corner / params["noise_sigma"]) == pytest.approx(1.0, abs=0.25)


def test_render_morphologies_repeats_with_the_same_seed():
    first = render_morphologies(3, 32, random_state=7)
    second = render_morphologies(3, 32, random_state=7)
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1] == second[1]
    np.testing.assert_array_equal(first[2]["snr"], second[2]["snr"])


def test_render_morphologies_differs_without_a_seed():
    first, _, _ = render_morphologies(3, 32)
    second, _, _ = render_morphologies(3, 32)
    assert not np.array_equal(first, second)


def test_render_morphologies_accepts_a_generator():
    rng = np.random.default_rng(1)
    first, _, _ = render_morphologies(2, 16, random_state=rng)
    second, _, _ = render_morphologies(2, 16, random_state=rng)
    assert not np.array_equal(first, second)


def test_render_morphologies_keeps_the_order_of_requested_classes():
    images, labels, _ = render_morphologies(
        2, (24, 40), classes=["filament", "smooth"], random_state=0
    )
    assert images.shape == (4, 24, 40)
    assert labels == ["filament", "filament", "smooth", "smooth"]


def test_classes_differ_in_light_concentration_and_extent(rendered):
    images, labels, params = rendered
    labels = np.array(labels)
    signal = images - params["sky_level"][:, None, None]
    y, x = np.mgrid[:64, :64]
    radius = np.hypot(y - params["y"][:, None, None], x - params["x"][:, None, None])
    central = np.where(radius < 3, signal, 0).sum(axis=(1, 2)) / signal.sum(axis=(1, 2))
    border = signal.copy()
    border[:, 4:-4, 4:-4] = 0
    at_edge = border.sum(axis=(1, 2)) / signal.sum(axis=(1, 2))

    def median(values, name):
        return np.median(values[labels == name])

    assert median(central, "point_source") > 2 * median(central, "smooth")
    assert median(central, "smooth") > 3 * median(central, "ringed_disk")
    assert median(at_edge, "filament") > 1.5 * max(
        median(at_edge, name) for name in MORPHOLOGY_CLASSES if name != "filament"
    )
