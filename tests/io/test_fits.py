from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from astropy import units as u
from astropy.io import fits
from builders import celestial_header, gaussian_image

from astromorph_nb import (
    AstromorphWarning,
    DataNotFoundError,
    InvalidFileError,
    InvalidImageError,
)
from astromorph_nb.io import read_fits


def write(path: Path, data, header=None) -> Path:
    fits.PrimaryHDU(data, header=header).writeto(path)
    return path


# ---- sources and basic reading -------------------------------------------------------------


def test_read_folder_gives_normalized_native_float32_images(example_fits_dir):
    images = read_fits(example_fits_dir)
    assert images.shape == (6, 1, 32, 32)
    assert images.images.dtype == torch.float32
    assert images.images.is_contiguous()
    assert float(images.images.min()) == 0.0
    assert float(images.images.max()) == 1.0
    assert list(images.meta["OBJECT"]) == [f"J{i:04d}+0200" for i in range(6)]
    assert list(images.meta["BUNIT"]) == ["Jy/beam"] * 6
    np.testing.assert_allclose(images.meta["RA"], 150.0 + np.arange(6))
    assert set(images.meta.colnames) >= {"file", "hdu", "plane", "RA", "DEC"}


def test_read_keeps_values_when_normalize_is_none(tmp_path):
    data = gaussian_image()
    write(tmp_path / "a.fits", data)
    images = read_fits(tmp_path / "a.fits", normalize=None)
    np.testing.assert_array_equal(images.images[0, 0].numpy(), data.astype(np.float32))


def test_read_glob_list_file_and_list_agree(example_fits_dir, tmp_path):
    by_glob = read_fits(str(example_fits_dir / "obj*.fits"))
    listing = tmp_path / "files.txt"
    names = sorted(p.name for p in example_fits_dir.iterdir())
    listing.write_text("# my sample\n\n" + "\n".join(f"cutouts/{n}" for n in names) + "\n")
    by_list = read_fits(listing)
    by_sequence = read_fits([example_fits_dir / n for n in names])
    torch.testing.assert_close(by_glob.images, by_list.images)
    torch.testing.assert_close(by_glob.images, by_sequence.images)


def test_threads_and_processes_give_the_same_result(example_fits_dir):
    (example_fits_dir / "junk.fits").write_bytes(b"junk" * 1000)
    kwargs = {"on_error": "skip", "normalize": None}
    with pytest.warns(AstromorphWarning, match="1 of 7 inputs were skipped"):
        single = read_fits(example_fits_dir, n_threads=1, n_processes=1, **kwargs)
    with pytest.warns(AstromorphWarning, match="1 of 7 inputs were skipped"):
        threaded = read_fits(example_fits_dir, n_threads=2, n_processes=1, **kwargs)
    with pytest.warns(AstromorphWarning, match="1 of 7 inputs were skipped"):
        processes = read_fits(example_fits_dir, n_processes=2, **kwargs)
    for other in (threaded, processes):
        assert torch.equal(single.images, other.images)
        assert list(single.meta["file"]) == list(other.meta["file"])
        assert list(single.meta["OBJECT"]) == list(other.meta["OBJECT"])
        assert list(single.skipped["reason"]) == list(other.skipped["reason"])


def test_errors_in_worker_processes_name_the_file(tmp_path):
    write(tmp_path / "a.fits", gaussian_image())
    (tmp_path / "b.fits").write_bytes(b"junk" * 1000)
    with pytest.raises(InvalidFileError, match=r"b\.fits' is not a readable FITS file"):
        read_fits(tmp_path, n_processes=2)


