"""Labelled images of astronomical morphologies, generated in memory (data layer).

Seven classes of sources are drawn with random size, shape, orientation, position and
brightness, convolved with a Gaussian PSF of random FWHM, put on a sky background and given
Gaussian read noise plus Poisson-like source noise at a random signal-to-noise ratio. The
classes differ clearly by eye at 64×64 pixels, but PSF, noise and orientation vary enough
that a classifier on raw pixels is far from perfect, so self-supervised methods have
something to learn. Everything is numpy; one class is rendered at a time, vectorised over
its images.

Users normally call :func:`astromorph_nb.datasets.synthetic`, which wraps the result in an
:class:`~astromorph_nb.data.imageset.ImageSet` with a metadata table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.fft

from astromorph_nb._validation import as_generator
from astromorph_nb.data._draws import column, log_uniform, uniform
from astromorph_nb.data._rendering import Grid, image_shape, padded_axes, render_by_class, rotate

__all__ = ["MORPHOLOGY_CLASSES", "render_morphologies"]

#: Class names, in the order of ``label_id``.
MORPHOLOGY_CLASSES = (
    "smooth",
    "inclined_disk",
    "ringed_disk",
    "spiral",
    "merger",
    "point_source",
    "filament",
)

#: Range of the PSF FWHM in pixels of a 64×64 image (scaled with the image size).
FWHM_RANGE_PX = (1.5, 4.5)
#: Range of the peak signal-to-noise ratio (drawn log-uniformly).
SNR_RANGE = (8.0, 150.0)
#: Range of the peak surface brightness in counts per pixel (drawn log-uniformly).
PEAK_RANGE = (10.0, 1000.0)
#: Range of sky level / sky noise; a low ratio means strong Poisson noise on the source.
SKY_OVER_NOISE_RANGE = (5.0, 40.0)
#: Largest shift of the source center from the image center, in pixels of a 64×64 image.
JITTER_PX = 3.0


def _coin(rng: np.random.Generator, prob: float, n: int) -> np.ndarray:
    """Draw ``n`` float32 values, 1 with probability ``prob`` and 0 otherwise, shaped (n, 1, 1)."""
    return column(np.less(rng.random(n), prob))


def _sersic(radius: np.ndarray, r_eff: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Sérsic profile I(r)/I(r_eff), with the b_n of Ciotti & Bertin (1999)."""
    b = 2 * index - 1 / 3 + 4 / (405 * index) + 46 / (25515 * index**2)
    return np.exp(-b * ((radius / r_eff) ** (1 / index) - 1))


def _ridge(
    u: np.ndarray,
    v: np.ndarray,
    curve: tuple[np.ndarray, np.ndarray],
    width: np.ndarray,
    half_length: np.ndarray,
) -> np.ndarray:
    """Draw a curved ridge ``v = a u² + b u³`` with a Gaussian cross-section, tapered ends."""
    a, b = curve
    u2 = u * u
    slope = u * (2 * a + 3 * b * u)
    distance = (v - u2 * (a + b * u)) / np.sqrt(1 + slope * slope)
    taper = 0.5 - 0.5 * np.tanh((np.abs(u) - half_length) / (0.2 * half_length))
    return np.exp(-0.5 * (distance / width) ** 2) * taper


