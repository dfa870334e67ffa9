"""TrainingJob: one Trainer run in one background thread (train layer).

Threading contract
------------------
- This module starts one thread per job, not a daemon; the only other thread is the one
  that gathers batches ahead (``data/batching.py``), which the trainer closes at its end.
- Before starting it, the calling thread's idle OpenMP workers are freed (``_openmp.py``):
  with both threads' workers alive, they sleep between parallel regions and a training
  step on the CPU takes ~1.4× longer.
- The worker thread runs ``Trainer.fit`` and nothing else. It never touches widgets, never
  prints and never enters an ``ipywidgets.Output`` context; it reports through callbacks.
  Callbacks and observers they trigger run on the worker thread and must be quick.
- ``stop()``, ``pause()`` and ``resume()`` only set events and return at once; the trainer
  checks them between batches, so a stop takes effect within one batch.
- ``wait()`` joins the thread. An exception raised in the worker is stored, the status
  becomes ``"failed"``, and ``wait()`` raises it again with its original traceback.
- ``on_done(job)``, if set, runs on the worker thread after the run has ended (``status``
  and ``exception`` are final) and before ``wait()`` returns.
- The model belongs to the worker while the job runs: read its weights only after
  ``wait()`` (or from a checkpoint).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import torch

from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.model.byol import BYOL
from astromorph_nb.train._openmp import release_idle_openmp_threads
from astromorph_nb.train.trainer import Trainer

__all__ = ["TrainingJob"]


class TrainingJob:
    """Run ``trainer.fit(model, images)`` in a background thread.

    Parameters
    ----------
    trainer : Trainer
        Configured trainer (with its callbacks).
    model : BYOL
        The model to train, in place.
    images : ImageSet or Tensor of shape (n_images, n_channels, ny, nx)
        The training images.
    checkpoint : dict, optional
        Continue from this trainer state (``Trainer.state_dict()`` or a loaded checkpoint).
    start : bool, default=True
        Start at once; otherwise call :meth:`start`.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.model import BYOL, SmallCNN
    >>> from astromorph_nb.train import Trainer
    >>> from astromorph_nb.train.background import TrainingJob
    >>> model = BYOL(SmallCNN(in_channels=1, width=8), projection_size=16,
    ...              projection_hidden_size=32)
    >>> job = TrainingJob(Trainer(n_epochs=1, batch_size=8, device="cpu"), model,
    ...                   torch.rand(16, 1, 16, 16))
    >>> job.wait()
    'completed'
    >>> job.status
    'finished'
    """

    def __init__(
        self,
        trainer: Trainer,
        model: BYOL,
        images: ImageSet | torch.Tensor,
        *,
        checkpoint: dict[str, Any] | None = None,
        start: bool = True,
    ) -> None:
        self.trainer = trainer
        self.model = model
        self._images = images
        self._checkpoint = checkpoint
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._ended = False
        self._reason: str | None = None
        self.exception: BaseException | None = None
        #: Called with the job on the worker thread once the run has ended (``status`` and
        #: ``exception`` final), before :meth:`wait` returns; ``Session`` records the end here.
        self.on_done: Callable[[TrainingJob], None] | None = None
        #: Called with no arguments to build a widget when the job is displayed in a notebook
        #: (``Session.train`` sets it to ``session.training_panel``); None shows the repr.
        self.display_factory: Callable[[], Any] | None = None
        if start:
            self.start()

    def start(self) -> None:
        """Start the worker thread (once)."""
        if self._thread is not None:
            msg = "This training job has already been started; create a new job to train again."
            raise RuntimeError(msg)
        self._thread = threading.Thread(target=self._run, name="astromorph-training")
        release_idle_openmp_threads()  # else both threads' OpenMP workers sleep between ops
        self._thread.start()

    def _run(self) -> None:
        try:
            self._reason = self.trainer.fit(
                self.model,
                self._images,
                checkpoint=self._checkpoint,
                stop_event=self._stop,
                pause_event=self._pause,
            )
        except BaseException as err:  # stored and raised again by wait()
            self.exception = err
        finally:
            self._ended = True
            try:
                if self.on_done is not None:
                    self.on_done(self)
            except BaseException as err:
                if self.exception is None:
                    self.exception = err
            finally:
                self._done.set()

    def stop(self) -> None:
        """Ask training to stop after the current batch; returns at once."""
        self._stop.set()

    def pause(self) -> None:
        """Ask training to wait after the current batch until :meth:`resume`."""
        self._pause.set()

    def resume(self) -> None:
        """Continue a paused run."""
        self._pause.clear()

    def wait(self, timeout: float | None = None) -> str | None:
        """Wait for the run to end; return why it ended (None if ``timeout`` passed first).

        Interrupting the wait (Ctrl-C, or the notebook's interrupt button) stops the run as an
        interrupted loop would: the current step finishes, the run ends as ``"stopped"`` and
        can be continued, and the KeyboardInterrupt is raised again.

        Raises
        ------
        BaseException
            The exception that ended the run in the worker thread, with its traceback.
        """
        if self._thread is None:
            msg = "This training job has not been started; call start() first."
            raise RuntimeError(msg)
        try:
            finished = self._done.wait(timeout)
        except KeyboardInterrupt:
            self.stop()
            self._done.wait()
            self._thread.join()
            raise
        if not finished:
            return None
        self._thread.join()
        if self.exception is not None:
            raise self.exception
        return self._reason

    @property
    def reason(self) -> str | None:
        """Why the run ended: ``"completed"``, ``"stopped"`` or ``"time limit"``.

        None while it runs, and when it failed (see :attr:`exception`).
        """
        return self._reason

    @property
    def is_running(self) -> bool:
        """True from start until the worker thread ends."""
        return self._thread is not None and not self._ended

    @property
    def status(self) -> str:
        """Where the job is, e.g. ``"running"``.

        One of ``"not started"``, ``"running"``, ``"paused"``, ``"finished"``, ``"stopped"``,
        ``"time limit"`` or ``"failed"``.
        """
        if self._thread is None:
            return "not started"
        if not self._ended:
            return "paused" if self._pause.is_set() else "running"
        if self.exception is not None:
            return "failed"
        return "finished" if self._reason == "completed" else str(self._reason)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """Show a live widget in notebooks when there is one, else the text repr."""
        if self.display_factory is not None:
            widget = self.display_factory()
            bundle = widget._repr_mimebundle_(**kwargs)
            if bundle:
                return dict(bundle)
        return {"text/plain": repr(self)}

    def __repr__(self) -> str:
        trainer = self.trainer
        text = f"<TrainingJob: {self.status}, step {trainer.step}/{trainer.total_steps or '?'}"
        if trainer.losses:
            text += f", loss {trainer.losses[-1]:.4f}"
        return text + f", device {trainer.device.type}>"
