"""display.curves: one moving average and one decimation for every loss curve."""

from __future__ import annotations

import numpy as np
import pytest

from astromorph_nb.display import (
    HALF_LIFE_STEPS,
    LOSS_SMOOTHING,
    MAX_EPOCH_MARKERS,
    MAX_POINTS,
    decimate,
    loss_curve_points,
    smooth_loss,
)


def test_the_average_of_a_constant_is_the_constant():
    np.testing.assert_allclose(smooth_loss(np.full(5000, 2.5)), 2.5, rtol=1e-12)


def test_the_average_follows_a_step_with_the_documented_half_life():
    assert round(HALF_LIFE_STEPS, 1) == 34.3  # as the module docstring says
    jump_at = 3000  # long after the start, so the bias correction is 1
    losses = np.r_[np.ones(jump_at), np.zeros(3000)]
    after = smooth_loss(losses)[jump_at - 1 :]  # after[k]: k steps after the jump
    below = int(np.floor(HALF_LIFE_STEPS))
    assert after[below] > 0.5 > after[below + 1]
    np.testing.assert_allclose(after[:200], LOSS_SMOOTHING ** np.arange(200), rtol=1e-9)


def test_the_average_matches_the_recursion_for_every_block_length():
    rng = np.random.default_rng(0)
    losses = rng.normal(1.0, 0.3, 5000)
    for beta in (0.0, 0.3, 0.9, LOSS_SMOOTHING, 0.9999):
        expected, average = [], 0.0
        for k, value in enumerate(losses, start=1):
            average = beta * average + (1 - beta) * value
            expected.append(average / (1 - beta**k))
        np.testing.assert_allclose(smooth_loss(losses, beta), expected, rtol=1e-10)


def test_non_finite_losses_keep_the_previous_value():
    smoothed = smooth_loss([np.nan, 3.0, np.inf, np.nan, 1.0], 0.5)
    assert np.isnan(smoothed[0])
    np.testing.assert_allclose(smoothed[1:4], 3.0)
    np.testing.assert_allclose(smoothed[4], (0.25 * 3.0 + 0.5 * 1.0) / 0.75)


def test_smoothing_outside_zero_to_one_is_refused_by_name():
    with pytest.raises(ValueError, match=r"'smoothing' parameter of plot_loss .*\[0, 1\)"):
        smooth_loss([1.0], 1.0, where="plot_loss")


def test_decimation_keeps_first_last_extremes_and_at_most_max_points():
    rng = np.random.default_rng(1)
    x = np.arange(50_000.0)
    y = np.cos(x / 900.0) + rng.normal(0, 0.1, x.size)
    y[12_345], y[40_000] = 40.0, -40.0
    for max_points in (4, 5, 100, 2001):
        small_x, small_y = decimate(x, y, max_points)
        assert len(small_x) <= max_points
        assert (small_x[0], small_x[-1]) == (0.0, 49_999.0)
        np.testing.assert_array_equal(y[small_x.astype(int)], small_y)
        assert np.all(np.diff(small_x) > 0)
    assert {40.0, -40.0} <= set(decimate(x, y, 100)[1])


def test_short_histories_are_not_decimated():
    x = np.arange(10.0)
    assert decimate(x, x, 10)[0] is x
    with pytest.raises(ValueError, match="'max_points' parameter of decimate"):
        decimate(x, x, 3)


def test_loss_curve_points_decimate_every_line_and_smooth_before():
    n = 5 * MAX_POINTS
    steps, losses = np.arange(1, n + 1), np.linspace(3.0, 1.0, n)
    curve = loss_curve_points(steps, losses, [n // 2, n], [2.0, 1.0])
    assert len(curve.steps) <= MAX_POINTS
    assert len(curve.smoothed) <= MAX_POINTS
    full = smooth_loss(losses)
    np.testing.assert_allclose(curve.smoothed, full[curve.smoothed_steps.astype(int) - 1])
    assert curve.epoch_markers
    many = loss_curve_points(steps, losses, np.arange(61), np.ones(61))
    assert MAX_EPOCH_MARKERS == 60
    assert not many.epoch_markers
