"""Sources with links: no loops, each real file read once, dangling links reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from astromorph_nb import AstromorphWarning, DataNotFoundError
from astromorph_nb.io import read_fits


def write(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.random.default_rng(seed).random((8, 8)).astype(np.float32)
    fits.PrimaryHDU(image).writeto(path)
    return path


@pytest.mark.timeout(20)
def test_a_link_back_up_the_tree_is_not_followed_round_a_loop(tmp_path):
    write(tmp_path / "data" / "sub" / "a.fits")
    (tmp_path / "data" / "sub" / "loop").symlink_to("..")
    with pytest.warns(AstromorphWarning, match=r"not followed.*sub/loop' -> '.*data'"):
        images = read_fits(str(tmp_path / "data" / "**" / "*.fits"))
    assert list(images.meta["file"]) == [str(tmp_path / "data" / "sub" / "a.fits")]


@pytest.mark.timeout(20)
def test_two_links_to_each_other_do_not_multiply_the_files(tmp_path):
    write(tmp_path / "data" / "x" / "a.fits")
    write(tmp_path / "data" / "y" / "b.fits", seed=1)
    (tmp_path / "data" / "x" / "to_y").symlink_to("../y")
    (tmp_path / "data" / "y" / "to_x").symlink_to("../x")
    with pytest.warns(AstromorphWarning, match="2 link"):
        images = read_fits(str(tmp_path / "data" / "**" / "*.fits"))
    assert sorted(Path(f).name for f in images.meta["file"]) == ["a.fits", "b.fits"]


def test_a_linked_folder_elsewhere_is_still_searched(tmp_path):
    write(tmp_path / "disk2" / "survey" / "c.fits")
    write(tmp_path / "data" / "a.fits", seed=1)
    (tmp_path / "data" / "survey").symlink_to(tmp_path / "disk2" / "survey")
    images = read_fits(str(tmp_path / "data" / "**" / "*.fits"))
    names = list(images.meta["file"])
    assert names == [
        str(tmp_path / "data" / "a.fits"),
        str(tmp_path / "data" / "survey" / "c.fits"),
    ]


def test_a_file_reached_twice_through_a_link_is_read_once_with_a_warning(tmp_path):
    real = write(tmp_path / "data" / "a.fits")
    (tmp_path / "data" / "b.fits").symlink_to("a.fits")
    for source in (tmp_path / "data", str(tmp_path / "data" / "*.fits")):
        with pytest.warns(
            AstromorphWarning, match=r"read once.*b\.fits' is the same file as '.*a\.fits'"
        ):
            images = read_fits(source)
        assert list(images.meta["file"]) == [str(real)]


def test_files_listed_one_by_one_are_read_as_listed(tmp_path):
    path = write(tmp_path / "a.fits")
    assert len(read_fits([path, path])) == 2


@pytest.mark.parametrize("how", ["folder", "pattern", "path"])
def test_a_dangling_link_is_an_error_naming_it_and_its_target(tmp_path, how):
    write(tmp_path / "data" / "a.fits")
    link = tmp_path / "data" / "gone.fits"
    link.symlink_to("moved/gone.fits")
    source = {"folder": tmp_path / "data", "pattern": str(tmp_path / "data" / "*.fits")}
    with pytest.raises(
        DataNotFoundError,
        match=r"gone\.fits' is a symbolic link to 'moved/gone\.fits', which does not exist",
    ):
        read_fits(source.get(how, link))


def test_a_dangling_link_is_a_reported_skip(tmp_path):
    good = write(tmp_path / "data" / "a.fits")
    link = tmp_path / "data" / "gone.fits"
    link.symlink_to(tmp_path / "elsewhere.fits")
    with pytest.warns(AstromorphWarning, match="1 of 2 inputs were skipped.*symbolic link"):
        images = read_fits(tmp_path / "data", on_error="skip")
    assert list(images.meta["file"]) == [str(good)]
    assert list(images.skipped["file"]) == [str(link)]
