"""The learning-rate schedule as a function of training progress (train layer).

Progress runs from 0 to 1 over the run: the share of steps done, or of the time budget used
when training has one, whichever is further. Following progress rather than step counts
lets a run bounded by time still warm up and anneal completely.
"""

from __future__ import annotations

import math

__all__ = ["learning_rate_factor"]


def learning_rate_factor(progress: float, warmup_fraction: float) -> float:
    """Linear warm-up from 0, then a cosine decay to 0 (Loshchilov & Hutter 2017)."""
    progress = min(max(progress, 0.0), 1.0)
    if warmup_fraction > 0 and progress < warmup_fraction:
        return progress / warmup_fraction
    rest = (progress - warmup_fraction) / max(1.0 - warmup_fraction, 1e-12)
    return 0.5 * (1.0 + math.cos(math.pi * rest))
