from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch

from astromorph_nb import Session
from astromorph_nb.session.quality import interpret  # the rules, on made-up histories
from astromorph_nb.train import QualityHistory


def test_train_measures_quality_by_default_from_the_first_to_the_last_step(tiny_session):
    tiny_session.train(n_epochs=2, batch_size=8).wait()
    table = tiny_session.quality_history
    assert table.colnames == [
        "step",
        "elapsed_s",
        "effective_rank",
        "spread",
        "neighbor_change",
        "knn_accuracy",
    ]
    assert len(table) >= 2
    assert table["step"][0] == 1
    assert table["step"][-1] == tiny_session.step == 8
    assert np.all(np.diff(table["elapsed_s"]) >= 0)
    assert np.isnan(table["neighbor_change"][0])
    assert np.isfinite(table["neighbor_change"][1:]).all()
    assert np.isfinite(table["effective_rank"]).all()
    assert np.isnan(table["knn_accuracy"]).all()  # no labels given
    table["step"][0] = 99  # a copy
    assert tiny_session.quality_history["step"][0] == 1


def test_quality_every_s_none_switches_the_monitor_off(tiny_session):
    tiny_session.train(n_epochs=1, batch_size=8, quality_every_s=None).wait()
    assert len(tiny_session.quality_history) == 0
    report = tiny_session.training_report()
    assert report.n_snapshots == 0
    assert "quality_every_s=None" in report.interpretation
    with pytest.raises(ValueError, match=r"'quality_every_s' parameter of Session.train.*None"):
        tiny_session.train(n_epochs=1, quality_every_s=-2)
    assert tiny_session.status == "trained"  # nothing started


def test_the_monitor_does_not_change_what_the_session_learns(tiny_session):
    other = Session(tiny_session.images, random_state=0, device="cpu")
    tiny_session.train(n_epochs=2, batch_size=8, quality_every_s=0.0).wait()
    other.train(n_epochs=2, batch_size=8, quality_every_s=None).wait()
    assert len(tiny_session.quality_history) >= 2
    np.testing.assert_array_equal(tiny_session.loss_history["loss"], other.loss_history["loss"])
    for (name, mine), theirs in zip(
        tiny_session.model.state_dict().items(), other.model.state_dict().values(), strict=True
    ):
        assert torch.equal(mine, theirs), name


def test_labels_given_to_evaluate_give_knn_accuracy_in_later_runs(tiny_session):
    tiny_session.train(n_epochs=1, batch_size=8).wait()
    tiny_session.embed()
    tiny_session.evaluate("label", n_folds=2, n_neighbors=3)
    tiny_session.train(n_epochs=1, batch_size=8).wait()
    table = tiny_session.quality_history
    first_run = table["step"] <= 4
    assert np.isnan(table["knn_accuracy"][first_run]).all()
    accuracy = table["knn_accuracy"][~first_run]
    assert len(accuracy) >= 2
    assert ((accuracy >= 0) & (accuracy <= 1)).all()
    report = tiny_session.training_report()
    assert not math.isnan(report.knn_accuracy[1])
    assert "kNN accuracy" in str(report)


def test_labels_given_while_training_runs_reach_the_running_monitor(tiny_session):
    tiny_session.train(n_epochs=10_000, batch_size=8, quality_every_s=0.0)
    try:
        wait_until(lambda: len(tiny_session.quality_history) >= 1)
        tiny_session.embed()  # from a copy of the current weights
        tiny_session.evaluate("label", n_folds=2, n_neighbors=3)
        wait_until(lambda: np.isfinite(tiny_session.quality_history["knn_accuracy"]).any())
    finally:
        tiny_session.stop()
        tiny_session.wait()


def wait_until(condition, timeout=30.0):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            msg = "condition not met in time"
            raise AssertionError(msg)
        time.sleep(0.01)


