"""Galleries that answer a question: neighbors of an image, clusters, anomalies (plotting layer).

Each is a grid of cutouts (drawn as in :func:`~astromorph_nb.plotting.plot_montage`) with
captions that carry the number behind the choice: a distance, a cluster size, a score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from astromorph_nb._typing import RandomState
from astromorph_nb._validation import as_generator, check_positive_int
from astromorph_nb.plotting._checks import (
    check_indices,
    check_labels,
    check_length,
    check_per_image,
    check_values,
)
from astromorph_nb.plotting._cutouts import (
    CAPTION_LINE_IN,
    PANEL_IN,
    CutoutStack,
    draw_grid,
    draw_panel,
    grid_figure_size,
)
from astromorph_nb.plotting._figure import new_figure, plain

__all__ = ["plot_anomalies", "plot_clusters", "plot_neighbors"]

#: Frame colour and width of the query image.
QUERY_COLOR = "C1"
QUERY_FRAME_WIDTH = 3.0
NOISE_LABEL = -1


def plot_neighbors(
    cutouts: Any,
    query: int,
    neighbor_indices: Any,
    distances: Any = None,
    *,
    labels: Sequence[Any] | None = None,
    n_columns: int = 4,
    stretch: str = "asinh",
    percentile: float = 99.5,
) -> Figure:
    r"""Show an image, large and framed, beside its nearest neighbors in embedding space.

    Parameters
    ----------
    cutouts : array-like of shape (n_images, ny, nx) or (n_images, n_channels, ny, nx)
        All images; ``query`` and ``neighbor_indices`` index into it. Float data, or uint8
        thumbnails drawn as they are.
    query : int
        Index of the image whose neighbors these are.
    neighbor_indices : array-like of int, shape (k,)
        The neighbors, nearest first, e.g. from ``session.neighbors(query, k=8)``.
    distances : array-like of shape (k,), optional
        Their distances to the query, shown as ``"d = 0.123"``.
    labels : sequence of str, optional
        One title per image in ``cutouts`` (e.g. the OBJECT keyword), shown as plain
        text. Default: ``"image <index>"``.
    n_columns : int, default=4
        Neighbors per row.
    stretch : {"asinh", "linear", "log", "sqrt"}, default="asinh"
        Display stretch.
    percentile : float, default=99.5
        Central percentage of each cutout's finite pixels spread from black to white.

    Returns
    -------
    matplotlib.figure.Figure
        The query's axes first, then one per neighbor. Not attached to pyplot.

    Raises
    ------
    IndexError
        If ``query`` or a neighbor index is out of range.
    ValueError
        If ``distances`` or ``labels`` have the wrong length, or there are no neighbors.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((10, 16, 16))
    >>> figure = plot_neighbors(images, 0, [4, 2, 7], [0.1, 0.25, 0.3])
    >>> [ax.get_title() for ax in figure.axes]
    ['query: image 0', 'image 4\nd = 0.1', 'image 2\nd = 0.25', 'image 7\nd = 0.3']
    """
    where = "plot_neighbors"
    stack = CutoutStack(cutouts, where=where, stretch=stretch, percentile=percentile)
    n_columns = check_positive_int(n_columns, name="n_columns", where=where)
    texts = check_labels(labels, len(stack), where=where)
    query = int(check_indices(query, len(stack), name="query", where=where)[0])
    neighbors = check_indices(neighbor_indices, len(stack), name="neighbor_indices", where=where)
    if neighbors.size == 0:
        msg = (
            f"No neighbors to show in {where}. Expected at least one index in "
            "'neighbor_indices'; got none. Ask for k >= 1 neighbors."
        )
        raise ValueError(msg)
    names = [f"image {i}" if texts is None else texts[i] for i in range(len(stack))]
    captions = [names[i] for i in neighbors.tolist()]
    if distances is not None:
        values = check_values(distances, name="distances", where=where)
        check_length(
            len(values),
            len(neighbors),
            name="distances",
            expected_name="neighbor_indices",
            where=where,
        )
        captions = [f"{name}\nd = {d:.3g}" for name, d in zip(captions, values, strict=True)]
    n_caption_lines = 1 if distances is None else 2

    # Balance the rows: 5 neighbors in 4 columns become 3 + 2, not 4 + 1.
    n_rows = -(-neighbors.size // n_columns)
    n_grid_columns = -(-neighbors.size // n_rows)
    grid_width, grid_height = grid_figure_size(n_rows, n_grid_columns, n_caption_lines)
    query_side = 2 * PANEL_IN
    figure = new_figure(
        figsize=(grid_width + query_side + 0.3, max(grid_height, query_side + 0.9)),
        layout="constrained",
    )
    left, right = figure.subfigures(
        1, 2, squeeze=False, width_ratios=[query_side + 0.3, grid_width]
    )[0]
    ax = left.subplots()
    stack.draw(ax, query)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color(QUERY_COLOR)
        spine.set_linewidth(QUERY_FRAME_WIDTH)
    plain(ax.set_title(f"query: {names[query]}", fontsize=9, color=QUERY_COLOR))
    draw_grid(right, stack, neighbors, captions, n_columns=n_grid_columns)
    figure.suptitle(f"{neighbors.size} nearest neighbors in embedding space", fontsize=10)
    return figure


def plot_clusters(
    cutouts: Any,
    cluster_labels: Any,
    *,
    n_per_cluster: int = 8,
    random_state: RandomState = None,
    labels: Sequence[Any] | None = None,
    stretch: str = "asinh",
    percentile: float = 99.5,
) -> Figure:
    """Show a random sample of each cluster's members, one row per cluster.

    Rows are sorted by cluster label; the label -1 (noise, as HDBSCAN and DBSCAN mark
    unclustered images) comes last and is called "noise". Each row is labelled
    ``"cluster 3 (n = 41)"``, with the cluster's full size.

    Parameters
    ----------
    cutouts : array-like of shape (n_images, ny, nx) or (n_images, n_channels, ny, nx)
        All images. Float data, or uint8 thumbnails drawn as they are.
    cluster_labels : array-like of shape (n_images,)
        Cluster of each image: integers (-1 for noise) or strings.
    n_per_cluster : int, default=8
        Members shown per cluster (all of a smaller cluster), i.e. panels per row.
    random_state : int, numpy.random.Generator or None, default=None
        Seed for choosing the members. Fix it to get the same figure again.
    labels : sequence of str, optional
        One caption per image in ``cutouts``, shown as plain text. Default: none.
    stretch : {"asinh", "linear", "log", "sqrt"}, default="asinh"
        Display stretch.
    percentile : float, default=99.5
        Central percentage of each cutout's finite pixels spread from black to white.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per image shown, row by row. Not attached to pyplot.

    Raises
    ------
    ValueError
        If ``cluster_labels`` is not 1-D with one label per image, or
        ``n_per_cluster`` < 1.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((6, 16, 16))
    >>> figure = plot_clusters(images, [1, 0, -1, 1, 0, 1], n_per_cluster=2, random_state=0)
    >>> [ax.get_ylabel() for ax in figure.axes if ax.get_ylabel()]
    ['cluster 0 (n = 2)', 'cluster 1 (n = 3)', 'noise (n = 1)']
    """
    where = "plot_clusters"
    stack = CutoutStack(cutouts, where=where, stretch=stretch, percentile=percentile)
    n_per_cluster = check_positive_int(n_per_cluster, name="n_per_cluster", where=where)
    texts = check_labels(labels, len(stack), where=where)
    values = check_per_image(
        cluster_labels,
        len(stack),
        name="cluster_labels",
        expected_name="cutouts",
        where=where,
        what="label",
    )
    if values.dtype.kind == "O":
        values = values.astype(str)
    clusters = np.unique(values)
    is_integer = values.dtype.kind in "iu"
    if is_integer and NOISE_LABEL in clusters:
        clusters = np.array([*clusters[clusters != NOISE_LABEL], NOISE_LABEL])
    generator = as_generator(random_state)

    rows, row_names = [], []
    for cluster in clusters:
        members = np.flatnonzero(values == cluster)
        if members.size > n_per_cluster:
            members = np.sort(generator.choice(members, n_per_cluster, replace=False))
        rows.append(members)
        name = "noise" if is_integer and cluster == NOISE_LABEL else f"cluster {cluster}"
        row_names.append(f"{name} (n = {np.count_nonzero(values == cluster):,})")
    n_columns = max(len(row) for row in rows)
    n_caption_lines = 0 if texts is None else 1
    width = PANEL_IN * n_columns + 1.6
    height = (PANEL_IN + CAPTION_LINE_IN * n_caption_lines) * len(rows) + 0.5
    figure = new_figure(figsize=(width, height), layout="constrained")
    grid = figure.subplots(len(rows), n_columns, squeeze=False)
    for axes, members, row_name in zip(grid, rows, row_names, strict=True):
        for column, ax in enumerate(axes):
            if column >= members.size:
                ax.remove()
                continue
            index = int(members[column])
            draw_panel(ax, stack, index, None if texts is None else texts[index])
        label = axes[0].set_ylabel(
            row_name, rotation=0, ha="right", va="center", fontsize=9, labelpad=6
        )
        plain(label)
    n_clusters = len(rows) - int(is_integer and NOISE_LABEL in clusters)
    figure.suptitle(
        f"{n_clusters} clusters of {len(stack):,} images: up to {n_per_cluster} random "
        "members of each",
        fontsize=10,
    )
    return figure


def plot_anomalies(
    cutouts: Any,
    scores: Any,
    *,
    n: int = 16,
    n_columns: int = 8,
    labels: Sequence[Any] | None = None,
    stretch: str = "asinh",
    percentile: float = 99.5,
) -> Figure:
    """Show the images with the highest anomaly scores, most unusual first.

    Parameters
    ----------
    cutouts : array-like of shape (n_images, ny, nx) or (n_images, n_channels, ny, nx)
        All images. Float data, or uint8 thumbnails drawn as they are.
    scores : array-like of shape (n_images,)
        Anomaly score of each image; higher = more unusual (e.g.
        ``session.anomaly_scores``). NaN scores are never shown.
    n : int, default=16
        Number of images to show (fewer if fewer have a score).
    n_columns : int, default=8
        Panels per row.
    labels : sequence of str, optional
        One caption per image in ``cutouts`` (e.g. the OBJECT keyword), shown as plain
        text under the rank and score.
    stretch : {"asinh", "linear", "log", "sqrt"}, default="asinh"
        Display stretch. Try ``"linear"`` too: artefacts such as saturated stars or
        satellite trails often stand out better without a stretch.
    percentile : float, default=99.5
        Central percentage of each cutout's finite pixels spread from black to white.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per image, captioned ``"#1 score 3.21"``. Not attached to pyplot.

    Raises
    ------
    ValueError
        If ``scores`` is not 1-D with one value per image, none is finite, or ``n`` < 1.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((10, 16, 16))
    >>> scores = np.arange(10.0)
    >>> figure = plot_anomalies(images, scores, n=3)
    >>> [ax.get_title() for ax in figure.axes]
    ['#1 score 9', '#2 score 8', '#3 score 7']
    """
    where = "plot_anomalies"
    stack = CutoutStack(cutouts, where=where, stretch=stretch, percentile=percentile)
    n = check_positive_int(n, name="n", where=where)
    n_columns = check_positive_int(n_columns, name="n_columns", where=where)
    texts = check_labels(labels, len(stack), where=where)
    values = check_values(scores, name="scores", where=where)
    check_length(len(values), len(stack), name="scores", expected_name="cutouts", where=where)
    scored = np.flatnonzero(np.isfinite(values))
    if scored.size == 0:
        msg = (
            f"No finite anomaly scores in {where}. Expected at least one finite value in "
            f"'scores'; got {len(values)} NaN or infinite values. Fit the anomaly scorer "
            "on embeddings without NaNs."
        )
        raise ValueError(msg)
    top = scored[np.argsort(-values[scored], kind="stable")[:n]]
    captions = [
        f"#{rank} score {values[i]:.3g}" + ("" if texts is None else f"\n{texts[i]}")
        for rank, i in enumerate(top.tolist(), start=1)
    ]
    n_grid_columns = min(n_columns, top.size)
    n_rows = -(-top.size // n_grid_columns)
    figure = new_figure(
        figsize=grid_figure_size(n_rows, n_grid_columns, 1 if texts is None else 2),
        layout="constrained",
    )
    draw_grid(figure, stack, top, captions, n_columns=n_grid_columns)
    figure.suptitle(
        f"The {top.size} most unusual of {len(stack):,} images "
        "(higher anomaly score = more unusual)",
        fontsize=10,
    )
    return figure
