"""Fault injection: SIGKILL a training process at random moments, then carry on.

One server process imports torch once and forks a training child per trial; the child
continues from the last checkpoint, writes one every ``K`` steps (``CheckpointEvery``), and
reports each step it finished. The test kills the child with SIGKILL at a random moment
(sometimes in the middle of writing a checkpoint), then checks that the checkpoint loads, that
training continues from it, and that at most ``K`` steps of history were lost.
``benchmarks/bench_faults.py`` runs more trials with :func:`kill_trials`.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
import torch

from astromorph_nb.augment import RandomFlip
from astromorph_nb.io.store.checkpoints import load_checkpoint
from astromorph_nb.model import SmallCNN
from astromorph_nb.train import Trainer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")

CHECKPOINT_STEPS = 5
N_TRIALS = 20

# Model, images and settings shared by the killed child and the in-test continuation.
_SETUP = """
import torch
from astromorph_nb.augment import RandomFlip
from astromorph_nb.model import BYOL, SmallCNN
from astromorph_nb.train import Trainer


def make_model():
    torch.manual_seed(0)
    return BYOL(SmallCNN(in_channels=1, width=8), projection_size=16, projection_hidden_size=32)


def make_images():
    return torch.rand(64, 1, 16, 16, generator=torch.Generator().manual_seed(0))


def make_trainer(callbacks):
    return Trainer(
        n_epochs=100_000, batch_size=8, random_state=0, device="cpu",
        augmentations=RandomFlip(), callbacks=callbacks,
    )
"""

# The server: reads one line per trial, forks a child that trains until killed, reaps it.
_SERVER = """
import os, sys
torch.set_num_threads(1)
from astromorph_nb.io.store.checkpoints import load_checkpoint
from astromorph_nb.train.callbacks import CheckpointEvery

path, n_steps = sys.argv[1], int(sys.argv[2])


class Report:
    def on_batch_end(self, step):
        os.write(1, f"step {step}\\n".encode())


def train():
    state = load_checkpoint(path) if os.path.exists(path) else None
    model, images = make_model(), make_images()
    trainer = make_trainer([CheckpointEvery(path, n_steps=n_steps), Report()])
    os.write(1, f"start {0 if state is None else int(state['step'])}\\n".encode())
    trainer.fit(model, images, checkpoint=state)


# One warm-up step here, so that each forked child starts training at once.
warm = make_trainer([])
warm.config = warm.config.__class__(**{**warm.config.to_dict(), "n_epochs": 1})
warm.fit(make_model(), make_images()[:8])

for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            train()
        finally:
            os._exit(1)
    os.write(1, f"child {pid}\\n".encode())
    _, status = os.waitpid(pid, 0)
    os.write(1, f"reaped {status}\\n".encode())
"""

_namespace: dict[str, Any] = {}
exec(_SETUP, _namespace)  # the same model, images and settings as the child's


@dataclass(frozen=True)
class Trial:
    """What one kill left behind, and what continuing from it gave."""

    resumed_from: int  # the step the child started from (the previous checkpoint)
    reached: int  # the last step the child reported finished before it died
    saved: int  # the step stored in the checkpoint that survived (-1: none loaded)
    killed_by_signal: bool
    history_intact: bool  # losses: one per step, earlier ones unchanged
    continued_to: int  # the step Trainer.fit(checkpoint=...) reached in this process

    @property
    def lost(self) -> int:
        """Steps of history lost to the kill."""
        return self.reached - self.saved

    def survived(self, n_steps: int) -> bool:
        """True if the checkpoint loaded, training continued and at most n_steps were lost."""
        return (
            self.killed_by_signal
            and self.saved >= self.resumed_from
            and self.lost <= n_steps
            and self.history_intact
            and self.continued_to == self.saved + 3
        )


def continue_from(state: dict[str, Any] | None, n_steps: int = 3) -> Trainer:
    """Train ``n_steps`` more steps from a checkpoint (None: from scratch); return the trainer."""
    stop = threading.Event()
    first = 0 if state is None else int(state["step"])

    class StopAfter:
        def on_batch_end(self, step: int) -> None:
            if step >= first + n_steps:
                stop.set()

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        trainer = _namespace["make_trainer"]([StopAfter()])
        trainer.fit(
            _namespace["make_model"](),
            _namespace["make_images"](),
            checkpoint=state,
            stop_event=stop,
        )
    finally:
        torch.set_num_threads(threads)
    return trainer


def _read(stream: IO[bytes]) -> list[str]:
    line = stream.readline()
    if not line:
        msg = "The training server ended unexpectedly."
        raise RuntimeError(msg)
    return line.decode().split()


def kill_trials(
    directory: Path, n_trials: int, *, n_steps: int = CHECKPOINT_STEPS, seed: int = 0
) -> Iterator[Trial]:
    """Kill ``n_trials`` training children at random moments; yield what each left."""
    rng = random.Random(seed)
    path = directory / "run.ckpt"
    script = textwrap.dedent(_SETUP) + textwrap.dedent(_SERVER)
    server = subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(n_steps)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert server.stdin is not None
    assert server.stdout is not None
    previous: list[float] = []
    try:
        for _ in range(n_trials):
            server.stdin.write(b"go\n")
            server.stdin.flush()
            words = _read(server.stdout)
            while words[0] != "child":  # pragma: no cover - nothing else is printed first
                words = _read(server.stdout)
            pid = int(words[1])
            words = _read(server.stdout)
            resumed_from = reached = int(words[1])
            target = resumed_from + rng.randint(1, 3 * n_steps)
            while reached < target:
                words = _read(server.stdout)
                reached = int(words[1])
            time.sleep(rng.uniform(0.0, 0.02))  # land anywhere in a step or a save
            os.kill(pid, signal.SIGKILL)
            while words[0] != "reaped":
                words = _read(server.stdout)
                if words[0] == "step":
                    reached = int(words[1])
            status = int(words[1])
            # Killed before the first save: no file yet, and fewer than n_steps steps lost.
            state = load_checkpoint(path) if path.exists() else None
            saved = 0 if state is None else int(state["step"])
            losses = [] if state is None else [float(x) for x in state["losses"]]
            intact = len(losses) == saved and losses[: len(previous)] == previous[:saved]
            previous = losses
            trainer = continue_from(state)
            yield Trial(
                resumed_from=resumed_from,
                reached=reached,
                saved=saved,
                killed_by_signal=os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
                history_intact=intact,
                continued_to=trainer.step,
            )
    finally:
        server.stdin.close()
        server.wait(timeout=30)
        server.stdout.close()


def test_training_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    trials = list(kill_trials(tmp_path, N_TRIALS, seed=8))
    assert len(trials) == N_TRIALS
    for trial in trials:
        assert trial.killed_by_signal
        assert trial.saved >= trial.resumed_from  # the checkpoint never goes backwards
        assert trial.lost <= CHECKPOINT_STEPS, trial
        assert trial.history_intact, trial
        assert trial.continued_to == trial.saved + 3
        assert trial.survived(CHECKPOINT_STEPS)
    assert trials[-1].saved > trials[0].resumed_from  # training made progress across kills


def test_continue_from_restores_history_when_given_a_fresh_state() -> None:
    trainer = _namespace["make_trainer"]([])
    model = _namespace["make_model"]()
    stop = threading.Event()
    trainer.callbacks.append(type("S", (), {"on_batch_end": lambda self, step: stop.set()})())
    trainer.fit(model, _namespace["make_images"](), stop_event=stop)
    state = trainer.state_dict()
    continued = continue_from(state, n_steps=2)
    assert continued.step == 3
    assert continued.losses[:1] == trainer.losses


class _RaiseAtStep:
    """A callback that raises ``error`` at step 2."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def on_batch_end(self, step: int) -> None:
        if step == 2:
            raise self.error


