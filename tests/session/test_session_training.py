from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch
from astropy.table import Table

from astromorph_nb import BusyError, ImageSet, NotReadyError, Session


def test_from_arrays_normalises_raw_flux_like_read_fits():
    flux = np.random.default_rng(0).normal(100.0, 5.0, size=(4, 8, 8))
    flux[0, 0, 0] = np.nan
    session = Session.from_arrays(flux, device="cpu")
    images = session.images.images
    assert float(images.min()) == 0.0
    assert float(images.max()) == 1.0
    assert bool(session.images.mask[0, 0, 0, 0])
    raw = Session.from_arrays(flux[1:], normalize=None, device="cpu")
    np.testing.assert_allclose(raw.images.images[:, 0].numpy(), flux[1:], rtol=1e-6)


def test_from_arrays_rejects_wrong_shapes_and_normalisations():
    with pytest.raises(ValueError, match=r"have shape \(4, 8\) in numpy order"):
        Session.from_arrays(np.zeros((4, 8)))
    with pytest.raises(ValueError, match="'normalize' parameter of Session.from_arrays"):
        Session.from_arrays(np.zeros((4, 8, 8)), normalize="sigmoid")


def test_session_needs_an_imageset_with_two_images():
    with pytest.raises(TypeError, match="Session needs an ImageSet; got ndarray"):
        Session(np.zeros((4, 1, 8, 8)))
    with pytest.raises(ValueError, match="at least 2 images; got 1"):
        Session(ImageSet(torch.zeros(1, 1, 8, 8)))
    with pytest.raises(ValueError, match="'device' parameter of Session"):
        Session(ImageSet(torch.zeros(2, 1, 8, 8)), device="tpu")


def test_from_fits_reads_files_with_read_options(example_fits_dir):
    session = Session.from_fits(
        example_fits_dir, normalize="asinh", session_options={"device": "cpu"}
    )
    assert session.n_images == 6
    assert list(session.meta["OBJECT"]) == [f"J{i:04d}+0200" for i in range(6)]


def test_results_raise_not_ready_naming_the_step(tiny_session):
    with pytest.raises(NotReadyError, match=r"Run session.embed\(\) first"):
        _ = tiny_session.embeddings
    with pytest.raises(NotReadyError, match=r"Run session.fit_tsne\(\) first"):
        _ = tiny_session.tsne_coordinates
    with pytest.raises(NotReadyError, match=r"Run session.score_anomalies\(\) first"):
        _ = tiny_session.anomaly_scores
    with pytest.raises(NotReadyError, match=r"Run session.cluster\(\) first"):
        _ = tiny_session.cluster_labels
    with pytest.raises(NotReadyError, match=r"session.embed\(\) first.*before session.fit_tsne"):
        tiny_session.fit_tsne()
    with pytest.raises(NotReadyError, match=r"No training run to stop"):
        tiny_session.stop()


def test_train_returns_at_once_and_updates_traits(tiny_session):
    steps, statuses = [], []
    tiny_session.observe(lambda change: steps.append(change["new"]), names=["step"])
    tiny_session.observe(lambda change: statuses.append(change["new"]), names=["status"])
    job = tiny_session.train(n_epochs=3, batch_size=8)
    assert tiny_session.status == "training" or job.status == "finished"
    assert job.wait() == "completed"
    assert tiny_session.status == "trained"
    assert statuses[0] == "training"
    assert statuses[-1] == "trained"
    assert tiny_session.step == 12
    assert steps[-1] == 12
    history = tiny_session.loss_history
    assert list(history["step"]) == list(range(1, 13))
    assert math.isclose(tiny_session.latest_loss, history["loss"][-1])
    assert list(tiny_session.epoch_history["step"]) == [4, 8, 12]


def test_traits_update_at_most_every_ui_interval(tiny_session):
    tiny_session.ui_interval_s = 3600.0
    steps = []
    tiny_session.observe(lambda change: steps.append(change["new"]), names=["step"])
    tiny_session.train(n_epochs=4, batch_size=8).wait()
    assert steps == [1, 16]  # the first step, then the final one at the end of the run


def test_second_train_while_running_is_busy(tiny_session):
    gate = threading.Event()

    class Hold:
        def on_batch_end(self, step):
            gate.wait(10)

    tiny_session.train(n_epochs=2, batch_size=8, callbacks=[Hold()])
    try:
        with pytest.raises(BusyError, match=r"already in progress \(epoch 1/2\).*stop\(\)"):
            tiny_session.train()
        with pytest.raises(BusyError, match=r"session.save\(\)"):
            tiny_session.save("unused")
    finally:
        gate.set()
        tiny_session.wait()


