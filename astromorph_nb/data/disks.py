"""Labelled ALMA-like dust-continuum images of protoplanetary disks (data layer).

Seven classes of disks, as the ALMA surveys (DSHARP, Lupus, Taurus) show them: smooth
disks, disks with rings and gaps, transition disks with a cavity, spiral disks, lopsided
disks with a crescent (a dust trap), binaries and edge-on disks. Each sky model starts from a
tapered power law (Lynden-Bell & Pringle) in the disk plane, seen at a random inclination and
position angle, with a random outer radius and total flux. The model is then "observed":
convolved with an elliptical Gaussian beam, converted to Jy/beam, and given noise that is
correlated on the scale of the beam, as in a CLEANed interferometric image, at a random
peak signal-to-noise ratio. The classes differ clearly by eye at 64×64 pixels for a small
beam and a high SNR, while beam, inclination, SNR and size vary enough that a classifier on
raw pixels is far from perfect. Everything is numpy; one class is rendered at a time,
vectorised over its images.

Angles follow the astronomical convention for images shown with ``origin="lower"`` and
north up, east left: a position angle is measured from +y (north) towards -x (east).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from astromorph_nb._validation import as_generator
from astromorph_nb.data._disk_geometry import (
    GAMMA_RANGE,
    MAX_INCLINATION_DEG,
    deproject,
    draw_disk,
    gaussian,
    sky_axes,
    step,
    taper_radius,
    tapered,
)
from astromorph_nb.data._draws import column, log_uniform
from astromorph_nb.data._interferometry import (
    BEAM_AXIS_RATIO_RANGE,
    BEAM_MAJOR_RANGE_PX,
    SNR_RANGE,
    draw_beam,
    observe,
    padded_size,
)
from astromorph_nb.data._rendering import Grid, image_shape, padded_axes, render_by_class

__all__ = [
    "BEAM_AXIS_RATIO_RANGE",
    "BEAM_MAJOR_RANGE_PX",
    "DISK_CLASSES",
    "GAMMA_RANGE",
    "MAX_INCLINATION_DEG",
    "SNR_RANGE",
    "render_disks",
]

#: Class names, in the order of ``label_id``.
DISK_CLASSES = ("smooth", "rings", "cavity", "spiral", "crescent", "binary", "edge_on")

#: Range of the total source flux in Jy (drawn log-uniformly): 2 to 500 mJy.
FLUX_RANGE_JY = (0.002, 0.5)
#: Range of the inclination of the ``edge_on`` class (cos i drawn uniformly).
EDGE_ON_INCLINATION_DEG = (80.0, 90.0)
#: Largest shift of the disk center from the image center, in pixels of a 64×64 image.
JITTER_PX = 3.0
#: Samples along each line of sight through an edge-on disk.
_LINE_OF_SIGHT_STEPS = 24

_Truth = dict[str, np.ndarray]  # per-image parameters, each of shape (n,)
_Rendered = tuple[np.ndarray, _Truth]  # sky models (n, ny, nx) and their truth

#: Class-specific parameters and their value where they do not apply.
_OPTIONAL = {
    "n_rings": 0.0,
    "n_arms": 0.0,
    "pitch_deg": np.nan,
    "cavity_radius_px": np.nan,
    "contrast": np.nan,
    "separation_px": np.nan,
    "flux_ratio": np.nan,
    "companion_pa_deg": np.nan,
    "aspect_ratio": np.nan,
    "optical_depth": np.nan,
}


def _add_inner_disk(model: np.ndarray, radius: np.ndarray, rng: np.random.Generator) -> None:
    """Give half of the disks an unresolved inner disk of 0.3-5 % of their flux, in place."""
    n = model.shape[0]
    fraction = log_uniform(rng, (0.003, 0.05), n) * (rng.random(n) < 0.5)
    inner = np.exp(-2 * radius**2)  # a Gaussian of sigma 0.5 px in the disk plane
    scale = fraction * model.sum(axis=(1, 2)) / inner.sum(axis=(1, 2))
    model += column(scale) * inner


def _smooth(grid: Grid, s: float, beam: np.ndarray, rng: np.random.Generator) -> _Rendered:
    truth = draw_disk(rng, len(beam), (5 * s, 22 * s))
    radius, _ = deproject(grid, truth)
    return tapered(radius, truth), truth


def _rings(grid: Grid, s: float, beam: np.ndarray, rng: np.random.Generator) -> _Rendered:
    n = len(beam)
    truth = draw_disk(rng, n, (12 * s, 24 * s), gamma=(0.3, 0.8))
    radius, _ = deproject(grid, truth)
    outer = truth["radius_px"]
    # One to four rings between 0.25 and 0.9 of the outer radius, at least 3 px apart, each
    # with a gap just inside it, as in HL Tau and the DSHARP disks.
    most = np.clip(np.floor(0.65 * outer / (3 * s)), 1, 4)
    count = np.floor(rng.uniform(1, most + 1))
    spacing = 0.65 * outer / count
    model = tapered(radius, truth)
    rings = np.zeros_like(model)
    deepest = np.zeros(n)
    for k in range(4):
        present = k < count
        at = 0.25 * outer + spacing * (k + 0.5 + rng.uniform(-0.2, 0.2, n))
        width = np.maximum(spacing * rng.uniform(0.08, 0.2, n), 0.4 * s)
        depth = present * rng.uniform(0.5, 0.98, n)
        gap_at, gap_width = (
            at - spacing * rng.uniform(0.4, 0.55, n),
            spacing * rng.uniform(0.1, 0.2, n),
        )
        model *= 1 - column(depth) * gaussian(radius, column(gap_at), column(gap_width))
        brightness = present * rng.uniform(1.0, 4.0, n) * tapered(column(at), truth).ravel()
        rings += column(brightness) * gaussian(radius, column(at), column(width))
        deepest = np.maximum(deepest, depth)
    truth |= {"n_rings": count, "contrast": 1 / (1 - deepest)}
    return model + rings, truth


def _ring_outside_cavity(
    truth: _Truth, cavity_fraction: tuple[float, float], s: float, rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """Draw cavity radii, cavity depletion factors, ring radii and ring widths."""
    n, outer = len(truth["radius_px"]), truth["radius_px"]
    cavity = outer * rng.uniform(*cavity_fraction, n)
    depletion = log_uniform(rng, (10.0, 1000.0), n)
    width = np.maximum(outer * rng.uniform(0.05, 0.13, n), 0.5 * s)
    return cavity, depletion, cavity + width * rng.uniform(1.0, 2.0, n), width


def _depleted_inside(
    radius: np.ndarray, cavity: np.ndarray, depletion: np.ndarray, width: np.ndarray
) -> np.ndarray:
    """Return the share of the brightness kept: 1 / ``depletion`` inside the cavity, 1 outside.

    As in a transition disk, everything inside the cavity is depleted by the same large
    factor; the edge is a smooth step about ``width`` wide.
    """
    edge = step(radius, column(cavity), column(width))
    return column(1 / depletion) + column(1 - 1 / depletion) * edge


def _cavity(grid: Grid, s: float, beam: np.ndarray, rng: np.random.Generator) -> _Rendered:
    n = len(beam)
    truth = draw_disk(rng, n, (10 * s, 22 * s))
    radius, _ = deproject(grid, truth)
    cavity, depletion, ring_at, width = _ring_outside_cavity(truth, (0.2, 0.6), s, rng)
    kept = _depleted_inside(radius, cavity, depletion, width)
    brightness = rng.uniform(1.0, 4.0, n) * tapered(column(ring_at), truth).ravel()
    ring = column(brightness) * gaussian(radius, column(ring_at), column(width))
    model = (tapered(radius, truth) + ring) * kept
    _add_inner_disk(model, radius, rng)
    truth |= {"n_rings": np.ones(n), "cavity_radius_px": cavity, "contrast": depletion}
    return model, truth


def _crescent(grid: Grid, s: float, beam: np.ndarray, rng: np.random.Generator) -> _Rendered:
    n = len(beam)
    truth = draw_disk(rng, n, (10 * s, 22 * s))
    radius, azimuth = deproject(grid, truth)
    cavity, depletion, ring_at, width = _ring_outside_cavity(truth, (0.25, 0.55), s, rng)
    kept = _depleted_inside(radius, cavity, depletion, width)
    # A dust trap (IRS 48, HD 142527): the ring's brightness is a Gaussian in azimuth on a
    # floor 1/contrast of its peak, i.e. a crescent, possibly on a faint full ring.
    contrast = log_uniform(rng, (3.0, 100.0), n)
    spread = np.radians(rng.uniform(15.0, 50.0, n))
    offset = (azimuth - column(rng.uniform(0, 2 * np.pi, n)) + np.pi) % (2 * np.pi) - np.pi
    lopsided = (1 + column(contrast - 1) * gaussian(offset, 0, column(spread))) / column(contrast)
    brightness = rng.uniform(2.0, 8.0, n) * tapered(column(ring_at), truth).ravel()
    ring = column(brightness) * gaussian(radius, column(ring_at), column(width)) * lopsided
    model = (column(rng.uniform(0.0, 1.0, n)) * tapered(radius, truth) + ring) * kept
    _add_inner_disk(model, radius, rng)
    truth |= {"n_rings": np.ones(n), "cavity_radius_px": cavity, "contrast": contrast}
    return model, truth


def _spiral(grid: Grid, s: float, beam: np.ndarray, rng: np.random.Generator) -> _Rendered:
    n = len(beam)
    truth = draw_disk(rng, n, (12 * s, 24 * s), gamma=(0.3, 0.8))
    radius, azimuth = deproject(grid, truth)
    outer = truth["radius_px"]
    arms = rng.choice(np.array([1.0, 2.0, 3.0]), n, p=[0.15, 0.7, 0.15])
    pitch = rng.uniform(10.0, 30.0, n)
    slope = np.tan(np.radians(pitch)) * rng.choice(np.array([-1.0, 1.0]), n)
    start = outer * rng.uniform(0.15, 0.35, n)
    # Arms wind out from ``start``: logarithmic (constant pitch) for 60 % of the disks,
    # Archimedean (r - start ∝ azimuth, the pitch given at 0.6 of the outer radius) otherwise.
    logarithmic = np.log(np.maximum(radius, 0.5) / column(start)) / column(slope)
    archimedean = (radius - column(start)) / column(0.6 * outer * slope)
    winding = np.where((rng.random(n) < 0.6)[:, None, None], logarithmic, archimedean)
    phase = column(arms) * (azimuth - winding) + column(rng.uniform(0, 2 * np.pi, n))
    pattern = (0.5 + 0.5 * np.cos(phase)) ** column(rng.uniform(2.0, 6.0, n))
    amplitude = rng.uniform(1.5, 6.0, n)
    window = step(radius, column(start), column(0.1 * outer))
    model = tapered(radius, truth) * (1 + column(amplitude) * window * pattern)
    truth |= {"n_arms": arms, "pitch_deg": pitch, "contrast": 1 + amplitude}
    return model, truth


def _binary(grid: Grid, s: float, beam: np.ndarray, rng: np.random.Generator) -> _Rendered:
    n = len(beam)
    widest = 0.4 * 64 * s
    separation = rng.uniform(np.maximum(3 * beam, 6 * s), widest)
    angle = rng.uniform(0.0, 360.0, n)
    east, north = -np.sin(np.radians(angle)), np.cos(np.radians(angle))
    ratio = log_uniform(rng, (0.1, 1.0), n)
    # Disks in binaries are tidally truncated to a third of the separation or less; the
    # fainter one is smaller, as the mm flux-size relation (F ∝ R²) has it.
    primary_radius = np.minimum(separation * rng.uniform(0.12, 0.3, n), 8 * s)
    model = np.zeros(np.broadcast_shapes(grid[0].shape, grid[1].shape), np.float32)
    truths, rings = [], np.zeros(n)
    for side, weight, size in ((-0.5, np.ones(n), 1.0), (0.5, ratio, np.sqrt(ratio))):
        part = draw_disk(rng, n, (1.0, 1.0))
        part["radius_px"] = np.maximum(primary_radius * size, 1.5 * s)
        shifted = (
            grid[0] - column(side * separation * north),
            grid[1] - column(side * separation * east),
        )
        radius, _ = deproject(shifted, part)
        ringed = rng.random(n) < 0.25
        width = np.maximum(0.15 * part["radius_px"], 0.5 * s)
        ring = gaussian(radius, column(0.7 * part["radius_px"]), column(width))
        disk = tapered(radius, part) * np.where(column(ringed) > 0, 0.3 + 3 * ring, 1)
        model += column(weight) * disk / disk.sum(axis=(1, 2), keepdims=True)
        truths.append(part)
        rings += ringed
    truth = truths[0] | {"n_rings": rings, "separation_px": separation}
    return model, truth | {"flux_ratio": ratio, "companion_pa_deg": angle}


def _edge_on(grid: Grid, s: float, beam: np.ndarray, rng: np.random.Generator) -> _Rendered:
    n = len(beam)
    truth = draw_disk(rng, n, (10 * s, 24 * s), inclination_deg=EDGE_ON_INCLINATION_DEG)
    aspect, tau = log_uniform(rng, (0.02, 0.15), n), log_uniform(rng, (0.01, 3.0), n)
    u, v = sky_axes(grid, truth["position_angle_deg"])
    inclination = np.radians(column(truth["inclination_deg"]))
    cos_i, sin_i = np.cos(inclination), np.sin(inclination)
    rc = taper_radius(truth)
    # Ray tracing through a flared, vertically Gaussian, vertically isothermal disk with
    # T ∝ r^-0.5 (Rayleigh-Jeans). An optically thick mid-plane shows only the cold outer
    # disk, so thick disks get a shallow dark lane (5-10 %, before the beam smears it).
    half = column(1.5 * truth["radius_px"])
    step = 2 * half / _LINE_OF_SIGHT_STEPS
    gamma = column(truth["gamma"])
    # Surface density ∝ tapered / T, so that face-on and optically thin the brightness is
    # the tapered profile, as for the other classes (1/e at rc, where the vertical optical
    # depth is tau). Flaring H ∝ r^1.25. Logarithms keep it to a few exp per sample.
    scale = column(tau * np.e / np.sqrt(2 * np.pi)) * step / (column(aspect) * rc)
    image, transmission = np.zeros_like(u), np.ones_like(u)
    for k in range(_LINE_OF_SIGHT_STEPS):
        w = half - (k + 0.5) * step  # from the observer's side inwards
        x = np.maximum(np.hypot(u, v * cos_i + w * sin_i), 0.5) / rc
        flaring = x * np.sqrt(np.sqrt(x))  # H / (aspect rc)
        log_x = np.log(x)
        z_over_h = (w * cos_i - v * sin_i) / (column(aspect) * rc * flaring)
        exponent = (0.5 - gamma) * log_x - np.exp((2 - gamma) * log_x) - 0.5 * z_over_h**2
        kept = np.exp(-scale * np.exp(exponent) / flaring)
        image += (1 - kept) * transmission / np.sqrt(x)  # T ∝ x^-0.5
        transmission *= kept
    return image, truth | {"aspect_ratio": aspect, "optical_depth": tau}


_RENDERERS: dict[str, Callable[..., _Rendered]] = {
    "smooth": _smooth,
    "rings": _rings,
    "cavity": _cavity,
    "spiral": _spiral,
    "crescent": _crescent,
    "binary": _binary,
    "edge_on": _edge_on,
}


def render_disks(
    n_per_class: int,
    image_size: int | tuple[int, int] = 64,
    *,
    classes: Sequence[str] | None = None,
    random_state: None | int | np.random.Generator = None,
) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    """Render labelled ALMA-like continuum images of protoplanetary disks, in Jy/beam.

    Parameters
    ----------
    n_per_class : int
        Images per class (at least 1); the classes are balanced.
    image_size : int or tuple of int, default=64
        ``(ny, nx)`` in pixels; an int means square images. Disk sizes, jitter and beam
        scale with ``min(ny, nx) / 64``, so the classes look alike at any size.
    classes : sequence of str, optional
        Names from :data:`DISK_CLASSES`, in the order wanted. Default: all of them.
        Inputs are trusted, as in :func:`~astromorph_nb.data.synthetic.render_morphologies`.
    random_state : int, numpy.random.Generator or None, default=None
        Seed. Fix it to get the same images again.

    Returns
    -------
    images : ndarray of shape (n_images, ny, nx)
        float32 surface brightness in Jy/beam, noise included, grouped by class in the order
        of ``classes``; ``n_images = n_per_class * len(classes)``.
    labels : list of str
        The class name of each image.
    params : dict of str to ndarray of shape (n_images,)
        Per-image truth, float64. For all classes: ``x``, ``y`` (0-based disk center, numpy
        order; for binaries the midpoint of the pair), ``inclination_deg`` (0 face-on),
        ``position_angle_deg`` (of the major axis, east of north, in [0, 180)),
        ``radius_px`` (outer dust radius: the radius that encloses 95 % of the flux of the
        underlying tapered power law), ``gamma`` (its power-law index, 0.3-1.2, or 0.3-0.8
        for ``rings`` and ``spiral``), ``beam_major_px``,
        ``beam_minor_px`` (FWHM), ``beam_pa_deg``, ``noise_jy_beam`` (rms of the
        beam-correlated noise over the image), ``flux_jy`` (total source flux),
        ``peak_jy_beam`` (peak of the noiseless image) and ``snr`` (peak over noise). For
        binaries the geometry is the brighter disk's. Class-specific, NaN (or 0 for the
        counts) where they do not apply: ``n_rings`` (bright rings: 1-4 for ``rings``, 1
        for ``cavity`` and ``crescent``, 0-2 ringed components for ``binary``), ``n_arms``
        and ``pitch_deg`` (``spiral``), ``cavity_radius_px`` (``cavity``, ``crescent``),
        ``contrast`` (``rings``: deepest gap, smooth over depleted brightness, 2-50;
        ``cavity``: depletion of the cavity, 10-1000; ``crescent``: azimuthal peak over
        floor of the ring, 3-100; ``spiral``: arm over inter-arm brightness, 2.5-7),
        ``separation_px``, ``flux_ratio`` (fainter over brighter, 0.1-1) and
        ``companion_pa_deg`` (of the fainter disk seen from the brighter one, east of
        north, in [0, 360)) for ``binary``, ``aspect_ratio`` (H/r at the taper radius) and
        ``optical_depth`` (face-on vertical optical depth there) for ``edge_on``.

    Examples
    --------
    >>> images, labels, params = render_disks(2, 32, random_state=0)
    >>> images.shape, labels[:3], params["flux_jy"].shape
    ((14, 32, 32), ['smooth', 'smooth', 'rings'], (14,))
    """
    rng = as_generator(random_state)
    ny, nx = image_shape(image_size)
    names = list(DISK_CLASSES if classes is None else classes)
    scale = min(ny, nx) / 64
    pad, big_y, big_x = padded_size(ny, nx, scale)
    y, x = padded_axes((big_y, big_x), pad)

    def render_chunk(name: str, n: int) -> tuple[np.ndarray, _Truth]:
        center_y = (ny - 1) / 2 + rng.uniform(-JITTER_PX, JITTER_PX, n) * scale
        center_x = (nx - 1) / 2 + rng.uniform(-JITTER_PX, JITTER_PX, n) * scale
        beam = draw_beam(rng, n, scale)
        grid = (y - column(center_y), x - column(center_x))
        model, truth = _RENDERERS[name](grid, scale, beam["beam_major_px"], rng)
        flux = log_uniform(rng, FLUX_RANGE_JY, n)
        model *= column(flux / model.sum(axis=(1, 2), dtype=np.float64))
        image, observed = observe(model, beam, (pad, ny, nx), rng)
        return image, (
            {key: np.full(n, value) for key, value in _OPTIONAL.items()}
            | {"x": center_x, "y": center_y, "flux_jy": flux}
            | truth
            | beam
            | observed
        )

    return render_by_class(names, n_per_class, (ny, nx), render_chunk)
