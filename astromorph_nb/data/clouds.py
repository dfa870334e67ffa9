"""Labelled column-density maps of dense interstellar clouds, generated in memory (data layer).

Six classes of cold-gas structure, as Herschel (Hi-GAL) column-density maps or Spitzer 8 µm
extinction maps of infrared dark clouds show them: a filament, a hub-filament system, an
isolated starless core, the shell of a bubble, a clump fragmented into a cluster of cores, and
diffuse gas with no coherent structure. Each structure lies on a turbulent background: a
Gaussian random field with a power-law power spectrum P(k) ∝ k^-β, exponentiated so that the
column density has the log-normal PDF seen in molecular clouds. Structures are clumpy (they are
modulated by a second, log-normal field), the map is convolved with a Gaussian beam and gets
white plus beam-correlated Gaussian noise. Background level, fluctuation width and slope,
contrast, beam, noise, orientation and size are random: the classes differ clearly by eye at
high contrast, but not in every image. Everything is numpy and scipy.fft; one class is rendered
at a time, vectorised over its images in chunks.

Profiles follow Arzoumanian et al. (2011, filaments: Plummer-like, p ≈ 2), Myers (2009, hubs),
Bonnor-Ebert-like cores (flat centre, N ∝ r^-1 outside), and limb-brightened shells of
projected spherical bubbles (Churchwell et al. 2006), many of them broken.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.fft

from astromorph_nb._validation import as_generator
from astromorph_nb.data._draws import column, log_uniform, uniform
from astromorph_nb.data._rendering import Grid, image_shape, padded_axes, render_by_class, rotate

__all__ = ["CLOUD_CLASSES", "render_clouds"]

#: Class names, in the order of ``label_id``.
CLOUD_CLASSES = ("filament", "hub", "core", "shell", "diffuse", "cluster")

#: Range of the mean background H2 column density in cm^-2 (drawn log-uniformly).
BACKGROUND_RANGE_CM2 = (2e21, 2e22)
#: Range of the standard deviation of ln N(H2) of the background (the log-normal PDF width).
SIGMA_LN_RANGE = (0.15, 0.5)
#: The same for the ``diffuse`` class, whose fluctuations are a little stronger.
DIFFUSE_SIGMA_LN_RANGE = (0.25, 0.6)
#: Range of the slope β of the background's power spectrum, P(k) ∝ k^-β.
FRACTAL_SLOPE_RANGE = (2.5, 3.5)
#: Range of the structure's observed peak over the mean background (drawn log-uniformly).
CONTRAST_RANGE = (0.5, 10.0)
#: Range of the beam FWHM in pixels of a 64×64 image (scaled with the image size).
BEAM_FWHM_RANGE_PX = (2.0, 5.0)
#: Range of the mean background over the noise sigma (drawn log-uniformly).
BACKGROUND_SNR_RANGE = (20.0, 300.0)
#: Lowest column density in a map: the rare pixel that noise would push below it is clipped.
MIN_COLUMN_CM2 = 1e19
#: Largest shift of the structure center from the image center, in pixels of a 64×64 image.
JITTER_PX = 3.0
#: Power-spectrum slope of the field that makes structures clumpy.
_CLUMP_SLOPE = 2.0


def _integers(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    """Draw ``n`` integers in [low, high] (inclusive), as float32 shaped (n, 1, 1)."""
    return column(rng.integers(low, high + 1, n))


def _plummer(
    radius: np.ndarray, r_flat: np.ndarray, p: float | np.ndarray, r_out: np.ndarray
) -> np.ndarray:
    """Plummer-like profile [1 + (r/R_flat)²]^(-(p-1)/2), truncated smoothly beyond ``r_out``."""
    return (1 + (radius / r_flat) ** 2) ** (-(p - 1) / 2) * np.exp(-((radius / r_out) ** 4))


def _plummer_fwhm(r_flat: np.ndarray, p: float | np.ndarray) -> np.ndarray:
    """Full width at half maximum of the untruncated Plummer-like profile."""
    return 2 * r_flat * np.sqrt(2 ** (2 / (p - 1)) - 1)


def _filament(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    angle, half_length = uniform(rng, 0, np.pi, n), uniform(rng, 18 * s, 40 * s, n)
    r_flat, p = uniform(rng, 0.6 * s, 1.6 * s, n), uniform(rng, 1.6, 2.4, n)
    u, v = rotate(grid, angle)
    a, b = uniform(rng, -0.015 / s, 0.015 / s, n), uniform(rng, -4e-4 / s**2, 4e-4 / s**2, n)
    # Distance to the curved spine v = a u² + b u³, to first order.
    slope = u * (2 * a + 3 * b * u)
    distance = np.abs(v - u * u * (a + b * u)) / np.sqrt(1 + slope * slope)
    taper = 0.5 - 0.5 * np.tanh((np.abs(u) - half_length) / (0.15 * half_length))
    model = _plummer(distance, r_flat, p, 8 * r_flat) * taper
    # Zero to four cores on the spine, as in fragmenting filaments.
    n_cores = _integers(rng, 0, 4, n)
    for k in range(4):
        at = uniform(rng, -0.7, 0.7, n) * half_length
        size = r_flat * uniform(rng, 0.8, 1.3, n)
        radius = np.hypot(u - at, v - at * at * (a + b * at))
        model += (k < n_cores) * uniform(rng, 0.4, 1.5, n) * _plummer(radius, size, 2.5, 3 * size)
    width = _plummer_fwhm(r_flat, p)
    return model, {
        "angle": angle,
        "size_px": half_length,
        "axis_ratio": width / (2 * half_length),
        "width_px": width,
        "plummer_p": p,
        "n_cores": n_cores,
        "n_branches": np.ones_like(angle),
    }


def _hub(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    dy, dx = grid
    n_branches, first = _integers(rng, 3, 6, n), uniform(rng, 0, 2 * np.pi, n)
    r_flat, p = uniform(rng, 0.6 * s, 1.4 * s, n), uniform(rng, 1.6, 2.4, n)
    model, longest = np.zeros_like(dx), np.zeros_like(first)
    for k in range(6):
        azimuth = first + 2 * np.pi * (k + uniform(rng, -0.25, 0.25, n)) / n_branches
        length, bend = uniform(rng, 12 * s, 28 * s, n), uniform(rng, -0.012 / s, 0.012 / s, n)
        along = dx * np.cos(azimuth) + dy * np.sin(azimuth)
        across = dy * np.cos(azimuth) - dx * np.sin(azimuth)
        distance = np.where(along > 0, np.abs(across - bend * along**2), np.hypot(along, across))
        taper = 0.5 - 0.5 * np.tanh((along - length) / (0.15 * length))
        # Column density rises along each filament towards the hub (Peretto et al. 2014).
        rising = 1 - 0.5 * np.clip(along / length, 0, 1)
        present = k < n_branches
        branch = present * uniform(rng, 0.35, 0.75, n) * rising * taper
        model = np.maximum(model, branch * _plummer(distance, r_flat, p, 8 * r_flat))
        longest = np.maximum(longest, present * length)
    hub_radius = uniform(rng, 1.2 * s, 2.5 * s, n)
    model += _plummer(np.hypot(dy, dx), hub_radius, 2.4, 4 * hub_radius)
    return model, {
        "angle": first,
        "size_px": longest,
        "width_px": _plummer_fwhm(r_flat, p),
        "plummer_p": p,
        "n_cores": np.ones_like(first),
        "n_branches": n_branches,
    }


def _core(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    angle, q = uniform(rng, 0, np.pi, n), uniform(rng, 0.6, 1.0, n)
    r_flat, p = uniform(rng, 1.0 * s, 2.5 * s, n), uniform(rng, 1.8, 2.6, n)
    r_out = r_flat * uniform(rng, 2.5, 5.0, n)
    u, v = rotate(grid, angle)
    model = _plummer(np.sqrt(u**2 + (v / q) ** 2), r_flat, p, r_out)
    return model, {
        "angle": angle,
        "size_px": r_out,
        "axis_ratio": q,
        "width_px": _plummer_fwhm(r_flat, p),
        "plummer_p": p,
        "n_cores": np.ones_like(q),
    }


def _shell(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    angle, q = uniform(rng, 0, np.pi, n), uniform(rng, 0.75, 1.0, n)
    mid, thickness = uniform(rng, 10 * s, 22 * s, n), uniform(rng, 1.5 * s, 4.0 * s, n)
    u, v = rotate(grid, angle)
    azimuth = np.arctan2(v / q, u)
    # Bubbles are not perfect spheres: perturb the radius with m = 2 and 3 modes.
    wobble = 1 + sum(
        uniform(rng, 0, 0.08, n) * np.cos(m * azimuth + uniform(rng, 0, 2 * np.pi, n))
        for m in (2, 3)
    )
    radius = np.sqrt(u**2 + (v / q) ** 2) / wobble
    inner, outer = mid - thickness / 2, mid + thickness / 2
    # A spherical shell in projection: limb-brightened, with the front and back caps left in
    # part (bubbles range from spheres to rings seen face-on).
    limb = np.sqrt(np.clip(outer**2 - radius**2, 0, None))
    limb -= np.sqrt(np.clip(inner**2 - radius**2, 0, None))
    caps = uniform(rng, 0.0, 0.6, n)
    limb *= np.where(radius < inner, caps + (1 - caps) * (radius / inner) ** 4, 1)
    model = limb / np.sqrt(outer**2 - inner**2)
    # Zero to three condensations on the rim (collect and collapse), then one or two gaps.
    n_cores = _integers(rng, 0, 3, n)
    for k in range(3):
        at, size = uniform(rng, 0, 2 * np.pi, n), thickness * uniform(rng, 0.4, 0.7, n)
        far = (u - mid * np.cos(at)) ** 2 + (v - q * mid * np.sin(at)) ** 2
        model += (k < n_cores) * uniform(rng, 0.5, 1.2, n) * np.exp(-0.5 * far / size**2)
    n_gaps = rng.choice(np.array([0.0, 1.0, 2.0], np.float32), n, p=[0.25, 0.45, 0.3])
    n_gaps = n_gaps[:, None, None]
    for k in range(2):
        centre, half_width = uniform(rng, 0, 2 * np.pi, n), uniform(rng, 0.3, 0.8, n)
        depth = (k < n_gaps) * uniform(rng, 0.9, 1.0, n)
        model *= 1 - depth * np.exp((np.cos(azimuth - centre) - 1) / half_width**2)
    return model, {
        "angle": angle,
        "size_px": mid,
        "axis_ratio": q,
        "width_px": thickness,
        "n_cores": n_cores,
        "shell_radius_px": mid,
        "n_gaps": n_gaps,
    }


def _diffuse(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    return np.zeros(np.broadcast_shapes(grid[0].shape, grid[1].shape), np.float32), {}


def _cluster(grid: Grid, s: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    n = grid[0].shape[0]
    angle, q = uniform(rng, 0, np.pi, n), uniform(rng, 0.6, 1.0, n)
    region = uniform(rng, 8 * s, 15 * s, n)
    u, v = rotate(grid, angle)
    # A faint clump envelope holding three to eight cores of similar size.
    envelope = np.exp(-0.5 * (u**2 + (v / q) ** 2) / (0.6 * region) ** 2)
    model = uniform(rng, 0.1, 0.3, n) * envelope
    n_cores, first = _integers(rng, 3, 8, n), uniform(rng, 0, 2 * np.pi, n)
    r_flat = uniform(rng, 0.7 * s, 1.3 * s, n)
    for k in range(8):
        # Spread over the region's area, in loosely spaced azimuths so that few cores overlap.
        at = first + 2 * np.pi * (k + uniform(rng, -0.4, 0.4, n)) / n_cores
        offset = region * np.sqrt(uniform(rng, 0.05, 1.0, n))
        size = r_flat * uniform(rng, 0.8, 1.25, n)
        radius = np.hypot(u - offset * np.cos(at), v - q * offset * np.sin(at))
        model += (k < n_cores) * uniform(rng, 0.6, 1.0, n) * _plummer(radius, size, 2.5, 3 * size)
    return model, {
        "angle": angle,
        "size_px": region,
        "axis_ratio": q,
        "width_px": _plummer_fwhm(r_flat, 2.5),
        "plummer_p": np.full_like(q, 2.5),
        "n_cores": n_cores,
    }


_RENDERERS: dict[str, Callable[..., tuple[np.ndarray, dict]]] = {
    "filament": _filament,
    "hub": _hub,
    "core": _core,
    "shell": _shell,
    "diffuse": _diffuse,
    "cluster": _cluster,
}
#: Shape parameters, and their value where a class does not set them.
_SHAPE_DEFAULTS = {
    "angle": 0.0,
    "size_px": 0.0,
    "axis_ratio": 1.0,
    "width_px": 0.0,
    "plummer_p": 0.0,
    "n_cores": 0.0,
    "n_branches": 0.0,
    "shell_radius_px": 0.0,
    "n_gaps": 0.0,
}


def _fractal_fields(rng: np.random.Generator, slopes: np.ndarray, shape: tuple) -> np.ndarray:
    """Return periodic Gaussian random fields with P(k) ∝ k^-slope, zero mean, unit variance."""
    k = np.hypot(np.fft.fftfreq(shape[0])[:, None], np.fft.rfftfreq(shape[1])[None, :])
    k[0, 0] = np.inf  # no power in the mean
    amplitude = (k[None] ** (-slopes[:, None, None] / 2)).astype(np.float32)
    white = rng.standard_normal((len(slopes), *shape), np.float32)
    field = scipy.fft.irfft2(scipy.fft.rfft2(white) * amplitude, s=shape)
    return field / field.std(axis=(1, 2), keepdims=True)


def _convolve(maps: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Convolve each map with a Gaussian of standard deviation ``sigma`` (px), periodically."""
    big_y, big_x = maps.shape[1:]
    freq_y, freq_x = np.fft.fftfreq(big_y)[:, None], np.fft.rfftfreq(big_x)[None, :]
    transfer = np.exp(-2 * np.pi**2 * sigma[:, None, None] ** 2 * (freq_y**2 + freq_x**2))
    spectrum = scipy.fft.rfft2(maps) * transfer.astype(np.float32)
    return scipy.fft.irfft2(spectrum, s=(big_y, big_x))


