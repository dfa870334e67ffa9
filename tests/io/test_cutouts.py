from __future__ import annotations

import tracemalloc

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.table import Column, QTable, Table
from astropy.wcs import WCS

from astromorph_nb.exceptions import (
    AstromorphWarning,
    DataNotFoundError,
    InvalidFileError,
    InvalidImageError,
)
from astromorph_nb.io.mosaics.stamps import cutouts

#: Gaussian sources at these 0-based (x, y) pixel positions.
SOURCES = np.array([[100.0, 200.0], [300.0, 50.0], [256.0, 256.0], [450.0, 400.0]])
SHAPE = (512, 512)


def make_wcs(shape=SHAPE, ctype=("RA---TAN", "DEC--TAN"), crval=(150.0, 2.0)):
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = list(ctype)
    wcs.wcs.crval = list(crval)
    wcs.wcs.crpix = [shape[1] / 2 + 0.5, shape[0] / 2 + 0.5]
    wcs.wcs.cdelt = [-1 / 3600, 1 / 3600]  # 1 arcsec pixels
    return wcs


def make_image(shape=SHAPE, sources=SOURCES):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    data = 0.01 * np.random.default_rng(1).standard_normal(shape)
    for x, y in sources:
        data += np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 2.0**2))
    return data.astype(np.float32)


@pytest.fixture(scope="module")
def mosaic():
    return make_image(), make_wcs()


@pytest.fixture(scope="module")
def mosaic_file(tmp_path_factory, mosaic):
    data, wcs = mosaic
    path = tmp_path_factory.mktemp("mosaic") / "m.fits"
    fits.HDUList(
        [
            fits.PrimaryHDU(),
            fits.ImageHDU(data, header=wcs.to_header(), name="SCI"),
            fits.ImageHDU(np.ones(SHAPE, dtype=np.float32), header=wcs.to_header(), name="ERR"),
        ]
    ).writeto(path)
    return path


def peak(images):
    """(y, x) of the brightest pixel of each image."""
    flat = images.images[:, 0].reshape(len(images), -1).argmax(axis=1).numpy()
    return np.stack(np.unravel_index(flat, images.image_shape), axis=1)


def test_cutouts_put_sources_at_the_centre_for_sky_positions(mosaic):
    data, wcs = mosaic
    sky = wcs.pixel_to_world(SOURCES[:, 0], SOURCES[:, 1])
    images = cutouts(data, sky, 33, wcs=wcs)
    assert images.shape == (4, 1, 33, 33)
    assert (peak(images) == 16).all()
    np.testing.assert_allclose(images.meta["x"], SOURCES[:, 0], atol=1e-6)
    np.testing.assert_allclose(images.meta["y"], SOURCES[:, 1], atol=1e-6)
    np.testing.assert_allclose(images.meta["RA"], sky.icrs.ra.deg)
    assert not images.mask.any()


def test_cutouts_accept_sky_positions_in_another_frame(mosaic):
    data, wcs = mosaic
    galactic = wcs.pixel_to_world(SOURCES[:, 0], SOURCES[:, 1]).galactic
    assert (peak(cutouts(data, galactic, 33, wcs=wcs)) == 16).all()


def test_cutouts_from_a_galactic_mosaic_with_an_equatorial_catalogue():
    wcs = make_wcs(ctype=("GLON-CAR", "GLAT-CAR"), crval=(30.0, 0.0))
    sky = wcs.pixel_to_world(SOURCES[:, 0], SOURCES[:, 1]).icrs
    catalog = Table({"RAJ2000": sky.ra.deg, "DEJ2000": sky.dec.deg})
    images = cutouts(make_image(), catalog, 33, wcs=wcs)
    assert (peak(images) == 16).all()


def test_cutouts_take_pixel_positions_as_x_then_y(mosaic):
    data, _ = mosaic
    images = cutouts(data, SOURCES, 33)  # no WCS needed
    assert (peak(images) == 16).all()
    assert "RA" not in images.meta.colnames
    swapped = cutouts(data, [[200.0, 100.0]], 33)  # (y, x) by mistake: no source there
    assert not (peak(swapped) == 16).all()


