"""write_html_page: one self-contained page; data round trip, escaping, size, errors."""

from __future__ import annotations

import base64
import json
import re
import zlib
from html.parser import HTMLParser

import numpy as np
import pytest

from astromorph_nb import OutputExistsError
from astromorph_nb.io.export.html_page import MAX_COLOR_CATEGORIES, write_html_page

EVIL = "<script>alert(1)</script> & </b>"


def _inputs(n: int = 6, size: int = 8, k: int = 2) -> dict:
    rng = np.random.default_rng(0)
    names = [f"obj-{i}" for i in range(n)]
    names[1] = EVIL
    return {
        "title": "Map of <i>galaxies</i>",
        "x": rng.normal(size=n),
        "y": rng.normal(size=n),
        "thumbnails": rng.integers(0, 256, (n, size, size), dtype=np.uint8),
        "labels": names,
        "columns": {
            "OBJECT": names,
            "flux": [1.5, float("nan"), 3.0, None, 5.0, 6.0][:n],
            "cluster": [0, 1, -1, 1, 0, 2][:n],
            "kind": [EVIL, "disc", "disc", "spiral", "disc", "spiral"][:n],
            "flag": np.arange(n) % 2 == 0,
        },
        "color_options": ["cluster", "flux", "kind"],
        "neighbors": (np.arange(n)[:, None] + np.arange(1, k + 1)[None]) % n,
        "neighbor_distances": np.full((n, k), 0.25),
    }


def _data(path) -> dict:
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="amn-data">(.*?)</script>', text, re.S)
    assert found is not None
    return json.loads(found.group(1))


def _array(text: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


def test_write_html_page_round_trips_the_data(tmp_path):
    given = _inputs()
    path = write_html_page(tmp_path / "page.html", **given)
    data = _data(path)
    assert data["n"] == 6
    np.testing.assert_array_equal(_array(data["x"], "<f4"), given["x"].astype(np.float32))
    np.testing.assert_array_equal(_array(data["y"], "<f4"), given["y"].astype(np.float32))
    thumbs = np.frombuffer(zlib.decompress(base64.b64decode(data["thumbnails"])), np.uint8)
    np.testing.assert_array_equal(thumbs.reshape(6, 8, 8), given["thumbnails"])
    assert data["thumbnailSize"] == 8
    assert data["labels"] == given["labels"]
    assert data["columns"] == ["OBJECT", "flux", "cluster", "kind", "flag"]
    assert data["rows"]["flux"] == [1.5, None, 3.0, None, 5.0, 6.0]
    assert data["rows"]["flag"] == [True, False] * 3
    assert data["k"] == 2
    neighbors = _array(data["neighbors"], "<i4").reshape(6, 2)
    np.testing.assert_array_equal(neighbors, given["neighbors"])
    np.testing.assert_array_equal(_array(data["neighborDistances"], "<f4"), 0.25)


def test_write_html_page_colours_numbers_clusters_and_text(tmp_path):
    data = _data(write_html_page(tmp_path / "page.html", **_inputs()))
    cluster, flux, kind = data["colors"]
    assert (cluster["mode"], cluster["categories"]) == (
        "categorical",
        ["cluster 0", "cluster 1", "cluster 2"],
    )
    np.testing.assert_array_equal(_array(cluster["values"], "<f4"), [0, 1, -1, 1, 0, 2])
    assert flux["mode"] == "numeric"
    np.testing.assert_array_equal(_array(flux["values"], "<f4"), [1.5, np.nan, 3, np.nan, 5, 6])
    assert kind["categories"] == [EVIL, "disc", "spiral"]
    np.testing.assert_array_equal(_array(kind["values"], "<f4"), [0, 1, 1, 2, 1, 2])


def test_write_html_page_escapes_text_from_the_data(tmp_path):
    path = write_html_page(tmp_path / "page.html", **_inputs())
    text = path.read_text(encoding="utf-8")
    assert "<script>alert" not in text
    assert "<i>galaxies" not in text
    assert "<title>Map of &lt;i&gt;galaxies&lt;/i&gt;</title>" in text
    parser = _Elements()
    parser.feed(text)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert scripts == [{"type": "application/json", "id": "amn-data"}, {"type": "module"}]
    assert _data(path)["labels"][1] == EVIL  # still there, as data
    assert "innerHTML" not in text


def test_write_html_page_makes_no_external_requests(tmp_path):
    text = write_html_page(tmp_path / "page.html", **_inputs()).read_text(encoding="utf-8")
    parser = _Elements()
    parser.feed(text)
    linked = [v for _, attrs in parser.tags for k, v in attrs.items() if k in ("src", "href")]
    assert linked == []
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert not re.search(r"\b(import|fetch)\s*\(", text)
    assert "createMapView(" in text  # the map code is inline


def test_write_html_page_stays_under_15_mb_for_5000_objects_of_64_px(tmp_path):
    n = 5000
    given = _inputs(n=6)
    rng = np.random.default_rng(1)
    names = [f"XDF-{i:04d}" for i in range(n)]
    given.update(
        x=rng.normal(size=n),
        y=rng.normal(size=n),
        # noise: the worst case for deflate
        thumbnails=rng.integers(0, 256, (n, 64, 64), dtype=np.uint8),
        labels=names,
        columns={"OBJECT": names, "flux": rng.random(n), "cluster": rng.integers(0, 6, n)},
        color_options=["cluster", "flux"],
        neighbors=rng.integers(0, n, (n, 8)),
        neighbor_distances=rng.random((n, 8)),
    )
    path = write_html_page(tmp_path / "big.html", **given)
    assert path.stat().st_size < 15e6
    assert _data(path)["thumbnailSize"] == 45


def test_write_html_page_pads_non_square_thumbnails(tmp_path):
    given = _inputs(n=2, k=1)
    given["columns"] = {}
    given["color_options"] = []
    given["thumbnails"] = np.full((2, 4, 6), 255, np.uint8)
    data = _data(write_html_page(tmp_path / "page.html", **given))
    thumbs = np.frombuffer(zlib.decompress(base64.b64decode(data["thumbnails"])), np.uint8)
    assert data["thumbnailSize"] == 6
    np.testing.assert_array_equal(
        thumbs.reshape(2, 6, 6)[:, :, 0], [[0, 255, 255, 255, 255, 0]] * 2
    )


def test_write_html_page_refuses_to_overwrite(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("mine")
    with pytest.raises(OutputExistsError, match="exists already in write_html_page"):
        write_html_page(path, **_inputs())
    assert path.read_text() == "mine"
    write_html_page(path, **_inputs(), overwrite=True)
    assert path.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"y": [0.0]}, ValueError, r"'y' in write_html_page has 1 entries; expected 6"),
        ({"labels": ["a"]}, ValueError, r"'labels' in write_html_page has 1 entries"),
        ({"columns": {"flux": [1.0]}}, ValueError, r"'flux' in write_html_page has 1 entries"),
        ({"thumbnails": np.zeros((6, 8, 8))}, TypeError, r"must be a uint8 array .* float64"),
        ({"thumbnails": np.zeros((5, 8, 8), np.uint8)}, ValueError, r"'thumbnails' .* has 5"),
        ({"color_options": ["mass"]}, ValueError, r"Colour option 'mass' .* not one of"),
        ({"neighbors": np.zeros((6, 2))}, TypeError, r"neighbors .* must be an int array"),
        ({"neighbors": np.full((6, 2), 6)}, ValueError, r"indices in \[0, 5\]; got values"),
        ({"neighbor_distances": np.zeros((6, 3))}, ValueError, r"shape of neighbors, \(6, 2\)"),
    ],
)
def test_write_html_page_names_the_bad_argument(tmp_path, change, error, match):
    given = {**_inputs(), **change}
    with pytest.raises(error, match=match):
        write_html_page(tmp_path / "page.html", **given)
    assert not (tmp_path / "page.html").exists()


