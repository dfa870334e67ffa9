"""Loss curves for display: the moving average and the decimation (display layer).

BYOL's loss is noisy from step to step (every batch gets new augmentations), so both the
live curve of the training panel and the figure of :func:`~astromorph_nb.plotting.plot_loss`
draw it under one exponential moving average, with one rule: the weight of the past is
:data:`LOSS_SMOOTHING` (0.98), whatever the length of the run. A jump of the loss is
followed half-way after :data:`HALF_LIFE_STEPS` (34.3) steps; the time constant is
``1 / (1 - 0.98) = 50`` steps. A fixed constant keeps the early part of a live curve where
it was drawn while the run grows, and makes the notebook curve and the paper figure agree.

The training panel sends at most :data:`MAX_POINTS` points a line to the browser:
:func:`decimate` keeps the first and last points and the lowest and highest of each bucket,
so spikes and dips survive, as they do not with a stride.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from astromorph_nb._validation import check_positive_int, is_finite_real, shorten

__all__ = [
    "HALF_LIFE_STEPS",
    "LOSS_SMOOTHING",
    "MAX_EPOCH_MARKERS",
    "MAX_POINTS",
    "LossCurvePoints",
    "decimate",
    "loss_curve_points",
    "smooth_loss",
]

#: Weight of the past in the loss curves' moving average (about the last 50 steps).
LOSS_SMOOTHING = 0.98
#: Steps after which the moving average has followed half of a jump of the loss.
HALF_LIFE_STEPS = math.log(0.5) / math.log(LOSS_SMOOTHING)
#: Most points per line sent to the browser; longer histories are decimated.
MAX_POINTS = 2000
#: Above this many epochs, epoch means are drawn as a line instead of markers.
MAX_EPOCH_MARKERS = 60
#: Largest ratio of the weights inside one block of the vectorised average (bounds rounding).
_BLOCK_DYNAMIC_RANGE = 1e4


def smooth_loss(
    losses: Any, smoothing: float = LOSS_SMOOTHING, *, where: str = "smooth_loss"
) -> np.ndarray:
    """Return the bias-corrected exponential moving average of a loss history.

    ``ema[t] = smoothing * ema[t-1] + (1 - smoothing) * loss[t]``, divided by
    ``1 - smoothing**k`` after ``k`` finite values (Adam's bias correction), so the curve
    starts at the first loss instead of near zero. Non-finite losses are skipped: the
    average keeps its previous value there.

    Parameters
    ----------
    losses : array-like of shape (n_steps,)
        Loss at each optimiser step.
    smoothing : float, default=0.98
        Weight of the past, in [0, 1). 0 returns the losses unchanged; 0.98 averages over
        roughly the last 50 steps (half-life 34 steps). Raise it for longer, noisier runs.
    where : str, default="smooth_loss"
        The public function, quoted in error messages.

    Returns
    -------
    ndarray of shape (n_steps,)
        NaN before the first finite loss.

    Examples
    --------
    >>> smooth_loss([4.0, 2.0], smoothing=0.5)
    array([4.        , 2.66666667])
    """
    if not is_finite_real(smoothing) or not 0 <= float(smoothing) < 1:
        msg = (
            f"The 'smoothing' parameter of {where} must be a number in [0, 1); "
            f"got {shorten(smoothing)}. Use 0 for no smoothing, 0.98 for about 50 steps."
        )
        raise ValueError(msg)
    values = np.asarray(losses, dtype=np.float64).ravel()
    finite = np.isfinite(values)
    beta = float(smoothing)
    kept = values if finite.all() else values[finite]
    average = _moving_average(kept, beta)
    # The correction is 1 to float precision after 40 time constants (beta**k < 1e-17).
    n_biased = 0 if beta == 0.0 else min(len(kept), int(40.0 / (1.0 - beta)) + 1)
    average[:n_biased] /= 1.0 - beta ** np.arange(1, n_biased + 1)
    if len(kept) == len(values):
        return average
    seen = np.cumsum(finite)  # finite losses up to each step: the last one sets the value
    smoothed = np.full(values.shape, np.nan)
    smoothed[seen > 0] = average[seen[seen > 0] - 1]
    return smoothed


def _moving_average(values: np.ndarray, beta: float) -> np.ndarray:
    """``y[t] = beta * y[t-1] + (1 - beta) * x[t]`` from ``y[-1] = 0``, vectorised in blocks.

    Inside a block of ``L`` steps, ``y`` is a cumulative sum of ``x[j] / beta**j`` times
    ``beta**i``; ``L`` keeps ``beta**-L`` below :data:`_BLOCK_DYNAMIC_RANGE`, so rounding
    stays at float64 precision. Each block starts from the last value of the one before.
    """
    if beta == 0.0 or len(values) == 0:
        return values.copy()
    length = int(min(max(math.log(_BLOCK_DYNAMIC_RANGE) / -math.log(beta), 1), 1024))
    n_blocks = -(-len(values) // length)
    padded = np.zeros(n_blocks * length)
    padded[: len(values)] = values
    powers = beta ** np.arange(length)
    rows = np.cumsum(padded.reshape(n_blocks, length) / powers, axis=1) * powers * (1.0 - beta)
    carry_weights = beta * powers  # beta**(i + 1): what is left at step i of the carry
    carry = 0.0
    for row in rows:
        row += carry_weights * carry
        carry = row[-1]
    return rows.ravel()[: len(values)]


def decimate(
    x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """Keep at most ``max_points`` points: the first, the last, and each bucket's min and max.

    Spikes and dips survive, unlike with a stride, so the curve looks as the full one does.
    Histories of ``max_points`` or fewer points come back as they are (the same arrays).

    Examples
    --------
    >>> x = np.arange(100.0)
    >>> small_x, small_y = decimate(x, np.sin(x), max_points=10)
    >>> len(small_x) <= 10, small_x[0], small_x[-1]
    (True, np.float64(0.0), np.float64(99.0))
    """
    max_points = check_positive_int(max_points, name="max_points", where="decimate", minimum=4)
    n = len(y)
    if n <= max_points:
        return x, y
    interior = y[1:-1]
    n_buckets = (max_points - 2) // 2
    size = -(-len(interior) // n_buckets)
    n_buckets = -(-len(interior) // size)  # padding stays shorter than one bucket
    padded = np.full(n_buckets * size, np.nan)
    padded[: len(interior)] = interior
    rows = padded.reshape(n_buckets, size)
    finite = np.isfinite(rows)
    low = np.argmin(np.where(finite, rows, np.inf), axis=1)
    high = np.argmax(np.where(finite, rows, -np.inf), axis=1)
    offsets = np.arange(n_buckets) * size + 1
    keep = np.unique(np.concatenate([[0], low + offsets, high + offsets, [n - 1]]))
    return x[keep], y[keep]


@dataclass(frozen=True)
class LossCurvePoints:
    """The lines of a live loss plot, each decimated to at most :data:`MAX_POINTS` points.

    Attributes
    ----------
    steps, losses : ndarray
        The loss at each step.
    smoothed_steps, smoothed : ndarray
        Its moving average (:func:`smooth_loss`).
    epoch_steps, epoch_means : ndarray
        The mean loss of each epoch, at the step the epoch ended.
    epoch_markers : bool
        Whether to mark each epoch (at most :data:`MAX_EPOCH_MARKERS` epochs) or draw a line.
    """

    steps: np.ndarray
    losses: np.ndarray
    smoothed_steps: np.ndarray
    smoothed: np.ndarray
    epoch_steps: np.ndarray
    epoch_means: np.ndarray
    epoch_markers: bool


def loss_curve_points(
    steps: Any,
    losses: Any,
    epoch_steps: Any = (),
    epoch_means: Any = (),
    *,
    max_points: int = MAX_POINTS,
) -> LossCurvePoints:
    """Return the points of the loss, its moving average and the epoch means, ready to draw.

    Examples
    --------
    >>> curve = loss_curve_points(np.arange(5000), np.ones(5000), [2499, 4999], [1.0, 1.0])
    >>> len(curve.steps) <= MAX_POINTS, round(float(curve.smoothed.max()), 9), curve.epoch_markers
    (True, 1.0, True)
    """
    step_x = np.asarray(steps, dtype=np.float64)
    loss_y = np.asarray(losses, dtype=np.float64)
    epoch_x = np.asarray(epoch_steps, dtype=np.float64)
    epoch_y = np.asarray(epoch_means, dtype=np.float64)
    raw = decimate(step_x, loss_y, max_points)
    smoothed = decimate(step_x, smooth_loss(loss_y), max_points)
    epochs = decimate(epoch_x, epoch_y, max_points)
    return LossCurvePoints(
        *raw, *smoothed, *epochs, epoch_markers=len(epoch_x) <= MAX_EPOCH_MARKERS
    )
