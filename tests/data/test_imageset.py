from __future__ import annotations

import numpy as np
import pytest
import torch
from astropy.table import Table

from astromorph_nb import ImageSet


@pytest.fixture
def images() -> ImageSet:
    array = np.arange(5 * 2 * 4 * 4, dtype=np.float32).reshape(5, 2, 4, 4)
    meta = Table({"file": [f"f{i}.fits" for i in range(5)], "hdu": ["SCI"] * 5, "plane": [-1] * 5})
    return ImageSet.from_arrays(array, meta)


def test_from_arrays_adds_a_channel_axis_to_3d_input():
    stack = ImageSet.from_arrays(np.zeros((3, 8, 8), dtype=np.float64))
    assert stack.shape == (3, 1, 8, 8)
    assert stack.images.dtype == torch.float32
    assert stack.n_channels == 1
    assert stack.image_shape == (8, 8)


def test_from_arrays_masks_non_finite_values():
    array = np.ones((2, 4, 4))
    array[1, 2, 2] = np.nan
    array[0, 0, 0] = np.inf
    stack = ImageSet.from_arrays(array)
    assert torch.isfinite(stack.images).all()
    assert int(stack.mask.sum()) == 2
    assert bool(stack.mask[1, 0, 2, 2])


def test_from_arrays_does_not_share_memory_with_the_input():
    array = np.ones((2, 4, 4), dtype=np.float32)
    stack = ImageSet.from_arrays(array)
    array[:] = 5
    assert float(stack.images.max()) == 1.0


def test_int_slice_list_and_bool_indexing_return_imagesets(images):
    assert isinstance(images[0], ImageSet)
    assert images[-1].shape == (1, 2, 4, 4)
    assert list(images[1:4].meta["file"]) == ["f1.fits", "f2.fits", "f3.fits"]
    picked = images[[4, 0]]
    assert list(picked.meta["file"]) == ["f4.fits", "f0.fits"]
    torch.testing.assert_close(picked.images[0], images.images[4])
    chosen = images[np.array([True, False, True, False, False])]
    assert list(chosen.meta["file"]) == ["f0.fits", "f2.fits"]
    assert images[::2].images.is_contiguous()


def test_bad_indices_are_explained(images):
    with pytest.raises(IndexError, match=r"range \[-5, 4\]; got 5"):
        images[5]
    with pytest.raises(IndexError, match="one entry per image"):
        images[np.array([True, False])]
    with pytest.raises(IndexError, match="dtype float64"):
        images[np.array([0.5])]


def test_describe_names_file_hdu_and_plane(images):
    assert images.describe(2) == "'f2.fits'[SCI]"
    images.meta["plane"][3] = 7
    assert images.describe(3) == "'f3.fits'[SCI] plane 7"
    assert ImageSet.from_arrays(np.zeros((2, 4, 4))).describe(1) == "image 1"


def test_repr_is_readable(images):
    assert repr(images) == "<ImageSet: 5 images, 2×4×4 (C×ny×nx), float32, in memory>"
    holey = ImageSet.from_arrays(np.full((2, 4, 4), np.nan))
    assert "32 blank pixels masked" in repr(holey)


def test_user_columns_can_be_added(images):
    images.meta["tag"] = ["disk", "cloud", "disk", "", ""]
    assert list(images[[0, 2]].meta["tag"]) == ["disk", "disk"]


def test_construction_errors():
    with pytest.raises(TypeError, match=r"shape \(n_images, n_channels, ny, nx\)"):
        ImageSet(torch.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="mask has shape"):
        ImageSet(torch.zeros(2, 1, 4, 4), mask=torch.zeros(2, 1, 4, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="3 rows but there are 2 images"):
        ImageSet(torch.zeros(2, 1, 4, 4), meta=Table({"a": [1, 2, 3]}))
    with pytest.raises(ValueError, match=r"Expected \(n_images, ny, nx\)"):
        ImageSet.from_arrays(np.zeros((4, 4)))
