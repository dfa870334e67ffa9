"""The training panel's status line: where training is, from ``Session.progress``.

A pure function from the session's progress to one line of HTML (state, step, epoch, loss,
speed, ETA, device, GPU memory); the numbers come from the session, nothing here but
formatting.
"""

from __future__ import annotations

import html
import math
from typing import Any

from astromorph_nb._text import format_duration

__all__ = ["status_text"]

_STATE_COLORS = {
    "ready": "#555",
    "training": "#1565c0",
    "paused": "#ef6c00",
    "trained": "#2e7d32",
    "stopped": "#ef6c00",
    "failed": "#c62828",
    "empty": "#555",
}


def status_text(progress: dict[str, Any], state: str, latest_loss: float, n_images: int) -> str:
    """One HTML line describing where training is, from ``Session.progress``.

    ``state`` is the session's status, or ``"paused"`` or ``"stopped"`` (see
    ``TrainingPanel._state``).
    """
    label = {"ready": "not trained yet", "empty": "no images"}.get(state, state)
    color = _STATE_COLORS.get(state, "#555")
    parts = [f'<b style="color:{color}">{html.escape(label)}</b>']
    if "run_step" not in progress:
        parts.append(f"{n_images:,} images")
        return " · ".join(parts)
    total = progress["run_total_steps"]
    parts.append(f"step {progress['run_step']:,}/{f'{total:,}' if total else '?'}")
    if progress["n_epochs"]:
        epoch = min(progress["epoch"] + 1, progress["n_epochs"])
        parts.append(f"epoch {epoch}/{progress['n_epochs']}")
    if math.isfinite(latest_loss):
        parts.append(f"loss {latest_loss:.4f}")
    speed = progress["images_per_second"]
    if speed is not None and math.isfinite(speed):
        parts.append(f"{speed:,.0f} images/s")
    if progress["remaining_s"] is not None and state == "training":
        parts.append(f"ETA {format_duration(progress['remaining_s'])}")
    parts.append(f"device {html.escape(str(progress['device']))}")
    if progress["gpu_memory_bytes"] is not None:
        parts.append(f"GPU memory {progress['gpu_memory_bytes'] / 2**30:.2f} GiB")
    return " · ".join(parts)