def test_read_applies_bscale_bzero_and_blank(tmp_path):
    raw = np.arange(16 * 16, dtype=np.int16).reshape(16, 16)
    header = fits.Header()
    header["BLANK"] = -32768
    raw[0, 0] = -32768
    write(tmp_path / "ints.fits", raw, header)
    with pytest.warns(AstromorphWarning, match="1 of 1 images contain blank"):
        images = read_fits(tmp_path / "ints.fits", normalize=None)
    assert bool(images.mask[0, 0, 0, 0])
    assert int(images.mask.sum()) == 1
    hdu = fits.PrimaryHDU(np.arange(16 * 16, dtype=np.float32).reshape(16, 16))
    hdu.scale("int16", bscale=0.5, bzero=10.0)
    hdu.writeto(tmp_path / "scaled.fits")
    scaled = read_fits(tmp_path / "scaled.fits", normalize=None)
    np.testing.assert_allclose(scaled.images[0, 0, 1, :3].numpy(), [16, 17, 18], atol=0.5)


def test_read_chooses_first_image_hdu_and_by_extname(tmp_path):
    sci, err = gaussian_image(seed=1), np.ones((32, 32), dtype=np.float32)
    hdul = fits.HDUList(
        [fits.PrimaryHDU(), fits.ImageHDU(sci, name="SCI"), fits.ImageHDU(err, name="ERR")]
    )
    hdul.writeto(tmp_path / "mef.fits")
    default = read_fits(tmp_path / "mef.fits", normalize=None)
    np.testing.assert_array_equal(default.images[0, 0].numpy(), sci.astype(np.float32))
    assert default.meta["hdu"][0] == "SCI"
    by_name = read_fits(tmp_path / "mef.fits", hdu="ERR", normalize=None)
    assert float(by_name.images.max()) == 1.0
    by_index = read_fits(tmp_path / "mef.fits", hdu=2, normalize=None)
    torch.testing.assert_close(by_name.images, by_index.images)
    assert by_name.describe(0).endswith("mef.fits'[ERR]")


def test_read_compressed_image_hdu(tmp_path):
    data = gaussian_image().astype(np.float32)
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data, quantize_level=0.0)]).writeto(
        tmp_path / "c.fits.fz"
    )
    images = read_fits(tmp_path / "c.fits.fz", normalize=None)
    expected = fits.getdata(tmp_path / "c.fits.fz", ext=1)
    np.testing.assert_array_equal(images.images[0, 0].numpy(), expected)
    assert images.meta["hdu"][0] == "COMPRESSED_IMAGE"


def test_read_extra_keywords(example_fits_dir):
    images = read_fits(example_fits_dir, keywords=["ctype1"])
    assert list(images.meta["CTYPE1"]) == ["RA---TAN"] * 6


# ---- sizes ------------------------------------------------------------------------------------


@pytest.fixture
def mixed_dir(tmp_path):
    write(tmp_path / "a.fits", gaussian_image((64, 64)))
    write(tmp_path / "b.fits", gaussian_image((80, 80)))
    write(tmp_path / "c.fits", gaussian_image((40, 40)))
    return tmp_path


def test_mixed_shapes_error_names_two_files_and_the_options(mixed_dir):
    with pytest.raises(InvalidImageError, match=r"a\.fits' is \(1, 64, 64\) but .*b\.fits' is"):
        read_fits(mixed_dir)
    with pytest.raises(InvalidImageError, match="image_size=.*resize_mode=.*pixel_scale="):
        read_fits(mixed_dir)