@pytest.mark.parametrize("sizes", [(32, 32), (33, 33), (17, 24), (6, 12)])
def test_cutouts_match_astropy_cutout2d_pixel_for_pixel(mosaic, sizes):
    data, _ = mosaic
    positions = [
        (0.4, 0.6),
        (511.5, 3.2),
        (100.5, 200.5),
        (99.49, 10.51),
        (-5.0, 250.0),
        (256.0, 514.0),
        (77.0, 77.5),
    ]
    images = cutouts(data, positions, sizes, normalize=None)
    for i, (x, y) in enumerate(positions):
        ref = Cutout2D(data, (x, y), sizes, mode="partial", fill_value=np.nan).data
        np.testing.assert_array_equal(images.mask[i, 0].numpy(), np.isnan(ref))
        np.testing.assert_array_equal(images.images[i, 0].numpy(), np.nan_to_num(ref, nan=0.0))


def sky_tables(wcs):
    sky = wcs.pixel_to_world(SOURCES[:, 0], SOURCES[:, 1]).icrs
    ra, dec = sky.ra.deg, sky.dec.deg
    hms = sky.ra.to_string(unit=u.hourangle, sep=":", precision=5)
    dms = sky.dec.to_string(unit=u.deg, sep=":", precision=4, alwayssign=True)
    return {
        "degrees": Table({"RAJ2000": ra, "DEJ2000": dec}),
        "units": Table(
            [
                Column(ra / 15, name="ra", unit="hourangle"),
                Column(dec * 60, name="dec", unit="arcmin"),
            ]
        ),
        "qtable": QTable({"RA": ra * u.deg, "Dec": np.radians(dec) * u.rad}),
        "vizier": Table({"_RA": ra, "_DE": dec}),
        "sexagesimal": Table({"RAJ2000": hms, "DEJ2000": dms}),
        "galactic": Table({"GLON": sky.galactic.l.deg, "GLAT": sky.galactic.b.deg}),
        "skycoord_column": Table({"coord": sky}),
        "dict": {"ra": ra, "dec": dec},
    }


@pytest.mark.parametrize("kind", list(sky_tables(make_wcs())))
def test_cutouts_read_catalogue_columns(mosaic, kind):
    data, wcs = mosaic
    images = cutouts(data, sky_tables(wcs)[kind], 33, wcs=wcs)
    assert (peak(images) == 16).all()


def test_cutouts_read_pixel_columns(mosaic):
    data, _ = mosaic
    catalog = Table({"X": SOURCES[:, 0], "Y": SOURCES[:, 1], "id": [7, 8, 9, 10]})
    images = cutouts(data, catalog, 33)
    assert (peak(images) == 16).all()
    assert images.meta["id"].tolist() == [7, 8, 9, 10]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (33 * u.arcsec, (33, 33)),
        ((20 * u.arcsec, 0.5 * u.arcmin), (20, 30)),
        ([21, 31] * u.pix, (21, 31)),
        ((16, 24), (16, 24)),
    ],
)
def test_cutouts_convert_angular_sizes_with_the_pixel_scale(mosaic, size, expected):
    data, wcs = mosaic
    assert cutouts(data, SOURCES[:1], size, wcs=wcs).image_shape == expected


def test_cutouts_pad_stamps_on_the_edge_with_masked_pixels(mosaic):
    data, _ = mosaic
    images = cutouts(data, [[3.0, 100.0], [100.0, 200.0]], 32)
    # ceil(3 - 16) = -13: the first 13 columns lie left of the mosaic.
    assert images.mask[0, 0, :, :13].all()
    assert not images.mask[0, 0, :, 13:].any()
    assert (images.images[0, 0, :, :13] == 0).all()
    assert images.meta["on_edge"].tolist() == [True, False]


def test_cutouts_skip_stamps_on_the_edge_and_report_them(mosaic):
    data, _ = mosaic
    with pytest.warns(AstromorphWarning, match=r"1 of 3 positions were skipped \(1 overlapping"):
        images = cutouts(data, [[100.0, 200.0], [3.0, 100.0], [300.0, 50.0]], 32, on_edge="skip")
    assert images.meta["catalog_index"].tolist() == [0, 2]
    assert images.skipped["catalog_index"].tolist() == [1]
    assert "position 1 at (x, y) = (3.0, 100.0) overlaps the edge" in images.skipped["reason"][0]


def test_cutouts_raise_on_the_edge_naming_the_row(mosaic):
    data, _ = mosaic
    catalog = Table({"x": [100.0, 3.0], "y": [200.0, 100.0]})
    with pytest.raises(
        InvalidImageError,
        match=r"catalogue row 1 at \(x, y\) = \(3.0, 100.0\)"
        r" does not fit .*Pass on_edge='pad'",
    ):
        cutouts(data, catalog, 32, on_edge="raise")


