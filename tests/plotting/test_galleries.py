"""plot_neighbors(), plot_clusters() and plot_anomalies(): galleries of cutouts."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import same_color
from matplotlib.figure import Figure

from astromorph_nb.plotting import plot_anomalies, plot_clusters, plot_montage, plot_neighbors

CLUSTERS = np.array([2, 0, -1, 2, 0, 2, 2, 0, -1, 2, 0, 2])  # sizes: 0 -> 4, 2 -> 6, noise 2


def row_labels(figure) -> list[str]:
    return [ax.get_ylabel() for ax in figure.axes if ax.get_ylabel()]


def test_plot_neighbors_shows_the_framed_query_first_then_captioned_neighbors(cutouts):
    figure = plot_neighbors(cutouts, 3, [4, 5, 9], [0.1234, 0.2, 1.5])
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 4
    query = figure.axes[0]
    assert query.get_title() == "query: image 3"
    assert all(same_color(s.get_edgecolor(), "C1") for s in query.spines.values())
    np.testing.assert_array_equal(
        query.images[0].get_array(), plot_montage(cutouts, [3]).axes[0].images[0].get_array()
    )
    assert [ax.get_title() for ax in figure.axes[1:]] == [
        "image 4\nd = 0.123",
        "image 5\nd = 0.2",
        "image 9\nd = 1.5",
    ]
    assert "3 nearest neighbors" in figure.get_suptitle()


def test_plot_neighbors_draws_the_query_larger_than_a_neighbor(cutouts):
    figure = plot_neighbors(cutouts, 0, list(range(1, 9)))
    figure.canvas.draw()
    query = figure.axes[0].get_position()
    neighbor = figure.axes[1].get_position()
    assert query.width > 1.5 * neighbor.width


def test_plot_neighbors_captions_with_labels_and_without_distances(cutouts):
    labels = [f"XDF_{i}$" for i in range(12)]
    figure = plot_neighbors(cutouts, 0, [1, 2], labels=labels)
    assert figure.axes[0].get_title() == "query: XDF_0$"
    assert [ax.get_title() for ax in figure.axes[1:]] == ["XDF_1$", "XDF_2$"]
    assert not figure.axes[0].title.get_parse_math()


def test_plot_neighbors_balances_rows(cutouts):
    figure = plot_neighbors(cutouts, 0, [1, 2, 3, 4, 5], n_columns=4)
    columns = [ax.get_subplotspec().colspan.start for ax in figure.axes[1:]]
    assert columns == [0, 1, 2, 0, 1]


def test_plot_neighbors_rejects_a_query_out_of_range(cutouts):
    with pytest.raises(IndexError, match=r"'query' of plot_neighbors.*got 12"):
        plot_neighbors(cutouts, 12, [1])


def test_plot_neighbors_rejects_neighbor_indices_out_of_range(cutouts):
    with pytest.raises(IndexError, match=r"'neighbor_indices' of plot_neighbors.*got -13"):
        plot_neighbors(cutouts, 0, [1, -13])


def test_plot_neighbors_rejects_distances_of_another_length(cutouts):
    with pytest.raises(ValueError, match=r"'distances' has 1 entries but 'neighbor_indices' has 2"):
        plot_neighbors(cutouts, 0, [1, 2], [0.5])


def test_plot_neighbors_rejects_no_neighbors(cutouts):
    with pytest.raises(ValueError, match=r"No neighbors to show in plot_neighbors"):
        plot_neighbors(cutouts, 0, [])


def test_plot_clusters_has_one_row_per_cluster_sorted_with_noise_last(cutouts):
    figure = plot_clusters(cutouts, CLUSTERS, n_per_cluster=3, random_state=0)
    assert row_labels(figure) == ["cluster 0 (n = 4)", "cluster 2 (n = 6)", "noise (n = 2)"]
    assert len(figure.axes) == 3 + 3 + 2
    assert "2 clusters of 12 images" in figure.get_suptitle()


def test_plot_clusters_shows_only_members_of_each_cluster(cutouts):
    figure = plot_clusters(cutouts, CLUSTERS, n_per_cluster=2, random_state=0)
    rows: dict[int, list[np.ndarray]] = {}
    for ax in figure.axes:
        rows.setdefault(ax.get_subplotspec().rowspan.start, []).append(ax.images[0].get_array())
    assert [len(row) for row in rows.values()] == [2, 2, 2]
    for row, cluster in zip(rows.values(), [0, 2, -1], strict=True):
        members = [
            plot_montage(cutouts, [i]).axes[0].images[0].get_array()
            for i in np.flatnonzero(cluster == CLUSTERS)
        ]
        for shown in row:
            assert any(np.array_equal(shown, member) for member in members)


def test_plot_clusters_repeats_for_a_fixed_random_state(cutouts):
    first = plot_clusters(cutouts, CLUSTERS, n_per_cluster=2, random_state=5)
    second = plot_clusters(cutouts, CLUSTERS, n_per_cluster=2, random_state=5)
    for a, b in zip(first.axes, second.axes, strict=True):
        np.testing.assert_array_equal(a.images[0].get_array(), b.images[0].get_array())


def test_plot_clusters_accepts_string_labels_and_captions(cutouts):
    names = np.where(CLUSTERS == 2, "spiral", "elliptical")
    labels = [f"obj_{i}" for i in range(12)]
    figure = plot_clusters(cutouts, names, n_per_cluster=1, labels=labels, random_state=0)
    assert row_labels(figure) == ["cluster elliptical (n = 6)", "cluster spiral (n = 6)"]
    assert all(ax.get_title().startswith("obj_") for ax in figure.axes)


def test_plot_clusters_rejects_n_per_cluster_below_one(cutouts):
    with pytest.raises(
        ValueError, match=r"'n_per_cluster' parameter of plot_clusters must be an int >= 1; got 0"
    ):
        plot_clusters(cutouts, CLUSTERS, n_per_cluster=0)


def test_plot_clusters_rejects_cluster_labels_of_another_length(cutouts):
    with pytest.raises(ValueError, match=r"'cluster_labels' has 11 entries but 'cutouts' has 12"):
        plot_clusters(cutouts, CLUSTERS[:-1])


def test_plot_clusters_rejects_two_dimensional_cluster_labels(cutouts):
    with pytest.raises(
        ValueError, match=r"Wrong shape of 'cluster_labels' in plot_clusters.*got shape \(2, 6\)"
    ):
        plot_clusters(cutouts, CLUSTERS.reshape(2, 6))


def test_plot_anomalies_shows_the_highest_scores_first_with_rank_and_score(cutouts):
    scores = np.array([0.5, 3.214, 1.0, np.nan, 2.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8])
    figure = plot_anomalies(cutouts, scores, n=3)
    assert [ax.get_title() for ax in figure.axes] == [
        "#1 score 3.21",
        "#2 score 2",
        "#3 score 1",
    ]
    np.testing.assert_array_equal(
        figure.axes[0].images[0].get_array(),
        plot_anomalies(cutouts[[1]], [1.0]).axes[0].images[0].get_array(),
    )
    assert "higher anomaly score = more unusual" in figure.get_suptitle()


def test_plot_anomalies_never_shows_nan_scores_and_stops_at_the_scored_images(cutouts):
    scores = np.full(12, np.nan)
    scores[[2, 7]] = [1.0, 2.0]
    figure = plot_anomalies(cutouts, scores, n=16, labels=[f"J{i}" for i in range(12)])
    assert [ax.get_title() for ax in figure.axes] == ["#1 score 2\nJ7", "#2 score 1\nJ2"]


def test_plot_anomalies_saves_as_pdf_and_svg(tmp_path, cutouts):
    figure = plot_anomalies(cutouts, np.arange(12.0), n=5)
    for name in ("anomalies.pdf", "anomalies.svg"):
        figure.savefig(tmp_path / name)
        assert (tmp_path / name).stat().st_size > 1000


def test_plot_anomalies_rejects_scores_of_another_length(cutouts):
    with pytest.raises(ValueError, match=r"'scores' has 3 entries but 'cutouts' has 12"):
        plot_anomalies(cutouts, [1.0, 2.0, 3.0])


def test_plot_anomalies_rejects_scores_without_a_finite_value(cutouts):
    with pytest.raises(ValueError, match=r"No finite anomaly scores in plot_anomalies.*got 12 NaN"):
        plot_anomalies(cutouts, np.full(12, np.nan))


def test_plot_anomalies_rejects_n_below_one(cutouts):
    with pytest.raises(ValueError, match=r"'n' parameter of plot_anomalies must be an int >= 1"):
        plot_anomalies(cutouts, np.arange(12.0), n=0)