def _observe(
    model: np.ndarray, structured: bool, pad: int, s: float, rng: np.random.Generator
) -> tuple[np.ndarray, dict]:
    """Put structures on a log-normal background, convolve with the beam, crop, add noise."""
    n, big_y, big_x = model.shape
    slope = rng.uniform(*FRACTAL_SLOPE_RANGE, n)
    fields = _fractal_fields(rng, np.concatenate([slope, np.full(n, _CLUMP_SLOPE)]), (big_y, big_x))
    sigma_ln = rng.uniform(*(SIGMA_LN_RANGE if structured else DIFFUSE_SIGMA_LN_RANGE), n)
    level = log_uniform(rng, BACKGROUND_RANGE_CM2, n)
    noise = level / log_uniform(rng, BACKGROUND_SNR_RANGE, n)
    fwhm = rng.uniform(*BEAM_FWHM_RANGE_PX, n) * s
    sigma_beam = fwhm / np.sqrt(8 * np.log(2))
    background = column(level) * np.exp(column(sigma_ln) * fields[:n] - column(sigma_ln**2 / 2))
    # Part of the noise variance is correlated on the beam scale, as in maps that were smoothed
    # to a common resolution: white noise added before the beam, scaled to keep its variance.
    correlated = rng.uniform(0.0, 0.6, n)
    before = noise * np.sqrt(correlated) * 2 * np.sqrt(np.pi) * sigma_beam
    background += column(before) * rng.standard_normal(background.shape, np.float32)
    clumpiness = column(rng.uniform(0.1, 0.35, n))
    model = model * np.exp(clumpiness * fields[n:] - clumpiness**2 / 2)
    smooth = _convolve(np.concatenate([background, model]), np.concatenate([sigma_beam] * 2))
    smooth = smooth[:, pad : big_y - pad, pad : big_x - pad]
    structure = np.clip(smooth[n:], 0, None)
    contrast = log_uniform(rng, CONTRAST_RANGE, n) if structured else np.zeros(n)
    peak = contrast * level
    scale = peak / np.maximum(structure.max(axis=(1, 2)), 1e-30)
    image = smooth[:n] + structure * column(scale)
    white = column(noise * np.sqrt(1 - correlated))
    image += white * rng.standard_normal(image.shape, np.float32)
    np.maximum(image, MIN_COLUMN_CM2, out=image)
    return image, {
        "peak_column_cm2": peak,
        "background_column_cm2": level,
        "contrast": contrast,
        "background_sigma_ln": sigma_ln,
        "fractal_slope": slope,
        "beam_fwhm_px": fwhm,
        "noise_cm2": noise,
        "snr": peak / noise,
    }


