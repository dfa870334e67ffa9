"""plot_loss() and smooth_loss(): the training-loss figure."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from astromorph_nb.plotting import plot_loss, smooth_loss

STEPS = np.arange(1, 201)
LOSSES = 2.0 * np.exp(-STEPS / 50) + 0.3


def lines_by_label(figure):
    return {line.get_label(): line for line in figure.axes[0].get_lines()}


def test_plot_loss_draws_raw_smoothed_and_epoch_lines_with_labels():
    figure = plot_loss(STEPS, LOSSES, epoch_steps=[100, 200], epoch_means=[1.0, 0.4])
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    lines = lines_by_label(figure)
    assert set(lines) == {"loss per step", "moving average (smoothing 0.98)", "epoch mean"}
    np.testing.assert_array_equal(lines["loss per step"].get_ydata(), LOSSES)
    np.testing.assert_array_equal(lines["epoch mean"].get_xdata(), [100, 200])
    assert lines["loss per step"].get_alpha() < 1
    assert ax.get_xlabel() == "Optimiser step"
    assert ax.get_ylabel() == "BYOL loss"
    assert "200 steps" in ax.get_title()
    assert ax.get_legend() is not None


def test_plot_loss_puts_epoch_means_at_the_ends_of_equal_parts_when_steps_are_not_given():
    figure = plot_loss(STEPS, LOSSES, epoch_means=[1.0, 0.5, 0.4, 0.3])
    np.testing.assert_array_equal(
        lines_by_label(figure)["epoch mean"].get_xdata(), [50, 100, 150, 200]
    )


def test_plot_loss_leaves_out_epoch_markers_when_no_means_are_given():
    figure = plot_loss(STEPS, LOSSES)
    assert "epoch mean" not in lines_by_label(figure)


def test_plot_loss_draws_into_the_given_axes():
    figure = Figure()
    axes = figure.subplots(1, 2)
    assert plot_loss(STEPS, LOSSES, ax=axes[1]) is figure
    assert len(axes[1].get_lines()) == 2
    assert len(axes[0].get_lines()) == 0


def test_plot_loss_uses_a_log_axis_with_plain_tick_labels_when_asked():
    axis = plot_loss(STEPS, LOSSES, log_scale=True).axes[0].yaxis
    assert axis.get_scale() == "log"
    assert axis.get_major_formatter()(1.0) == "1"
    assert [axis.get_minor_formatter()(v) for v in (0.5, 0.6, 2.0)] == ["0.5", "", "2"]
    assert plot_loss(STEPS, LOSSES).axes[0].get_yscale() == "linear"


def test_plot_loss_saves_as_pdf_and_svg(tmp_path):
    figure = plot_loss(STEPS, LOSSES, epoch_means=[1.0, 0.4], log_scale=True)
    for name in ("loss.pdf", "loss.svg"):
        figure.savefig(tmp_path / name)
        assert (tmp_path / name).stat().st_size > 1000


def test_smooth_loss_starts_at_the_first_loss_thanks_to_bias_correction():
    smoothed = smooth_loss(np.full(10, 3.0), smoothing=0.98)
    np.testing.assert_allclose(smoothed, 3.0)


def test_smooth_loss_with_zero_smoothing_returns_the_losses():
    np.testing.assert_allclose(smooth_loss(LOSSES, smoothing=0.0), LOSSES)


def test_smooth_loss_matches_the_bias_corrected_formula():
    beta = 0.9
    losses = np.array([4.0, 2.0, 1.0])
    ema = [0.1 * 4.0, 0.9 * 0.1 * 4.0 + 0.1 * 2.0]
    ema.append(0.9 * ema[1] + 0.1 * 1.0)
    expected = np.array(ema) / (1 - beta ** np.arange(1, 4))
    np.testing.assert_allclose(smooth_loss(losses, smoothing=beta), expected)


def test_smooth_loss_skips_non_finite_losses():
    smoothed = smooth_loss([np.nan, 2.0, np.inf, 2.0], smoothing=0.5)
    assert np.isnan(smoothed[0])
    np.testing.assert_allclose(smoothed[1:], 2.0)


@pytest.mark.parametrize("smoothing", [1.0, -0.1, float("nan"), "0.9"])
def test_smooth_loss_rejects_smoothing_outside_zero_to_one(smoothing):
    with pytest.raises(
        ValueError, match=r"'smoothing' parameter of plot_loss must be a number in \[0, 1\)"
    ):
        plot_loss(STEPS, LOSSES, smoothing=smoothing)


def test_plot_loss_rejects_losses_of_another_length_than_steps():
    with pytest.raises(ValueError, match=r"'losses' has 199 entries but 'steps' has 200"):
        plot_loss(STEPS, LOSSES[:-1])


def test_plot_loss_rejects_an_empty_history():
    with pytest.raises(ValueError, match=r"No loss values in plot_loss.*got 0"):
        plot_loss([], [])


def test_plot_loss_rejects_epoch_steps_without_epoch_means():
    with pytest.raises(ValueError, match=r"Missing 'epoch_means' in plot_loss"):
        plot_loss(STEPS, LOSSES, epoch_steps=[100, 200])


def test_plot_loss_rejects_epoch_steps_of_another_length_than_epoch_means():
    with pytest.raises(ValueError, match=r"'epoch_steps' has 1 entries but 'epoch_means' has 2"):
        plot_loss(STEPS, LOSSES, epoch_steps=[100], epoch_means=[1.0, 0.5])


def test_plot_loss_rejects_two_dimensional_losses():
    with pytest.raises(
        ValueError, match=r"Wrong shape of 'losses' in plot_loss.*got shape \(2, 100\)"
    ):
        plot_loss(STEPS, LOSSES.reshape(2, 100))


def test_plot_loss_rejects_non_numeric_losses():
    with pytest.raises(TypeError, match=r"Non-numeric 'losses' in plot_loss.*dtype <U"):
        plot_loss([1, 2], ["a", "b"])