def test_quality_history_continues_across_runs_and_a_stopped_run(tiny_session):
    class StopAt:
        def on_batch_end(self, step):
            if step == 3:
                tiny_session.stop()

    tiny_session.train(n_epochs=2, batch_size=8, callbacks=[StopAt()]).wait()
    tiny_session.train().wait()  # continues the stopped run exactly
    tiny_session.train(n_epochs=1, batch_size=8).wait()  # a new run from the weights
    table = tiny_session.quality_history
    steps = list(table["step"])
    assert steps == sorted(steps)
    assert steps[-1] == tiny_session.step == 12
    assert {1, 3, 4, 8, 9, 12} <= set(steps)  # each run's first and last step
    assert np.all(np.diff(table["elapsed_s"]) >= 0)
    starts = np.isin(table["step"], [1, 4, 9])
    assert np.isnan(table["neighbor_change"][starts]).all()  # first snapshot of each run


def test_quality_history_and_labels_survive_save_and_load(tiny_session, tmp_path):
    tiny_session.train(n_epochs=1, batch_size=8).wait()
    tiny_session.embed()
    tiny_session.evaluate("label", n_folds=2, n_neighbors=3)
    tiny_session.train(n_epochs=1, batch_size=8).wait()
    before = tiny_session.quality_history
    report = tiny_session.training_report()
    loaded = Session.load(tiny_session.save(tmp_path / "run"), device="cpu")
    after = loaded.quality_history
    assert after.colnames == before.colnames
    for name in before.colnames:
        np.testing.assert_array_equal(after[name], before[name])
    assert str(loaded.training_report()) == str(report)
    loaded.train(n_epochs=1, batch_size=8).wait()
    table = loaded.quality_history
    assert len(table) > len(before)
    assert table["step"][-1] == loaded.step == 12
    assert table["elapsed_s"][len(before)] >= before["elapsed_s"][-1]
    assert np.isfinite(table["knn_accuracy"][len(before) :]).all()  # the labels came along


def test_training_report_sums_up_and_interprets(tiny_session):
    assert "Not trained yet" in tiny_session.training_report().interpretation
    tiny_session.train(n_epochs=2, batch_size=8).wait()
    report = tiny_session.training_report()
    assert report.steps == 8
    assert report.training_s > 0
    assert report.images_per_second > 0
    losses = tiny_session.loss_history["loss"]
    assert report.loss == (losses[0], losses[-1])
    table = tiny_session.quality_history
    assert report.effective_rank == (table["effective_rank"][0], table["effective_rank"][-1])
    assert report.n_snapshots == len(table)
    text = str(report)
    assert text.startswith("Training report: 8 steps in ")
    for word in ("loss", "effective rank", "spread", "neighbour change"):
        assert word in text
    assert text.endswith(report.interpretation)
    page = report._repr_html_()
    assert "<table>" in page
    assert "effective rank" in page


def _columns(rank, spread, change):
    history = QualityHistory()
    for i, (r, s, c) in enumerate(zip(rank, spread, change, strict=True)):
        history.append(step=i + 1, effective_rank=r, spread=s, neighbor_change=c)
    return history.columns()


@pytest.mark.parametrize(
    ("rank", "spread", "change", "expected"),
    [
        ([30, 31, 32, 33], [0.05] * 4, [math.nan, 0.30, 0.25, 0.23], "still changing by 23 %"),
        ([30, 31, 32, 33], [0.05] * 4, [math.nan, 0.01, 0.015, 0.005], "changes little"),
        ([30, 31, 32, 33], [0.05] * 4, [math.nan, 0.01, 0.015, 0.03], "still changing by 3 %"),
        ([30, 31], [0.05] * 2, [math.nan, 0.10], "too early to tell"),
        ([30, 10, 1.05, 1.01], [0.05, 0.02, 1e-4, 1e-5], [math.nan, 0.5, 0.5, 0.5], "collapsed"),
        ([40, 35, 25, 15], [0.05] * 4, [math.nan, 0.2, 0.2, 0.2], "losing directions"),
    ],
)
def test_interpretation_of_the_quality_history(rank, spread, change, expected):
    assert expected in interpret(_columns(rank, spread, change), steps=100, n_features=128)