def _small_session() -> Any:
    import numpy as np

    import astromorph_nb as amn

    images = np.random.default_rng(0).random((16, 16, 16))
    return amn.Session.from_arrays(images, model=SmallCNN(in_channels=1, width=8), device="cpu")


@pytest.mark.parametrize(
    "error", [KeyboardInterrupt(), ValueError("a callback failed")], ids=["interrupt", "error"]
)
def test_session_stays_usable_after_the_training_thread_raises(error: BaseException) -> None:
    session = _small_session()
    job = session.train(
        n_epochs=2, batch_size=8, augmentations=RandomFlip(), callbacks=[_RaiseAtStep(error)]
    )
    with pytest.raises(type(error)):
        session.wait(timeout=60)
    assert job.status == "failed"
    assert session.status == "failed"
    assert session.last_reason == "failed"
    assert session.last_error is error
    assert not session.is_training
    assert session.step == 2  # the step that finished before the callback raised counts
    again = session.train(n_epochs=1, batch_size=8, augmentations=RandomFlip())
    assert session.wait(timeout=60) == "completed"
    assert again.status == "finished"
    assert session.status == "trained"
    assert session.step == 4
    assert session.embed(batch_size=8).shape[0] == 16


# A fresh process, because the interrupt is a real SIGINT: the training thread sends it at
# step 3, while the main thread blocks in session.wait(), as a notebook's interrupt would.
_INTERRUPT = """
import os, signal
import numpy as np
import astromorph_nb as amn
from astromorph_nb.augment import RandomFlip
from astromorph_nb.model import SmallCNN


# As a notebook kernel does; a process started in the background may inherit SIGINT ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)


class InterruptAtStep3:
    def on_batch_end(self, step):
        if step == 3:
            os.kill(os.getpid(), signal.SIGINT)


images = np.random.default_rng(0).random((32, 16, 16))
session = amn.Session.from_arrays(images, model=SmallCNN(in_channels=1, width=8), device="cpu")
job = session.train(n_epochs=4, batch_size=8, augmentations=RandomFlip(), random_state=0,
                    callbacks=[InterruptAtStep3()])
try:
    session.wait(timeout=60)
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted", job.status, session.status, session.step, session.can_resume,
          session.is_training)
session.train()
print("continued", session.wait(timeout=60), session.step, session.embed().shape[0])
"""


def test_interrupting_wait_stops_the_run_resumably_and_raises_keyboard_interrupt() -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_INTERRUPT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    interrupted, continued = done.stdout.splitlines()[-2:]
    # The step running when the interrupt came finishes; nothing after it starts.
    assert interrupted.split()[:3] == ["interrupted", "stopped", "trained"]
    step = int(interrupted.split()[3])
    assert step in (3, 4)
    assert interrupted.split()[4:] == ["True", "False"]
    assert continued.split() == ["continued", "completed", "16", "32"]
