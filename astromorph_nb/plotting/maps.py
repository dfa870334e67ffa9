"""The t-SNE map as a publication figure: points, colours, thumbnails (plotting layer).

The map is drawn as one rasterized scatter (so a PDF of 100,000 points stays small and
fast), coloured by a number (an anomaly score, a magnitude: colour bar) or by categories
(cluster labels, morphologies: legend). Thumbnails of the images are laid on a grid over
the map: the bounding box is cut into square cells, and in every cell that holds points
the image nearest the cell centre is drawn, filling the cell. Cells never overlap, so
neither do thumbnails, and the same map always shows the same images.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from astromorph_nb._validation import check_positive_int, is_finite_real, shorten
from astromorph_nb.plotting._checks import (
    check_coordinates,
    check_indices,
    check_length,
    check_per_image,
)
from astromorph_nb.plotting._cutouts import CutoutStack
from astromorph_nb.plotting._figure import figure_of, new_figure, plain

__all__ = ["choose_thumbnails", "plot_map"]

#: Label value drawn grey and listed last as "noise" (HDBSCAN's and DBSCAN's convention).
NOISE_LABEL = -1
NOISE_COLOR = "0.7"
HIGHLIGHT_COLOR = "black"
#: Fraction of a grid cell a thumbnail fills; the rest keeps neighbours apart.
THUMBNAIL_FILL = 0.82


def choose_thumbnails(
    coordinates: np.ndarray, n_cutouts: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Pick up to ``n_cutouts`` images to show as thumbnails, one per square grid cell.

    Square grids over the bounding box with 1 to ``2 * ceil(sqrt(n_cutouts))`` cells
    along its longer side are tried; the one with the most occupied cells, but no more
    than ``n_cutouts``, is used (the coarsest of equals, for larger thumbnails). In every
    occupied cell the point nearest the cell centre is chosen. Deterministic: ties go to
    the lower index.

    Parameters
    ----------
    coordinates : ndarray of shape (n_images, 2)
        Finite map positions.
    n_cutouts : int
        Most thumbnails to place, >= 0.

    Returns
    -------
    indices : ndarray of shape (n_chosen,)
        Image of each thumbnail.
    centres : ndarray of shape (n_chosen, 2)
        Centre of its cell, in map coordinates.
    side : float
        Side of a cell, in map coordinates.

    Examples
    --------
    >>> import numpy as np
    >>> points = np.array([[0.0, 0.0], [0.1, 0.1], [10.0, 10.0]])
    >>> indices, centres, side = choose_thumbnails(points, 2)
    >>> indices.tolist(), float(side)
    ([1, 2], 5.0)
    """
    if n_cutouts == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2)), 0.0
    low, high = coordinates.min(axis=0), coordinates.max(axis=0)
    span = float((high - low).max()) or 1.0
    best_count, cells, centres, side = 0, np.zeros((0, 2)), np.zeros((0, 2)), span
    for n_cells in range(1, 2 * math.ceil(math.sqrt(n_cutouts)) + 1):
        trial_side = span / n_cells
        # Centre the grid on the bounding box, so the margins are equal on both sides.
        shape = np.maximum(np.ceil((high - low) / trial_side - 1e-9), 1)
        origin = (low + high) / 2 - shape * trial_side / 2
        trial = np.minimum(np.floor((coordinates - origin) / trial_side), shape - 1)
        count = np.unique(trial[:, 0] * shape[1] + trial[:, 1]).size
        if best_count < count <= n_cutouts:
            best_count, side = count, trial_side
            cells, centres = trial, origin + (trial + 0.5) * trial_side
    distance = np.hypot(*(coordinates - centres).T)
    cell_ids = (cells[:, 0] * (cells[:, 1].max() + 1) + cells[:, 1]).astype(np.int64)
    order = np.lexsort((np.arange(len(distance)), distance, cell_ids))
    first = np.ones(len(order), dtype=bool)
    first[1:] = cell_ids[order][1:] != cell_ids[order][:-1]
    chosen = order[first]
    return chosen, centres[chosen], side


