"""Observing a sky model as an interferometer's CLEANed image shows it (data layer).

The disks of ``disks.py`` are drawn in Jy/pixel and then observed here: convolved with an
elliptical Gaussian beam, converted to Jy/beam, and given noise correlated on the scale of
the beam at a drawn peak signal-to-noise ratio.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from astromorph_nb.data._draws import column, log_uniform

__all__ = [
    "BEAM_AXIS_RATIO_RANGE",
    "BEAM_MAJOR_RANGE_PX",
    "SNR_RANGE",
    "draw_beam",
    "observe",
    "padded_size",
]

#: Range of the beam's major-axis FWHM in pixels of a 64×64 image (scaled with the image size).
BEAM_MAJOR_RANGE_PX = (1.5, 5.0)
#: Range of the beam's minor/major axis ratio; the minor FWHM is never below 1 pixel (scaled).
BEAM_AXIS_RATIO_RANGE = (0.5, 1.0)
#: Range of the peak signal-to-noise ratio (drawn log-uniformly).
SNR_RANGE = (5.0, 300.0)
_FWHM_PER_SIGMA = float(np.sqrt(8 * np.log(2)))

_Truth = dict[str, np.ndarray]  # per-image parameters, each of shape (n,)


def padded_size(ny: int, nx: int, s: float) -> tuple[int, int, int]:
    """Return (pad, big_y, big_x): a margin for 3 sigma of the widest beam, and FFT sizes.

    The sizes are fast FFT lengths of the image with that margin on every side; ``s`` is the
    image size over 64.
    """
    pad = int(np.ceil(3 * BEAM_MAJOR_RANGE_PX[1] * s / _FWHM_PER_SIGMA)) + 2
    big_y = scipy.fft.next_fast_len(ny + 2 * pad, real=True)
    big_x = scipy.fft.next_fast_len(nx + 2 * pad, real=True)
    return pad, big_y, big_x


def draw_beam(rng: np.random.Generator, n: int, s: float) -> _Truth:
    """Draw elliptical beams: major and minor FWHM in pixels and position angle in degrees."""
    major = rng.uniform(*BEAM_MAJOR_RANGE_PX, n) * s
    minor = np.maximum(major * rng.uniform(*BEAM_AXIS_RATIO_RANGE, n), 1.0 * s)
    return {"beam_major_px": major, "beam_minor_px": minor, "beam_pa_deg": rng.uniform(0, 180, n)}


def observe(
    model: np.ndarray, beam: _Truth, crop: tuple[int, int, int], rng: np.random.Generator
) -> tuple[np.ndarray, _Truth]:
    """Convolve sky models (Jy/pixel) with the beam, crop, convert to Jy/beam, add noise."""
    n, big_y, big_x = model.shape
    pad, ny, nx = crop
    sigma_major = beam["beam_major_px"] / _FWHM_PER_SIGMA
    sigma_minor = beam["beam_minor_px"] / _FWHM_PER_SIGMA
    freq_y, freq_x = np.fft.fftfreq(big_y)[:, None], np.fft.rfftfreq(big_x)[None, :]
    angle = np.radians(beam["beam_pa_deg"])[:, None, None]
    along = freq_y * np.cos(angle) - freq_x * np.sin(angle)
    across = freq_x * np.cos(angle) + freq_y * np.sin(angle)
    major, minor = sigma_major[:, None, None] * along, sigma_minor[:, None, None] * across
    transfer = np.exp(-2 * np.pi**2 * (major**2 + minor**2)).astype(np.float32)
    # Beam-correlated noise: white noise convolved with the beam, drawn directly in Fourier
    # space (a white field's transform is white), with no zero-spacing (mean) term.
    white = rng.standard_normal((2, *transfer.shape), np.float32)
    noise_spectrum = (white[0] + 1j * white[1]) * transfer
    noise_spectrum[:, 0, 0] = 0
    spectra = np.concatenate([scipy.fft.rfft2(model) * transfer, noise_spectrum])
    planes = scipy.fft.irfft2(spectra, s=(big_y, big_x))[:, pad : pad + ny, pad : pad + nx]
    beam_area = 2 * np.pi * sigma_major * sigma_minor  # pixels per beam
    sky = np.clip(planes[:n], 0, None) * column(beam_area)
    peak = sky.max(axis=(1, 2)).astype(np.float64)
    snr = log_uniform(rng, SNR_RANGE, n)
    noise = planes[n:]
    rms = np.sqrt(np.mean(noise.astype(np.float64) ** 2, axis=(1, 2)))
    image = sky + noise * column(peak / snr / rms)
    return image, {"noise_jy_beam": peak / snr, "peak_jy_beam": peak, "snr": snr}
