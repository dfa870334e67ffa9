"""plot_map() and choose_thumbnails(): the t-SNE map figure."""

from __future__ import annotations

import io
from itertools import combinations

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from astromorph_nb import InvalidImageError
from astromorph_nb.plotting import choose_thumbnails, plot_map


@pytest.fixture
def blobs() -> np.ndarray:
    """120 map positions in three Gaussian blobs."""
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [10.0, 2.0], [4.0, 9.0]])
    return centres[np.arange(120) % 3] + rng.normal(size=(120, 2))


@pytest.fixture
def images(blobs) -> np.ndarray:
    return np.random.default_rng(2).random((len(blobs), 8, 8))


def overlaps(a, b) -> bool:
    """Whether two imshow extents (left, right, bottom, top) share area."""
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def test_plot_map_labels_axes_hides_ticks_and_keeps_equal_aspect(blobs):
    figure = plot_map(blobs)
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("t-SNE 1", "t-SNE 2")
    assert list(ax.get_xticks()) == []
    assert list(ax.get_yticks()) == []
    assert ax.get_aspect() == 1.0
    assert "120 images" in ax.get_title()
    scatter = ax.collections[0]
    assert len(scatter.get_offsets()) == 120
    assert scatter.get_rasterized()


def test_plot_map_adds_a_labelled_colour_bar_for_numeric_color(blobs):
    figure = plot_map(blobs, color=np.linspace(0, 1, 120), color_label="anomaly score")
    assert len(figure.axes) == 2
    assert figure.axes[1].get_ylabel() == "anomaly score"
    assert figure.axes[0].get_legend() is None


def test_plot_map_draws_the_highest_numbers_on_top_and_nan_grey(blobs):
    values = np.linspace(0, 1, 120)[::-1].copy()
    values[5] = np.nan
    scatter = plot_map(blobs, color=values).axes[0].collections[0]
    shown = np.ma.getdata(scatter.get_array())
    assert np.isnan(shown[0])
    assert shown[-1] == 1.0
    assert np.all(np.diff(shown[1:]) >= 0)


def test_plot_map_adds_a_legend_with_noise_last_for_integer_categories(blobs):
    labels = np.arange(120) % 3 - 1  # -1, 0, 1
    figure = plot_map(blobs, color=labels, color_label="cluster")
    legend = figure.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["0 (40)", "1 (40)", "noise (40)"]
    assert legend.get_title().get_text() == "cluster"
    assert len(figure.axes) == 1
    colors = figure.axes[0].collections[0].get_facecolors()
    assert np.allclose(colors[:40, :3], to_rgba("0.7")[:3])  # noise drawn first, grey


def test_plot_map_treats_strings_as_categories(blobs):
    names = np.array(["spiral", "elliptical", "merger"])[np.arange(120) % 3]
    legend = plot_map(blobs, color=names).axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        "elliptical (40)",
        "merger (40)",
        "spiral (40)",
    ]


def test_plot_map_shows_user_strings_literally(blobs):
    names = np.array(["NGC_1$a$", r"$\notacommand$"])[np.arange(120) % 2]
    figure = plot_map(blobs, color=names, color_label="OBJECT_$x$")
    legend = figure.axes[0].get_legend()
    assert all(not t.get_parse_math() for t in [*legend.get_texts(), legend.get_title()])
    figure.savefig(io.BytesIO(), format="png")  # mathtext would fail on \notacommand


def test_plot_map_places_at_most_n_cutouts_thumbnails_that_do_not_overlap(blobs, images):
    figure = plot_map(blobs, cutouts=images, n_cutouts=12)
    thumbnails = figure.axes[0].images
    assert 1 <= len(thumbnails) <= 12
    extents = [image.get_extent() for image in thumbnails]
    assert not any(overlaps(a, b) for a, b in combinations(extents, 2))
    assert all(image.get_interpolation() == "nearest" for image in thumbnails)
    assert all(image.get_rasterized() for image in thumbnails)


