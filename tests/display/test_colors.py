"""display.colors: one colour rule for the explorer and the companion page."""

from __future__ import annotations

import numpy as np

from astromorph_nb.display import MAX_COLOR_CATEGORIES, OTHER, category_codes, color_coding


def test_cluster_labels_far_apart_are_two_categories():
    coding = color_coding("cluster", np.array([0, 3_000_000, -1, 0]))
    assert coding.mode == "categorical"
    assert coding.categories == ["cluster 0", "cluster 3000000"]
    assert coding.values.tolist() == [0.0, 1.0, -1.0, 0.0]
    assert not coding.grouped


def test_more_than_twenty_categories_keep_the_nineteen_most_common_and_other():
    names = [f"kind-{i:02d}" for i in range(30)]
    values = np.array(names + ["kind-25"] * 5 + ["kind-03"] * 2)
    coding = color_coding("kind", values)
    assert MAX_COLOR_CATEGORIES == 20
    assert len(coding.categories) == MAX_COLOR_CATEGORIES
    assert coding.categories[-1] == OTHER
    assert coding.grouped
    kept = coding.categories[:-1]
    assert kept == sorted(kept)
    # the two repeated kinds, then ties broken towards the smaller names
    assert set(kept) == {"kind-25", "kind-03"} | {f"kind-{i:02d}" for i in range(18) if i != 3}
    other = coding.values == MAX_COLOR_CATEGORIES - 1
    assert set(values[other]) == set(names) - set(kept)


def test_twenty_categories_are_all_kept():
    codes, shown, grouped = category_codes(np.arange(20)[::-1])
    assert not grouped
    assert shown == list(range(20))
    assert codes.tolist() == list(range(20))[::-1]


def test_numbers_colour_by_value_with_missing_grey():
    coding = color_coding("flux", np.array([1.5, 2.0, 7.0]), missing=[False, True, False])
    assert coding.mode == "numeric"
    assert coding.categories == []
    np.testing.assert_array_equal(coding.values, np.array([1.5, np.nan, 7.0], np.float32))


def test_integers_of_other_columns_are_numbers_and_bools_are_categories():
    assert color_coding("n_sources", np.array([1, 5])).mode == "numeric"
    coding = color_coding("tagged", np.array([True, False, True]))
    assert coding.categories == ["False", "True"]
    assert coding.values.tolist() == [1.0, 0.0, 1.0]


def test_missing_text_is_grey_and_not_a_category():
    coding = color_coding("kind", np.array(["b", "", "a"]), missing=[False, True, False])
    assert coding.categories == ["a", "b"]
    assert coding.values.tolist() == [1.0, -1.0, 0.0]
