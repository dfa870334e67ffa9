"""What the embeddings encode: columns ranked against their shuffled null, and directions."""

from __future__ import annotations

import numpy as np
import pytest

from astromorph_nb.analysis.direction import direction_between, direction_of_column
from astromorph_nb.analysis.explain import explain_embeddings
from astromorph_nb.exceptions import AstromorphWarning


@pytest.fixture(scope="module")
def encoded():
    """Embeddings that encode ``size`` smoothly and ``kind`` as groups, but not ``noise``."""
    rng = np.random.default_rng(0)
    n = 400
    size = rng.uniform(1.0, 5.0, n)
    kind = rng.integers(0, 3, n)
    angle = size / 5.0 * np.pi
    embeddings = np.column_stack(
        [np.cos(angle), np.sin(angle), 0.8 * np.eye(3)[kind], rng.normal(0, 0.05, (n, 4))]
    ).astype(np.float32)
    columns = {
        "size": size,
        "kind": np.array(["core", "hub", "filament"])[kind],
        "noise": rng.normal(size=n),
        "coin": rng.integers(0, 2, n).astype(bool),
    }
    return embeddings, columns


def test_encoded_columns_rank_above_their_null_and_noise_sits_at_it(encoded):
    embeddings, columns = encoded
    table = explain_embeddings(embeddings, columns, random_state=0)
    rows = {row["column"]: row for row in table}
    assert table["column"][:2].tolist() in (["size", "kind"], ["kind", "size"])
    assert rows["size"]["metric"] == "r2"
    assert rows["size"]["score"] > 0.8
    assert rows["kind"]["metric"] == "balanced_accuracy"
    assert rows["kind"]["score"] > 0.9
    for name in ("size", "kind"):
        assert rows[name]["z"] > 10
    for name in ("noise", "coin"):
        row = rows[name]
        assert abs(row["score"] - row["null_mean"]) < 3 * row["null_std"] + 0.02
        assert abs(row["skill"]) < 0.1


def test_a_column_beats_a_shuffled_copy_of_itself(encoded):
    embeddings, columns = encoded
    shuffled = np.random.default_rng(5).permutation(columns["size"])
    table = explain_embeddings(
        embeddings, {"size": columns["size"], "size_shuffled": shuffled}, random_state=0
    )
    assert table["column"].tolist() == ["size", "size_shuffled"]
    assert table["skill"][0] > 0.8 > 0.1 > table["skill"][1]


def test_missing_values_are_left_out_and_unscorable_columns_are_reported(encoded):
    embeddings, columns = encoded
    size = np.ma.masked_array(columns["size"], mask=np.arange(400) % 4 == 0)
    with pytest.warns(AstromorphWarning, match="2 column\\(s\\) left out"):
        table = explain_embeddings(
            embeddings,
            {"size": size, "constant": np.ones(400), "vector": np.zeros((400, 2))},
            random_state=0,
        )
    assert table["column"].tolist() == ["size"]
    assert table["n_values"][0] == 300
    assert table["score"][0] > 0.8
    assert set(table.meta["skipped"]) == {"constant", "vector"}


def test_a_rare_tag_that_is_not_encoded_sits_at_the_null_level(encoded):
    embeddings, _ = encoded
    rare = np.zeros(400, dtype=bool)
    rare[np.random.default_rng(2).choice(400, 8, replace=False)] = True
    table = explain_embeddings(embeddings, {"rare_tag": rare}, random_state=0)
    assert table["metric"][0] == "balanced_accuracy"
    assert 0.4 < table["score"][0] < 0.65  # plain accuracy would be about 0.98
    assert abs(table["skill"][0]) < 0.2


def test_direction_orders_objects_between_two_groups(encoded):
    embeddings, columns = encoded
    size = columns["size"]
    direction = direction_of_column(embeddings, size)
    assert np.corrcoef(direction.positions, size)[0, 1] > 0.9
    picks = direction.along(8)
    assert len(picks) == 8
    assert np.all(np.diff(direction.positions[picks]) >= 0)
    low = direction_between(embeddings, direction.start, direction.end)
    np.testing.assert_allclose(low.positions, direction.positions)
    np.testing.assert_allclose(low.positions[direction.start].mean(), 0.0, atol=1e-9)
    np.testing.assert_allclose(low.positions[direction.end].mean(), 1.0, atol=1e-9)


def test_direction_refuses_one_group_twice(encoded):
    embeddings, _ = encoded
    with pytest.raises(ValueError, match="same objects"):
        direction_between(embeddings, [1, 2], [2, 1])
