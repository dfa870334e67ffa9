"""Resample a batch through one affine matrix per image, in one call (augment layer).

Matrices are 3×3, act on centred pixel coordinates ``(x, y, 1)`` (x along the last axis,
the origin at the image centre, in pixels) and map each *output* pixel to the place in the
*input* image it is read from. Composing transforms therefore multiplies their matrices
left to right: ``first @ second``. Working in pixels rather than in grid_sample's [-1, 1]
coordinates keeps rotations of non-square images free of shear.
"""

from __future__ import annotations

import functools
import itertools

import torch
import torch.nn.functional as F

from astromorph_nb.augment._statistics import background_level, noise_sigma

__all__ = ["FILL_MODES", "INTERPOLATIONS", "compute_dtype", "warp"]

FILL_MODES = ("crop", "noise", "reflect", "zero")
INTERPOLATIONS = ("bicubic", "bilinear", "nearest")
_PADDING = {"reflect": "reflection", "zero": "zeros", "noise": "zeros", "crop": "border"}
# The eight signed permutation matrices (rotations by multiples of 90 degrees and flips).
_DIHEDRAL = [
    (a, b, c, d)
    for a, b, c, d in itertools.product((-1, 0, 1), repeat=4)
    if abs(a) + abs(b) == 1 and abs(c) + abs(d) == 1 and abs(a) + abs(c) == 1
]


def compute_dtype(batch: torch.Tensor) -> torch.dtype:
    """Return the dtype to compute in: float32 for float16/bfloat16, else the batch's own.

    Pixel coordinates need more than the 8 bits of a bfloat16 mantissa (an error of a
    quarter pixel at x = 64), and kernels should sum to one, so reduced-precision batches
    are computed in float32 and cast back.
    """
    return torch.promote_types(batch.dtype, torch.float32)


def warp(
    batch: torch.Tensor,
    matrix: torch.Tensor,
    *,
    fill: str,
    interpolation: str,
    fill_noise: torch.Tensor | None = None,
    is_dihedral: bool = False,
) -> torch.Tensor:
    """Resample each image of ``batch`` through its own matrix.

    Parameters
    ----------
    batch : Tensor of shape (B, C, ny, nx)
        Images.
    matrix : Tensor of shape (B, 3, 3)
        Output-to-input maps in centred pixel coordinates (see the module docstring).
    fill : {"reflect", "zero", "noise", "crop"}
        What output pixels that fall outside the input show.
    interpolation : {"bilinear", "nearest", "bicubic"}
        How pixel values are interpolated.
    fill_noise : Tensor of shape (B, C, ny, nx) or None
        Standard-normal draws, needed when ``fill="noise"``.
    is_dihedral : bool, default=False
        True when every matrix is a rotation by a multiple of 90 degrees and/or a flip with
        no shift. Pixels are then moved exactly, by index, without interpolation.

    Returns
    -------
    Tensor of shape (B, C, ny, nx)
        Same dtype and device as ``batch``.
    """
    if is_dihedral:
        return _permute_pixels(batch, matrix)
    n_images, _, ny, nx = batch.shape
    work = batch.to(compute_dtype(batch))
    matrix = matrix.to(work.dtype)
    if fill == "crop":
        matrix = _zoom_to_fit(matrix, ny, nx)
    grid = _sampling_grid(matrix, ny, nx)
    out = F.grid_sample(
        work, grid, mode=interpolation, padding_mode=_PADDING[fill], align_corners=True
    )
    if fill == "noise" and fill_noise is not None:
        level = background_level(work).to(work.dtype)
        sigma = noise_sigma(work).to(work.dtype)
        sky = torch.addcmul(level, sigma, fill_noise.to(work.dtype))
        out = out.addcmul_(_outside_share(grid, ny, nx, interpolation), sky)
    return out.to(batch.dtype)


def _half_sizes(ny: int, nx: int) -> tuple[float, float]:
    """Return the centred coordinates of the last pixel centre, (hy, hx); 0.5 at least."""
    return max((ny - 1) / 2, 0.5), max((nx - 1) / 2, 0.5)


def _sampling_grid(matrix: torch.Tensor, ny: int, nx: int) -> torch.Tensor:
    """Return grid_sample's grid (B, ny, nx, 2) in [-1, 1] units (align_corners=True).

    One matrix product of all images' matrices with a cached pixel grid: on a CPU tens of
    times faster than ``F.affine_grid`` and identical to it. The result is a permuted
    view of a (B, 2, ny, nx) tensor, which grid_sample reads as fast as a contiguous grid
    (copying it into (B, ny, nx, 2) order would cost more than the sampling).
    """
    n_images = matrix.shape[0]
    hy, hx = _half_sizes(ny, nx)
    # Rows of `to_grid` give (x_in / hx, y_in / hy) as a function of (x_out, y_out, 1).
    to_grid = torch.stack([matrix[:, 0] / hx, matrix[:, 1] / hy], dim=1).reshape(n_images * 2, 3)
    pixels = _pixel_grid(ny, nx, matrix.device, matrix.dtype)
    return (to_grid @ pixels.T).view(n_images, 2, ny, nx).permute(0, 2, 3, 1)


