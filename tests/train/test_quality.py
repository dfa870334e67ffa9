from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from builders import tiny_model

from astromorph_nb.train import (
    QualityHistory,
    QualityMonitor,
    Trainer,
    effective_rank,
    embedding_spread,
    knn_accuracy,
    neighbor_change,
)
from astromorph_nb.train import quality as quality_module


def settings(**overrides):
    return {"n_epochs": 3, "batch_size": 8, "device": "cpu", "random_state": 0, **overrides}


@pytest.fixture
def gaussian():
    return np.random.default_rng(0).normal(size=(1000, 64))


# -- the measures ------------------------------------------------------------------------


def test_a_collapsed_embedding_has_rank_one_and_no_spread():
    direction = np.random.default_rng(1).normal(size=32)
    scales = np.random.default_rng(2).uniform(0.5, 2.0, size=(200, 1))
    collapsed = scales * direction  # one direction, any length
    assert effective_rank(collapsed) == pytest.approx(1.0, abs=1e-3)
    assert embedding_spread(collapsed) < 1e-9


def test_a_gaussian_embedding_uses_nearly_all_its_dimensions(gaussian):
    d = gaussian.shape[1]
    assert 0.9 * d < effective_rank(gaussian) < d
    assert embedding_spread(gaussian) == pytest.approx(1 / np.sqrt(d), rel=0.05)
    assert effective_rank(np.eye(16)) == pytest.approx(16.0, rel=1e-4)  # RankMe eps: a hair more


def test_effective_rank_counts_the_directions_of_a_low_rank_embedding(gaussian):
    low_rank = gaussian[:, :3] @ np.random.default_rng(3).normal(size=(3, 64))
    assert 2.0 < effective_rank(low_rank) < 3.01
    assert effective_rank(torch.from_numpy(low_rank)) == pytest.approx(effective_rank(low_rank))


def test_neighbor_change_is_zero_for_the_same_neighbors_and_near_one_for_shuffled(gaussian):
    embeddings = gaussian[:500]
    assert neighbor_change(embeddings, embeddings) == 0.0
    assert neighbor_change(embeddings, 3.0 * embeddings + 0.0) == 0.0  # cosine: scale-free
    shuffled = embeddings[np.random.default_rng(4).permutation(len(embeddings))]
    assert neighbor_change(embeddings, shuffled) > 0.95
    noisy = embeddings + np.random.default_rng(5).normal(scale=0.3, size=embeddings.shape)
    assert 0.05 < neighbor_change(embeddings, noisy) < neighbor_change(embeddings, shuffled)


def test_neighbor_change_counts_the_share_of_changed_neighbors():
    # Points on a line: each point's 2 neighbours are the points beside it.
    line = np.stack([np.cos(np.linspace(0, 1, 20)), np.sin(np.linspace(0, 1, 20))], 1)
    assert neighbor_change(line, line, k=2) == 0.0
    swapped = line.copy()
    swapped[[0, 19]] = swapped[[19, 0]]  # images 0 and 19 trade places at the two ends
    # Images 0, 1, 18, 19 change one neighbour each (0 and 19 both); the rest keep theirs.
    change = neighbor_change(line, swapped, k=2)
    assert 0.0 < change < 0.25