@pytest.mark.parametrize("on_edge", ["pad", "skip"])
def test_cutouts_always_skip_positions_outside_the_mosaic(mosaic, on_edge):
    data, wcs = mosaic
    far = SkyCoord([150.0, 330.0] * u.deg, [2.0, -2.0] * u.deg)  # the second is off the TAN
    positions = SkyCoord([far[0], wcs.pixel_to_world(900, 100), far[1]])
    with pytest.warns(AstromorphWarning, match=r"2 of 3 positions were skipped \(2 outside"):
        images = cutouts(data, positions, 32, wcs=wcs, on_edge=on_edge)
    assert len(images) == 1
    reasons = images.skipped["reason"].tolist()
    assert "position 1 at (x, y) = (900.0, 100.0)" in reasons[0]
    assert "is outside the mosaic array (512×512 pixels, ny×nx)" in reasons[0]
    assert "off the projection" in reasons[1]


def test_cutouts_raise_for_outside_positions_when_asked(mosaic):
    data, _ = mosaic
    with pytest.raises(InvalidImageError, match=r"position 0 at \(x, y\) = \(-90.0, 5.0\)"):
        cutouts(data, [[-90.0, 5.0]], 32, on_edge="raise")


def test_cutouts_raise_when_no_stamp_is_left(mosaic):
    data, _ = mosaic
    with pytest.raises(
        InvalidImageError,
        match=r"No stamps left from the mosaic array: all 2 "
        r"positions were skipped \(2 outside the mosaic\).*\(x, y\), not \(y, x\)",
    ):
        cutouts(data, [[-90.0, 5.0], [5.0, 900.0]], 32)


def test_cutouts_copy_catalogue_columns_into_meta(mosaic):
    data, wcs = mosaic
    sky = wcs.pixel_to_world(SOURCES[:, 0], SOURCES[:, 1])
    catalog = Table(
        {
            "name": ["a", "b", "c", "d"],
            "flux": [1.0, 2.0, 3.0, 4.0],
            "RA": sky.ra.deg,
            "DEC": sky.dec.deg,
            "x": [9.0, 9.0, 9.0, 9.0],
        }
    )
    images = cutouts(data, catalog[::-1], 33, wcs=wcs)
    meta = images.meta
    assert meta["name"].tolist() == ["d", "c", "b", "a"]
    assert meta["catalog_index"].tolist() == [0, 1, 2, 3]
    assert meta["catalog_x"].tolist() == [9.0] * 4  # a clashing column is renamed
    np.testing.assert_allclose(meta["x"], SOURCES[::-1, 0], atol=1e-6)
    np.testing.assert_allclose(meta["DEC"], sky.dec.deg[::-1])
    assert meta["RA"].unit == u.deg
    assert meta["plane"].tolist() == [-1] * 4
    assert meta["on_edge"].tolist() == [False] * 4
    assert images.describe(0) == "''"


def test_cutouts_from_a_fits_file_pick_the_first_image_hdu(mosaic_file):
    images = cutouts(mosaic_file, SOURCES, 33)
    assert (peak(images) == 16).all()
    assert set(images.meta["hdu"]) == {"SCI"}
    assert set(images.meta["file"]) == {str(mosaic_file)}
    assert images.describe(1) == f"{str(mosaic_file)!r}[SCI]"
    assert "RA" in images.meta.colnames


@pytest.mark.parametrize("hdu", ["ERR", "err", 2])
def test_cutouts_from_a_fits_file_by_extname_or_index(mosaic_file, hdu):
    images = cutouts(mosaic_file, SOURCES, 8, hdu=hdu, normalize=None)
    assert (images.images == 1).all()
    assert set(images.meta["hdu"]) == {"ERR"}


def test_cutouts_from_hdu_objects(mosaic, mosaic_file):
    data, wcs = mosaic
    sky = wcs.pixel_to_world(SOURCES[:, 0], SOURCES[:, 1])
    hdu = fits.ImageHDU(data, header=wcs.to_header(), name="SCI")
    assert (peak(cutouts(hdu, sky, 33)) == 16).all()
    with fits.open(mosaic_file) as hdul:
        images = cutouts(hdul, sky, 33)
    assert (peak(images) == 16).all()
    assert set(images.meta["hdu"]) == {"SCI"}


