from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.datasets import synthetic
from astromorph_nb.exceptions import AstromorphError, OutputExistsError
from astromorph_nb.io.fits.writer import write_fits


def _with_sky_meta(n: int) -> ImageSet:
    rng = np.random.default_rng(0)
    meta = Table()
    meta["OBJECT"] = [f"J{i:04d}+0000" for i in range(n)]
    meta["RA"] = np.linspace(150.0, 151.0, n)
    meta["DEC"] = np.full(n, 2.2)
    meta["BUNIT"] = ["Jy/beam"] * n
    meta["label"] = ["disk"] * n
    return ImageSet.from_arrays(rng.random((n, 8, 9), dtype=np.float32), meta)


def test_write_fits_round_trips_data_and_header_keywords(tmp_path):
    images = _with_sky_meta(3)
    paths = write_fits(images, tmp_path)
    assert [path.name for path in paths] == [
        "image_0000.fits",
        "image_0001.fits",
        "image_0002.fits",
    ]
    for index, path in enumerate(paths):
        with fits.open(path) as hdul:
            data, header = hdul[0].data, hdul[0].header
            assert data.shape == (8, 9)
            assert header["NAXIS"] == 2
            assert header["BITPIX"] == -32
            np.testing.assert_array_equal(data, images.images[index, 0].numpy())
            assert header["OBJECT"] == f"J{index:04d}+0000"
            assert header["RA"] == pytest.approx(images.meta["RA"][index])
            assert header["DEC"] == pytest.approx(2.2)
            assert header["BUNIT"] == "Jy/beam"
            assert header["LABEL"] == "disk"


def test_write_fits_writes_synthetic_labels(tmp_path):
    images = synthetic(n_per_class=1, image_size=16, random_state=0)
    paths = write_fits(images, tmp_path / "a" / "b", prefix="mock")
    assert len(paths) == len(images)
    assert all(path.parent == tmp_path / "a" / "b" for path in paths)
    labels = [fits.getheader(path)["LABEL"] for path in paths]
    assert labels == list(images.meta["label"])
    assert "OBJECT" not in fits.getheader(paths[0])


def test_write_fits_writes_a_cube_when_there_are_several_channels(tmp_path):
    images = ImageSet.from_arrays(np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5))
    (path, _) = write_fits(images, tmp_path)
    with fits.open(path) as hdul:
        assert hdul[0].header["NAXIS"] == 3
        assert hdul[0].header["NAXIS3"] == 3
        np.testing.assert_array_equal(hdul[0].data, images.images[0].numpy())


def test_write_fits_writes_blank_pixels_as_nan(tmp_path):
    array = np.ones((1, 4, 4), dtype=np.float32)
    array[0, 1, 2] = np.nan
    (path,) = write_fits(ImageSet.from_arrays(array), tmp_path)
    data = fits.getdata(path)
    assert np.isnan(data[1, 2])
    assert np.isfinite(data).sum() == 15


def test_write_fits_skips_keywords_without_a_value(tmp_path):
    images = _with_sky_meta(1)
    images.meta["RA"] = [np.nan]
    images.meta["OBJECT"] = [""]
    (path,) = write_fits(images, tmp_path)
    header = fits.getheader(path)
    assert "RA" not in header
    assert "OBJECT" not in header
    assert header["DEC"] == 2.2


def test_write_fits_pads_numbers_so_that_names_sort(tmp_path):
    images = ImageSet.from_arrays(np.zeros((12, 2, 2), dtype=np.float32))
    names = [path.name for path in write_fits(images, tmp_path, prefix="cut")]
    assert names == sorted(names)
    assert names[-1] == "cut_0011.fits"


def test_write_fits_refuses_to_overwrite_when_files_exist(tmp_path):
    images = _with_sky_meta(2)
    write_fits(images, tmp_path)
    (tmp_path / "image_0000.fits").unlink()
    with pytest.raises(
        OutputExistsError, match=r"Refusing to overwrite .*image_0001\.fits.* overwrite=True"
    ) as info:
        write_fits(images, tmp_path)
    assert isinstance(info.value, OSError)
    assert isinstance(info.value, AstromorphError)
    assert not (tmp_path / "image_0000.fits").exists()  # nothing was written


def test_write_fits_replaces_files_when_overwrite_is_true(tmp_path):
    write_fits(_with_sky_meta(2), tmp_path)
    zeros = ImageSet.from_arrays(np.zeros((2, 8, 9), dtype=np.float32))
    paths = write_fits(zeros, tmp_path, overwrite=True)
    assert not fits.getdata(paths[1]).any()
    assert "OBJECT" not in fits.getheader(paths[1])


def test_write_fits_rejects_arrays(tmp_path):
    with pytest.raises(TypeError, match=r"needs an ImageSet; got ndarray.*ImageSet\.from_arrays"):
        write_fits(np.zeros((2, 4, 4)), tmp_path)


def test_write_fits_rejects_a_prefix_with_folders(tmp_path):
    with pytest.raises(ValueError, match=r"'prefix' parameter of write_fits .* got 'sub/image'"):
        write_fits(_with_sky_meta(1), tmp_path, prefix="sub/image")