def test_resize_brings_all_images_to_one_size(mixed_dir):
    images = read_fits(mixed_dir, image_size=32)
    assert images.shape == (3, 1, 32, 32)
    # The source stays centred: the brightest pixel is at the centre of every image.
    peaks = images.images[:, 0].flatten(1).argmax(1)
    assert set((peaks // 32).tolist()) <= {15, 16}


def test_resize_conserves_surface_brightness():
    from astromorph_nb.data.preprocess import resample

    image = np.random.default_rng(0).random((1, 64, 64)).astype(np.float32)
    small = resample(image, (32, 32))
    np.testing.assert_allclose(small.mean(), image.mean(), rtol=1e-5)
    np.testing.assert_allclose(small[0, 0, 0], image[0, :2, :2].mean(), rtol=1e-5)


def test_crop_and_pad_policies(mixed_dir):
    with pytest.raises(
        InvalidImageError, match=r"smaller than image_size 64×64.*'pad' or 'resize'"
    ):
        read_fits(mixed_dir, image_size=64, resize_mode="crop")
    with pytest.raises(
        InvalidImageError, match=r"larger than image_size 64×64.*'crop' or 'resize'"
    ):
        read_fits(mixed_dir, image_size=64, resize_mode="pad")
    cropped = read_fits(mixed_dir, image_size=40, resize_mode="crop")
    assert cropped.shape == (3, 1, 40, 40)
    assert not cropped.mask.any()
    padded = read_fits(mixed_dir, image_size=80, resize_mode="pad")
    assert padded.shape == (3, 1, 80, 80)
    assert int(padded.mask[2].sum()) == 80 * 80 - 40 * 40  # c.fits is 40×40
    assert not padded.mask[1].any()


def test_pixel_scale_resamples_from_the_wcs(tmp_path):
    write(tmp_path / "fine.fits", gaussian_image((64, 64)), celestial_header(scale_arcsec=0.05))
    write(tmp_path / "coarse.fits", gaussian_image((32, 32)), celestial_header(scale_arcsec=0.1))
    images = read_fits(tmp_path, pixel_scale=0.1 * u.arcsec)
    assert images.shape == (2, 1, 32, 32)
    cropped = read_fits(tmp_path, pixel_scale=0.1 * u.arcsec, image_size=24, resize_mode="crop")
    assert cropped.shape == (2, 1, 24, 24)


def test_pixel_scale_needs_a_wcs_and_units(tmp_path):
    write(tmp_path / "nowcs.fits", gaussian_image())
    with pytest.raises(InvalidImageError, match="no celestial WCS.*pixel_scale"):
        read_fits(tmp_path, pixel_scale=0.1 * u.arcsec)
    with pytest.raises(TypeError, match="'pixel_scale' parameter of read_fits must be an angle"):
        read_fits(tmp_path, pixel_scale=0.1)


# ---- cubes -----------------------------------------------------------------------------------


def spectral_cube(n_planes=20, shape=(16, 16), line_center=-1.0):
    """A cube whose line centre (in km/s along CRVAL3/CDELT3) is ``line_center`` everywhere."""
    velocities = -10.0 + np.arange(n_planes) * 1.0
    profile = np.exp(-((velocities - line_center) ** 2) / (2 * 2.0**2))
    cube = profile[:, None, None] * np.ones((n_planes, *shape))
    header = celestial_header(shape=shape)
    header["CTYPE3"], header["CRVAL3"], header["CDELT3"] = "VRAD", -10.0, 1.0
    header["CRPIX3"], header["CUNIT3"] = 1.0, "km/s"
    return cube.astype(np.float32), header


def test_cube_without_cube_mode_lists_the_choices(tmp_path):
    cube, header = spectral_cube()
    write(tmp_path / "cube.fits", cube, header)
    with pytest.raises(InvalidImageError, match=r"is a cube of shape \(20, 16, 16\).*'channels'"):
        read_fits(tmp_path / "cube.fits")


def test_cube_modes(tmp_path):
    cube, header = spectral_cube()
    path = write(tmp_path / "cube.fits", cube, header)
    assert read_fits(path, cube_mode="channels").shape == (1, 20, 16, 16)
    rebinned = read_fits(path, cube_mode="channels", n_channels=4, normalize=None)
    assert rebinned.shape == (1, 4, 16, 16)
    np.testing.assert_allclose(
        rebinned.images[0, :, 0, 0].numpy(), cube[:, 0, 0].reshape(4, 5).mean(1), rtol=1e-5
    )
    planes = read_fits(path, cube_mode="planes")
    assert planes.shape == (20, 1, 16, 16)
    assert list(planes.meta["plane"]) == list(range(20))
    summed = read_fits(path, cube_mode="sum", normalize=None)
    np.testing.assert_allclose(float(summed.images[0, 0, 3, 3]), cube[:, 3, 3].sum(), rtol=1e-5)
    moments = read_fits(path, cube_mode="moments", normalize=None)
    assert moments.shape == (1, 3, 16, 16)
    assert moments.meta["spectral_unit"][0] == "km/s"
    np.testing.assert_allclose(moments.images[0, 1].numpy(), -1.0, atol=0.01)  # line centre
    np.testing.assert_allclose(moments.images[0, 2].numpy(), 2.0, atol=0.1)  # line width


def test_stokes_axis_is_squeezed(tmp_path):
    cube, header = spectral_cube()
    write(tmp_path / "stokes.fits", cube[None], header)
    assert read_fits(tmp_path / "stokes.fits", cube_mode="sum").shape == (1, 1, 16, 16)
    write(tmp_path / "single.fits", cube[None, :1], header)
    assert read_fits(tmp_path / "single.fits").shape == (1, 1, 16, 16)
    with pytest.raises(InvalidImageError, match="length-1 axes.*Pass squeeze=True"):
        read_fits(tmp_path / "single.fits", squeeze=False)


def test_four_non_degenerate_axes_are_refused(tmp_path):
    write(tmp_path / "4d.fits", np.zeros((2, 3, 8, 8), dtype=np.float32))
    with pytest.raises(InvalidImageError, match=r"shape \(2, 3, 8, 8\).*NAXIS=4.*select one plane"):
        read_fits(tmp_path / "4d.fits", cube_mode="channels")


def test_n_channels_more_than_planes(tmp_path):
    cube, header = spectral_cube(n_planes=3)
    write(tmp_path / "cube.fits", cube, header)
    with pytest.raises(InvalidImageError, match="n_channels=5 is more than the 3 planes"):
        read_fits(tmp_path / "cube.fits", cube_mode="channels", n_channels=5)


# ---- blank pixels ----------------------------------------------------------------------------


@pytest.fixture
def nan_dir(tmp_path):
    clean = gaussian_image()
    holey = gaussian_image(seed=3)
    holey[:4, :4] = np.nan
    holey[5, 5] = np.inf
    write(tmp_path / "clean.fits", clean)
    write(tmp_path / "holey.fits", holey)
    return tmp_path


def test_nan_policy_mask_fills_and_marks(nan_dir):
    with pytest.warns(AstromorphWarning, match=r"1 of 2 images contain blank.*nan_policy='mask'"):
        images = read_fits(nan_dir)
    assert int(images.mask[1].sum()) == 17
    assert torch.isfinite(images.images).all()
    assert float(images.images[1, 0, 0, 0]) == 0.0
    assert list(images.meta["n_blank"]) == [0, 17]


def test_nan_policy_zero_drop_raise(nan_dir):
    zero = read_fits(nan_dir, nan_policy="zero", normalize=None)
    assert not zero.mask.any()
    assert float(zero.images[1, 0, 0, 0]) == 0.0
    with pytest.warns(AstromorphWarning, match="1 of 2 inputs were skipped"):
        dropped = read_fits(nan_dir, nan_policy="drop", on_error="skip")
    assert len(dropped) == 1
    assert "nan_policy='drop'" in dropped.skipped["reason"][0]
    with pytest.raises(InvalidImageError, match=r"holey\.fits'\[0\] has 17 blank \(NaN\) pixels"):
        read_fits(nan_dir, nan_policy="raise")


def test_all_nan_image_is_an_error_or_a_reported_skip(tmp_path):
    write(tmp_path / "a.fits", gaussian_image())
    write(tmp_path / "blank.fits", np.full((32, 32), np.nan, dtype=np.float32))
    with pytest.raises(InvalidImageError, match=r"blank\.fits'\[0\] is entirely NaN"):
        read_fits(tmp_path)
    with pytest.warns(AstromorphWarning, match="1 of 2 inputs were skipped"):
        images = read_fits(tmp_path, on_error="skip")
    assert len(images) == 1
    assert images.skipped["file"][0].endswith("blank.fits")


def test_all_nan_plane_of_a_cube_is_skipped_and_reported(tmp_path):
    cube, header = spectral_cube(n_planes=4)
    cube[2] = np.nan
    write(tmp_path / "cube.fits", cube, header)
    with pytest.raises(InvalidImageError, match="plane 2 is entirely NaN"):
        read_fits(tmp_path / "cube.fits", cube_mode="planes")
    with pytest.warns(AstromorphWarning, match="1 of 1 inputs were skipped"):
        images = read_fits(tmp_path / "cube.fits", cube_mode="planes", on_error="skip")
    assert list(images.meta["plane"]) == [0, 1, 3]


def test_constant_image_normalizes_to_zeros_for_every_method(tmp_path):
    write(tmp_path / "flat.fits", np.full((16, 16), 7.0, dtype=np.float32))
    for method in ("minmax", "percentile", "zscale", "asinh", "log"):
        images = read_fits(tmp_path / "flat.fits", normalize=method)
        assert torch.isfinite(images.images).all(), method
        assert float(images.images.abs().max()) == 0.0, method


def test_every_normalization_maps_into_unit_range(nan_dir):
    for method in ("minmax", "percentile", "zscale", "asinh", "log"):
        with pytest.warns(AstromorphWarning):
            images = read_fits(nan_dir, normalize=method)
        assert float(images.images.min()) >= 0.0, method
        assert float(images.images.max()) <= 1.0, method
        assert torch.isfinite(images.images).all(), method


# ---- bad input -------------------------------------------------------------------------------


def test_missing_path(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"No such file or folder: .*nothere\.fits"):
        read_fits(tmp_path / "nothere.fits")
    with pytest.raises(FileNotFoundError):
        read_fits(tmp_path / "nothere.fits")


def test_empty_glob_and_empty_folder(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"pattern .*\*\.fits' matches no files"):
        read_fits(str(tmp_path / "*.fits"))
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "sub").mkdir()
    with pytest.raises(DataNotFoundError, match="contains no FITS files.*glob pattern"):
        read_fits(tmp_path / "sub")
    with pytest.raises(DataNotFoundError, match="names no files"):
        read_fits(tmp_path / "notes.txt")
    with pytest.raises(DataNotFoundError, match="empty list"):
        read_fits([])


def test_non_fits_file(tmp_path):
    (tmp_path / "image.fits").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(3000))
    with pytest.raises(InvalidFileError, match=r"image\.fits' is not a readable FITS file"):
        read_fits(tmp_path / "image.fits")
    with pytest.raises(OSError, match="on_error='skip'"):
        read_fits(tmp_path / "image.fits")


