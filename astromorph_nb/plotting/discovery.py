"""Figures of what the embeddings encode: explained columns, a trend along a direction.

``plot_explain`` draws the table of :func:`~astromorph_nb.analysis.explain.explain_embeddings`
(``session.explain()``) as one bar per column against its shuffled null level;
``plot_along`` draws objects ordered along a direction in embedding space
(``session.direction(...)``) as a strip of cutouts, so a trend can be seen (plotting layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from astromorph_nb._validation import check_positive_int
from astromorph_nb.plotting._checks import check_indices, check_labels, check_values
from astromorph_nb.plotting._cutouts import CutoutStack, draw_grid, grid_figure_size
from astromorph_nb.plotting._figure import new_figure, plain

__all__ = ["plot_along", "plot_explain"]

_NULL_SIGMAS = 2.0  # the grey band: null level plus this many standard deviations


def plot_explain(table: Any, *, max_columns: int = 25) -> Figure:
    """Bar chart of how well each column is predicted from the embeddings, over its null.

    Parameters
    ----------
    table : astropy.table.Table
        From ``session.explain()``: columns ``column``, ``metric``, ``score``,
        ``null_mean`` and ``null_std``.
    max_columns : int, default=25
        The best explained columns shown (the table is already ranked).

    Returns
    -------
    matplotlib.figure.Figure
        One horizontal bar per column (R² or balanced accuracy, best at the top), with the null
        level as a tick and a grey band up to 2 standard deviations above it.

    Examples
    --------
    >>> from astropy.table import Table
    >>> table = Table({"column": ["size", "noise"], "metric": ["r2", "r2"],
    ...                "score": [0.8, 0.01], "null_mean": [-0.1, -0.1],
    ...                "null_std": [0.02, 0.02]})
    >>> figure = plot_explain(table)
    >>> [t.get_text() for t in figure.axes[0].get_yticklabels()]
    ['size (R²)', 'noise (R²)']
    """
    where = "plot_explain"
    needed = ("column", "metric", "score", "null_mean", "null_std")
    missing = [n for n in needed if n not in getattr(table, "colnames", ())]
    if missing:
        msg = (
            f"The table given to {where} lacks the column(s) {', '.join(missing)}. Pass the "
            "table that session.explain() returns."
        )
        raise ValueError(msg)
    if len(table) == 0:
        msg = f"No columns to draw in {where}: session.explain() scored none (see its meta)."
        raise ValueError(msg)
    rows = table[: check_positive_int(max_columns, name="max_columns", where=where)]
    names = [
        f"{name} ({'R²' if metric == 'r2' else 'balanced accuracy'})"
        for name, metric in zip(rows["column"], rows["metric"], strict=True)
    ]
    score = np.asarray(rows["score"], dtype=float)
    null = np.asarray(rows["null_mean"], dtype=float)
    spread = np.nan_to_num(np.asarray(rows["null_std"], dtype=float))
    positions = np.arange(len(rows))[::-1]
    figure = new_figure(figsize=(6.0, 0.8 + 0.32 * len(rows)), layout="constrained")
    ax = figure.subplots()
    ax.barh(positions, score, color="C0", height=0.6, label="from the embeddings")
    ax.barh(
        positions,
        _NULL_SIGMAS * spread,
        left=null,
        color="0.6",
        alpha=0.5,
        height=0.8,
        label=f"shuffled values: mean to +{_NULL_SIGMAS:g}σ",
    )
    ax.plot(null, positions, "|", color="0.2", markersize=12)
    ax.set_yticks(positions, names)
    plain(*ax.get_yticklabels())
    ax.axvline(0.0, color="0.3", linewidth=0.8)
    n_neighbors = table.meta.get("n_neighbors", "k")
    ax.set_xlabel(f"leave-one-out score from the {n_neighbors} nearest neighbours")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_title("What the embeddings encode", fontsize=10)
    return figure


def plot_along(
    cutouts: Any,
    indices: Any,
    positions: Any,
    *,
    labels: Sequence[Any] | None = None,
    start_label: str = "start",
    end_label: str = "end",
    n_columns: int = 10,
    stretch: str = "asinh",
    percentile: float = 99.5,
) -> Figure:
    """Show objects in order along a direction, each captioned with its position.

    Parameters
    ----------
    cutouts : array-like of shape (n_images, ny, nx) or (n_images, n_channels, ny, nx)
        All images; ``indices`` index into it.
    indices : array-like of int
        The objects to show, in order (e.g. ``session.direction(...).along(10)``).
    positions : array-like of shape (n_images,)
        Every object's position along the direction (0 at the start group, 1 at the end).
    labels : sequence of str, optional
        One caption line per image in ``cutouts``.
    start_label, end_label : str
        Names of the two ends, shown in the title.
    n_columns : int, default=10
        Panels per row.
    stretch, percentile
        Display of the cutouts, as in :func:`~astromorph_nb.plotting.plot_montage`.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((10, 16, 16))
    >>> figure = plot_along(images, [3, 1, 4], np.linspace(0, 1, 10))
    >>> [ax.get_title() for ax in figure.axes]
    ['0.333', '0.111', '0.444']
    """
    where = "plot_along"
    stack = CutoutStack(cutouts, where=where, stretch=stretch, percentile=percentile)
    chosen = check_indices(indices, len(stack), name="indices", where=where)
    if chosen.size == 0:
        msg = f"No objects to show in {where}; pass at least one index."
        raise ValueError(msg)
    values = check_values(positions, name="positions", where=where)
    texts = check_labels(labels, len(stack), where=where)
    captions = [
        f"{values[i]:.3g}" + ("" if texts is None else f"\n{texts[i]}") for i in chosen.tolist()
    ]
    n_grid_columns = min(check_positive_int(n_columns, name="n_columns", where=where), chosen.size)
    n_rows = -(-chosen.size // n_grid_columns)
    figure = new_figure(
        figsize=grid_figure_size(n_rows, n_grid_columns, 1 if texts is None else 2),
        layout="constrained",
    )
    draw_grid(figure, stack, chosen, captions, n_columns=n_grid_columns)
    plain(
        figure.suptitle(
            f"From {start_label} (0) to {end_label} (1) in embedding space", fontsize=10
        )
    )
    return figure
