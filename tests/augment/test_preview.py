"""preview() draws originals beside augmented views."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from astromorph_nb import InvalidImageError
from astromorph_nb.augment import RandomFlip, preview


def test_preview_has_one_row_per_image_and_one_column_per_view(tmp_path):
    figure = preview(torch.rand(5, 2, 16, 16), n_images=3, n_views=2, random_state=0)
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 3 * (1 + 2)
    assert figure.axes[0].get_title() == "original"
    assert figure.axes[2].get_title() == "view 2"
    assert figure.axes[3].get_ylabel() == "image 1"
    figure.savefig(tmp_path / "preview.png")
    assert (tmp_path / "preview.png").stat().st_size > 0


def test_preview_shows_fewer_rows_when_there_are_fewer_images():
    figure = preview(np.random.default_rng(0).random((2, 8, 8)), RandomFlip(), n_images=4)
    assert len(figure.axes) == 2 * (1 + 4)


def test_preview_repeats_for_a_fixed_random_state():
    images = torch.rand(2, 1, 16, 16)
    first = preview(images, n_views=2, random_state=3).axes[1].images[0].get_array()
    second = preview(images, n_views=2, random_state=3).axes[1].images[0].get_array()
    np.testing.assert_array_equal(first, second)


def test_preview_rejects_single_images():
    with pytest.raises(
        InvalidImageError, match=r"\(n_images, n_channels, ny, nx\).*got shape \(16, 16\)"
    ):
        preview(np.zeros((16, 16)))


def test_preview_rejects_a_missing_channel():
    with pytest.raises(InvalidImageError, match=r"'channel'.*number of channels, 1; got 2"):
        preview(np.zeros((2, 1, 8, 8)), channel=2)


def test_preview_rejects_zero_views():
    with pytest.raises(ValueError, match=r"'n_views' parameter of preview must be an int >= 1"):
        preview(np.zeros((2, 1, 8, 8)), n_views=0)