def test_cutouts_read_a_scaled_file_without_loading_it_whole(tmp_path):
    raw = np.random.default_rng(0).integers(-1000, 1000, (2048, 2048)).astype(np.int16)
    raw[1000:1004, 1000:1004] = -32768
    hdu = fits.PrimaryHDU(raw)
    hdu.header.update(BSCALE=0.5, BZERO=100.0, BLANK=-32768)
    hdu.writeto(tmp_path / "scaled.fits")
    expected = fits.getdata(tmp_path / "scaled.fits")  # scaled by astropy: 16 MB of float32
    positions = [[1000.0, 1000.0], [10.5, 2000.0], [1500.0, 300.0]]
    tracemalloc.start()
    try:
        with pytest.warns(AstromorphWarning, match="1 of 3 stamps contain blank"):
            images = cutouts(tmp_path / "scaled.fits", positions, 32, normalize=None)
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak_bytes < 4_000_000
    for i, (x, y) in enumerate(positions):
        ref = Cutout2D(expected, (x, y), 32, mode="partial", fill_value=np.nan).data
        np.testing.assert_array_equal(images.mask[i, 0].numpy(), np.isnan(ref))
        np.testing.assert_allclose(images.images[i, 0].numpy(), np.nan_to_num(ref))
    assert int(images.mask[0].sum()) == 16


def test_cutouts_squeeze_degenerate_axes_of_a_radio_mosaic(tmp_path, mosaic):
    data, _ = mosaic
    wcs = WCS(naxis=4)
    wcs.wcs.ctype = ["RA---SIN", "DEC--SIN", "FREQ", "STOKES"]
    wcs.wcs.crval = [150.0, 2.0, 1.4e9, 1.0]
    wcs.wcs.crpix = [256.5, 256.5, 1.0, 1.0]
    wcs.wcs.cdelt = [-1 / 3600, 1 / 3600, 1e6, 1.0]
    wcs.wcs.cunit = ["deg", "deg", "Hz", ""]
    fits.PrimaryHDU(data[None, None], header=wcs.to_header()).writeto(tmp_path / "radio.fits")
    sky = wcs.celestial.pixel_to_world(SOURCES[:, 0], SOURCES[:, 1])
    images = cutouts(tmp_path / "radio.fits", sky, 33 * u.arcsec)
    assert images.shape == (4, 1, 33, 33)
    assert (peak(images) == 16).all()
    assert set(images.meta["hdu"]) == {"0"}


def test_cutouts_read_a_tile_compressed_mosaic(tmp_path, mosaic):
    data, wcs = mosaic
    levels = np.round(data * 1000).astype(np.int32)
    hdu = fits.CompImageHDU(levels, header=wcs.to_header(), name="SCI")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(tmp_path / "tiles.fits.fz")
    images = cutouts(tmp_path / "tiles.fits.fz", SOURCES, 33, normalize=None)
    assert (peak(images) == 16).all()
    np.testing.assert_array_equal(images.images[2, 0].numpy(), levels[240:273, 240:273])


def test_cutouts_read_a_wide_compressed_mosaic_band_by_band(tmp_path):
    # 2048 columns of float64 make a 16 MB band 1024 rows high: the stamps span two bands.
    levels = np.random.default_rng(2).integers(-500, 500, (1300, 2048)).astype(np.int32)
    fits.CompImageHDU(levels).writeto(tmp_path / "wide.fits.fz")
    xy = np.random.default_rng(3).uniform(0, 1, (60, 2)) * [2047, 1299]
    images = cutouts(tmp_path / "wide.fits.fz", xy, (40, 24), normalize=None)
    expected = cutouts(levels, xy, (40, 24), normalize=None)
    np.testing.assert_array_equal(images.images.numpy(), expected.images.numpy())
    np.testing.assert_array_equal(images.mask.numpy(), expected.mask.numpy())


@pytest.fixture
def holey(mosaic):
    data, _ = mosaic
    data = data.copy()
    data[195:206, 95:106] = np.nan  # 121 blank pixels around the source at (100, 200)
    data[0:64, 400:512] = np.nan  # a blank corner
    return data


