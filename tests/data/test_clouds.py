from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
import scipy.stats

from astromorph_nb.data.clouds import (
    BACKGROUND_RANGE_CM2,
    BEAM_FWHM_RANGE_PX,
    CLOUD_CLASSES,
    CONTRAST_RANGE,
    FRACTAL_SLOPE_RANGE,
    MIN_COLUMN_CM2,
    render_clouds,
)

N_PER_CLASS = 30


@pytest.fixture(scope="module")
def rendered():
    return render_clouds(N_PER_CLASS, 64, random_state=11)


@pytest.fixture(scope="module")
def diffuse_128():
    return render_clouds(16, 128, classes=["diffuse"], random_state=2)


def bright(rendered, name, min_contrast=3.0):
    """Indices of the images of class ``name`` whose structure stands out clearly."""
    _, labels, params = rendered
    return np.flatnonzero((np.array(labels) == name) & (params["contrast"] > min_contrast))


def radius_from_center(params, i, size=64):
    y, x = np.mgrid[:size, :size]
    return np.hypot(y - params["y"][i], x - params["x"][i])


def test_render_clouds_returns_float32_stack_of_requested_shape(rendered):
    images, labels, params = rendered
    assert images.dtype == np.float32
    assert images.shape == (N_PER_CLASS * len(CLOUD_CLASSES), 64, 64)
    assert len(labels) == len(images)
    assert all(values.shape == (len(images),) for values in params.values())
    assert all(values.dtype == np.float64 for values in params.values())


def test_render_clouds_balances_and_groups_labels(rendered):
    _, labels, _ = rendered
    names, counts = np.unique(labels, return_counts=True)
    assert set(names) == set(CLOUD_CLASSES)
    assert set(counts) == {N_PER_CLASS}
    assert labels[::N_PER_CLASS] == list(CLOUD_CLASSES)


def test_render_clouds_gives_finite_positive_column_densities(rendered):
    images, _, params = rendered
    assert np.isfinite(images).all()
    assert all(np.isfinite(values).all() for values in params.values())
    assert images.min() >= MIN_COLUMN_CM2
    # Typical pixels sit near the background level, in the range of Galactic-plane clouds.
    ratio = np.median(images, axis=(1, 2)) / params["background_column_cm2"]
    assert np.all((ratio > 0.3) & (ratio < 3))
    assert 1e20 < np.median(images) < 1e23


def test_render_clouds_records_parameters_in_their_ranges(rendered):
    images, labels, params = rendered
    labels = np.array(labels)
    structured = labels != "diffuse"
    for key, (low, high) in {
        "beam_fwhm_px": BEAM_FWHM_RANGE_PX,
        "fractal_slope": FRACTAL_SLOPE_RANGE,
        "background_column_cm2": BACKGROUND_RANGE_CM2,
    }.items():
        assert low <= params[key].min(), key
        assert params[key].max() <= high, key
        assert np.ptp(params[key]) > 0.5 * (high - low), key
    contrast = params["contrast"]
    assert CONTRAST_RANGE[0] <= contrast[structured].min()
    assert contrast[structured].max() <= CONTRAST_RANGE[1]
    assert np.all(contrast[~structured] == 0)
    np.testing.assert_allclose(
        params["peak_column_cm2"], contrast * params["background_column_cm2"]
    )
    np.testing.assert_allclose(params["snr"], params["peak_column_cm2"] / params["noise_cm2"])
    assert np.all(np.abs(params["x"] - 31.5) <= 3)
    assert np.all(np.abs(params["y"] - 31.5) <= 3)
    assert np.all((params["angle_deg"] >= 0) & (params["angle_deg"] < 180))
    # Class-specific counts, and zeros where a parameter does not apply.
    cores = {"filament": (0, 4), "hub": (1, 1), "core": (1, 1), "shell": (0, 3), "cluster": (3, 8)}
    counts = {
        "n_branches": {"filament": (1, 1), "hub": (3, 6)},
        "n_cores": cores,
        "n_gaps": {"shell": (0, 2)},
    }
    for key, ranges in counts.items():
        for name in CLOUD_CLASSES:
            values = params[key][labels == name]
            low, high = ranges.get(name, (0, 0))
            assert np.all((values >= low) & (values <= high) & (values == np.round(values)))
    is_shell = labels == "shell"
    np.testing.assert_array_equal(params["shell_radius_px"][is_shell], params["size_px"][is_shell])
    assert np.all(params["shell_radius_px"][~is_shell] == 0)
    assert np.all(params["width_px"][structured] > 1)
    assert np.all(params["size_px"][~structured] == 0)


