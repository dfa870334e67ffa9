"""MapScatter through its traits, as the browser front end sees and sets them."""

from __future__ import annotations

import numpy as np
import pytest
from ipywidgets.widgets.widget import _remove_buffers
from traitlets import TraitError

from astromorph_nb.display.assets import MAP_SCRIPT, static_asset
from astromorph_nb.widgets import COLORMAPS, MapScatter
from astromorph_nb.widgets import map_scatter as ms


def floats(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4")


@pytest.fixture
def scatter() -> MapScatter:
    widget = MapScatter()
    widget.set_points(np.arange(5.0), np.arange(5.0) * 2)
    yield widget
    widget.close()


def test_set_points_sends_little_endian_float32(scatter):
    assert scatter.n_points == 5
    assert len(scatter.x) == len(scatter.y) == 5 * 4
    np.testing.assert_array_equal(floats(scatter.y), np.arange(5.0) * 2)


def test_set_points_accepts_big_endian_and_integers():
    widget = MapScatter()
    widget.set_points(np.arange(3, dtype=">f8"), [1, 2, 3])
    np.testing.assert_array_equal(floats(widget.x), [0, 1, 2])
    np.testing.assert_array_equal(floats(widget.y), [1, 2, 3])


def test_set_points_names_both_lengths_when_they_differ(scatter):
    with pytest.raises(ValueError, match=r"x has 3 values but y has 4 in MapScatter.set_points"):
        scatter.set_points(np.zeros(3), np.zeros(4))


def test_set_points_rejects_two_column_arrays_with_the_fix(scatter):
    with pytest.raises(ValueError, match=r"got shape \(5, 2\).*coords\[:, 0\]"):
        scatter.set_points(np.zeros((5, 2)), np.zeros(5))


def test_set_points_rejects_text(scatter):
    with pytest.raises(TypeError, match="x in MapScatter.set_points must hold numbers"):
        scatter.set_points(np.array(["a", "b"]), np.zeros(2))


def test_set_points_rejects_nan_and_names_the_first_index(scatter):
    with pytest.raises(ValueError, match=r"y has 1 NaN or infinite values \(first at index 2\)"):
        scatter.set_points(np.zeros(4), np.array([0.0, 1.0, np.nan, 2.0]))


def test_set_points_with_a_new_count_clears_what_no_longer_fits(scatter):
    scatter.set_colors(np.arange(5.0))
    scatter.set_labels(list("abcde"))
    scatter.set_thumbnails(np.zeros((5, 4, 4), np.uint8))
    scatter.selected = [1, 2]
    scatter.focus = 3
    scatter.highlighted = [0, 4]
    scatter.set_points(np.zeros(2), np.zeros(2))
    assert (scatter.values, scatter.color_mode, scatter.labels, scatter.thumbnails) == (
        b"",
        "none",
        [],
        [],
    )
    assert (scatter.selected, scatter.focus, scatter.thumbnail_size) == ([], -1, 0)
    assert scatter.highlighted == []


def test_set_points_with_the_same_count_keeps_colours_and_selection(scatter):
    scatter.set_colors(np.arange(5.0))
    scatter.selected = [4]
    scatter.set_points(np.ones(5), np.ones(5))
    assert scatter.color_mode == "numeric"
    assert scatter.selected == [4]


def test_set_colors_numeric_keeps_nan_as_missing(scatter):
    scatter.set_colors(np.array([1, np.nan, 3, np.inf, 5]), label="anomaly score")
    values = floats(scatter.values)
    assert values.dtype == np.dtype("<f4")
    assert len(values) == 5
    assert np.isnan(values[1])
    assert values[4] == 5
    assert (scatter.color_mode, scatter.value_label, scatter.categories) == (
        "numeric",
        "anomaly score",
        [],
    )


def test_set_colors_categorical_sends_codes_and_names(scatter):
    scatter.set_colors(
        np.array([0, 1, -1, 2, 1]), mode="categorical", categories=["a", "b", 3], label="cluster"
    )
    np.testing.assert_array_equal(floats(scatter.values), [0, 1, -1, 2, 1])
    assert scatter.categories == ["a", "b", "3"]
    assert scatter.color_mode == "categorical"


def test_set_colors_none_clears_values(scatter):
    scatter.set_colors(np.arange(5.0))
    scatter.set_colors(None, mode="none")
    assert (scatter.values, scatter.color_mode) == (b"", "none")


def test_set_colors_names_both_lengths(scatter):
    with pytest.raises(ValueError, match=r"values has 3 entries but the map has 5 points"):
        scatter.set_colors(np.zeros(3))


def test_set_colors_rejects_an_unknown_mode(scatter):
    with pytest.raises(ValueError, match=r"'mode' parameter of MapScatter.set_colors must be"):
        scatter.set_colors(np.zeros(5), mode="rainbow")


def test_set_colors_rejects_text_values_and_suggests_categories(scatter):
    with pytest.raises(TypeError, match=r"must hold numbers; got dtype <U1. For a text column"):
        scatter.set_colors(np.array(list("abcde")))


def test_set_colors_needs_values_unless_mode_none(scatter):
    with pytest.raises(ValueError, match="values is None in MapScatter.set_colors"):
        scatter.set_colors(None)


def test_set_colors_categorical_needs_category_names(scatter):
    with pytest.raises(TypeError, match="categories must be a list of names"):
        scatter.set_colors(np.zeros(5), mode="categorical")


def test_set_colors_categorical_rejects_codes_without_a_name(scatter):
    with pytest.raises(ValueError, match=r"integers from -1 \(noise\) to 1 .*got \[2\.0, 0\.5\]"):
        scatter.set_colors(np.array([0, 1, 2, 0.5, -1]), mode="categorical", categories=["a", "b"])


def test_set_thumbnails_sends_uint8_bytes_in_numpy_order(scatter):
    thumbs = np.arange(5 * 3 * 3, dtype=np.uint8).reshape(5, 3, 3)
    scatter.set_thumbnails(thumbs)
    assert scatter.thumbnail_size == 3
    assert b"".join(scatter.thumbnails) == thumbs.tobytes()


def test_set_thumbnails_splits_into_chunks_of_whole_images(monkeypatch, scatter):
    monkeypatch.setattr(ms, "CHUNK_BYTES", 2 * 16)  # two 4x4 thumbnails per chunk
    thumbs = np.random.default_rng(0).integers(0, 256, (5, 4, 4), dtype=np.uint8)
    scatter.set_thumbnails(thumbs)
    assert [len(c) for c in scatter.thumbnails] == [32, 32, 16]
    assert b"".join(scatter.thumbnails) == thumbs.tobytes()


def test_set_thumbnails_keeps_chunks_under_four_megabytes():
    widget = MapScatter()
    widget.set_points(np.zeros(3000), np.zeros(3000))
    widget.set_thumbnails(np.zeros((3000, 64, 64), np.uint8))
    sizes = [len(c) for c in widget.thumbnails]
    assert max(sizes) <= 4 * 2**20
    assert sum(sizes) == 3000 * 64 * 64
    assert all(size % (64 * 64) == 0 for size in sizes)


def test_set_thumbnails_downsamples_by_area_mean_over_the_budget(monkeypatch, scatter):
    monkeypatch.setattr(ms, "MAX_THUMBNAIL_BYTES", 5 * 4 * 4)  # 5 thumbnails of 4x4 fit
    thumbs = np.zeros((5, 8, 8), np.uint8)
    thumbs[:, :2, :2] = 200  # one 2x2 block of the 8x8 image -> one pixel of the 4x4
    thumbs[1, 7, 7] = 100  # a quarter of the bottom-right output pixel
    scatter.set_thumbnails(thumbs)
    assert scatter.thumbnail_size == 4
    small = np.frombuffer(b"".join(scatter.thumbnails), np.uint8).reshape(5, 4, 4)
    assert small[0, 0, 0] == 200
    assert small[0].sum() == 200
    assert small[1, 3, 3] == 25


def test_set_thumbnails_downsamples_by_non_integer_factors(monkeypatch, scatter):
    monkeypatch.setattr(ms, "MAX_THUMBNAIL_BYTES", 5 * 3 * 3)
    scatter.set_thumbnails(np.full((5, 8, 8), 90, np.uint8))
    assert scatter.thumbnail_size == 3
    assert set(b"".join(scatter.thumbnails)) == {90}  # area means of a flat image stay flat


def test_set_thumbnails_pads_non_square_images_to_centred_squares(scatter):
    scatter.set_thumbnails(np.full((5, 2, 4), 7, np.uint8))
    square = np.frombuffer(b"".join(scatter.thumbnails), np.uint8).reshape(5, 4, 4)
    assert scatter.thumbnail_size == 4
    np.testing.assert_array_equal(square[0, :, 0], [0, 7, 7, 0])


def test_set_thumbnails_rejects_float_images_with_the_fix(scatter):
    with pytest.raises(TypeError, match=r"must be uint8 .* got dtype float64.*astype\(np.uint8\)"):
        scatter.set_thumbnails(np.zeros((5, 4, 4)))


def test_set_thumbnails_rejects_images_with_channels(scatter):
    with pytest.raises(ValueError, match=r"shape \(n_points, ty, tx\); got \(5, 1, 4, 4\)"):
        scatter.set_thumbnails(np.zeros((5, 1, 4, 4), np.uint8))


def test_set_thumbnails_names_both_counts(scatter):
    with pytest.raises(ValueError, match="thumbnails has 2 images but the map has 5 points"):
        scatter.set_thumbnails(np.zeros((2, 4, 4), np.uint8))


def test_set_labels_stores_plain_strings(scatter):
    scatter.set_labels(["<script>alert(1)</script> & co", 1, 2.5, None, "e"])
    assert scatter.labels == ["<script>alert(1)</script> & co", "1", "2.5", "None", "e"]


def test_set_labels_names_both_lengths(scatter):
    with pytest.raises(ValueError, match="labels has 2 entries but the map has 5 points"):
        scatter.set_labels(["a", "b"])


def test_set_labels_rejects_a_single_string(scatter):
    with pytest.raises(TypeError, match="one label per point; got a single str"):
        scatter.set_labels("abcde")


@pytest.mark.parametrize(
    ("trait", "value"), [("color_mode", "rgb"), ("colormap", "jet"), ("mode", "zoom")]
)
def test_choice_traits_reject_unknown_values(scatter, trait, value):
    with pytest.raises((ValueError, TraitError), match=f"'{trait}' parameter of MapScatter"):
        setattr(scatter, trait, value)


def test_front_end_actions_arrive_as_traits(scatter):
    seen = []
    names = ["clicked", "selected", "hovered", "mode"]
    scatter.observe(lambda change: seen.append((change["name"], change["new"])), names=names)
    # what the browser does: a click, a lasso, hovering, switching to lasso mode
    scatter.set_state({"clicked": 3})
    scatter.set_state({"selected": [0, 2, 4]})
    scatter.set_state({"hovered": 1})
    scatter.set_state({"mode": "lasso"})
    assert (scatter.clicked, scatter.selected, scatter.hovered, scatter.mode) == (
        3,
        [0, 2, 4],
        1,
        "lasso",
    )
    assert [name for name, _ in seen] == names


def test_click_messages_set_clicked_and_a_repeat_click_is_seen(scatter):
    clicks = []
    scatter.observe(lambda change: clicks.append(change["new"]), names="clicked")
    for index in (2, 2, 4):  # what the browser sends on each click of a point
        scatter._handle_custom_msg({"event": "click", "index": index}, [])
    assert clicks == [2, -1, 2, 4]


@pytest.mark.parametrize(
    "content", [{"event": "click", "index": 5}, {"event": "click", "index": "1"}, {"event": "x"}]
)
def test_bad_click_messages_are_ignored(scatter, content):
    scatter._handle_custom_msg(content, [])
    assert scatter.clicked == -1


def test_highlights_are_synced_state(scatter):
    scatter.focus = 2
    scatter.neighbors = [1, 3]
    scatter.selected = [0, 4]
    scatter.highlighted = [3, 1]
    state = scatter.get_state()
    assert (state["focus"], state["neighbors"], state["selected"]) == (2, [1, 3], [0, 4])
    assert state["highlighted"] == [3, 1]


def test_every_synced_highlight_reaches_the_javascript_view():
    source = static_asset(MAP_SCRIPT)
    for trait in ("selected", "focus", "neighbors", "highlighted"):
        assert f'{trait}: "' in source  # the adapter's TRAITS table passes it to the view
    assert "for (const i of S.highlighted) diamond(" in source  # drawn on the shared overlay


def test_coordinates_travel_as_binary_buffers_and_thumbnails_not_as_state(scatter):
    scatter.set_colors(np.arange(5.0))
    scatter.set_thumbnails(np.zeros((5, 4, 4), np.uint8))
    state, buffer_paths, buffers = _remove_buffers(scatter.get_state())
    assert sorted(buffer_paths) == [["values"], ["x"], ["y"]]
    assert "thumbnails" not in state
    assert state["thumbnail_size"] == 4
    assert [len(b) for b in buffers] == [20, 20, 20]


@pytest.fixture
def sent(monkeypatch, scatter):
    messages = []
    monkeypatch.setattr(
        scatter, "send", lambda content, buffers=None: messages.append((content, buffers))
    )
    return messages


def test_thumbnails_stream_to_a_view_once_it_is_ready(monkeypatch, scatter, sent):
    monkeypatch.setattr(ms, "CHUNK_BYTES", 2 * 16)
    thumbs = np.arange(5 * 16, dtype=np.uint8).reshape(5, 4, 4)
    scatter.set_thumbnails(thumbs)
    assert sent == []  # no view has drawn the map yet
    scatter._handle_custom_msg({"event": "ready"}, [])
    assert [m["index"] for m, _ in sent] == [0, 1, 2]
    assert {(m["count"], m["size"], m["per_chunk"]) for m, _ in sent} == {(3, 4, 2)}
    assert b"".join(b[0] for _, b in sent) == thumbs.tobytes()


def test_new_thumbnails_go_to_ready_views_with_a_newer_version(scatter, sent):
    scatter._handle_custom_msg({"event": "ready"}, [])
    scatter.set_thumbnails(np.ones((5, 2, 2), np.uint8))
    scatter.set_thumbnails(np.zeros((5, 3, 3), np.uint8))
    versions = [m["version"] for m, _ in sent]
    assert versions == sorted(versions)
    assert versions[0] < versions[-1]
    assert sent[-1][0]["size"] == 3
    assert sent[-1][1] == [bytes(45)]


def test_clearing_thumbnails_tells_ready_views(scatter, sent):
    scatter.set_thumbnails(np.ones((5, 2, 2), np.uint8))
    scatter._handle_custom_msg({"event": "ready"}, [])
    scatter.set_points(np.zeros(3), np.zeros(3))  # a new count clears the thumbnails
    assert sent[-1][0]["count"] == 0
    assert sent[-1][1] is None


def test_every_colormap_is_in_the_javascript():
    source = static_asset(MAP_SCRIPT)
    for name in COLORMAPS:
        assert f"  {name}: " in source


def test_javascript_never_writes_html():
    source = static_asset(MAP_SCRIPT)
    assert "innerHTML" not in source
    assert "insertAdjacentHTML" not in source
    assert "http://" not in source.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in source