def test_stop_then_train_continues_the_exact_loss_sequence(tiny_session):
    reference = Session(tiny_session.images, random_state=0, device="cpu")
    reference.train(n_epochs=3, batch_size=8).wait()

    class StopAt:
        def on_batch_end(self, step):
            if step == 5:
                tiny_session.stop()

    tiny_session.train(n_epochs=3, batch_size=8, callbacks=[StopAt()])
    assert tiny_session.wait() == "stopped"
    assert tiny_session.step == 5
    assert tiny_session.train().wait() == "completed"
    assert tiny_session.step == 12
    np.testing.assert_array_equal(tiny_session.loss_history["loss"], reference.loss_history["loss"])


def test_new_run_after_a_finished_one_carries_on_the_step_count(tiny_session):
    tiny_session.train(n_epochs=1, batch_size=8).wait()
    tiny_session.train(n_epochs=2, batch_size=16).wait()
    assert tiny_session.step == 4 + 4
    assert list(tiny_session.loss_history["step"]) == list(range(1, 9))


def test_pause_and_resume_through_the_session(tiny_session):
    paused = threading.Event()

    class PauseAt:
        def on_batch_end(self, step):
            if step == 2:
                tiny_session.pause()
                paused.set()

    tiny_session.train(n_epochs=2, batch_size=8, callbacks=[PauseAt()])
    assert paused.wait(30)
    assert tiny_session.wait(timeout=0.3) is None
    assert tiny_session.job.status == "paused"
    tiny_session.resume()
    assert tiny_session.wait() == "completed"


def test_embed_while_training_uses_a_copy_of_the_current_weights(tiny_session):
    gate, started = threading.Event(), threading.Event()

    class Hold:
        def on_batch_end(self, step):
            started.set()
            gate.wait(10)

    tiny_session.train(n_epochs=2, batch_size=8, callbacks=[Hold()])
    try:
        assert started.wait(30)
        embeddings = tiny_session.embed()
    finally:
        gate.set()
        tiny_session.wait()
    assert embeddings.shape == (32, tiny_session.model.n_features)
    assert np.isfinite(embeddings).all()


def test_failed_run_sets_status_and_wait_raises(tiny_session):
    class Boom:
        def on_batch_end(self, step):
            msg = "callback failed"
            raise RuntimeError(msg)

    tiny_session.train(n_epochs=1, batch_size=8, callbacks=[Boom()])
    with pytest.raises(RuntimeError, match="callback failed"):
        tiny_session.wait()
    assert tiny_session.status == "failed"
    tiny_session.train(n_epochs=1, batch_size=8).wait()  # the session stays usable
    assert tiny_session.status == "trained"


def test_training_options_are_validated_with_their_names(tiny_session):
    with pytest.raises(ValueError, match="'learning_rate' parameter of TrainingConfig"):
        tiny_session.train(learning_rate=-1.0)
    assert tiny_session.status == "ready"


def test_repr_and_progress(tiny_session):
    assert repr(tiny_session) == (
        "<Session: 32 images 1×16×16, status='ready', 0 steps, t-SNE map: no>"
    )
    tiny_session.train(n_epochs=1, batch_size=8).wait()
    progress = tiny_session.progress
    assert progress["step"] == 4
    assert progress["run_total_steps"] == 4
    assert progress["device"] == "cpu"
    assert progress["images_per_second"] > 0


def test_history_is_a_copy(tiny_session):
    tiny_session.train(n_epochs=1, batch_size=8).wait()
    history = tiny_session.loss_history
    history["loss"][:] = 0
    assert isinstance(history, Table)
    assert (tiny_session.loss_history["loss"] != 0).all()


@pytest.mark.parametrize(
    ("model", "pretrained", "n_channels"),
    [(None, False, 1), ("resnet18-layer2", True, 1), (None, True, 3), (None, False, 2)],
    ids=["default-scratch", "resnet18-layer2", "default-3-bands", "default-scratch-2-bands"],
)
def test_random_state_repeats_initial_weights_and_training(model, pretrained, n_channels):
    images = np.random.default_rng(1).random((24, n_channels, 16, 16)).astype(np.float32)

    def run(seed):
        session = Session.from_arrays(
            images, model=model, pretrained=pretrained, random_state=seed, device="cpu"
        )
        before = session.embed().copy()
        session.train(n_epochs=1, batch_size=8).wait()
        return before, session.embed().copy()

    global_state = torch.random.get_rng_state()
    first, second, other = run(0), run(0), run(1)
    assert torch.equal(torch.random.get_rng_state(), global_state)  # the user's stream is kept
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[1], first[0])  # training changed the embedding
    assert not np.array_equal(first[1], other[1])
