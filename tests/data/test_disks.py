from __future__ import annotations

import numpy as np
import pytest

from astromorph_nb.data.disks import DISK_CLASSES, render_disks

N = 16
REQUIRED = (
    "x",
    "y",
    "inclination_deg",
    "position_angle_deg",
    "radius_px",
    "beam_major_px",
    "beam_minor_px",
    "beam_pa_deg",
    "noise_jy_beam",
    "flux_jy",
    "snr",
)


@pytest.fixture(scope="module")
def rendered():
    images, labels, params = render_disks(N, 64, random_state=11)
    return images, np.array(labels), params


def deprojected(params, i, shape=(64, 64)):
    """Disk-plane radius and azimuth of every pixel of image ``i``, from the truth."""
    y, x = np.mgrid[: shape[0], : shape[1]]
    dy, dx = y - params["y"][i], x - params["x"][i]
    angle = np.radians(params["position_angle_deg"][i])
    u = dy * np.cos(angle) - dx * np.sin(angle)
    v = (dx * np.cos(angle) + dy * np.sin(angle)) / np.cos(np.radians(params["inclination_deg"][i]))
    return np.hypot(u, v), np.arctan2(v, u)


def test_render_disks_returns_float32_stack_of_requested_shape(rendered):
    images, labels, params = rendered
    assert images.dtype == np.float32
    assert images.shape == (N * len(DISK_CLASSES), 64, 64)
    assert len(labels) == len(images)
    assert set(REQUIRED) <= set(params)
    assert all(v.shape == (len(images),) and v.dtype == np.float64 for v in params.values())


def test_render_disks_balances_and_groups_labels(rendered):
    _, labels, _ = rendered
    names, counts = np.unique(labels, return_counts=True)
    assert set(names) == set(DISK_CLASSES)
    assert set(counts) == {N}
    assert list(labels[::N]) == list(DISK_CLASSES)


def test_render_disks_gives_finite_images_and_truth(rendered):
    images, _, params = rendered
    assert np.isfinite(images).all()
    assert all(np.isfinite(params[key]).all() for key in REQUIRED)


def test_render_disks_records_geometry_beam_and_noise_in_their_ranges(rendered):
    _, labels, params = rendered
    edge_on = labels == "edge_on"
    assert params["inclination_deg"][~edge_on].max() <= 70
    assert params["inclination_deg"][edge_on].min() >= 80
    assert params["inclination_deg"][edge_on].max() <= 90
    assert np.all((params["position_angle_deg"] >= 0) & (params["position_angle_deg"] < 180))
    assert np.all((params["beam_pa_deg"] >= 0) & (params["beam_pa_deg"] < 180))
    assert np.all(np.abs(params["x"] - 31.5) <= 3)
    assert np.all(np.abs(params["y"] - 31.5) <= 3)
    major, minor = params["beam_major_px"], params["beam_minor_px"]
    assert major.min() >= 1.5
    assert major.max() <= 5
    assert np.all(minor <= major)
    assert np.all(minor >= np.minimum(0.5 * major, 1.0) - 1e-9)
    assert params["snr"].min() >= 5
    assert params["snr"].max() <= 300
    assert params["flux_jy"].min() >= 0.002
    assert params["flux_jy"].max() <= 0.5
    assert params["snr"].max() / params["snr"].min() > 10
    assert np.ptp(major) > 2
    assert np.allclose(params["noise_jy_beam"] * params["snr"], params["peak_jy_beam"])
    assert params["radius_px"].min() >= 1.5
    assert params["radius_px"].max() <= 24


def test_render_disks_sets_class_specific_truth_only_where_it_applies(rendered):
    _, labels, params = rendered

    def where(name):
        return labels == name

    rings, spiral, binary = where("rings"), where("spiral"), where("binary")
    assert set(params["n_rings"][rings]) <= {1, 2, 3, 4}
    assert np.all(params["n_rings"][where("cavity") | where("crescent")] == 1)
    assert np.all(params["n_rings"][where("smooth") | spiral | where("edge_on")] == 0)
    assert set(params["n_arms"][spiral]) <= {1, 2, 3}
    assert np.all(params["n_arms"][~spiral] == 0)
    assert np.all((params["pitch_deg"][spiral] >= 10) & (params["pitch_deg"][spiral] <= 30))
    assert np.isnan(params["pitch_deg"][~spiral]).all()
    cavity = params["cavity_radius_px"][where("cavity")] / params["radius_px"][where("cavity")]
    assert np.all((cavity >= 0.2) & (cavity <= 0.6))
    contrast = params["contrast"][where("crescent")]
    assert np.all((contrast >= 3) & (contrast <= 100))
    assert np.isnan(params["contrast"][where("smooth") | binary | where("edge_on")]).all()
    assert np.all((params["flux_ratio"][binary] >= 0.1) & (params["flux_ratio"][binary] <= 1))
    assert np.all(params["separation_px"][binary] >= 3 * params["beam_major_px"][binary] - 1e-9)
    assert np.all(params["separation_px"][binary] <= 0.4 * 64)
    assert np.isnan(params["separation_px"][~binary]).all()
    assert np.isfinite(params["optical_depth"][where("edge_on")]).all()
    assert np.isnan(params["aspect_ratio"][~where("edge_on")]).all()