def render_clouds(
    n_per_class: int,
    image_size: int | tuple[int, int] = 64,
    *,
    classes: Sequence[str] | None = None,
    random_state: None | int | np.random.Generator = None,
) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    """Render labelled H2 column-density maps of cloud structures on a turbulent background.

    Parameters
    ----------
    n_per_class : int
        Images per class (at least 1); the classes are balanced.
    image_size : int or tuple of int, default=64
        ``(ny, nx)`` in pixels; an int means square images. Structure sizes, jitter and beam
        scale with ``min(ny, nx) / 64``, so the classes look alike at any size.
    classes : sequence of str, optional
        Names from :data:`CLOUD_CLASSES`, in the order wanted. Default: all of them.
        Inputs are trusted; callers validate them.
    random_state : int, numpy.random.Generator or None, default=None
        Seed. Fix it to get the same images again.

    Returns
    -------
    images : ndarray of shape (n_images, ny, nx)
        float32 H2 column density in cm^-2 (background included, at least
        :data:`MIN_COLUMN_CM2`), grouped by class in the order of ``classes``;
        ``n_images = n_per_class * len(classes)``.
    labels : list of str
        The class name of each image.
    params : dict of str to ndarray of shape (n_images,)
        Per-image truth, float64, always finite; 0 marks a parameter a class does not have.

        - ``x``, ``y``: 0-based center of the structure, numpy order (the image center for
          ``diffuse``).
        - ``angle_deg``: in [0, 180), counter-clockwise from +x with y up: the filament axis,
          the first hub branch's azimuth, the major axis of a core, shell or cluster region;
          0 for ``diffuse``.
        - ``size_px``: half the filament length, the longest hub branch, the core's outer
          (truncation) radius, the shell's mid radius, the cluster region's radius; 0 for
          ``diffuse``.
        - ``axis_ratio``: minor/major of a core, shell or cluster region; width over length
          for a filament; 1 for ``hub`` and ``diffuse``.
        - ``width_px``: FWHM of the filament or hub-branch cross-section, of the core, or of
          the cluster's cores; the rim thickness of a shell; before the beam.
        - ``plummer_p``: index p of the Plummer-like profile [1 + (r/R_flat)²]^(-(p-1)/2)
          (filament, hub branches, core, cluster cores).
        - ``n_cores``: cores on a filament (0-4), 1 for a hub or core, rim condensations of a
          shell (0-3), cores of a cluster (3-8). ``n_branches``: filaments of a hub (3-6),
          1 for a filament. ``shell_radius_px`` and ``n_gaps`` (0-2): shells only.
        - ``peak_column_cm2``: peak of the structure above the background, after the beam;
          ``background_column_cm2``: mean of the log-normal background; ``contrast``: their
          ratio (0 for ``diffuse``); ``background_sigma_ln``: standard deviation of its ln N;
          ``fractal_slope``: its power-spectrum slope β.
        - ``beam_fwhm_px``, ``noise_cm2`` (per-pixel noise sigma, white plus beam-correlated)
          and ``snr`` (``peak_column_cm2 / noise_cm2``, 0 for ``diffuse``).

    Examples
    --------
    >>> images, labels, params = render_clouds(2, 32, random_state=0)
    >>> images.shape, labels[:3], bool(images.min() > 1e19)
    ((12, 32, 32), ['filament', 'filament', 'hub'], True)
    """
    rng = as_generator(random_state)
    ny, nx = image_shape(image_size)
    names = list(CLOUD_CLASSES if classes is None else classes)
    scale = min(ny, nx) / 64
    pad = int(np.ceil(3 * BEAM_FWHM_RANGE_PX[1] * scale / 2.355)) + 2
    y, x = padded_axes((ny + 2 * pad, nx + 2 * pad), pad)

    def render_chunk(name: str, n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        jitter = 0.0 if name == "diffuse" else JITTER_PX * scale
        center_y = (ny - 1) / 2 + rng.uniform(-1, 1, n) * jitter
        center_x = (nx - 1) / 2 + rng.uniform(-1, 1, n) * jitter
        grid = (y - column(center_y), x - column(center_x))
        model, shape = _RENDERERS[name](grid, scale, rng)
        image, observed = _observe(model, name != "diffuse", pad, scale, rng)
        truth = {
            key: np.broadcast_to(np.ravel(shape.get(key, default)), n)
            for key, default in _SHAPE_DEFAULTS.items()
        }
        angle_deg = np.degrees(truth.pop("angle")) % 180
        return image, {"x": center_x, "y": center_y, "angle_deg": angle_deg, **truth, **observed}

    return render_by_class(names, n_per_class, (ny, nx), render_chunk)
