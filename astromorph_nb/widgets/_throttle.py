"""A clock check that lets at most one update through per interval (widgets layer).

Panels observe session traits that the training thread sets; a throttle keeps a panel's
redraws (and the messages they send to the browser) to a few per second even when the
session was built with a short ``ui_interval_s``. It starts no timer and no thread: an
update that comes too soon is skipped, and the panel redraws fully when the run ends.
"""

from __future__ import annotations

import math
import time

__all__ = ["Throttle"]


class Throttle:
    """Say whether enough time has passed since the last update that went through.

    Parameters
    ----------
    interval_s : float
        Least time between two updates, in seconds.

    Examples
    --------
    >>> throttle = Throttle(60.0)
    >>> throttle.ready(), throttle.ready()
    (True, False)
    >>> throttle.reset()
    >>> throttle.ready()
    True
    """

    def __init__(self, interval_s: float) -> None:
        self.interval_s = float(interval_s)
        self._last = -math.inf

    def ready(self) -> bool:
        """Return True, and start a new interval, if the last one has passed."""
        now = time.monotonic()
        if now - self._last < self.interval_s:
            return False
        self._last = now
        return True

    def reset(self) -> None:
        """Let the next call of :meth:`ready` through."""
        self._last = -math.inf