def test_render_disks_repeats_with_the_same_seed():
    first = render_disks(2, 32, random_state=7)
    second = render_disks(2, 32, random_state=7)
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1] == second[1]
    for key in first[2]:
        np.testing.assert_array_equal(first[2][key], second[2][key])


def test_render_disks_differs_without_a_seed_and_along_a_generator():
    assert not np.array_equal(render_disks(2, 16)[0], render_disks(2, 16)[0])
    rng = np.random.default_rng(1)
    assert not np.array_equal(
        render_disks(2, 16, random_state=rng)[0], render_disks(2, 16, random_state=rng)[0]
    )


def test_render_disks_keeps_the_order_of_requested_classes_and_the_image_shape():
    images, labels, params = render_disks(
        2, (48, 80), classes=["edge_on", "smooth"], random_state=0
    )
    assert images.shape == (4, 48, 80)
    assert labels == ["edge_on", "edge_on", "smooth", "smooth"]
    assert np.all(np.abs(params["x"] - 39.5) <= 3 * 48 / 64)
    assert params["beam_major_px"].max() <= 5 * 48 / 64


def test_noise_is_beam_correlated_and_has_the_recorded_rms(rendered):
    images, _, params = rendered
    corners = np.concatenate(
        [images[:, :12, :12], images[:, :12, -12:], images[:, -12:, :12], images[:, -12:, -12:]],
        axis=2,
    )
    rms = np.sqrt(np.mean(corners**2, axis=(1, 2)))
    assert np.median(rms / params["noise_jy_beam"]) == pytest.approx(1.0, abs=0.25)
    patch = images[:, :12, :12] - images[:, :12, :12].mean(axis=(1, 2), keepdims=True)
    lag_x = (patch[:, :, 1:] * patch[:, :, :-1]).mean(axis=(1, 2)) / (patch**2).mean(axis=(1, 2))
    lag_y = (patch[:, 1:] * patch[:, :-1]).mean(axis=(1, 2)) / (patch**2).mean(axis=(1, 2))
    # White noise would give about 0; a beam of FWHM >= 1.5 px gives well above 0.3.
    assert np.median(lag_x) > 0.3
    assert np.median(lag_y) > 0.3
    broad = params["beam_minor_px"] > 3
    assert np.median(lag_x[broad]) > np.median(lag_x[~broad])


def test_images_are_in_jy_per_beam():
    images, labels, params = render_disks(40, 64, classes=["smooth", "cavity"], random_state=2)
    beam_area = np.pi * params["beam_major_px"] * params["beam_minor_px"] / (4 * np.log(2))
    flux = images.sum(axis=(1, 2)) / beam_area
    bright = params["snr"] > 60
    assert bright.sum() >= 10
    ratio = flux[bright] / params["flux_jy"][bright]
    assert np.median(ratio) == pytest.approx(1.0, abs=0.05)
    assert np.all(np.abs(ratio - 1) < 0.3)
    # The peak in Jy/beam never exceeds the flux, and nears it as the beam outgrows the disk.
    peak = params["peak_jy_beam"] / params["flux_jy"]
    assert np.all(peak <= 1 + 1e-6)
    resolution = beam_area / params["radius_px"] ** 2
    for name in ("smooth", "cavity"):
        chosen = np.array(labels) == name
        ranks = np.argsort(np.argsort(np.stack([peak[chosen], resolution[chosen]])), axis=1)
        assert np.corrcoef(ranks)[0, 1] > 0.5


def test_cavity_has_a_central_dip_that_smooth_disks_lack(rendered):
    images, labels, params = rendered

    def dip(i, inner, ring):
        radius, _ = deprojected(params, i)
        return (
            images[i][radius < max(inner, 1.5)].mean()
            / images[i][(radius > ring[0]) & (radius < ring[1])].mean()
        )

    cav = [
        dip(
            i,
            0.5 * params["cavity_radius_px"][i],
            (params["cavity_radius_px"][i], params["cavity_radius_px"][i] + 4),
        )
        for i in np.flatnonzero((labels == "cavity") & (params["snr"] > 15))
        if params["cavity_radius_px"][i] > params["beam_major_px"][i]
    ]
    smooth = [
        dip(
            i,
            0.15 * params["radius_px"][i],
            (0.3 * params["radius_px"][i], 0.3 * params["radius_px"][i] + 4),
        )
        for i in np.flatnonzero((labels == "smooth") & (params["snr"] > 15))
    ]
    assert len(cav) >= 3
    assert len(smooth) >= 3
    assert np.median(cav) < 0.6
    assert np.median(smooth) > 1.5