def _is_categorical(values: np.ndarray) -> bool:
    """Integers, booleans and strings are categories; floats are a continuous quantity."""
    return values.dtype.kind in "biuUSO"


def _category_colors(n_categories: int, cmap: str | Colormap | None) -> list[Any]:
    """Return one colour per category: a qualitative colormap's colours, cycled if needed."""
    if cmap is None:
        cmap = "tab10" if n_categories <= 10 else "tab20"
    colormap = mpl.colormaps.get_cmap(cmap)
    if isinstance(colormap, ListedColormap) and colormap.N <= 20:
        colors = list(colormap.colors)  # type: ignore[arg-type]
        return [colors[i % len(colors)] for i in range(n_categories)]
    return [colormap(x) for x in np.linspace(0.0, 1.0, max(n_categories, 1))]


def _auto_point_size(n_points: int) -> float:
    """Marker area in points^2: 16 up to 1,000 points, shrinking to 1.6 at 100,000."""
    return float(np.clip(16.0 * math.sqrt(1000.0 / max(n_points, 1)), 0.5, 16.0))


def plot_map(
    coordinates: Any,
    *,
    color: Any = None,
    color_label: str | None = None,
    cmap: str | Colormap | None = None,
    cutouts: Any = None,
    n_cutouts: int = 40,
    highlight: Any = None,
    point_size: float | None = None,
    stretch: str = "asinh",
    percentile: float = 99.5,
    ax: Axes | None = None,
) -> Figure:
    """Plot a t-SNE map, coloured by a quantity or by categories, with image thumbnails.

    Parameters
    ----------
    coordinates : array-like of shape (n_images, 2)
        The t-SNE map, e.g. ``session.tsne_coordinates``.
    color : array-like of shape (n_images,), optional
        Floats (an anomaly score, a magnitude) get a colour bar; points are drawn in
        increasing order, so the highest values are on top, and NaN is light grey.
        Integers, booleans or strings (cluster labels, morphologies) are categories and
        get a legend; the label -1 is noise, drawn grey underneath and listed last. Cast
        integer measurements to float to get a colour bar.
    color_label : str, optional
        Label of the colour bar or title of the legend, e.g. ``"anomaly score"``.
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap. Default: ``"viridis"`` for numbers, ``"tab10"`` (``"tab20"`` beyond ten
        categories) for categories.
    cutouts : array-like of shape (n_images, ny, nx) or (n_images, n_channels, ny, nx), optional
        Images in the order of ``coordinates``; float data, or uint8 thumbnails drawn as
        they are. Three channels make an RGB composite. Default: no thumbnails.
    n_cutouts : int, default=40
        Most thumbnails to draw (see :func:`choose_thumbnails`); fewer where the map has
        few occupied cells. Lower it for a small figure.
    highlight : array-like of int, optional
        Indices of images to ring in black, e.g. ``session.selection``.
    point_size : float, optional
        Marker area in points^2. Default: from 16 for 1,000 points or fewer down to 1.6
        for 100,000.
    stretch : {"asinh", "linear", "log", "sqrt"}, default="asinh"
        Display stretch of the thumbnails.
    percentile : float, default=99.5
        Central percentage of each thumbnail's pixels spread from black to white.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into. Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the map. A new figure is not attached to pyplot, so it needs no
        closing; save it with ``figure.savefig("map.pdf")``.

    Raises
    ------
    ValueError
        If ``coordinates`` is not (n_images, 2) or not finite, or ``color``, ``cutouts``
        have another number of images; for an unknown ``stretch`` or a ``point_size``
        that is not positive.
    IndexError
        If an index in ``highlight`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> figure = plot_map(rng.normal(size=(500, 2)), color=rng.random(500),
    ...                   color_label="anomaly score", cutouts=rng.random((500, 8, 8)),
    ...                   n_cutouts=10)
    >>> len(figure.axes), len(figure.axes[0].images) <= 10
    (2, True)
    """
    where = "plot_map"
    coordinates = check_coordinates(coordinates, where=where)
    n_images = coordinates.shape[0]
    n_cutouts = check_positive_int(n_cutouts, name="n_cutouts", where=where, minimum=0)
    stack = None
    if cutouts is not None:
        stack = CutoutStack(cutouts, where=where, stretch=stretch, percentile=percentile)
        check_length(len(stack), n_images, name="cutouts", expected_name="coordinates", where=where)
    if point_size is not None and not (is_finite_real(point_size) and point_size > 0):
        msg = (
            f"The 'point_size' parameter of {where} must be a positive number (marker area "
            f"in points^2); got {shorten(point_size)}. Pass None for a size chosen by the "
            "number of points."
        )
        raise ValueError(msg)
    size = _auto_point_size(n_images) if point_size is None else float(point_size)

    created = ax is None
    if ax is None:
        figure = new_figure(figsize=(7.0, 6.0), layout="constrained")
        ax = figure.subplots()
    else:
        figure = figure_of(ax)
    style: dict[str, Any] = {
        "s": size,
        "linewidths": 0,
        "rasterized": True,
        "alpha": 0.9 if n_images < 10_000 else 0.6,
    }
    point_colors: np.ndarray | list[Any]
    legend_handles: list[Line2D] = []
    if color is None:
        ax.scatter(coordinates[:, 0], coordinates[:, 1], color="0.3", **style)
        point_colors = ["0.3"] * n_images
    else:
        values = check_per_image(
            color, n_images, name="color", expected_name="coordinates", where=where
        )
        if _is_categorical(values):
            point_colors, legend_handles = _draw_categories(ax, coordinates, values, cmap, style)
        else:
            point_colors = _draw_numbers(figure, ax, coordinates, values, cmap, color_label, style)

    if highlight is not None:
        chosen = check_indices(highlight, n_images, name="highlight", where=where)
        ax.scatter(
            coordinates[chosen, 0],
            coordinates[chosen, 1],
            s=max(60.0, 6.0 * size),
            facecolors="none",
            edgecolors=HIGHLIGHT_COLOR,
            linewidths=1.5,
            zorder=4,
        )
        legend_handles.append(_ring_handle(f"highlighted ({len(chosen)})"))

    low, high = coordinates.min(axis=0), coordinates.max(axis=0)
    if stack is not None:
        indices, centres, side = choose_thumbnails(coordinates, n_cutouts)
        half = THUMBNAIL_FILL * side / 2
        for index, (x, y) in zip(indices.tolist(), centres.tolist(), strict=True):
            stack.draw(ax, index, extent=(x - half, x + half, y - half, y + half), rasterized=True)
            ax.images[-1].set_zorder(3)
            frame = Rectangle(
                (x - half, y - half),
                2 * half,
                2 * half,
                fill=False,
                edgecolor=point_colors[index],
                linewidth=1.2,
                zorder=3.1,
            )
            ax.add_patch(frame)
        if len(indices):
            low = np.minimum(low, centres.min(axis=0) - half)
            high = np.maximum(high, centres.max(axis=0) + half)

    span = float((high - low).max())
    pad = 0.03 * span if span > 0 else 1.0
    ax.set_xlim(low[0] - pad, high[0] + pad)
    ax.set_ylim(low[1] - pad, high[1] + pad)
    if created:
        # Fit the figure to the map's shape, so a long, thin map leaves no empty bands.
        ratio = (high[1] - low[1] + 2 * pad) / (high[0] - low[0] + 2 * pad)
        figure.set_size_inches(7.0, float(np.clip(5.6 * ratio, 2.5, 8.0)) + 0.8)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("t-SNE 1")
    ax.set_ylabel("t-SNE 2")
    ax.set_title(f"t-SNE map of {n_images:,} images")
    if legend_handles:
        categorical = color is not None and _is_categorical(np.asarray(color))
        # Categories: a legend right of the map. Only a highlight: a small one below it,
        # at the right, where it covers neither points nor thumbnails.
        legend = ax.legend(
            handles=legend_handles,
            title=color_label if categorical else None,
            loc="center left" if categorical else "upper right",
            bbox_to_anchor=(1.02, 0.5) if categorical else (1.0, -0.01),
            frameon=False,
            fontsize=8,
            title_fontsize=9,
            ncols=1 + len(legend_handles) // 26,
        )
        plain(*legend.get_texts(), legend.get_title())
    return figure