def test_render_clouds_peak_column_is_the_observed_excess(rendered):
    images, _, params = rendered
    for name in ("filament", "core", "cluster"):
        for i in bright(rendered, name):
            excess = images[i].max() - params["background_column_cm2"][i]
            assert excess == pytest.approx(params["peak_column_cm2"][i], rel=0.6)


def test_render_clouds_repeats_with_the_same_seed():
    first = render_clouds(2, 32, random_state=7)
    second = render_clouds(2, 32, random_state=7)
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1] == second[1]
    for key in first[2]:
        np.testing.assert_array_equal(first[2][key], second[2][key])


def test_render_clouds_differs_without_a_seed_and_accepts_a_generator():
    assert not np.array_equal(render_clouds(2, 32)[0], render_clouds(2, 32)[0])
    rng = np.random.default_rng(1)
    first, _, _ = render_clouds(2, 16, random_state=rng)
    second, _, _ = render_clouds(2, 16, random_state=rng)
    assert not np.array_equal(first, second)


def test_render_clouds_keeps_the_order_of_requested_classes():
    images, labels, params = render_clouds(2, (24, 40), classes=["shell", "core"], random_state=0)
    assert images.shape == (4, 24, 40)
    assert labels == ["shell", "shell", "core", "core"]
    # Sizes scale with min(ny, nx) / 64.
    assert np.all(params["beam_fwhm_px"] <= BEAM_FWHM_RANGE_PX[1] * 24 / 64)


def test_diffuse_background_has_the_recorded_power_spectrum_slope(diffuse_128):
    images, _, params = diffuse_128
    size = images.shape[-1]
    # The beam scales with the image size.
    assert params["beam_fwhm_px"].min() >= 2 * BEAM_FWHM_RANGE_PX[0]
    freq = np.hypot(np.fft.fftfreq(size)[:, None], np.fft.fftfreq(size)[None, :])
    window = np.outer(np.hanning(size), np.hanning(size))
    errors = []
    beams, slopes = params["beam_fwhm_px"], params["fractal_slope"]
    for image, fwhm, slope in zip(images, beams, slopes, strict=True):
        # The Gaussian random field is ln N; the beam acts on N, but only weakly changes the slope
        # of ln N on scales larger than the beam.
        log_map = np.log(image.astype(np.float64))
        power = np.abs(np.fft.fft2((log_map - log_map.mean()) * window)) ** 2
        power /= np.exp(-((np.pi * freq * fwhm) ** 2) / (2 * np.log(2)))  # undo the beam
        # Fit rings from the largest scales down to where noise would take over.
        used = (freq > 2.5 / size) & (freq < 0.6 / fwhm)
        ring = np.rint(freq[used] * size)
        rings = np.unique(ring)
        mean_log_power = [np.log(power[used][ring == r]).mean() for r in rings]
        errors.append(-np.polyfit(np.log(rings), mean_log_power, 1)[0] - slope)
    assert np.median(np.abs(errors)) < 0.5
    assert abs(np.mean(errors)) < 0.35


def test_diffuse_column_density_has_a_log_normal_pdf(diffuse_128):
    images, _, params = diffuse_128
    maps = images.astype(np.float64)
    linear = [scipy.stats.skew((m / m.mean()).ravel()) for m in maps]
    logarithmic = [scipy.stats.skew(np.log(m).ravel()) for m in maps]
    # A log-normal map has a long tail to high column density; its logarithm is symmetric.
    assert np.median(linear) > 0.5
    assert np.median(np.abs(logarithmic)) < 0.6 * np.median(linear)
    # Its width is the recorded sigma of ln N (a little less: beam and crop), its mean the level.
    width = np.log(maps).std(axis=(1, 2)) / params["background_sigma_ln"]
    assert np.all((width > 0.6) & (width < 1.15))
    level = maps.mean(axis=(1, 2)) / params["background_column_cm2"]
    assert np.median(level) == pytest.approx(1, abs=0.1)