def test_cutouts_mask_blank_pixels_of_the_mosaic(holey):
    with pytest.warns(
        AstromorphWarning,
        match=r"1 of 2 stamps contain blank \(NaN\) pixels "
        r"of the mosaic; they were masked \(nan_policy='mask'\)",
    ):
        images = cutouts(holey, [[100.0, 200.0], [300.0, 50.0]], 33)
    assert int(images.mask[0].sum()) == 121
    assert images.mask[0, 0, 11:22, 11:22].all()
    assert not images.mask[1].any()


def test_cutouts_set_blank_pixels_to_zero_when_asked(holey):
    with pytest.warns(AstromorphWarning, match="they were set to 0"):
        images = cutouts(holey, [[100.0, 200.0]], 33, nan_policy="zero", normalize=None)
    assert not images.mask.any()
    assert (images.images[0, 0, 11:22, 11:22] == 0).all()


def test_cutouts_drop_stamps_with_blank_pixels_when_asked(holey):
    with pytest.warns(AstromorphWarning, match=r"1 of 2 positions were skipped \(1 with blank"):
        images = cutouts(holey, [[100.0, 200.0], [300.0, 50.0]], 33, nan_policy="drop")
    assert images.meta["catalog_index"].tolist() == [1]
    assert "has 121 blank (NaN) pixels (nan_policy='drop')" in images.skipped["reason"][0]


def test_cutouts_raise_for_blank_pixels_when_asked(holey):
    with pytest.raises(
        InvalidImageError,
        match=r"The stamp of position 0 at \(x, y\) = "
        r"\(100.0, 200.0\) in the mosaic array has 121 blank \(NaN\) pixels. "
        r"Expected none \(nan_policy='raise'\)",
    ):
        cutouts(holey, [[100.0, 200.0]], 33, nan_policy="raise")


@pytest.mark.parametrize("nan_policy", ["raise", "drop"])
def test_cutouts_padding_is_not_a_blank_pixel_of_the_mosaic(holey, nan_policy):
    images = cutouts(holey, [[300.0, 2.0]], 33, nan_policy=nan_policy)
    assert images.mask[0, 0, :14].all()
    assert not images.mask[0, 0, 14:].any()


def test_cutouts_skip_entirely_blank_stamps(holey):
    with pytest.warns(AstromorphWarning, match=r"1 of 2 positions were skipped \(1 entirely"):
        images = cutouts(holey, [[450.0, 20.0], [300.0, 50.0]], 16)
    assert "is entirely blank (NaN)" in images.skipped["reason"][0]
    assert images.meta["catalog_index"].tolist() == [1]


def test_cutouts_need_a_wcs_for_sky_positions(mosaic, tmp_path):
    data, wcs = mosaic
    sky = wcs.pixel_to_world(SOURCES[:, 0], SOURCES[:, 1])
    with pytest.raises(
        InvalidImageError,
        match="Sky positions need a WCS, but the mosaic array has no celestial WCS.*pass wcs=",
    ):
        cutouts(data, sky, 33)
    fits.PrimaryHDU(data).writeto(tmp_path / "nowcs.fits")
    with pytest.raises(InvalidImageError, match=r"but '.*nowcs.fits'\[0\] has no celestial WCS"):
        cutouts(tmp_path / "nowcs.fits", Table({"ra": [150.0], "dec": [2.0]}), 33)


def test_cutouts_list_columns_when_none_is_a_position(mosaic):
    data, _ = mosaic
    with pytest.raises(
        ValueError,
        match=r"No position columns in positions: found 'a', 'b'\. "
        r"Expected sky columns .*ra/dec; raj2000/dej2000.*pixel columns: x/y",
    ):
        cutouts(data, Table({"a": [1.0], "b": [2.0]}), 33)


@pytest.mark.parametrize(
    ("size", "error", "match"),
    [
        (0, ValueError, r"'size' parameter of cutouts must be an int >= 2; got 0"),
        ("big", TypeError, r"must be an int, a pair \(ny, nx\) of ints .*; got 'big'"),
        (3.5, TypeError, r"an angular Quantity such as 30 \* u.arcsec"),
        ((1, 2, 3), TypeError, r"got \(1, 2, 3\)"),
        (5 * u.m, ValueError, r"must be an int, a pair"),
        (0.5 * u.arcsec, ValueError, r"\(0.5, 0.5\) pixels \(ny, nx\).*at least 2 pixels"),
    ],
)
def test_cutouts_reject_a_bad_size(mosaic, size, error, match):
    data, wcs = mosaic
    with pytest.raises(error, match=match):
        cutouts(data, SOURCES, size, wcs=wcs)


