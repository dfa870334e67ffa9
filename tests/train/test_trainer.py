from __future__ import annotations

import math
import threading

import pytest
import torch
from builders import tiny_model

from astromorph_nb import TrainingDivergedError
from astromorph_nb.train import LossHistory, Trainer, TrainingConfig


def settings(**overrides):
    return {"n_epochs": 3, "batch_size": 8, "device": "cpu", "random_state": 0, **overrides}


def test_loss_decreases_on_a_tiny_synthetic_set(images):
    model = tiny_model()
    trainer = Trainer(**settings(n_epochs=12, learning_rate=3e-3))
    assert trainer.fit(model, images) == "completed"
    losses = torch.tensor(trainer.losses)
    assert losses[-10:].mean() < 0.8 * losses[:5].mean()


def test_steps_epochs_and_callbacks(images):
    calls = []

    class Recorder:
        def on_train_start(self, total_steps):
            calls.append(("start", total_steps))

        def on_epoch_end(self, epoch, mean_loss):
            calls.append(("epoch", epoch, round(mean_loss, 6)))

        def on_train_end(self, reason):
            calls.append(("end", reason))

    history = LossHistory()
    trainer = Trainer(**settings(), callbacks=[Recorder(), history])
    trainer.fit(tiny_model(), images)
    n_batches = len(images) // 8
    assert trainer.step == 3 * n_batches
    assert calls[0] == ("start", 3 * n_batches)
    assert [c[1] for c in calls if c[0] == "epoch"] == [0, 1, 2]
    assert calls[1][2] == round(sum(trainer.losses[:n_batches]) / n_batches, 6)
    assert calls[-1] == ("end", "completed")
    assert history.losses.tolist() == trainer.losses
    assert history.steps.tolist() == list(range(1, trainer.step + 1))


def test_runs_repeat_with_a_seed_and_differ_without(images):
    first, second, other = (
        Trainer(**settings()),
        Trainer(**settings()),
        Trainer(**settings(random_state=1)),
    )
    first.fit(tiny_model(), images)
    second.fit(tiny_model(), images)
    other.fit(tiny_model(), images)
    assert first.losses == second.losses
    assert first.losses != other.losses


def test_resume_continues_the_exact_loss_sequence(images):
    uninterrupted = Trainer(**settings(n_epochs=4))
    uninterrupted.fit(tiny_model(), images)

    class StopAt:
        def __init__(self, step, event):
            self.step, self.event = step, event

        def on_batch_end(self, step):
            if step == self.step:
                self.event.set()

    import threading

    event = threading.Event()
    n_batches = len(images) // 8
    first = Trainer(**settings(n_epochs=4), callbacks=[StopAt(n_batches + 2, event)])
    assert first.fit(tiny_model(), images, stop_event=event) == "stopped"
    state = first.state_dict()
    resumed = Trainer(**settings(n_epochs=4))
    assert resumed.fit(tiny_model(seed=99), images, checkpoint=state) == "completed"
    assert resumed.step == uninterrupted.step
    assert resumed.losses == uninterrupted.losses


def test_nan_loss_stops_with_a_message_and_keeps_the_weights(images):
    model = tiny_model()
    poisoned = images.clone()
    trainer = Trainer(**settings(n_epochs=2))
    trainer.fit(model, images)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    poisoned[:] = math.nan
    with pytest.raises(
        TrainingDivergedError,
        match=r"loss became nan at step .*weights of step .* are kept\. Lower the learning rate",
    ):
        Trainer(**settings()).fit(model, poisoned)
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, before[key], equal_nan=True, msg=key)


def test_stop_event_takes_effect_within_one_batch(images):
    import threading

    event = threading.Event()

    class StopAfterFirst:
        def on_batch_end(self, step):
            event.set()

    trainer = Trainer(**settings(n_epochs=50), callbacks=[StopAfterFirst()])
    assert trainer.fit(tiny_model(), images, stop_event=event) == "stopped"
    assert trainer.step == 1


def test_time_limit_ends_training(images):
    trainer = Trainer(**settings(n_epochs=10_000, max_time_s=0.5))
    assert trainer.fit(tiny_model(), images) == "time limit"
    assert 0 < trainer.step < 10_000


