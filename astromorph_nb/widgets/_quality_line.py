"""The training panel's quality line: the latest snapshot of ``Session.quality_history``.

A pure function from one row of the history to a line of HTML; the numbers are computed by
the session's quality monitor (``train/quality.py``), nothing here but formatting. Each
number carries a tooltip that says how to read it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

__all__ = ["quality_text"]

_HINTS = {
    "effective_rank": "How many directions the embedding uses (RankMe). Rising or flat: "
    "good; falling towards 1: collapse.",
    "spread": "Spread of the unit-length embeddings. Near 0: collapse (every image gets "
    "the same vector).",
    "neighbor_change": "Share of each image's nearest neighbours that changed since the "
    "previous snapshot. A few per cent: more training changes the map little.",
    "knn_accuracy": "Leave-one-out kNN accuracy of the labelled images in the subset "
    "(labels from session.evaluate).",
}


def _item(name: str, label: str, value: str) -> str:
    hint = html.escape(_HINTS[name], quote=True)
    return f'<span title="{hint}">{label} <b>{value}</b></span>'


def quality_text(row: Mapping[str, float] | None) -> str:
    """One HTML line for the latest quality snapshot ``row`` (None before the first).

    Parameters
    ----------
    row : mapping or None
        A row of ``Session.quality_history`` (``step``, ``effective_rank``, ``spread``,
        ``neighbor_change``, ``knn_accuracy``).

    Examples
    --------
    >>> row = {"step": 40, "effective_rank": 31.24, "spread": 0.0612,
    ...        "neighbor_change": 0.118, "knn_accuracy": float("nan")}
    >>> "neighbours changed <b>12 %</b>" in quality_text(row)
    True
    """
    if row is None:
        return (
            '<span style="color:#666">embedding quality: no snapshot yet (taken while '
            "training runs, see quality_every_s of session.train)</span>"
        )
    parts = [
        _item("effective_rank", "effective rank", f"{row['effective_rank']:.1f}"),
        _item("spread", "spread", f"{row['spread']:.3f}"),
    ]
    change = row["neighbor_change"]
    if math.isfinite(change):
        parts.append(_item("neighbor_change", "neighbours changed", f"{100 * change:.0f} %"))
    accuracy = row.get("knn_accuracy", math.nan)
    if math.isfinite(accuracy):
        parts.append(_item("knn_accuracy", "kNN accuracy", f"{accuracy:.3f}"))
    step = f'<span style="color:#666">(snapshot at step {int(row["step"]):,})</span>'
    return "embedding quality: " + " · ".join(parts) + " " + step