@pytest.mark.parametrize("keep", [2880 + 1000, 1000])
def test_truncated_fits_is_refused(tmp_path, keep):
    path = write(tmp_path / "full.fits", gaussian_image((64, 64)))
    (tmp_path / "cut.fits").write_bytes(path.read_bytes()[:keep])
    with pytest.raises(InvalidFileError, match=r"cut\.fits'.*(truncated|corrupt)"):
        read_fits(tmp_path / "cut.fits")


def test_truncated_fits_is_refused_when_warnings_are_ignored(tmp_path):
    path = write(tmp_path / "full.fits", gaussian_image((64, 64)))
    (tmp_path / "cut.fits").write_bytes(path.read_bytes()[: 2880 + 1000])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InvalidFileError, match="truncated"):
            read_fits(tmp_path / "cut.fits")


def test_table_only_file(tmp_path):
    table = fits.BinTableHDU.from_columns([fits.Column(name="flux", format="E", array=[1.0])])
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(tmp_path / "cat.fits")
    with pytest.raises(
        InvalidImageError, match=r"No image data in .*cat\.fits': it holds only tables"
    ):
        read_fits(tmp_path / "cat.fits")
    with pytest.raises(
        InvalidImageError, match=r"HDU 1 \(BinTableHDU\) is a table\. The file holds no image"
    ):
        read_fits(tmp_path / "cat.fits", hdu=1)


