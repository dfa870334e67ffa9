"""Search by examples with yes/no answers, and anomaly scores re-weighted by answers."""

from __future__ import annotations

import time

import numpy as np
import pytest

from astromorph_nb.analysis.anomaly_feedback import reweight_by_feedback
from astromorph_nb.analysis.search import rank_by_examples


def _clusters(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three groups of directions in 16-D; group 2 is rare (10 of 410) and close to group 1."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 16))
    centres[2] = centres[1] + 0.9 * rng.normal(size=16)
    sizes = (200, 200, 10)
    labels = np.repeat(np.arange(3), sizes)
    embeddings = centres[labels] + rng.normal(scale=0.6, size=(labels.size, 16))
    return embeddings, labels


def test_cosine_ranks_the_examples_group_first():
    embeddings, labels = _clusters()
    ranking = rank_by_examples(embeddings, [0])
    assert ranking.method == "cosine"
    top = ranking.order()[:100]
    assert 0 not in top
    assert (labels[top] == 0).mean() > 0.95


def test_answers_find_a_rare_group_better_than_cosine():
    embeddings, labels = _clusters()
    rare = labels == 2
    start = int(np.flatnonzero(rare)[0])
    cosine = rank_by_examples(embeddings, [start]).order(exclude_examples=False)[:10]
    positives, negatives = [start], []
    for _ in range(3):
        ranking = rank_by_examples(embeddings, positives, negatives, random_state=0)
        for i in ranking.order()[:10]:
            (positives if rare[i] else negatives).append(int(i))
    final = rank_by_examples(embeddings, positives, negatives, random_state=0)
    assert final.method == "classifier"
    found = rare[final.order(exclude_examples=False)[:10]].sum()
    assert found >= rare[cosine].sum()
    assert found >= 9


def test_order_puts_positives_first_and_negatives_last():
    embeddings, _ = _clusters()
    ranking = rank_by_examples(embeddings, [5, 3], [7], random_state=0)
    order = ranking.order(exclude_examples=False)
    assert order[:2].tolist() == [3, 5]
    assert order[-1] == 7
    assert sorted(order.tolist()) == list(range(len(embeddings)))
    assert {3, 5, 7}.isdisjoint(ranking.order().tolist())


def test_classifier_is_seeded():
    embeddings, _ = _clusters()
    first = rank_by_examples(embeddings, [0, 1], [300], random_state=3).scores
    again = rank_by_examples(embeddings, [0, 1], [300], random_state=3).scores
    np.testing.assert_array_equal(first, again)
    assert np.all((first >= 0) & (first <= 1))


@pytest.mark.parametrize(
    ("positives", "negatives", "error", "match"),
    [
        ([], [], ValueError, "at least one object"),
        ([0], [0], ValueError, "both the positives and the negatives"),
        ([999], [], IndexError, "outside the 410 objects"),
        ([0.5], [], TypeError, "object indices"),
    ],
)
def test_bad_examples_are_refused(positives, negatives, error, match):
    embeddings, _ = _clusters()
    with pytest.raises(error, match=match):
        rank_by_examples(embeddings, positives, negatives)


def test_reranking_100000_objects_takes_well_under_a_second():
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(100_000, 128)).astype(np.float32)
    rank_by_examples(embeddings[:1000], [0], [1], random_state=0)  # scikit-learn imported
    start = time.perf_counter()
    rank_by_examples(embeddings, list(range(20)), list(range(20, 60)), random_state=0)
    assert time.perf_counter() - start < 1.0


def test_boring_answers_sink_their_region_and_leave_others():
    embeddings, labels = _clusters()
    scores = np.random.default_rng(1).uniform(size=len(labels))
    boring = np.flatnonzero(labels == 0)[:5]
    new = reweight_by_feedback(embeddings, scores, [], boring)
    rescaled = (scores - scores.min()) / (scores.max() - scores.min())
    near, far = labels == 0, labels == 1
    assert np.median(new[near] / np.maximum(rescaled[near], 1e-9)) < 0.6
    assert np.median(new[far] / np.maximum(rescaled[far], 1e-9)) > 0.9
    np.testing.assert_allclose(new[boring], 0.1 * rescaled[boring], rtol=1e-6)


def test_interesting_answers_keep_their_region_above_a_boring_one():
    embeddings, labels = _clusters()
    scores = np.ones(len(labels))
    scores[0] = 0.0  # a range to rescale
    group0, group1 = np.flatnonzero(labels == 0), np.flatnonzero(labels == 1)
    new = reweight_by_feedback(embeddings, scores, group1[:3], group0[1:4])
    assert np.median(new[group1]) > np.median(new[group0])


def test_feedback_needs_an_answer():
    embeddings, _ = _clusters()
    with pytest.raises(ValueError, match="at least one answer"):
        reweight_by_feedback(embeddings, np.ones(len(embeddings)), [], [])