@pytest.mark.parametrize("n_channels", [1, 3, 7])
def test_multi_channel_images_train(n_channels):
    images = torch.rand(16, n_channels, 16, 16)
    model = tiny_model(in_channels=n_channels)
    trainer = Trainer(**settings(n_epochs=2))
    assert trainer.fit(model, images) == "completed"
    assert all(math.isfinite(x) for x in trainer.losses)
    assert model.embed(images[:4]).shape == (4, model.n_features)


def test_lars_optimizer_trains(images):
    trainer = Trainer(**settings(optimizer="lars", learning_rate=0.2))
    trainer.fit(tiny_model(), images)
    assert all(math.isfinite(x) for x in trainer.losses)


def test_model_is_in_train_mode_during_fit_even_after_embed(images):
    model = tiny_model()
    model.embed(images[:4])
    modes = []

    class Spy:
        def on_batch_end(self, trainer):
            modes.append(trainer._model.encoder.training)

    Trainer(**settings(n_epochs=1), callbacks=[Spy()]).fit(model, images)
    assert modes
    assert all(modes)


def test_config_validates_on_creation():
    with pytest.raises(
        ValueError,
        match=r"'learning_rate' parameter of TrainingConfig must be a number in \(0.0, 10.0\]",
    ):
        TrainingConfig(learning_rate=-1)
    with pytest.raises(
        ValueError,
        match="'optimizer' parameter of TrainingConfig must be one of 'adamw', 'lars'; got 'sgd'",
    ):
        TrainingConfig(optimizer="sgd")
    with pytest.raises(TypeError, match="'batch_size' parameter of TrainingConfig must be an int"):
        TrainingConfig(batch_size=12.5)
    with pytest.raises(ValueError, match="Unknown TrainingConfig settings: epochs"):
        TrainingConfig.from_dict({"epochs": 3})
    config = TrainingConfig(n_epochs=7)
    assert TrainingConfig.from_dict(config.to_dict()) == config
    with pytest.raises(TypeError, match="either a TrainingConfig or settings"):
        Trainer(config, n_epochs=3)


class _FlatteningEncoder(torch.nn.Module):
    """A custom encoder that calls .view on its input, as user code often does."""

    n_features = 8

    def __init__(self, in_pixels: int) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(in_pixels, self.n_features)

    def forward(self, images):
        return self.linear(images.view(images.shape[0], -1))


def test_memory_format_is_channels_last_for_convolutions_and_can_be_turned_off():
    images = torch.rand(16, 3, 16, 16)
    seen = []

    class Layout:
        def on_batch_end(self, trainer):
            weight = trainer._model.encoder.features[0].weight
            seen.append(weight.is_contiguous(memory_format=torch.channels_last))

    model = tiny_model(in_channels=3)
    Trainer(**settings(n_epochs=1), callbacks=[Layout()]).fit(model, images)
    assert seen
    assert all(seen)
    seen.clear()
    Trainer(**settings(n_epochs=1, memory_format="contiguous"), callbacks=[Layout()]).fit(
        tiny_model(in_channels=3), images
    )
    assert seen
    assert not any(seen)

    # No convolutions: "auto" keeps the default layout, and such a custom encoder trains.
    from astromorph_nb.model import BYOL

    flat = BYOL(_FlatteningEncoder(3 * 16 * 16), projection_size=4, projection_hidden_size=8)
    assert Trainer(**settings(n_epochs=1)).fit(flat, images) == "completed"
    with pytest.raises(ValueError, match="'memory_format' parameter of TrainingConfig"):
        TrainingConfig(memory_format="nhwc")


def test_training_from_batches_averaged_one_by_one_equals_training_from_the_averaged_copy(
    monkeypatch,
):
    from astromorph_nb.model import BYOL, SmallCNN, build_encoder

    def model():
        torch.manual_seed(0)
        encoder = build_encoder(SmallCNN(in_channels=1, width=4), in_channels=1, working_size=8)
        return BYOL(encoder, projection_size=8, projection_hidden_size=16)

    images = torch.rand(48, 1, 16, 16)
    copied = Trainer(**settings(n_epochs=2))
    copied.fit(model(), images)
    monkeypatch.setattr("astromorph_nb.data.batching.available_memory", lambda: 0)
    streamed = Trainer(**settings(n_epochs=2))
    streamed.fit(model(), images)
    assert len(streamed.losses) == 12
    assert streamed.losses == copied.losses
    assert not [t for t in threading.enumerate() if "astromorph-batches" in t.name]  # closed
