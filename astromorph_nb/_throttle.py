"""A clock check that lets at most one update through per interval.

Training calls back on every step; what it updates from there (the session's traits, a
console bar's text, a panel's redraw and the messages it sends to the browser) goes
through a throttle so it changes a few times per second at most, however fast the steps
come. It starts no timer and no thread: an update that comes too soon is skipped, and the
caller publishes the final state itself when the run ends.
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