@functools.lru_cache(maxsize=16)
def _pixel_grid(ny: int, nx: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Return the centred coordinates (x, y, 1) of every pixel, shape (ny * nx, 3)."""
    x = torch.arange(nx, device=device, dtype=dtype) - (nx - 1) / 2
    y = torch.arange(ny, device=device, dtype=dtype) - (ny - 1) / 2
    ones = torch.ones((), device=device, dtype=dtype)
    grid = torch.broadcast_tensors(x[None, :], y[:, None], ones)
    return torch.stack(grid, dim=-1).reshape(ny * nx, 3)


def _zoom_to_fit(matrix: torch.Tensor, ny: int, nx: int) -> torch.Tensor:
    """Magnify each output just enough that its corners map inside the input.

    A corner ``c`` maps to ``L c / s + t``; because the corners are symmetric about the
    centre the largest offset along x is ``(|L00| hx + |L01| hy) / s + |tx|``, which must not
    pass ``hx``. Outputs that already fall inside are left as they are (``s >= 1``).
    """
    hy, hx = _half_sizes(ny, nx)
    magnitude = matrix.abs()
    zoom = torch.ones_like(matrix[:, 0, 0])
    for row, half in ((0, hx), (1, hy)):
        reach = magnitude[:, row, 0] * hx + magnitude[:, row, 1] * hy
        room = (half - magnitude[:, row, 2]).clamp_min(0.5)
        zoom = torch.maximum(zoom, reach / room)
    fitted = matrix.clone()
    fitted[:, :2, :2] /= zoom[:, None, None]
    return fitted


def _outside_share(grid: torch.Tensor, ny: int, nx: int, interpolation: str) -> torch.Tensor:
    """Return the share (B, 1, ny, nx) of each output pixel that comes from outside the input.

    One minus the weight zero padding leaves on real pixels, so ``zero-padded sample +
    share * sky`` blends the fill into the image edge without a seam. It is exact for
    bilinear interpolation, close enough for bicubic, and 0 or 1 for nearest.
    """
    inside = _axis_weight(grid[..., 0], nx, interpolation)
    inside.mul_(_axis_weight(grid[..., 1], ny, interpolation))
    return inside.neg_().add_(1.0)[:, None]


def _axis_weight(coordinate: torch.Tensor, size: int, interpolation: str) -> torch.Tensor:
    """Return the in-image share along one axis for grid coordinates in [-1, 1] units."""
    half = (size - 1) / 2
    # Distance from the image centre in pixels (align_corners=True); the last pixel
    # centre is at `half`, and bilinear weights fade to zero one pixel further out.
    distance = coordinate.abs().mul_(half)
    if interpolation == "nearest":
        return (distance < half + 0.5).to(coordinate.dtype)
    return distance.neg_().add_(1.0 + half).clamp_(0.0, 1.0)


def _permute_pixels(batch: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """Rotate by multiples of 90 degrees and flip, exactly, with one gather."""
    n_images, n_channels, ny, nx = batch.shape
    maps, lookup = _dihedral_maps(ny, nx, batch.device)
    entries = matrix[:, :2, :2].round().long().reshape(n_images, 4) + 1
    key = ((entries[:, 0] * 3 + entries[:, 1]) * 3 + entries[:, 2]) * 3 + entries[:, 3]
    index = maps[lookup[key]][:, None, :].expand(n_images, n_channels, ny * nx)
    flat = batch.reshape(n_images, n_channels, ny * nx)
    return flat.gather(2, index).view(n_images, n_channels, ny, nx)


@functools.lru_cache(maxsize=16)
def _dihedral_maps(ny: int, nx: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the flat source index of every pixel for the 8 dihedral matrices.

    Coordinates are doubled (``2 j - (nx - 1)``) so that centres stay integers for even
    sizes. Matrices that swap the axes need square images; for others they map to the
    identity (callers never ask for them).
    """
    x2 = 2 * torch.arange(nx, device=device) - (nx - 1)
    y2 = 2 * torch.arange(ny, device=device) - (ny - 1)
    identity = torch.arange(ny * nx, device=device)
    maps, lookup = [], torch.zeros(81, dtype=torch.long, device=device)
    for i, (a, b, c, d) in enumerate(_DIHEDRAL):
        if (b != 0 or c != 0) and ny != nx:
            maps.append(identity)
        else:
            x_in = (a * x2[None, :] + b * y2[:, None] + (nx - 1)) // 2
            y_in = (c * x2[None, :] + d * y2[:, None] + (ny - 1)) // 2
            maps.append((y_in * nx + x_in).reshape(-1))
        lookup[((a + 1) * 3 + b + 1) * 9 + (c + 1) * 3 + d + 1] = i
    return torch.stack(maps), lookup