def test_knn_accuracy_leaves_each_image_out_and_skips_unlabelled_images():
    rng = np.random.default_rng(0)
    embeddings = np.vstack([rng.normal([5, 0], 0.5, (20, 2)), rng.normal([0, 5], 0.5, (20, 2))])
    labels = np.array([0] * 20 + [1] * 20)
    assert knn_accuracy(embeddings, labels, k=5) == 1.0
    labels[::2] = -1  # half unlabelled
    assert knn_accuracy(embeddings, labels, k=3) == 1.0
    random_labels = rng.integers(0, 2, size=40)
    assert knn_accuracy(embeddings, random_labels, k=5) < 0.8


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: effective_rank(np.zeros(5)), r"2-D array of shape \(n_images, n_features\)"),
        (lambda: embedding_spread([[1.0, np.nan]]), "NaN or infinite values in 1 of 1 rows"),
        (lambda: neighbor_change(np.ones((5, 2)), np.ones((6, 2))), "5 and 6 rows"),
        (lambda: neighbor_change(np.eye(5), np.eye(5), k=5), "at most 4"),
        (lambda: knn_accuracy(np.eye(4), ["a", "b", "a", "b"]), "number the classes first"),
        (lambda: knn_accuracy(np.eye(4), [0, -1, -1, -1]), "at least 2 labelled images"),
        (lambda: knn_accuracy(np.eye(4), [0, 1, 0, -1], k=3), "at most 2"),
    ],
)
def test_bad_input_is_explained(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_quality_history_is_readable_from_another_thread_while_written():
    history = QualityHistory()
    done = threading.Event()

    def write():
        for step in range(1, 2001):
            history.append(step=step, effective_rank=float(step))
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    while not done.is_set():
        columns = history.columns()
        assert len({len(c) for c in columns.values()}) == 1
    thread.join()
    columns = history.columns()
    assert columns["step"].dtype == np.int64
    np.testing.assert_array_equal(columns["step"], np.arange(1, 2001))
    assert np.isnan(columns["knn_accuracy"]).all()
    assert history.last()["step"] == 2000
    with pytest.raises(TypeError, match="step required"):
        history.append(effective_rank=1.0)


# -- the monitor -------------------------------------------------------------------------


class FakeClock:
    """Stands in for the ``time`` module inside train/quality.py; advanced by Tick."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now


class Tick:
    """A callback, before the monitor, that makes each step last ``seconds`` of fake time."""

    def __init__(self, clock, seconds=1.0):
        self.clock, self.seconds = clock, seconds

    def on_batch_end(self):
        self.clock.now += self.seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(quality_module, "time", fake)
    return fake


def test_monitor_takes_snapshots_at_the_first_step_every_s_and_at_the_end(images, clock):
    monitor = QualityMonitor(images, every_s=2.5, k=3)
    trainer = Trainer(**settings(n_epochs=2), callbacks=[Tick(clock), monitor])
    trainer.fit(tiny_model(), images)
    assert trainer.step == 10
    rows = monitor.history.columns()
    # Steps end at t = 1, 2, ..., 10 s: snapshots at 1 s, then >= 2.5 s later, then the end.
    np.testing.assert_array_equal(rows["step"], [1, 4, 7, 10])
    np.testing.assert_allclose(rows["elapsed_s"], [1.0, 4.0, 7.0, 10.0])
    assert monitor.n_snapshots == 4
    assert np.isnan(rows["neighbor_change"][0])
    assert ((rows["neighbor_change"][1:] >= 0) & (rows["neighbor_change"][1:] <= 1)).all()
    assert ((rows["effective_rank"] >= 1) & (rows["effective_rank"] <= 64)).all()
    assert (rows["spread"] > 0).all()
    assert np.isnan(rows["knn_accuracy"]).all()  # no labels given


def test_monitor_waits_longer_when_its_snapshots_are_expensive(images, clock):
    class SlowMonitor(QualityMonitor):
        def _embed(self, model):
            clock.now += 1.0  # one snapshot takes as long as a step
            return super()._embed(model)

    monitor = SlowMonitor(images, every_s=0.0, k=3)  # max_share=0.05 by default
    trainer = Trainer(**settings(n_epochs=6), callbacks=[Tick(clock), monitor])
    trainer.fit(tiny_model(), images)
    rows = monitor.history.columns()
    assert trainer.step == 30
    assert len(rows["step"]) <= 3  # first step, ~20 s later, the end
    assert np.diff(rows["elapsed_s"])[0] >= 20.0


def test_monitor_with_labels_measures_knn_accuracy_and_follows_new_labels(images, clock):
    labels = np.arange(len(images)) % 7  # the fixture's 7 classes are grouped; any ints do
    monitor = QualityMonitor(images, every_s=0.0, max_share=None, k=3, labels=labels)
    Trainer(**settings(n_epochs=1), callbacks=[monitor]).fit(tiny_model(), images)
    accuracy = monitor.history.columns()["knn_accuracy"]
    assert np.isfinite(accuracy).all()
    assert ((accuracy >= 0) & (accuracy <= 1)).all()
    monitor.set_labels(None)
    Trainer(**settings(n_epochs=1), callbacks=[monitor]).fit(tiny_model(), images)
    assert np.isnan(monitor.history.columns()["knn_accuracy"][-1])
    with pytest.raises(ValueError, match=f"one int class number per image \\({len(images)}\\)"):
        monitor.set_labels(labels[:5])


def test_monitor_chooses_a_fixed_subset_from_its_seed(images):
    first = QualityMonitor(images, n_images=10, random_state=3)
    again = QualityMonitor(images, n_images=10, random_state=3)
    other = QualityMonitor(images, n_images=10, random_state=4)
    np.testing.assert_array_equal(first.indices, again.indices)
    assert first.indices.tolist() != other.indices.tolist()
    assert len(set(first.indices.tolist())) == 10
    assert QualityMonitor(images, n_images=512).indices.tolist() == list(range(len(images)))


def test_monitor_continues_a_history_with_offsets(images, clock):
    history = QualityHistory()
    first = QualityMonitor(images, every_s=100.0, k=3, history=history)
    Trainer(**settings(n_epochs=1), callbacks=[Tick(clock), first]).fit(tiny_model(), images)
    second = QualityMonitor(
        images, every_s=100.0, k=3, history=history, step_offset=5, elapsed_offset=5.0
    )
    Trainer(**settings(n_epochs=1), callbacks=[Tick(clock), second]).fit(tiny_model(), images)
    rows = history.columns()
    np.testing.assert_array_equal(rows["step"], [1, 5, 6, 10])
    np.testing.assert_allclose(rows["elapsed_s"], [1.0, 5.0, 6.0, 10.0])


def _state(model):
    return {name: value.clone() for name, value in model.state_dict().items()}


def test_training_is_bit_identical_with_and_without_the_monitor(images):
    plain_model, watched_model = tiny_model(), tiny_model()
    plain = Trainer(**settings())
    plain.fit(plain_model, images)
    labels = np.arange(len(images)) % 3
    monitor = QualityMonitor(images, every_s=0.0, max_share=None, k=3, labels=labels)
    watched = Trainer(**settings(), callbacks=[monitor])
    watched.fit(watched_model, images)
    assert monitor.n_snapshots == watched.step  # a snapshot after every single step
    assert watched.losses == plain.losses
    plain_state, watched_state = _state(plain_model), _state(watched_model)
    assert plain_state.keys() == watched_state.keys()
    for name, value in plain_state.items():  # weights, BatchNorm statistics, target network
        assert torch.equal(value, watched_state[name]), name
    assert all(m.training for m in watched_model.modules())


def test_the_bit_identity_check_would_see_a_monitor_that_disturbs_batchnorm(images):
    # Positive control: embedding in training mode updates BatchNorm's running statistics.
    class CarelessMonitor(QualityMonitor):
        def _embed(self, model):
            with torch.no_grad():
                return model.encoder(self._subset)

    plain_model, careless_model = tiny_model(), tiny_model()
    plain = Trainer(**settings(n_epochs=1))
    plain.fit(plain_model, images)
    monitor = CarelessMonitor(images, every_s=0.0, max_share=None, k=3)
    Trainer(**settings(n_epochs=1), callbacks=[monitor]).fit(careless_model, images)
    plain_state, careless_state = _state(plain_model), _state(careless_model)
    assert any(not torch.equal(v, careless_state[k]) for k, v in plain_state.items())


def test_monitor_rejects_bad_settings_with_the_fix(images):
    with pytest.raises(ValueError, match="every_s.*seconds >= 0"):
        QualityMonitor(images, every_s=-1)
    with pytest.raises(ValueError, match=r"max_share.*\(0, 1\]"):
        QualityMonitor(images, max_share=0)
    with pytest.raises(ValueError, match="at least 2 images"):
        QualityMonitor(images[:1])
