"""Stop a training run cleanly when the process is asked to end with SIGTERM (train layer).

A batch system ends a job at its time limit, and ``scancel`` or ``kill`` end it early, with
SIGTERM; SLURM then waits ``KillWait`` (30 s by default) before SIGKILL. Python's default is
to die at once, losing the training. :class:`StopOnTermination` instead turns SIGTERM into
a stop request: a running job stops after its current step (as :meth:`TrainingJob.stop`),
and a run that has not started yet can see :attr:`StopOnTermination.requested` and end
before it does. Only the main thread can install a signal handler; elsewhere the context
manager does nothing.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any, Protocol

__all__ = ["StopOnTermination"]


class _Stoppable(Protocol):
    def stop(self) -> None: ...


class StopOnTermination:
    """Context manager: while inside, SIGTERM asks the watched job to stop.

    Examples
    --------
    >>> with StopOnTermination() as termination:
    ...     termination.requested
    False
    """

    def __init__(self) -> None:
        self.requested = False
        self._job: _Stoppable | None = None
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> StopOnTermination:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._handle)
            self._installed = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)
            self._installed = False

    def watch(self, job: _Stoppable) -> None:
        """Stop ``job`` on SIGTERM (at once if one came already)."""
        self._job = job
        if self.requested:
            job.stop()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self._job is not None:
            self._job.stop()  # sets an event: safe from a signal handler
