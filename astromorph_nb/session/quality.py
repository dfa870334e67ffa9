"""Is training helping? The session's quality monitor, its history, and the training report.

``Session.train`` attaches a :class:`~astromorph_nb.train.QualityMonitor` on a fixed subset
of the images (chosen from the session's seed), which adds rows to the session's
:class:`~astromorph_nb.train.QualityHistory`; labels given to ``Session.evaluate`` are kept
so the monitor also measures kNN accuracy. :func:`training_report` sums up a session's
training and says in one sentence what the numbers mean.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from astropy.table import Table

from astromorph_nb._text import format_duration
from astromorph_nb._validation import is_finite_real
from astromorph_nb.train.quality import QUALITY_COLUMNS, QualityMonitor

if TYPE_CHECKING:
    from astromorph_nb.data.imageset import ImageSet
    from astromorph_nb.session.training import TrainingRecord

__all__ = [
    "DEFAULT_QUALITY_EVERY_S",
    "QUALITY_SUBSET_SIZE",
    "TrainingReport",
    "make_monitor",
    "quality_table",
    "training_report",
]

#: Seconds between two quality snapshots during ``Session.train`` (its ``quality_every_s``).
DEFAULT_QUALITY_EVERY_S = 5.0
#: Images in the monitor's fixed subset (all of them in smaller sessions).
QUALITY_SUBSET_SIZE = 512
#: Spread below this share of ``1/sqrt(n_features)`` is called collapse. Healthy values for
#: the default encoder are 0.2 (random weights) to 0.6 (the shipped weights) of it: its
#: features come after a ReLU, so they all point into one orthant.
COLLAPSE_SPREAD = 0.05
#: An effective rank below this is called collapse too (1: a single direction).
COLLAPSE_RANK = 2.0
#: An effective rank that falls below this share of its highest value is called losing
#: directions (dimensional collapse).
RANK_DROP = 0.5
#: Neighbour change below this in each of the last :data:`SETTLED_SNAPSHOTS` snapshots is
#: called settled: more training changes the map and the neighbours little.
SETTLED_CHANGE = 0.02
SETTLED_SNAPSHOTS = 3


def make_monitor(
    record: TrainingRecord,
    images: ImageSet,
    every_s: float | None,
    *,
    step_offset: int,
    random_state: int | None,
) -> QualityMonitor | None:
    """Return the monitor for the next run over ``images`` (None when ``every_s`` is None).

    It extends ``record``'s quality history, measures kNN accuracy with its labels, and
    draws its subset from ``random_state`` (0 when None).

    ``step_offset`` is the reporter's: the steps of the runs before this one (a resumed
    run's trainer counts on from the stopped run's steps).
    """
    if every_s is None:
        return None
    if not is_finite_real(every_s) or every_s < 0:
        msg = (
            "The 'quality_every_s' parameter of Session.train must be a number of seconds "
            f">= 0 (default {DEFAULT_QUALITY_EVERY_S:g}), or None to switch the quality "
            f"monitor off; got {every_s!r}."
        )
        raise ValueError(msg)
    return QualityMonitor(
        images,
        n_images=QUALITY_SUBSET_SIZE,
        every_s=every_s,
        labels=record.quality_labels,
        random_state=random_state if random_state is not None else 0,
        history=record.quality,
        step_offset=step_offset,
        elapsed_offset=record.finished_seconds,
    )


def quality_table(record: TrainingRecord) -> Table:
    """Return the quality history as a Table (a copy), with units and descriptions."""
    table = Table(record.quality.columns())
    table["elapsed_s"].unit = "s"
    descriptions = {
        "step": "optimiser step of the snapshot (all runs)",
        "elapsed_s": "training time before the snapshot (all runs)",
        "effective_rank": "RankMe: exp of the entropy of the normalised singular values",
        "spread": "mean std of the unit-length embeddings over features (0: collapse)",
        "neighbor_change": "share of each image's nearest neighbours (10, fewer in small "
        "sessions) new since the previous snapshot (NaN: first snapshot of a run)",
        "knn_accuracy": "leave-one-out kNN accuracy of the labelled subset (NaN: no labels)",
    }
    for name in QUALITY_COLUMNS:
        table[name].description = descriptions[name]
    return table


def _percent(share: float, digits: int = 0) -> str:
    """``0.234`` → ``"23 %"`` (with a space, as in the docs)."""
    return f"{100 * share:.{digits}f} %"


def _ends(values: np.ndarray) -> tuple[float, float]:
    """First and last finite value (NaN, NaN if none)."""
    finite = values[np.isfinite(values)]
    return (float(finite[0]), float(finite[-1])) if finite.size else (math.nan, math.nan)


@dataclass(frozen=True)
class TrainingReport:
    """A short summary of a session's training, with one sentence on what it means.

    Pairs are ``(first, last)`` values over all runs; NaN where not measured. ``print`` it,
    or let the notebook show it as a table.

    Attributes
    ----------
    steps : int
        Optimiser steps over all runs.
    training_s : float
        Training time over all runs, in seconds.
    images_per_second : float
        Speed of the latest run (NaN before training).
    loss : tuple of float
        BYOL loss at the first and the latest step.
    effective_rank, spread, neighbor_change, knn_accuracy : tuple of float
        From the quality snapshots (see :attr:`Session.quality_history`).
    n_snapshots : int
        Quality snapshots taken.
    n_features : int
        Length of the embedding (the spread of a healthy embedding is below
        ``1/sqrt(n_features)``).
    interpretation : str
        What the numbers say: still learning, settled, collapsed, or too early to tell.
    """

    steps: int
    training_s: float
    images_per_second: float
    loss: tuple[float, float]
    effective_rank: tuple[float, float]
    spread: tuple[float, float]
    neighbor_change: tuple[float, float]
    knn_accuracy: tuple[float, float]
    n_snapshots: int
    n_features: int
    interpretation: str

    def _rows(self) -> list[tuple[str, str, str]]:
        """(name, "first → last", note) for each measured quantity."""

        def pair(values: tuple[float, float], form: str) -> str:
            return " → ".join(
                "—" if math.isnan(v) else _percent(v, 1) if form == "%" else format(v, form)
                for v in values
            )

        rows = [("loss", pair(self.loss, ".4f"), "BYOL loss, first and latest step")]
        if self.n_snapshots:
            healthy = 1 / math.sqrt(self.n_features)
            rows += [
                ("effective rank", pair(self.effective_rank, ".1f"), "rising or flat: good"),
                ("spread", pair(self.spread, ".3f"), f"near 0: collapse (1/√d = {healthy:.3f})"),
                (
                    "neighbour change",
                    pair(self.neighbor_change, "%"),
                    f"per snapshot; {self.n_snapshots} snapshots",
                ),
            ]
            if not math.isnan(self.knn_accuracy[1]):
                rows.append(("kNN accuracy", pair(self.knn_accuracy, ".3f"), "labelled subset"))
        return rows

    def _headline(self) -> str:
        speed = (
            ""
            if math.isnan(self.images_per_second)
            else f" ({self.images_per_second:,.0f} images/s)"
        )
        return f"{self.steps:,} steps in {format_duration(self.training_s)}{speed}"

    def __str__(self) -> str:
        lines = [f"Training report: {self._headline()}"]
        lines += [f"  {name:<17}{values:<22}{note}" for name, values, note in self._rows()]
        lines.append(self.interpretation)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(values)}</td>"
            f'<td style="color:#666">{html.escape(note)}</td></tr>'
            for name, values, note in self._rows()
        )
        return (
            f"<div><b>Training report</b>: {html.escape(self._headline())}"
            f"<table>{cells}</table><p>{html.escape(self.interpretation)}</p></div>"
        )


def interpret(columns: dict[str, np.ndarray], *, steps: int, n_features: int) -> str:
    """Say in one sentence what a quality history means."""
    if steps == 0:
        return "Not trained yet: call session.train()."
    rank, spread, change = (
        columns["effective_rank"],
        columns["spread"],
        columns["neighbor_change"],
    )
    if not np.isfinite(rank).any():
        return (
            "No quality snapshots were taken (quality_every_s=None): only the loss is known, "
            "and it says little about the embedding."
        )
    last_rank, last_spread = _ends(rank)[1], _ends(spread)[1]
    if last_spread * math.sqrt(n_features) < COLLAPSE_SPREAD or last_rank < COLLAPSE_RANK:
        return (
            f"Spread near 0 ({last_spread:.3g}, effective rank {last_rank:.1f}): the embedding "
            "has collapsed, every image gets almost the same vector; lower the learning rate "
            "or start again from the shipped weights."
        )
    if last_rank < RANK_DROP * float(np.nanmax(rank)):
        return (
            f"Effective rank fell from {np.nanmax(rank):.1f} to {last_rank:.1f}: the embedding "
            "is losing directions (partial collapse); lower the learning rate."
        )
    recent = change[np.isfinite(change)][-SETTLED_SNAPSHOTS:]
    if recent.size < SETTLED_SNAPSHOTS:
        return (
            f"Only {recent.size} comparison(s) of neighbours so far: too early to tell; train "
            "longer."
        )
    if (recent < SETTLED_CHANGE).all():
        return (
            f"Neighbours changed < {_percent(SETTLED_CHANGE)} in the last {SETTLED_SNAPSHOTS} "
            "snapshots: further training changes little."
        )
    return (
        f"Neighbours still changing by {_percent(recent[-1])} per snapshot: the embedding is still "
        "learning."
    )


def training_report(record: TrainingRecord, *, steps: int, n_features: int) -> TrainingReport:
    """Build the :class:`TrainingReport` of a session's runs (``steps`` over all of them)."""
    columns = record.quality.columns()
    losses = record.history.losses
    return TrainingReport(
        steps=int(steps),
        training_s=record.seconds(),
        images_per_second=float(record.speed()),
        loss=(float(losses[0]), float(losses[-1])) if losses.size else (math.nan, math.nan),
        effective_rank=_ends(columns["effective_rank"]),
        spread=_ends(columns["spread"]),
        neighbor_change=_ends(columns["neighbor_change"]),
        knn_accuracy=_ends(columns["knn_accuracy"]),
        n_snapshots=int(columns["step"].size),
        n_features=n_features,
        interpretation=interpret(columns, steps=int(steps), n_features=n_features),
    )
