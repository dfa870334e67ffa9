"""plot_montage() and the cutout rendering every gallery shares."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure

from astromorph_nb import InvalidImageError
from astromorph_nb.plotting import plot_montage


def shown(figure, position=0) -> np.ndarray:
    return np.asarray(figure.axes[position].images[0].get_array())


def test_plot_montage_draws_one_captioned_panel_per_index(cutouts):
    figure = plot_montage(cutouts, [5, 0, 7], n_columns=2)
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 3
    assert [ax.get_title() for ax in figure.axes] == ["image 5", "image 0", "image 7"]
    assert all(len(ax.images) == 1 for ax in figure.axes)
    assert figure.axes[0].images[0].get_interpolation() == "nearest"


def test_plot_montage_shows_every_cutout_by_default_in_rows_of_n_columns(cutouts):
    figure = plot_montage(cutouts, n_columns=5)
    assert len(figure.axes) == 12
    rows = {ax.get_subplotspec().rowspan.start for ax in figure.axes}
    assert rows == {0, 1, 2}


def test_plot_montage_captions_with_labels_and_shows_them_literally(cutouts):
    labels = [f"J{i:04d}_$z$" for i in range(12)]
    labels[1] = r"$\notacommand$"
    figure = plot_montage(cutouts, [0, 1], labels=labels, title="NGC_$4$")
    titles = [ax.title for ax in figure.axes]
    assert [t.get_text() for t in titles] == ["J0000_$z$", r"$\notacommand$"]
    assert not any(t.get_parse_math() for t in titles)
    assert figure.get_suptitle() == "NGC_$4$"
    figure.savefig(io.BytesIO(), format="png")  # mathtext would fail on \notacommand


def test_plot_montage_scales_each_cutout_to_zero_one(cutouts):
    image = shown(plot_montage(cutouts * 1000 + 5, [0]))
    assert image.min() == 0.0
    assert image.max() == 1.0


def test_plot_montage_renders_nan_cutouts_finite(cutouts):
    cutouts[0, :4] = np.nan
    cutouts[1] = np.nan
    figure = plot_montage(cutouts, [0, 1])
    partly, blank = shown(figure, 0), shown(figure, 1)
    assert np.isfinite(partly).all()
    assert np.isfinite(blank).all()
    assert (partly[:4] == 0).all()
    assert partly.max() == 1.0
    assert (blank == 0).all()
    figure.savefig(io.BytesIO(), format="png")


def test_plot_montage_stretches_change_the_display(cutouts):
    linear = shown(plot_montage(cutouts, [0], stretch="linear"))
    displays = {
        name: shown(plot_montage(cutouts, [0], stretch=name)) for name in ("asinh", "sqrt", "log")
    }
    for display in displays.values():
        assert display.mean() > linear.mean()  # all three brighten faint pixels


def test_plot_montage_percentile_clips_the_brightest_pixels(cutouts):
    wide = shown(plot_montage(cutouts, [11], stretch="linear", percentile=100))
    clipped = shown(plot_montage(cutouts, [11], stretch="linear", percentile=90))
    assert np.count_nonzero(clipped == 1.0) > np.count_nonzero(wide == 1.0)


def test_plot_montage_shows_the_first_channel_of_multiband_cutouts(cutouts):
    bands = np.stack([cutouts, np.zeros_like(cutouts)], axis=1)
    np.testing.assert_allclose(shown(plot_montage(bands, [2])), shown(plot_montage(cutouts, [2])))


def test_plot_montage_makes_an_rgb_composite_of_three_channels(cutouts):
    rgb = np.stack([cutouts, 0.5 * cutouts, np.zeros_like(cutouts)], axis=1)
    image = shown(plot_montage(rgb, [3], stretch="linear", percentile=100))
    assert image.shape == (16, 16, 3)
    # One interval for the three channels keeps the colour: red is brighter than green.
    assert image[..., 0].max() == pytest.approx(1.0)
    assert image[..., 1].max() < 0.6
    assert image.min() >= 0


def test_plot_montage_draws_uint8_thumbnails_as_they_are():
    thumbnails = np.arange(3 * 4 * 4, dtype=np.uint8).reshape(3, 4, 4) * 5
    figure = plot_montage(thumbnails, [1], stretch="log", percentile=50)
    np.testing.assert_allclose(shown(figure), thumbnails[1] / 255.0)
    assert figure.axes[0].images[0].origin == "lower"


def test_plot_montage_saves_as_pdf_and_svg(tmp_path, cutouts):
    figure = plot_montage(cutouts, n_columns=4, title="twelve blobs")
    for name in ("montage.pdf", "montage.svg"):
        figure.savefig(tmp_path / name)
        assert (tmp_path / name).stat().st_size > 1000
    svg = (tmp_path / "montage.svg").read_text()
    assert svg.count("<image") == 12


@pytest.mark.parametrize("shape", [(16, 16), (2, 1, 1, 8, 8), (0, 8, 8)])
def test_plot_montage_rejects_cutouts_of_the_wrong_shape(shape):
    with pytest.raises(
        InvalidImageError, match=r"Wrong shape of 'cutouts' in plot_montage.*\(n_images, ny, nx\)"
    ):
        plot_montage(np.zeros(shape))


def test_plot_montage_rejects_non_numeric_cutouts():
    with pytest.raises(
        InvalidImageError, match=r"Non-numeric 'cutouts' in plot_montage.*dtype <U1"
    ):
        plot_montage(np.full((2, 4, 4), "a"))


def test_plot_montage_rejects_an_unknown_stretch_and_lists_the_choices(cutouts):
    with pytest.raises(
        ValueError,
        match=r"'stretch' parameter of plot_montage must be one of 'asinh', 'linear', "
        r"'log', 'sqrt'; got 'zscale'",
    ):
        plot_montage(cutouts, stretch="zscale")


@pytest.mark.parametrize("percentile", [0, 101, float("nan"), "99"])
def test_plot_montage_rejects_a_percentile_outside_zero_to_100(cutouts, percentile):
    with pytest.raises(
        ValueError, match=r"'percentile' parameter of plot_montage must be a number in \(0, 100\]"
    ):
        plot_montage(cutouts, percentile=percentile)


def test_plot_montage_rejects_indices_out_of_range(cutouts):
    with pytest.raises(
        IndexError,
        match=r"Index out of range in 'indices' of plot_montage.*\[-12, 11\] for 12 images; got 12",
    ):
        plot_montage(cutouts, [0, 12])


def test_plot_montage_rejects_empty_indices(cutouts):
    with pytest.raises(ValueError, match=r"No images to show in plot_montage.*indices=None"):
        plot_montage(cutouts, [])


def test_plot_montage_rejects_labels_of_another_length(cutouts):
    with pytest.raises(ValueError, match=r"'labels' has 3 entries but 'cutouts' has 12"):
        plot_montage(cutouts, labels=["a", "b", "c"])


def test_plot_montage_rejects_a_single_string_as_labels(cutouts):
    with pytest.raises(TypeError, match=r"Wrong 'labels' in plot_montage.*single string 'NGC 1'"):
        plot_montage(cutouts, labels="NGC 1")


def test_plot_montage_rejects_zero_columns(cutouts):
    with pytest.raises(
        ValueError, match=r"'n_columns' parameter of plot_montage must be an int >= 1"
    ):
        plot_montage(cutouts, n_columns=0)
