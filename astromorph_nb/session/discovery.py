"""The discovery verbs of ``Session``: find more like these, what the map encodes, trends.

``search`` ranks every object by its likeness to examples and the user's yes/no answers
(kept as tags, so they are saved and exported with the session); ``explain`` ranks the
metadata columns by how well the embeddings' neighbours predict them; ``direction``
orders the objects between two groups. The computations are in
:mod:`astromorph_nb.analysis` (``search.py``, ``explain.py``, ``direction.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy.table import Table

from astromorph_nb._validation import check_positive_int
from astromorph_nb.analysis.anomaly import ANOMALY_METHODS
from astromorph_nb.analysis.direction import Direction, direction_between, direction_of_column
from astromorph_nb.analysis.explain import explain_embeddings
from astromorph_nb.analysis.search import rank_by_examples
from astromorph_nb.session.analysis import AnalysisMethods
from astromorph_nb.session.images import NAME_COLUMNS

__all__ = ["ANOMALY_ANSWER_TAGS", "ANOMALY_METHODS", "DiscoveryMethods", "answer_tags"]

#: The tags of the answers to unusual objects: (interesting, boring, skipped); the
#: explorer's gallery stores them and ``score_anomalies(interesting=..., boring=...)``
#: takes the first two by name.
ANOMALY_ANSWER_TAGS = ("interesting", "boring", "unusual_skipped")


def answer_tags(name: str) -> tuple[str, str, str]:
    """Return the tag columns of a search's answers: ``(yes, no, skipped)``.

    ``"candidate"`` gives ``("candidate", "candidate_no", "candidate_skipped")``: the yes
    tag is the name itself, so ``session.meta["candidate"]`` holds what was found.
    """
    return name, f"{name}_no", f"{name}_skipped"


class DiscoveryMethods(AnalysisMethods):
    """The discovery verbs of :class:`~astromorph_nb.Session` (over its analysis verbs)."""

    def search(
        self,
        positives: Any,
        negatives: Any = (),
        k: int | None = 50,
        *,
        method: str = "auto",
        exclude: Any = (),
    ) -> Table:
        """Rank the objects by how much they look like ``positives`` and unlike ``negatives``.

        Parameters
        ----------
        positives : int, sequence of int, boolean mask, or str
            The objects of the kind searched for, or the name of a tag column whose True
            rows are (``session.tag(i, "ring_with_gap")``, or the answers of the
            explorer's "Find more like these" panel).
        negatives : same kinds, default=()
            Objects that are not of that kind ("no" answers).
        k : int or None, default=50
            Candidates returned; None returns every object that is not an example.
        method : {"auto", "cosine", "classifier"}, default="auto"
            ``"cosine"``: cosine similarity to the positives' mean direction;
            ``"classifier"``: logistic regression of the answers (see
            :func:`~astromorph_nb.analysis.search.rank_by_examples`); ``"auto"``: the
            classifier once there is a negative.
        exclude : same kinds, default=()
            More objects to leave out of the candidates (such as skipped ones).

        Returns
        -------
        astropy.table.Table
            Columns ``rank`` (1 = best), ``index``, ``score`` (higher = more alike), then
            the metadata; the examples themselves are left out. ``table.meta`` holds the
            ``method`` used and the numbers of positives and negatives. The scores of
            every object also colour the map (``color="search_score"``).
        """
        where = "Session.search"
        embeddings = self._results.require_embeddings("search")
        positive = self._images.check_examples(positives, "positives", where)
        negative = self._images.check_examples(negatives, "negatives", where)
        left_out = self._images.check_examples(exclude, "exclude", where)
        ranking = rank_by_examples(
            embeddings, positive, negative, method=method, random_state=self._seed()
        )
        self._results.search = ranking
        self._changed()
        order = ranking.order()
        order = order[~np.isin(order, left_out)]
        if k is not None:
            order = order[: check_positive_int(k, name="k", where=where)]
        table = Table(
            {
                "rank": np.arange(1, order.size + 1, dtype=np.int64),
                "index": order.astype(np.int64),
                "score": ranking.scores[order],
            }
        )
        meta = self._images.meta
        for name in meta.colnames:
            if name not in table.colnames:
                table[name] = meta[name][order]
        table.meta.update(
            method=ranking.method, n_positives=positive.size, n_negatives=negative.size
        )
        return table

    def explain(self, columns: Any = None, *, n_neighbors: int = 10, n_shuffles: int = 20) -> Table:
        """Rank metadata columns by how well the embeddings predict them.

        Each object's value is predicted from its ``n_neighbors`` nearest neighbours in
        embedding space (mean for numbers, scored as R²; majority vote for categories,
        scored as balanced accuracy), and compared with the same prediction after shuffling the
        values (the null level). See
        :func:`~astromorph_nb.analysis.explain.explain_embeddings`.

        Parameters
        ----------
        columns : str or sequence of str, optional
            Metadata columns to explain; by default every one-value-per-object column
            except the objects' names and file paths, and the clusters if there are any.
        n_neighbors, n_shuffles : int
            Neighbours of each prediction; shuffles of the null level.

        Returns
        -------
        astropy.table.Table
            One row per column, best explained first: ``column``, ``kind``, ``metric``,
            ``score``, ``null_mean``, ``null_std``, ``skill`` (0 = null level, 1 =
            perfect), ``z`` and ``n_values``; ``table.meta["skipped"]`` lists columns that
            could not be scored, with the reason.
        """
        embeddings = self._results.require_embeddings("explain")
        meta = self._images.meta
        if columns is None:
            names = [n for n in meta.colnames if meta[n].ndim == 1 and not _is_identifier(n)]
            chosen: dict[str, Any] = {name: meta[name] for name in names}
            if self._results.clusters is not None:
                chosen["cluster"] = self._results.clusters
        else:
            names = [columns] if isinstance(columns, str) else list(columns)
            missing = [n for n in names if n not in meta.colnames and n != "cluster"]
            if missing:
                msg = (
                    f"No metadata column {missing[0]!r} to explain. Columns: "
                    f"{', '.join(meta.colnames) or '(none)'}."
                )
                raise KeyError(msg)
            chosen = {
                n: self._results.array("cluster_labels") if n == "cluster" else meta[n]
                for n in names
            }
        return explain_embeddings(
            embeddings,
            chosen,
            n_neighbors=n_neighbors,
            n_shuffles=n_shuffles,
            random_state=self._seed(),
        )

    def direction(self, start: Any, end: Any = None, *, quantile: float = 0.2) -> Direction:
        """Return the direction from one group of objects to another, and positions along it.

        Parameters
        ----------
        start : int, sequence of int, boolean mask, or str
            The first group (indices, a mask or a tag name); or, with ``end`` None, a
            numeric metadata column whose lowest and highest ``quantile`` make the groups.
        end : same kinds as ``start``, optional
            The second group.

        Returns
        -------
        Direction
            ``positions`` (0 at the first group's mean, 1 at the second's) and
            ``along(n)``, ``n`` objects evenly spaced from one end to the other.
        """
        where = "Session.direction"
        embeddings = self._results.require_embeddings("direction")
        if end is None:
            meta = self._images.meta
            if not isinstance(start, str) or start not in meta.colnames:
                msg = (
                    f"{where} needs two groups, or the name of a numeric metadata column as "
                    f"'start' with no 'end'; got start={start!r}."
                )
                raise ValueError(msg)
            return direction_of_column(embeddings, meta[start], quantile=quantile)
        first = self._images.check_examples(start, "start", where)
        second = self._images.check_examples(end, "end", where)
        return direction_between(embeddings, first, second)


def _is_identifier(name: str) -> bool:
    """Return True for the columns that name objects or files: nothing to explain."""
    return name in NAME_COLUMNS or name.lower() in {"path", "file", "filename", "hdu"}