def test_empty_primary_with_no_image_extension(tmp_path):
    fits.PrimaryHDU().writeto(tmp_path / "empty.fits")
    with pytest.raises(
        InvalidImageError, match=r"No image data in .*empty\.fits': every HDU is empty"
    ):
        read_fits(tmp_path / "empty.fits")


def test_wrong_hdu_lists_the_image_hdus(tmp_path):
    hdul = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(gaussian_image(), name="SCI")])
    hdul.writeto(tmp_path / "mef.fits")
    with pytest.raises(
        InvalidImageError, match=r"has no HDU 'DQ'\. Pass hdu= with one of: 1 'SCI' \(32×32\)"
    ):
        read_fits(tmp_path / "mef.fits", hdu="DQ")
    with pytest.raises(
        InvalidImageError, match=r"HDU 0 \(PRIMARY\) is empty\. Pass hdu= with one of: 1 'SCI'"
    ):
        read_fits(tmp_path / "mef.fits", hdu=0)


def test_zero_size_axis(tmp_path):
    header = fits.Header()
    hdu = fits.PrimaryHDU(np.zeros((0, 8), dtype=np.float32), header=header)
    hdu.writeto(tmp_path / "zero.fits")
    with pytest.raises(
        InvalidImageError, match=r"zero\.fits'.*(zero-size axis|every HDU is empty)"
    ):
        read_fits(tmp_path / "zero.fits")