def test_cutouts_reject_an_angular_size_without_wcs(mosaic):
    with pytest.raises(ValueError, match=r"An angular size .* needs the mosaic's WCS"):
        cutouts(mosaic[0], SOURCES, 30 * u.arcsec)


@pytest.mark.parametrize(
    ("option", "match"),
    [
        (
            {"on_edge": "clip"},
            r"'on_edge' parameter of cutouts must be one of 'pad', 'raise', "
            r"'skip'; got 'clip'",
        ),
        ({"nan_policy": "ignore"}, r"'nan_policy' parameter of cutouts must be one of"),
        ({"normalize": "sqrt"}, r"'normalize' parameter of cutouts must be one of"),
    ],
)
def test_cutouts_reject_bad_choices(mosaic, option, match):
    with pytest.raises(ValueError, match=match):
        cutouts(mosaic[0], SOURCES, 33, **option)


@pytest.mark.parametrize(
    ("positions", "error", "match"),
    [
        (np.empty((0, 2)), ValueError, "positions is empty"),
        (Table(names=["ra", "dec"]), ValueError, "positions is an empty table"),
        (SkyCoord([], [], unit="deg"), ValueError, "positions is an empty SkyCoord"),
        (np.zeros((4, 3)), ValueError, r"shape \(4, 3\). Expected \(N, 2\) holding \(x, y\)"),
        (np.zeros((2, 5)), ValueError, "It looks transposed: pass positions.T"),
        (np.zeros(2), ValueError, r"For one position pass \[\[x, y\]\]"),
        ([1.0, 2.0] * u.deg, TypeError, "Sky positions must be a SkyCoord"),
        (42, TypeError, "'positions' parameter of cutouts must be a SkyCoord"),
        (
            [SkyCoord(1, 2, unit="deg")] * 2,
            TypeError,
            r"must be a SkyCoord, an astropy Table .*; got list",
        ),
    ],
)
def test_cutouts_reject_bad_positions(mosaic, positions, error, match):
    data, wcs = mosaic
    with pytest.raises(error, match=match):
        cutouts(data, positions, 33, wcs=wcs)


def test_cutouts_reject_a_mosaic_that_is_not_2d(mosaic):
    cube = np.zeros((3, 64, 64), dtype=np.float32)
    with pytest.raises(
        InvalidImageError,
        match=r"has shape \(3, 64, 64\) in numpy order "
        r"\(NAXIS=3\). Expected a 2-D image \(ny, nx\)",
    ):
        cutouts(cube, SOURCES, 33)
    with pytest.raises(TypeError, match="'mosaic' parameter of cutouts must be a FITS path"):
        cutouts(["a", "b"], SOURCES, 33)


def test_cutouts_list_the_hdus_when_there_is_no_image(tmp_path, mosaic_file):
    table = fits.BinTableHDU(Table({"a": [1]}), name="CAT")
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(tmp_path / "cat.fits")
    with pytest.raises(
        InvalidImageError,
        match=r"No image data in '.*cat.fits': it holds only tables \("
        r"0 'PRIMARY' \(empty\), 1 'CAT' \(table\)",
    ):
        cutouts(tmp_path / "cat.fits", SOURCES, 33)
    with pytest.raises(
        InvalidImageError,
        match=r"HDU 0 \(PRIMARY\) is empty. Pass hdu= with one "
        r"of: 1 'SCI' \(512×512\), 2 'ERR' \(512×512\)",
    ):
        cutouts(mosaic_file, SOURCES, 33, hdu=0)
    with pytest.raises(InvalidImageError, match=r"has no HDU 'NOPE'. Pass hdu= with one of: 1"):
        cutouts(mosaic_file, SOURCES, 33, hdu="NOPE")


def test_cutouts_report_missing_and_unreadable_files(tmp_path):
    with pytest.raises(DataNotFoundError, match="No such mosaic file: .*missing.fits"):
        cutouts(tmp_path / "missing.fits", SOURCES, 33)
    (tmp_path / "notes.fits").write_text("not a FITS file")
    with pytest.raises(InvalidFileError, match=r"Cannot read .*notes.fits' as FITS"):
        cutouts(tmp_path / "notes.fits", SOURCES, 33)
