"""Turn a spectral cube into images: channels, moment maps, planes or a sum (data layer).

Every function takes a cube of shape (n_planes, ny, nx), float32 with NaN where blank, and
returns a list of images of shape (n_channels, ny, nx). A pixel that is blank in every plane
stays blank.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CUBE_MODES", "reduce_cube"]

CUBE_MODES = ("channels", "moments", "planes", "sum")


def _finite_mean(planes: np.ndarray) -> np.ndarray:
    finite = np.isfinite(planes)
    count = finite.sum(axis=0)
    total = np.where(finite, planes, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan).astype(np.float32)


def rebin_planes(cube: np.ndarray, n_channels: int | None) -> np.ndarray:
    """Average contiguous groups of planes into ``n_channels`` channels (all planes if None)."""
    if n_channels is None or n_channels == cube.shape[0]:
        return cube
    groups = np.array_split(np.arange(cube.shape[0]), n_channels)
    return np.stack([_finite_mean(cube[group]) for group in groups])


def moment_maps(cube: np.ndarray, spectral_values: np.ndarray) -> np.ndarray:
    """Moment 0, 1 and 2 maps of a cube, as three channels.

    Parameters
    ----------
    cube : ndarray of shape (n_planes, ny, nx)
        Intensities, NaN where blank.
    spectral_values : ndarray of shape (n_planes,)
        Velocity, frequency or wavelength of each plane (from the WCS), or plane indices.

    Returns
    -------
    ndarray of shape (3, ny, nx)
        Moment 0 (integrated intensity, sum of I·|Δv| over all finite planes), moment 1
        (intensity-weighted mean spectral value) and moment 2 (intensity-weighted dispersion).

    Notes
    -----
    Moments 1 and 2 weight by the intensity clipped at zero, so negative noise cannot push
    the mean outside the band or make the dispersion imaginary; where no plane has positive
    intensity they are blank.
    """
    values = np.asarray(spectral_values, dtype=np.float64)
    width = np.abs(np.gradient(values)) if values.size > 1 else np.ones(1)
    finite = np.isfinite(cube)
    data = np.where(finite, cube, 0.0).astype(np.float64)
    moment0 = np.tensordot(width, data, axes=1)
    weights = np.clip(data, 0.0, None)
    total = weights.sum(axis=0)
    positive = total > 0
    safe_total = np.where(positive, total, 1.0)
    moment1 = np.tensordot(values, weights, axes=1) / safe_total
    offsets = values[:, None, None] - moment1[None]
    moment2 = np.sqrt(np.einsum("pyx,pyx->yx", weights, offsets**2) / safe_total)
    any_finite = finite.any(axis=0)
    moment0 = np.where(any_finite, moment0, np.nan)
    moment1 = np.where(positive, moment1, np.nan)
    moment2 = np.where(positive, moment2, np.nan)
    return np.stack([moment0, moment1, moment2]).astype(np.float32)


def reduce_cube(
    cube: np.ndarray,
    mode: str,
    *,
    n_channels: int | None = None,
    spectral_values: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Turn a cube into images according to ``mode``.

    Parameters
    ----------
    cube : ndarray of shape (n_planes, ny, nx)
        float32, NaN where blank.
    mode : {"channels", "moments", "planes", "sum"}
        ``"channels"``: one image whose channels are the planes, averaged into
        ``n_channels`` contiguous groups when given. ``"moments"``: one image with the
        moment 0, 1, 2 maps as channels. ``"planes"``: each plane its own one-channel image.
        ``"sum"``: one one-channel image, the sum over planes.
    n_channels : int, optional
        Number of channels for ``mode="channels"``; at most the number of planes.
    spectral_values : ndarray of shape (n_planes,), optional
        Spectral coordinate of each plane for ``mode="moments"``; plane indices if None.

    Returns
    -------
    list of ndarray of shape (n_channels, ny, nx)
        One entry, except for ``"planes"`` which gives one entry per plane.
    """
    if mode == "channels":
        return [rebin_planes(cube, n_channels)]
    if mode == "moments":
        if spectral_values is None:
            spectral_values = np.arange(cube.shape[0], dtype=np.float64)
        return [moment_maps(cube, spectral_values)]
    if mode == "planes":
        return [plane[None] for plane in cube]
    finite = np.isfinite(cube)
    summed = np.where(finite, cube, 0.0).sum(axis=0, dtype=np.float64)
    return [np.where(finite.any(axis=0), summed, np.nan).astype(np.float32)[None]]