def _ring_handle(label: str) -> Line2D:
    """Return a legend entry that shows the highlight ring."""
    return Line2D(
        [],
        [],
        linestyle="none",
        marker="o",
        markersize=8,
        markerfacecolor="none",
        markeredgecolor=HIGHLIGHT_COLOR,
        markeredgewidth=1.5,
        label=label,
    )


def _draw_categories(
    ax: Axes,
    coordinates: np.ndarray,
    values: np.ndarray,
    cmap: str | Colormap | None,
    style: dict[str, Any],
) -> tuple[np.ndarray, list[Line2D]]:
    """Scatter points coloured by category (noise underneath); return colours and handles."""
    if values.dtype.kind == "O":
        values = values.astype(str)
    categories, codes = np.unique(values, return_inverse=True)
    is_noise = np.array([values.dtype.kind in "iu" and c == NOISE_LABEL for c in categories])
    real = np.flatnonzero(~is_noise)
    palette = np.zeros((len(categories), 4))
    for position, rgba in zip(real, _category_colors(len(real), cmap), strict=True):
        palette[position] = mpl.colors.to_rgba(rgba)
    palette[is_noise] = mpl.colors.to_rgba(NOISE_COLOR)
    point_colors = palette[codes]
    order = np.argsort(~is_noise[codes], kind="stable")
    ax.scatter(coordinates[order, 0], coordinates[order, 1], c=point_colors[order], **style)
    handles = []
    for position in [*real, *np.flatnonzero(is_noise)]:
        count = int(np.count_nonzero(codes == position))
        name = "noise" if is_noise[position] else str(categories[position])
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=6,
                markeredgewidth=0,
                color=palette[position],
                label=f"{name} ({count:,})",
            )
        )
    return point_colors, handles