def _smooth(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    angle, q = uniform(rng, 0, np.pi, n), uniform(rng, 0.55, 1.0, n)
    r_eff, index = uniform(rng, 3 * s, 8 * s, n), uniform(rng, 0.6, 4.0, n)
    u, v = rotate(grid, angle)
    model = _sersic(np.sqrt(u**2 + (v / q) ** 2), r_eff, index)
    return model, {"angle": angle, "size_px": r_eff, "axis_ratio": q}


def _inclined_disk(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    angle, scale = uniform(rng, 0, np.pi, n), uniform(rng, 3 * s, 8 * s, n)
    inclination, thickness = uniform(rng, 1.13, np.pi / 2, n), uniform(rng, 0.06, 0.15, n)
    q = np.sqrt(np.cos(inclination) ** 2 + (thickness * np.sin(inclination)) ** 2)
    u, v = rotate(grid, angle)
    disk = np.exp(-np.sqrt(u**2 + (v / q) ** 2) / scale)
    bulge_width = uniform(rng, 1.0 * s, 2.5 * s, n)
    bulge = uniform(rng, 0.0, 0.6, n) * np.exp(-0.5 * (u**2 + (v / 0.8) ** 2) / bulge_width**2)
    # Half of the disks get a dust lane just off the mid-plane, as edge-on spirals show.
    lane = _coin(rng, 0.5, n) * uniform(rng, 0.3, 0.8, n)
    lane_offset = uniform(rng, -0.5 * s, 0.5 * s, n)
    extinction = 1 - lane * np.exp(-0.5 * ((v - lane_offset) / (0.7 * s)) ** 2)
    model = (disk + bulge) * extinction
    return model, {"angle": angle, "size_px": scale, "axis_ratio": q}


def _ringed_disk(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    angle, q = uniform(rng, 0, np.pi, n), np.cos(uniform(rng, 0.0, 1.13, n))
    outer = uniform(rng, 10 * s, 24 * s, n)
    u, v = rotate(grid, angle)
    radius = np.sqrt(u**2 + (v / q) ** 2)
    core = uniform(rng, 0.3, 1.0, n) * np.exp(-0.5 * (radius / uniform(rng, 1.5, 3.5, n)) ** 2)
    model = core + 0.1 * np.exp(-radius / outer)
    # The outer ring is always there; the inner two each appear with probability 0.6, so
    # disks have one to three rings with dark gaps between them.
    for low, high, prob in ((0.25, 0.45, 0.6), (0.55, 0.8, 0.6), (1.0, 1.0, 1.0)):
        present = _coin(rng, prob, n)
        ring_radius = outer * uniform(rng, low, high, n)
        width = uniform(rng, 0.8 * s, 2.0 * s, n)
        brightness = present * uniform(rng, 0.4, 1.0, n)
        model = model + brightness * np.exp(-0.5 * ((radius - ring_radius) / width) ** 2)
    return model, {"angle": angle, "size_px": outer, "axis_ratio": q}


def _spiral(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    angle, q = uniform(rng, 0, np.pi, n), np.cos(uniform(rng, 0.0, 1.05, n))
    scale, pitch = uniform(rng, 5 * s, 10 * s, n), uniform(rng, 0.21, 0.61, n)
    handedness = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), n)[:, None, None]
    u, v = rotate(grid, angle)
    v = v / q
    radius, azimuth = np.sqrt(u**2 + v**2), np.arctan2(v, u)
    # Two logarithmic arms: constant pitch angle, phase = ln(r) / tan(pitch).
    phase = 2 * azimuth - handedness * 2 * np.log(radius / scale + 0.05) / np.tan(pitch)
    arms = ((1 + np.cos(phase + uniform(rng, 0, 2 * np.pi, n))) / 2) ** uniform(rng, 2, 5, n)
    contrast = uniform(rng, 0.6, 0.95, n)
    disk = np.exp(-radius / scale) * (1 - contrast + contrast * arms)
    bulge_width = uniform(rng, 1.0 * s, 2.5 * s, n)
    bulge = uniform(rng, 0.2, 0.8, n) * np.exp(-0.5 * (radius / bulge_width) ** 2)
    return disk + bulge, {"angle": angle, "size_px": scale, "axis_ratio": q}


def _merger(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    angle, separation = uniform(rng, 0, np.pi, n), uniform(rng, 7 * s, 18 * s, n)
    u, v = rotate(grid, angle)
    model = np.zeros_like(u)
    for side, ratio in ((-0.5, (1.0, 1.0)), (0.5, (0.3, 1.0))):
        du, dv = u - side * separation, v
        own = uniform(rng, 0, np.pi, n)
        a, b = du * np.cos(own) + dv * np.sin(own), dv * np.cos(own) - du * np.sin(own)
        q, r_eff = uniform(rng, 0.5, 1.0, n), uniform(rng, 2 * s, 5 * s, n)
        model += uniform(rng, *ratio, n) * _sersic(
            np.sqrt(a**2 + (b / q) ** 2), r_eff, uniform(rng, 0.8, 2.5, n)
        )
    # Tidal bridges and tails: a faint curved ridge through both nuclei, in 60 % of pairs.
    curve = (uniform(rng, -0.04 / s, 0.04 / s, n), uniform(rng, -0.002 / s**2, 0.002 / s**2, n))
    tidal = _coin(rng, 0.6, n) * uniform(rng, 0.05, 0.25, n)
    model += tidal * _ridge(u, v, curve, uniform(rng, 1.0 * s, 2.5 * s, n), 1.3 * separation)
    return model, {"angle": angle, "size_px": separation / 2, "axis_ratio": np.ones_like(angle)}


def _point_source(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    dy, dx = grid
    # An unresolved source: a sub-pixel Gaussian, so the image is the PSF itself.
    model = np.exp(-0.5 * (dy**2 + dx**2) / 0.5**2)
    zeros = np.zeros((n, 1, 1), dtype=np.float32)
    return model, {"angle": zeros, "size_px": zeros, "axis_ratio": zeros + 1}


def _filament(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    angle, half_length = uniform(rng, 0, np.pi, n), uniform(rng, 20 * s, 45 * s, n)
    width = uniform(rng, 1.2 * s, 3.5 * s, n)
    u, v = rotate(grid, angle)
    curve = (uniform(rng, -0.015 / s, 0.015 / s, n), uniform(rng, -4e-4 / s**2, 4e-4 / s**2, n))
    ridge = _ridge(u, v, curve, width, half_length)
    # Dense cores along the ridge, as in infrared dark clouds seen in emission.
    cores = np.ones_like(u)
    for _ in range(3):
        at = uniform(rng, -20 * s, 20 * s, n)
        size = width * uniform(rng, 0.8, 1.5, n)
        cores += uniform(rng, 0.0, 1.5, n) * np.exp(-0.5 * ((u - at) / size) ** 2)
    return ridge * cores, {
        "angle": angle,
        "size_px": half_length,
        "axis_ratio": width / half_length,
    }


_RENDERERS: dict[str, Callable[..., tuple[np.ndarray, dict]]] = {
    "smooth": _smooth,
    "inclined_disk": _inclined_disk,
    "ringed_disk": _ringed_disk,
    "spiral": _spiral,
    "merger": _merger,
    "point_source": _point_source,
    "filament": _filament,
}


def _observe(model: np.ndarray, fwhm: np.ndarray, pad: int, rng: np.random.Generator) -> tuple:
    """Convolve models with the PSF, crop the padding, scale, and add sky and noise."""
    n, big_y, big_x = model.shape
    sigma = fwhm / np.sqrt(8 * np.log(2))
    freq_y, freq_x = np.fft.fftfreq(big_y)[:, None], np.fft.rfftfreq(big_x)[None, :]
    transfer = np.exp(-2 * np.pi**2 * sigma[:, None, None] ** 2 * (freq_y**2 + freq_x**2))
    spectrum = scipy.fft.rfft2(model) * transfer.astype(np.float32)
    smooth = scipy.fft.irfft2(spectrum, s=(big_y, big_x))[:, pad : big_y - pad, pad : big_x - pad]
    np.clip(smooth, 0, None, out=smooth)
    peak = log_uniform(rng, PEAK_RANGE, n)
    snr = log_uniform(rng, SNR_RANGE, n)
    noise = peak / snr
    sky = noise * rng.uniform(*SKY_OVER_NOISE_RANGE, n)

    signal = smooth * column(peak / smooth.max(axis=(1, 2)))
    # Gaussian approximation of Poisson noise: the variance grows with the counts, and the
    # sky alone gives the sky noise (gain = sky / noise**2).
    deviation = column(noise) * np.sqrt(1 + signal / column(sky))
    image = signal + column(sky) + deviation * rng.standard_normal(signal.shape, np.float32)
    params = {
        "peak": peak,
        "flux": signal.sum(axis=(1, 2), dtype=np.float64),
        "snr": snr,
        "noise_sigma": noise,
        "sky_level": sky,
    }
    return image, params


def render_morphologies(
    n_per_class: int,
    image_size: int | tuple[int, int] = 64,
    *,
    classes: Sequence[str] | None = None,
    random_state: None | int | np.random.Generator = None,
) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    """Render labelled images of astronomical morphologies with PSF, sky and noise.

    Parameters
    ----------
    n_per_class : int
        Images per class (at least 1); the classes are balanced.
    image_size : int or tuple of int, default=64
        ``(ny, nx)`` in pixels; an int means square images. Source sizes, jitter and PSF
        scale with ``min(ny, nx) / 64``, so the classes look alike at any size.
    classes : sequence of str, optional
        Names from :data:`MORPHOLOGY_CLASSES`, in the order wanted. Default: all of them.
        Inputs are trusted; :func:`astromorph_nb.datasets.synthetic` validates them.
    random_state : int, numpy.random.Generator or None, default=None
        Seed. Fix it to get the same images again.

    Returns
    -------
    images : ndarray of shape (n_images, ny, nx)
        float32 counts per pixel (sky included), grouped by class in the order of
        ``classes``; ``n_images = n_per_class * len(classes)``.
    labels : list of str
        The class name of each image.
    params : dict of str to ndarray of shape (n_images,)
        Per-image truth: ``x``, ``y`` (0-based source center, numpy order),
        ``angle_deg`` (major axis, counter-clockwise from +x with y up, as ds9 shows it),
        ``size_px`` (Sérsic effective radius, disk scale length, outer ring radius, half the
        pair separation or half the filament length; 0 for point sources), ``axis_ratio``
        (minor/major as projected; for filaments width/half-length), ``fwhm_px`` (PSF),
        ``snr`` (peak over sky noise), ``peak``, ``flux`` (source counts, sky excluded),
        ``sky_level``, ``noise_sigma``.

    Examples
    --------
    >>> images, labels, params = render_morphologies(2, 32, random_state=0)
    >>> images.shape, labels[:3], sorted(params)[:3]
    ((14, 32, 32), ['smooth', 'smooth', 'inclined_disk'], ['angle_deg', 'axis_ratio', 'flux'])
    """
    rng = as_generator(random_state)
    ny, nx = image_shape(image_size)
    names = list(MORPHOLOGY_CLASSES if classes is None else classes)
    scale = min(ny, nx) / 64
    pad = int(np.ceil(3 * FWHM_RANGE_PX[1] * scale / 2.355)) + 2
    y, x = padded_axes((ny + 2 * pad, nx + 2 * pad), pad)

    def render_chunk(name: str, n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        center_y = (ny - 1) / 2 + rng.uniform(-JITTER_PX, JITTER_PX, n) * scale
        center_x = (nx - 1) / 2 + rng.uniform(-JITTER_PX, JITTER_PX, n) * scale
        grid = (y - column(center_y), x - column(center_x))
        model, shape = _RENDERERS[name](grid, scale, rng)
        fwhm = rng.uniform(*FWHM_RANGE_PX, n) * scale
        image, observed = _observe(model, fwhm, pad, rng)
        return image, {
            "x": center_x,
            "y": center_y,
            "angle_deg": np.degrees(shape["angle"].ravel()) % 180,
            "size_px": shape["size_px"].ravel(),
            "axis_ratio": shape["axis_ratio"].ravel(),
            "fwhm_px": fwhm,
            **observed,
        }

    return render_by_class(names, n_per_class, (ny, nx), render_chunk)