def small_page(tmp_path, columns, color_options, **options):
    n = len(next(iter(columns.values())))
    return write_html_page(
        tmp_path / "map.html",
        title=options.get("title", "map"),
        x=np.arange(n, dtype=float),
        y=np.zeros(n),
        thumbnails=np.zeros((n, 8, 8), np.uint8),
        labels=options.get("labels", [f"#{i}" for i in range(n)]),
        columns=columns,
        color_options=color_options,
        neighbors=np.zeros((n, 0), int),
        neighbor_distances=np.zeros((n, 0)),
    )


def test_cluster_labels_far_apart_give_two_categories_and_a_small_page(tmp_path):
    page = small_page(tmp_path, {"cluster": [0, 3_000_000, -1, 0]}, ["cluster"])
    assert page.stat().st_size < 200_000
    color = _data(page)["colors"][0]
    assert color["categories"] == ["cluster 0", "cluster 3000000"]
    codes = _array(color["values"], "<f4")
    assert codes.tolist() == [0, 1, -1, 0]


def test_many_categories_keep_the_most_common_and_group_the_rest_as_other(tmp_path):
    values = [f"v{i:02d}" for i in range(40)] + ["v33"] * 5
    color = _data(small_page(tmp_path, {"kind": values}, ["kind"]))["colors"][0]
    assert len(color["categories"]) == MAX_COLOR_CATEGORIES
    assert color["categories"][-1] == "other"
    assert "v33" in color["categories"]
    codes = _array(color["values"], "<f4")
    assert codes[0] == 0
    assert codes[39] == MAX_COLOR_CATEGORIES - 1


def test_text_that_is_not_utf8_is_shown_readably(tmp_path):
    name = "gal\udce9.fits"  # how Python reads the file name b"gal\xe9.fits"
    page = small_page(
        tmp_path,
        {"file": [name, "b.fits"], "raw": [b"caf\xe9", b"ok"]},
        ["raw"],
        labels=[name, "b"],
        title=f"Map of {name}",
    )
    data = _data(page)  # read_text(encoding="utf-8") succeeds: the file is valid UTF-8
    assert data["rows"]["file"][0] == "gal\\xe9.fits"
    assert data["rows"]["raw"][0] == "caf\\xe9"
    assert data["labels"][0] == "gal\\xe9.fits"
    assert data["title"] == "Map of gal\\xe9.fits"
    assert data["colors"][0]["categories"] == ["caf\\xe9", "ok"]