def test_crescent_is_far_more_lopsided_than_rings(rendered):
    images, labels, params = rendered

    def asymmetry(i):
        radius, azimuth = deprojected(params, i)
        annulus = (radius > 0.2 * params["radius_px"][i]) & (radius < 0.9 * params["radius_px"][i])
        bins = np.digitize(azimuth[annulus], np.linspace(-np.pi, np.pi, 9))
        means = np.array([images[i][annulus][bins == b].mean() for b in range(1, 9)])
        return (means.max() - means.min()) / means.mean()

    crescent = [asymmetry(i) for i in np.flatnonzero((labels == "crescent") & (params["snr"] > 15))]
    rings = [asymmetry(i) for i in np.flatnonzero((labels == "rings") & (params["snr"] > 15))]
    assert len(crescent) >= 3
    assert len(rings) >= 3
    assert np.median(crescent) > 2.5 * np.median(rings)


def test_binary_has_two_separated_peaks(rendered):
    images, labels, params = rendered
    found = []
    for i in np.flatnonzero((labels == "binary") & (params["snr"] > 20)):
        angle = np.radians(params["companion_pa_deg"][i])
        step = 0.5 * params["separation_px"][i] * np.array([np.cos(angle), -np.sin(angle)])
        center = np.array([params["y"][i], params["x"][i]])

        def value(point, image=images[i]):
            y, x = np.round(point).astype(int)
            return image[y - 1 : y + 2, x - 1 : x + 2].max()

        primary, secondary, middle = value(center - step), value(center + step), value(center)
        found.append(min(primary, secondary) > max(middle, 3 * params["noise_jy_beam"][i]))
    assert len(found) >= 4
    assert np.mean(found) >= 0.75


def test_edge_on_disks_are_thin_ellipses(rendered):
    images, labels, params = rendered

    def shape(i):
        image = images[i]
        weight = np.where(image > 3 * params["noise_jy_beam"][i], image, 0)
        y, x = np.mgrid[:64, :64]
        total = weight.sum()
        my, mx = (weight * y).sum() / total, (weight * x).sum() / total
        cov = np.cov(np.stack([(y - my).ravel(), (x - mx).ravel()]), aweights=weight.ravel())
        (low, high), vectors = np.linalg.eigh(cov)
        along_y, along_x = vectors[:, 1]
        # Position angle east of north: from +y towards -x.
        return np.sqrt(low / high), np.degrees(np.arctan2(-along_x, along_y)) % 180

    bright = params["snr"] > 15
    chosen = np.flatnonzero((labels == "edge_on") & bright)
    edge_on, angle = np.array([shape(i) for i in chosen]).T
    smooth = [shape(i)[0] for i in np.flatnonzero((labels == "smooth") & bright)]
    assert np.median(edge_on) < 0.45
    assert np.median(edge_on) < 0.6 * np.median(smooth)
    # The long axis lies along the recorded position angle (east of north).
    error = (angle - params["position_angle_deg"][chosen] + 90) % 180 - 90
    assert np.median(np.abs(error)) < 5


def test_noise_is_stretched_along_the_beam_position_angle(rendered):
    images, _, params = rendered
    corners = [
        images[:, :12, :12],
        images[:, :12, -12:],
        images[:, -12:, :12],
        images[:, -12:, -12:],
    ]

    def lag_correlation(axis):
        total = 0
        for patch in corners:
            patch = patch - patch.mean(axis=(1, 2), keepdims=True)
            shifted = np.roll(patch, 1, axis=axis)[:, 1:, 1:]
            total = total + (patch[:, 1:, 1:] * shifted).mean(axis=(1, 2)) / patch.var(axis=(1, 2))
        return total / len(corners)

    elongated = params["beam_minor_px"] < 0.7 * params["beam_major_px"]
    angle = params["beam_pa_deg"]
    north = elongated & ((angle < 25) | (angle > 155))
    east = elongated & (np.abs(angle - 90) < 25)
    lag_y, lag_x = lag_correlation(1), lag_correlation(2)
    assert north.sum() >= 5
    assert east.sum() >= 5
    assert np.mean(lag_y[north] > lag_x[north]) > 0.8
    assert np.mean(lag_x[east] > lag_y[east]) > 0.8