def test_plot_map_thumbnails_stay_inside_the_axes_limits(blobs, images):
    ax = plot_map(blobs, cutouts=images, n_cutouts=40).axes[0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for left, right, bottom, top in (image.get_extent() for image in ax.images):
        assert x0 <= left < right <= x1
        assert y0 <= bottom < top <= y1


def test_plot_map_draws_no_thumbnails_when_n_cutouts_is_zero(blobs, images):
    assert len(plot_map(blobs, cutouts=images, n_cutouts=0).axes[0].images) == 0


def test_plot_map_accepts_uint8_thumbnails_and_rgb_cutouts(blobs):
    thumbnails = np.full((120, 8, 8), 255, dtype=np.uint8)
    shown = plot_map(blobs, cutouts=thumbnails, n_cutouts=3).axes[0].images[0].get_array()
    np.testing.assert_allclose(shown, 1.0)
    rgb = np.random.default_rng(0).random((120, 3, 8, 8))
    shown = plot_map(blobs, cutouts=rgb, n_cutouts=3).axes[0].images[0].get_array()
    assert shown.shape == (8, 8, 3)


def test_plot_map_rings_highlighted_images(blobs):
    ax = plot_map(blobs, color=np.arange(120) % 2, highlight=[3, 7, -1]).axes[0]
    rings = ax.collections[-1]
    np.testing.assert_allclose(rings.get_offsets(), blobs[[3, 7, 119]])
    assert "highlighted (3)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_map_draws_into_the_given_axes(blobs):
    figure = Figure()
    ax = figure.subplots()
    assert plot_map(blobs, ax=ax) is figure
    assert len(ax.collections) == 1


def test_plot_map_handles_100000_points_and_saves_a_pdf(tmp_path):
    rng = np.random.default_rng(0)
    figure = plot_map(rng.normal(size=(100_000, 2)), color=rng.random(100_000))
    figure.savefig(tmp_path / "map.pdf")
    assert (tmp_path / "map.pdf").stat().st_size > 1000


def test_plot_map_saves_thumbnails_as_pdf_and_svg(tmp_path, blobs, images):
    figure = plot_map(blobs, color=np.arange(120) % 3, cutouts=images, highlight=[0])
    for name in ("map.pdf", "map.svg"):
        figure.savefig(tmp_path / name)
        assert (tmp_path / name).stat().st_size > 1000


def test_choose_thumbnails_picks_the_point_nearest_each_cell_centre():
    points = np.array([[0.0, 0.0], [0.4, 0.4], [0.5, 0.5], [4.0, 4.0]])
    indices, centres, side = choose_thumbnails(points, 2)
    assert indices.tolist() == [2, 3]
    assert side == 2.0
    np.testing.assert_allclose(centres, [[1.0, 1.0], [3.0, 3.0]])


def test_choose_thumbnails_is_deterministic_and_respects_the_limit(blobs):
    first = choose_thumbnails(blobs, 10)
    second = choose_thumbnails(blobs.copy(), 10)
    np.testing.assert_array_equal(first[0], second[0])
    assert len(first[0]) <= 10
    assert len(set(first[0].tolist())) == len(first[0])


def test_choose_thumbnails_copes_with_all_points_in_one_place():
    indices, centres, _ = choose_thumbnails(np.ones((5, 2)), 4)
    assert indices.tolist() == [0]
    np.testing.assert_allclose(centres, [[1.0, 1.0]])


@pytest.mark.parametrize("shape", [(10,), (10, 3), (0, 2)])
def test_plot_map_rejects_coordinates_that_are_not_n_by_2(shape):
    with pytest.raises(
        ValueError, match=r"Wrong shape of 'coordinates' in plot_map.*\(n_images, 2\)"
    ):
        plot_map(np.zeros(shape))


def test_plot_map_rejects_non_finite_coordinates(blobs):
    blobs[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"Non-finite 'coordinates' in plot_map.*in 1 of 120 rows"):
        plot_map(blobs)


def test_plot_map_rejects_non_numeric_coordinates():
    with pytest.raises(TypeError, match=r"Non-numeric 'coordinates' in plot_map.*dtype <U1"):
        plot_map(np.array([["a", "b"]]))


def test_plot_map_rejects_color_of_another_length(blobs):
    with pytest.raises(ValueError, match=r"'color' has 119 entries but 'coordinates' has 120"):
        plot_map(blobs, color=np.ones(119))


def test_plot_map_rejects_two_dimensional_color(blobs):
    with pytest.raises(
        ValueError, match=r"Wrong shape of 'color' in plot_map.*\(120,\); got shape \(120, 3\)"
    ):
        plot_map(blobs, color=np.ones((120, 3)))


def test_plot_map_rejects_cutouts_of_another_length(blobs, images):
    with pytest.raises(ValueError, match=r"'cutouts' has 100 entries but 'coordinates' has 120"):
        plot_map(blobs, cutouts=images[:100])


def test_plot_map_rejects_highlight_indices_out_of_range(blobs):
    with pytest.raises(IndexError, match=r"'highlight' of plot_map.*\[-120, 119\].*got 120"):
        plot_map(blobs, highlight=[0, 120])


def test_plot_map_rejects_highlight_that_is_not_integers(blobs):
    with pytest.raises(TypeError, match=r"Wrong 'highlight' in plot_map.*integer image indices"):
        plot_map(blobs, highlight=[0.5])


def test_plot_map_rejects_an_unknown_stretch_and_lists_the_choices(blobs, images):
    with pytest.raises(
        ValueError, match=r"'stretch'.*'asinh', 'linear', 'log', 'sqrt'; got 'cubic'"
    ):
        plot_map(blobs, cutouts=images, stretch="cubic")


def test_plot_map_rejects_negative_n_cutouts(blobs):
    with pytest.raises(ValueError, match=r"'n_cutouts' parameter of plot_map must be an int >= 0"):
        plot_map(blobs, n_cutouts=-1)


def test_plot_map_rejects_cutouts_with_the_wrong_number_of_axes(blobs):
    with pytest.raises(InvalidImageError, match=r"Wrong shape of 'cutouts' in plot_map"):
        plot_map(blobs, cutouts=np.zeros((120, 8)))


@pytest.mark.parametrize("point_size", [0, -1.0, float("nan"), "big"])
def test_plot_map_rejects_a_point_size_that_is_not_positive(blobs, point_size):
    with pytest.raises(ValueError, match=r"'point_size' parameter of plot_map must be a positive"):
        plot_map(blobs, point_size=point_size)


def test_plot_map_uses_the_given_point_size(blobs):
    assert plot_map(blobs, point_size=7.5).axes[0].collections[0].get_sizes()[0] == 7.5


def test_plot_map_shows_a_single_point():
    ax = plot_map([[2.0, 3.0]]).axes[0]
    assert ax.get_xlim() == (1.0, 3.0)
