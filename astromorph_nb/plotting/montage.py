"""A plain grid of cutouts with captions (plotting layer).

The building block of the other galleries, and useful on its own: show a selection from
the t-SNE map, a cluster, or the images a catalogue query returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from astromorph_nb._validation import check_positive_int
from astromorph_nb.plotting._checks import check_indices, check_labels
from astromorph_nb.plotting._cutouts import CutoutStack, draw_grid, grid_figure_size
from astromorph_nb.plotting._figure import new_figure, plain

__all__ = ["plot_montage"]


def plot_montage(
    cutouts: Any,
    indices: Any = None,
    *,
    n_columns: int = 8,
    labels: Sequence[Any] | None = None,
    title: str | None = None,
    stretch: str = "asinh",
    percentile: float = 99.5,
) -> Figure:
    """Show cutouts in a grid, row by row, each captioned with its label or index.

    Parameters
    ----------
    cutouts : array-like of shape (n_images, ny, nx) or (n_images, n_channels, ny, nx)
        Float images (the first channel is shown, or an RGB composite of three channels
        taken as red, green, blue), or uint8 thumbnails of shape (n_images, h, w) drawn
        as they are. NaN pixels are shown black.
    indices : array-like of int, optional
        Which images to show, in this order. Default: all of them; pass a selection for
        large sets, since the figure grows by one row per ``n_columns`` images.
    n_columns : int, default=8
        Panels per row.
    labels : sequence of str, optional
        One caption per image in ``cutouts`` (e.g. the OBJECT keyword), shown as plain
        text. Default: ``"image <index>"``.
    title : str, optional
        Figure title, shown as plain text.
    stretch : {"asinh", "linear", "log", "sqrt"}, default="asinh"
        Display stretch; ``"linear"`` shows fluxes as they are, ``"asinh"`` and ``"log"``
        bring out faint outskirts next to a bright core.
    percentile : float, default=99.5
        Central percentage of each cutout's finite pixels spread from black to white.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per image shown. Not attached to pyplot, so it needs no closing; save it
        with ``figure.savefig("montage.pdf")``.

    Raises
    ------
    InvalidImageError
        If ``cutouts`` does not have 3 or 4 axes.
    IndexError
        If an index is out of range.
    ValueError
        If ``labels`` has another length than ``cutouts``, or for an unknown ``stretch``.

    Examples
    --------
    >>> import numpy as np
    >>> figure = plot_montage(np.random.default_rng(0).random((20, 16, 16)), [3, 1, 4],
    ...                       n_columns=2)
    >>> [ax.get_title() for ax in figure.axes]
    ['image 3', 'image 1', 'image 4']
    """
    where = "plot_montage"
    stack = CutoutStack(cutouts, where=where, stretch=stretch, percentile=percentile)
    n_columns = check_positive_int(n_columns, name="n_columns", where=where)
    texts = check_labels(labels, len(stack), where=where)
    chosen = (
        np.arange(len(stack))
        if indices is None
        else check_indices(indices, len(stack), name="indices", where=where)
    )
    if chosen.size == 0:
        msg = (
            f"No images to show in {where}. Expected at least one index; got an empty "
            "'indices'. Pass indices=None to show every cutout."
        )
        raise ValueError(msg)
    n_shown_columns = min(n_columns, chosen.size)
    n_rows = -(-chosen.size // n_shown_columns)
    figure = new_figure(figsize=grid_figure_size(n_rows, n_shown_columns, 1), layout="constrained")
    captions = [f"image {i}" if texts is None else texts[i] for i in chosen.tolist()]
    draw_grid(figure, stack, chosen, captions, n_columns=n_shown_columns)
    if title is not None:
        plain(figure.suptitle(title))
    return figure
