"""Geometry of a thin disk on the sky, and its tapered power-law profile (data layer).

Used by the protoplanetary disks of ``disks.py``: orientations and sizes are drawn here,
sky offsets are turned into radius and azimuth in the disk plane, and the surface
brightness follows a tapered power law (Lynden-Bell & Pringle).
"""

from __future__ import annotations

import numpy as np

from astromorph_nb.data._draws import column
from astromorph_nb.data._rendering import Grid

__all__ = [
    "GAMMA_RANGE",
    "MAX_INCLINATION_DEG",
    "deproject",
    "draw_disk",
    "gaussian",
    "sky_axes",
    "step",
    "taper_radius",
    "tapered",
]

#: Range of the power-law index gamma of the tapered surface-brightness profile.
GAMMA_RANGE = (0.3, 1.2)
#: Largest inclination of all classes but ``edge_on`` (cos i is drawn uniformly below it).
MAX_INCLINATION_DEG = 70.0

_Truth = dict[str, np.ndarray]  # per-image parameters, each of shape (n,)
_LN20 = float(np.log(20.0))  # radius_px encloses 95 % of the tapered profile's flux


def gaussian(x: np.ndarray, center: np.ndarray | float, width: np.ndarray) -> np.ndarray:
    """Gaussian of peak 1 and standard deviation ``width``."""
    return np.exp(-0.5 * ((x - center) / width) ** 2)


def step(x: np.ndarray, edge: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Smooth step from 0 (``x`` well below ``edge``) to 1 over about ``width``."""
    return 0.5 + 0.5 * np.tanh((x - edge) / width)


def draw_disk(
    rng: np.random.Generator,
    n: int,
    radius_px: tuple[float, float],
    inclination_deg: tuple[float, float] = (0.0, MAX_INCLINATION_DEG),
    gamma: tuple[float, float] = GAMMA_RANGE,
) -> _Truth:
    """Draw orientations (cos i uniform), outer radii and profile slopes of ``n`` disks."""
    low, high = np.cos(np.radians(inclination_deg[::-1]))
    return {
        "inclination_deg": np.degrees(np.arccos(rng.uniform(low, high, n))),
        "position_angle_deg": rng.uniform(0.0, 180.0, n),
        "radius_px": rng.uniform(*radius_px, n),
        "gamma": rng.uniform(*gamma, n),
    }


def sky_axes(grid: Grid, position_angle_deg: np.ndarray) -> Grid:
    """Return (u, v): offsets along the major axis (at the position angle) and the minor axis."""
    dy, dx = grid
    angle = np.radians(column(position_angle_deg))
    cos, sin = np.cos(angle), np.sin(angle)
    return dy * cos - dx * sin, dx * cos + dy * sin


def deproject(grid: Grid, truth: _Truth) -> Grid:
    """Return (r, azimuth) in the plane of a geometrically thin disk."""
    u, v = sky_axes(grid, truth["position_angle_deg"])
    across = v / np.cos(np.radians(column(truth["inclination_deg"])))
    return np.hypot(u, across), np.arctan2(across, u)


def taper_radius(truth: _Truth) -> np.ndarray:
    """Return rc of the tapered power law whose R_95 is ``radius_px``, shaped (n, 1, 1)."""
    # The flux inside r is 1 - exp(-(r/rc)^(2-γ)), so R_95 = rc (ln 20)^(1/(2-γ)).
    return column(truth["radius_px"]) / _LN20 ** (1 / (2 - column(truth["gamma"])))


def tapered(radius: np.ndarray, truth: _Truth) -> np.ndarray:
    """Tapered power law (r/rc)^-γ exp(-(r/rc)^(2-γ)); ``radius_px`` encloses 95 % of its flux."""
    gamma = column(truth["gamma"])
    x = np.maximum(radius, 0.5) / taper_radius(truth)
    return x**-gamma * np.exp(-(x ** (2 - gamma)))