def axis_ratio(image, params, i):
    """Minor over major axis from the second moments of the pixels above half the peak."""
    threshold = params["background_column_cm2"][i] + 0.5 * params["peak_column_cm2"][i]
    weight = np.clip(image - threshold, 0, None) * (radius_from_center(params, i) < 30)
    y, x = np.mgrid[: image.shape[0], : image.shape[1]]
    covariance = np.cov(np.stack([y.ravel(), x.ravel()]), aweights=weight.ravel() + 1e-30)
    low, high = np.linalg.eigvalsh(covariance)
    return np.sqrt(low / high)


def test_filaments_are_elongated_and_cores_round(rendered):
    images, _, params = rendered
    filament = [axis_ratio(images[i], params, i) for i in bright(rendered, "filament")]
    core = [axis_ratio(images[i], params, i) for i in bright(rendered, "core")]
    assert np.median(filament) < 0.3
    assert np.median(core) > 0.6
    assert np.median(filament) < 0.4 * np.median(core)


def n_arms(image, params, i, radii=(8, 12)):
    """Count the azimuthal maxima of the mean profile of an annulus around the center."""
    azimuth = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    profile = np.mean(
        [
            scipy.ndimage.map_coordinates(
                image.astype(np.float64),
                [params["y"][i] + r * np.sin(azimuth), params["x"][i] + r * np.cos(azimuth)],
                order=1,
            )
            for r in np.arange(radii[0], radii[1] + 0.5)
        ],
        axis=0,
    )
    peaks, _ = scipy.signal.find_peaks(
        np.tile(profile, 3), prominence=0.06 * params["peak_column_cm2"][i]
    )
    return np.count_nonzero((peaks >= 90) & (peaks < 180))  # the middle copy: no wrap effects


def test_hubs_have_more_arms_than_filaments(rendered):
    images, _, params = rendered
    filament = [n_arms(images[i], params, i) for i in bright(rendered, "filament")]
    hub = [n_arms(images[i], params, i) for i in bright(rendered, "hub")]
    # A filament through the center crosses the annulus twice; hubs have 3-6 branches, some of
    # which merge in the beam.
    assert np.median(filament) == 2
    assert np.median(hub) >= 3
    assert np.mean(hub) >= np.mean(filament) + 1


def rim_minus_center(image, params, i):
    """Rim (90th percentile near the shell radius) minus center (median), over the peak."""
    radius = radius_from_center(params, i)
    size = params["size_px"][i]
    rim = np.percentile(image[(radius > 0.6 * size) & (radius < 1.2 * size)], 90)
    center = np.median(image[radius < 0.35 * size])
    return (rim - center) / params["peak_column_cm2"][i]


def test_shells_have_a_central_depression(rendered):
    images, _, params = rendered
    shell = np.array([rim_minus_center(images[i], params, i) for i in bright(rendered, "shell")])
    core = np.array([rim_minus_center(images[i], params, i) for i in bright(rendered, "core")])
    assert np.mean(shell > 0.2) >= 0.8
    assert np.all(core < 0)


def n_maxima(image, params, i):
    """Count local maxima well above the typical level within the structure's extent."""
    smooth = scipy.ndimage.gaussian_filter(image.astype(np.float64), 1)
    threshold = np.median(smooth) + 0.25 * params["peak_column_cm2"][i]
    inside = radius_from_center(params, i) < params["size_px"][i] + 4
    is_peak = smooth == scipy.ndimage.maximum_filter(smooth, 3)
    return np.count_nonzero(is_peak & inside & (smooth > threshold))


def test_clusters_have_several_maxima_and_cores_one(rendered):
    images, _, params = rendered
    cluster = [n_maxima(images[i], params, i) for i in bright(rendered, "cluster")]
    core = [n_maxima(images[i], params, i) for i in bright(rendered, "core")]
    assert np.median(core) == 1
    assert np.median(cluster) >= 3


def test_render_clouds_renders_large_sets_in_chunks():
    images, labels, params = render_clouds(300, 16, classes=["core"], random_state=0)
    assert images.shape == (300, 16, 16)
    assert len(labels) == len(params["x"]) == 300
    # The second chunk gets fresh draws, not a copy of the first.
    assert not np.array_equal(images[:44], images[256:])