def test_one_pixel_image(tmp_path):
    write(tmp_path / "pixel.fits", np.ones((1, 1), dtype=np.float32))
    write(tmp_path / "line.fits", np.ones((1, 30), dtype=np.float32))
    with pytest.raises(InvalidImageError, match=r"pixel\.fits'\[0\] is only 1×1 pixels"):
        read_fits(tmp_path / "pixel.fits")
    with pytest.raises(InvalidImageError, match=r"line\.fits'\[0\] is only 1×30 pixels"):
        read_fits(tmp_path / "line.fits")


def test_one_dimensional_hdu(tmp_path):
    write(tmp_path / "spec.fits", np.ones(30, dtype=np.float32))
    with pytest.raises(InvalidImageError, match=r"NAXIS=1.*spectrum or a table"):
        read_fits(tmp_path / "spec.fits")


def test_unreadable_permissions(tmp_path, monkeypatch):
    path = write(tmp_path / "locked.fits", gaussian_image())
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: refuse the way the OS would
        original = Path.open

        def refuse(self, *args, **kwargs):
            if self == path:
                raise PermissionError(13, "Permission denied", str(path))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(InvalidFileError, match=r"Cannot read .*locked\.fits': permission denied"):
        read_fits(path)


def test_skip_reports_every_bad_file_once(example_fits_dir, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "junk.fits").write_bytes(b"not a fits file" * 300)
    fits.PrimaryHDU().writeto(bad / "empty.fits")
    listing = tmp_path / "list.txt"
    files = sorted(example_fits_dir.iterdir()) + sorted(bad.iterdir()) + [tmp_path / "gone.fits"]
    listing.write_text("\n".join(str(p) for p in files))
    with pytest.warns(AstromorphWarning, match="3 of 9 inputs were skipped") as record:
        images = read_fits(listing, on_error="skip")
    assert len(record) == 1
    assert len(images) == 6
    reasons = dict(zip(images.skipped["file"], images.skipped["reason"], strict=True))
    assert "not a readable FITS file" in reasons[str(bad / "junk.fits")]
    assert "every HDU is empty" in reasons[str(bad / "empty.fits")]
    assert "No such file" in reasons[str(tmp_path / "gone.fits")]


