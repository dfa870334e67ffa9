"""The BYOL training-loss curve as a publication figure (plotting layer).

BYOL's loss is noisy from step to step (every batch gets new augmentations), so the raw
curve is drawn faint under an exponential moving average (``display/curves.py``, the same
as the training panel's live curve), and per-epoch means, if given, as markers. A loss that
still falls at the end means more epochs would help; one that flattens early, or climbs,
is a reason to look at the learning rate or the augmentations.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from astromorph_nb.display.curves import LOSS_SMOOTHING, MAX_EPOCH_MARKERS, smooth_loss
from astromorph_nb.plotting._checks import check_length, check_values
from astromorph_nb.plotting._figure import figure_of, new_figure

__all__ = ["plot_loss", "smooth_loss"]


def _plain_number(value: float, _position: int | None = None) -> str:
    """Format a tick value as a plain number: 0.5, 2, 1e-05."""
    return f"{value:g}"


def _plain_minor_number(value: float, _position: int | None = None) -> str:
    """Label the minor log ticks at 2 and 5 times a power of ten only, so they never crowd."""
    if value <= 0:
        return ""
    mantissa = round(value / 10 ** math.floor(math.log10(value)))
    return f"{value:g}" if mantissa in (2, 5) else ""


def plot_loss(
    steps: Any,
    losses: Any,
    *,
    epoch_steps: Any = None,
    epoch_means: Any = None,
    smoothing: float = LOSS_SMOOTHING,
    log_scale: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Plot the loss at every optimiser step, its moving average and per-epoch means.

    Parameters
    ----------
    steps : array-like of shape (n_steps,)
        Optimiser step numbers, e.g. ``session.loss_history.steps``.
    losses : array-like of shape (n_steps,)
        Loss at each step.
    epoch_steps : array-like of shape (n_epochs,), optional
        Step at which each epoch ended. Default: with ``epoch_means`` given, the ends of
        ``n_epochs`` equal parts of ``steps`` (right when every epoch has as many steps).
    epoch_means : array-like of shape (n_epochs,), optional
        Mean loss of each epoch, drawn as markers (as a line above 60 epochs).
    smoothing : float, default=0.98
        Weight of the past in the moving average, in [0, 1); see :func:`smooth_loss`. The
        default is the training panel's, so this figure shows the curve seen live.
    log_scale : bool, default=False
        Logarithmic loss axis; helps when the loss falls by orders of magnitude.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (e.g. one panel of your own figure). Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the axes. A new figure is not attached to pyplot, so it needs no
        closing; a notebook shows it when it is the cell's last expression, and
        ``figure.savefig("loss.pdf")`` writes vector output.

    Raises
    ------
    ValueError
        If the arrays are not 1-D, their lengths differ, there are no steps, only
        ``epoch_steps`` is given, or ``smoothing`` is outside [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> steps = np.arange(1, 101)
    >>> figure = plot_loss(steps, 2.0 / np.sqrt(steps), epoch_means=[1.0, 0.3])
    >>> [line.get_label() for line in figure.axes[0].get_lines()]
    ['loss per step', 'moving average (smoothing 0.98)', 'epoch mean']
    """
    steps = check_values(steps, name="steps", where="plot_loss")
    losses = check_values(losses, name="losses", where="plot_loss")
    check_length(len(losses), len(steps), name="losses", expected_name="steps", where="plot_loss")
    if len(steps) == 0:
        msg = (
            "No loss values in plot_loss. Expected at least one step; got 0. "
            "Train for at least one step before plotting the loss."
        )
        raise ValueError(msg)
    smoothed = smooth_loss(losses, smoothing, where="plot_loss")
    if epoch_steps is not None and epoch_means is None:
        msg = (
            "Missing 'epoch_means' in plot_loss. Expected it with 'epoch_steps'; got only "
            "epoch_steps. Pass the mean loss of each epoch too, or neither."
        )
        raise ValueError(msg)
    if epoch_means is not None:
        epoch_means = check_values(epoch_means, name="epoch_means", where="plot_loss")
        if epoch_steps is None:
            ends = np.ceil(np.arange(1, len(epoch_means) + 1) * len(steps) / len(epoch_means))
            epoch_steps = steps[np.clip(ends.astype(np.int64) - 1, 0, len(steps) - 1)]
        epoch_steps = check_values(epoch_steps, name="epoch_steps", where="plot_loss")
        check_length(
            len(epoch_steps),
            len(epoch_means),
            name="epoch_steps",
            expected_name="epoch_means",
            where="plot_loss",
        )

    if ax is None:
        figure = new_figure(figsize=(6.4, 4.0), layout="constrained")
        ax = figure.subplots()
    else:
        figure = figure_of(ax)
    ax.plot(steps, losses, color="C0", alpha=0.3, linewidth=0.8, label="loss per step")
    ax.plot(
        steps,
        smoothed,
        color="C0",
        linewidth=1.8,
        label=f"moving average (smoothing {float(smoothing):g})",
    )
    if epoch_means is not None and len(epoch_means) <= MAX_EPOCH_MARKERS:
        ax.plot(
            epoch_steps,
            epoch_means,
            linestyle="none",
            marker="o",
            markersize=5,
            markerfacecolor="white",
            markeredgecolor="C3",
            markeredgewidth=1.5,
            label="epoch mean",
            zorder=3,
        )
    elif epoch_means is not None:  # many short epochs: markers would hide the curve
        ax.plot(epoch_steps, epoch_means, color="C3", linewidth=1.0, label="epoch mean", zorder=3)
    if log_scale:
        ax.set_yscale("log")
        # Plain numbers (0.5, 2) read better than 5x10^-1 on a loss axis.
        ax.yaxis.set_major_formatter(FuncFormatter(_plain_number))
        ax.yaxis.set_minor_formatter(FuncFormatter(_plain_minor_number))
    ax.set_xlabel("Optimiser step")
    ax.set_ylabel("BYOL loss")
    ax.set_title(f"BYOL training loss over {len(steps):,} steps")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3, linewidth=0.5)
    return figure
