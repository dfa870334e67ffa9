"""display.resize: block means, area averages and squares for thumbnails."""

from __future__ import annotations

import numpy as np

from astromorph_nb.data import thumbnails
from astromorph_nb.display import block_mean, pad_to_square, shrink_square


def test_block_mean_averages_whole_blocks_and_leaves_blank_pixels_out():
    images = np.arange(2 * 5 * 4, dtype=np.float64).reshape(2, 5, 4)
    small = block_mean(images, 2)
    assert small.shape == (2, 2, 2)  # the fifth row is dropped
    assert small[0, 0, 0] == np.mean([0, 1, 4, 5])
    images[0, 0, 0] = np.nan
    images[1, :2, :2] = np.nan
    small = block_mean(images, 2)
    assert small[0, 0, 0] == np.mean([1, 4, 5])
    assert np.isnan(small[1, 0, 0])


def test_pad_to_square_centres_each_thumbnail_on_black():
    tall = np.full((3, 4, 2), 200, dtype=np.uint8)
    square = pad_to_square(tall)
    assert square.shape == (3, 4, 4)
    assert (square[:, :, 1:3] == 200).all()
    assert (square[:, :, [0, 3]] == 0).all()


def test_shrink_square_keeps_the_mean_for_any_ratio():
    rng = np.random.default_rng(0)
    stack = rng.integers(0, 256, size=(4, 30, 30), dtype=np.uint8)
    for new_size in (15, 7):
        small = shrink_square(stack, new_size, block=3)
        assert small.shape == (4, new_size, new_size)
        np.testing.assert_allclose(small.mean(axis=(1, 2)), stack.mean(axis=(1, 2)), atol=1.0)
    flat = np.full((1, 10, 10), 90, dtype=np.uint8)
    assert set(shrink_square(flat, 3).ravel()) == {90}


def test_the_data_layer_names_are_the_same_functions():
    assert thumbnails.pad_to_square is pad_to_square
    assert thumbnails.shrink_square is shrink_square