def test_nothing_left_after_skipping(tmp_path):
    (tmp_path / "junk.fits").write_bytes(b"junk" * 1000)
    with pytest.raises(InvalidImageError, match="None of the 1 files gave an image"):
        read_fits(tmp_path, on_error="skip")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"normalize": "sqrt"}, "'normalize' parameter of read_fits must be one of"),
        ({"nan_policy": "ignore"}, "'nan_policy' parameter of read_fits must be one of"),
        ({"resize_mode": "stretch"}, "'resize_mode' parameter"),
        ({"cube_mode": "mean"}, "'cube_mode' parameter"),
        ({"on_error": "warn"}, "'on_error' parameter"),
        ({"image_size": 1}, "'image_size' parameter of read_fits must be an int >= 2"),
        ({"n_channels": 3}, "n_channels is only used with cube_mode='channels'"),
    ],
)
def test_bad_parameters_are_named(example_fits_dir, kwargs, match):
    with pytest.raises(ValueError, match=match):
        read_fits(example_fits_dir, **kwargs)


# ---- memory-mapped cache ---------------------------------------------------------------------


def test_cache_dir_gives_a_memory_mapped_set_with_the_same_values(example_fits_dir, tmp_path):
    in_memory = read_fits(example_fits_dir)
    mapped = read_fits(example_fits_dir, cache_dir=tmp_path / "cache")
    assert mapped.is_memory_mapped
    assert "memory-mapped" in repr(mapped)
    torch.testing.assert_close(mapped.images, in_memory.images)
    assert torch.equal(mapped.mask, in_memory.mask)
    assert mapped[1:3].is_memory_mapped
    assert not mapped[[0, 2]].is_memory_mapped
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_cache_files_are_removed_after_an_error(mixed_dir, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(InvalidImageError):
        read_fits(mixed_dir, cache_dir=cache)
    assert list(cache.iterdir()) == []


def test_chunks_join_into_one_set_and_mixed_shapes_across_chunks_fail(mixed_dir, monkeypatch):
    import astromorph_nb.io.fits.reader as fits_module

    monkeypatch.setattr(fits_module, "CHUNK_FILES", 1)
    whole = read_fits(mixed_dir, image_size=32)
    assert whole.shape == (3, 1, 32, 32)
    assert [Path(f).name for f in whole.meta["file"]] == ["a.fits", "b.fits", "c.fits"]
    with pytest.raises(InvalidImageError, match=r"a\.fits' is \(1, 64, 64\) but .*b\.fits'"):
        read_fits(mixed_dir)


def test_chunks_are_cut_by_bytes_on_disk_as_well_as_by_files(tmp_path, monkeypatch):
    import astromorph_nb.io.fits.reader as fits_module
    from astromorph_nb.io.fits.chunks import _split

    sizes = [10, 10, 30, 5, 5, 5, 50]
    paths = []
    for index, size in enumerate(sizes):
        path = tmp_path / f"f{index}.bin"
        path.write_bytes(b"x" * size)
        paths.append(path)
    chunks = _split(paths, 3, 25)
    assert [[sizes[paths.index(p)] for p in chunk] for chunk in chunks] == [
        [10, 10],
        [30],  # larger than the byte budget: a chunk of its own
        [5, 5, 5],  # three files: the count limit
        [50],
    ]
    assert _split(paths, 512, 10**9) == [paths]

    cubes = tmp_path / "cubes"
    cubes.mkdir()
    rng = np.random.default_rng(3)
    for index in range(5):
        fits.PrimaryHDU(rng.random((3, 16, 16), dtype=np.float32)).writeto(cubes / f"c{index}.fits")
    whole = read_fits(cubes, cube_mode="planes")
    calls = []
    real_read_chunk = fits_module.read_in_chunks.__globals__["read_chunk"]

    def counting_read_chunk(chunk, plan):
        calls.append(len(chunk))
        return real_read_chunk(chunk, plan)

    monkeypatch.setitem(fits_module.read_in_chunks.__globals__, "read_chunk", counting_read_chunk)
    monkeypatch.setattr(fits_module, "CHUNK_BYTES", 2 * (cubes / "c0.fits").stat().st_size)
    chunked = read_fits(cubes, cube_mode="planes", n_processes=1)
    assert calls == [2, 2, 1]
    torch.testing.assert_close(chunked.images, whole.images, rtol=0, atol=0)
    assert list(chunked.meta["file"]) == list(whole.meta["file"])