def _draw_numbers(
    figure: Figure,
    ax: Axes,
    coordinates: np.ndarray,
    values: np.ndarray,
    cmap: str | Colormap | None,
    color_label: str | None,
    style: dict[str, Any],
) -> np.ndarray:
    """Scatter points coloured by a number, highest on top, with a colour bar; return colours."""
    values = values.astype(np.float64)
    finite = np.isfinite(values)
    colormap = mpl.colormaps.get_cmap("viridis" if cmap is None else cmap)
    colormap = colormap.with_extremes(bad=NOISE_COLOR)
    norm = Normalize(
        *((float(values[finite].min()), float(values[finite].max())) if finite.any() else (0, 1))
    )
    order = np.argsort(np.where(finite, values, -np.inf), kind="stable")
    points = ax.scatter(
        coordinates[order, 0],
        coordinates[order, 1],
        c=values[order],
        cmap=colormap,
        norm=norm,
        plotnonfinite=True,
        **style,
    )
    colorbar = figure.colorbar(points, ax=ax, shrink=0.8, pad=0.02)
    colorbar.solids.set_rasterized(True)  # type: ignore[union-attr]
    if color_label is not None:
        colorbar.set_label(color_label)
        plain(colorbar.ax.yaxis.label)
    return colormap(norm(np.ma.masked_invalid(values)))
