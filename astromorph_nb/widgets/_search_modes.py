"""What the search panel's gallery ranks: objects like some examples, or unusual objects.

Each mode names the three tags its answers go to (first, second and skip answer), the
labels of the answer buttons, and how to rank the objects not answered yet. The ranking
is the session's (``session.search``; ``session.score_anomalies`` with the answers as
feedback): a mode only orders and words what the session returns.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
from astropy.table import Table

from astromorph_nb.session.discovery import ANOMALY_ANSWER_TAGS, answer_tags

if TYPE_CHECKING:
    from astromorph_nb.session import Session

__all__ = ["MODES", "LikeThese", "Unusual", "count_tagged"]


def count_tagged(session: Session, tag: str) -> int:
    """Return how many objects carry the tag ``tag`` (0 before the first)."""
    meta = session.meta
    return int(np.count_nonzero(meta[tag])) if tag in meta.colnames else 0


class LikeThese:
    """Objects like the "yes" answers and unlike the "no" ones (``session.search``)."""

    key = "like"
    find_label = "Find more like these"
    find_tooltip = (
        "Rank every object by its likeness to the selection (or the clicked object); they "
        "are tagged 'yes'"
    )
    #: The answer buttons: (text, icon, meaning).
    answer_labels = (("Yes", "", "yes"), ("No", "", "no"), ("Skip", "", "skip"))

    def __init__(self, name: str) -> None:
        self.tags = answer_tags(name)

    def rank(self, session: Session, k: int, *, rescore: bool = True) -> Table:
        """Return the best ``k`` objects not answered yet (``rescore`` changes nothing here)."""
        yes, no, skipped = self.tags
        return session.search(yes, no, k=k, exclude=skipped)

    def status(self, session: Session, table: Table) -> str:
        """Return the status line: the answers so far and how the candidates were ranked."""
        yes, no, skipped = (html.escape(tag) for tag in self.tags)
        method = html.escape(str(table.meta["method"]))
        how = (
            "similarity to the yes answers; a 'no' switches to a classifier"
            if method == "cosine"
            else "a classifier of the yes and no answers"
        )
        left = "" if len(table) else " <b>No candidates left</b>: every object has an answer."
        return (
            f"<b>{table.meta['n_positives']}</b> yes, <b>{table.meta['n_negatives']}</b> no, "
            f"{count_tagged(session, self.tags[2])} skipped · ranked by <b>{method}</b> ({how}; "
            f"each tile shows its rank and score, higher = more alike).{left}<br>"
            f"<small>Answers are tags: {yes}, {no}, {skipped} (saved and exported with the "
            "session).</small>"
        )


class Unusual:
    """The most unusual objects not answered yet, re-weighted by interesting / boring answers.

    ``rank`` calls ``session.score_anomalies(method, interesting=..., boring=...)``, which
    stores the scores in the session (they colour the map as ``anomaly_score`` and are
    weighed again by ``refresh``). ``rank(..., rescore=False)`` orders the session's current
    scores instead, when something else has just changed them.
    """

    key = "unusual"
    find_label = "Show unusual objects"
    find_tooltip = (
        "Rank every object by its anomaly score, re-weighted by your Interesting / Boring "
        "answers (Astronomaly, Lochner & Bassett 2021)"
    )
    #: The answer buttons: (text, icon, meaning); tiles are too narrow for the words.
    answer_labels = (
        ("", "star", "interesting"),
        ("", "thumbs-down", "boring"),
        ("Skip", "", "skip"),
    )
    tags = ANOMALY_ANSWER_TAGS

    def __init__(self, method: str) -> None:
        self.method = method

    def rank(self, session: Session, k: int, *, rescore: bool = True) -> Table:
        """Return the ``k`` highest scores of the objects not answered yet, ranked."""
        interesting, boring, _skipped = self.tags
        if rescore:
            scores = session.score_anomalies(self.method, interesting=interesting, boring=boring)
        else:
            scores = session.anomaly_scores  # NotReadyError once new embeddings clear them
        answered = np.zeros(len(scores), dtype=bool)
        for tag in self.tags:
            if tag in session.meta.colnames:
                answered |= np.asarray(session.meta[tag], dtype=bool)
        order = np.argsort(-scores, kind="stable")
        order = order[~answered[order]][:k]
        table = Table(
            {"rank": np.arange(1, len(order) + 1), "index": order, "score": scores[order]}
        )
        table.meta.update(
            method=self.method,
            n_interesting=count_tagged(session, interesting),
            n_boring=count_tagged(session, boring),
        )
        return table

    def status(self, session: Session, table: Table) -> str:
        """Return the status line: the answers so far and how the scores were re-weighted."""
        interesting, boring, skipped = (html.escape(tag) for tag in self.tags)
        n_answers = table.meta["n_interesting"] + table.meta["n_boring"]
        how = (
            "re-weighted by your answers as in Astronomaly (Lochner &amp; Bassett 2021): "
            "unusual objects like the boring ones sink, those like the interesting ones stay"
            if n_answers
            else "an Interesting or Boring answer re-weights the objects near it"
        )
        left = " <b>No objects left</b>: every object has an answer." if not len(table) else ""
        return (
            f"<b>{table.meta['n_interesting']}</b> interesting, <b>{table.meta['n_boring']}"
            f"</b> boring, {count_tagged(session, self.tags[2])} skipped · ranked by "
            f"<b>{html.escape(self.method)}</b> anomaly score ({how}; each tile shows its rank "
            f"and score, higher = more unusual).{left}<br>"
            "<small>The star answers interesting, the thumbs-down boring. Answers are tags: "
            f"{interesting}, {boring}, {skipped} (saved and exported with the session).</small>"
        )


#: The modes by their key, as the panel's mode buttons name them.
MODES: dict[str, type[LikeThese] | type[Unusual]] = {LikeThese.key: LikeThese, Unusual.key: Unusual}
