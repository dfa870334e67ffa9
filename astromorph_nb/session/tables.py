"""The session's results as one table, and the colours a map can take from them.

Used by ``Session.to_table``, ``export``, ``to_tensorboard`` and the widgets, so every
output names its columns the same way.
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table

from astromorph_nb.io.export.readable_text import make_text_readable
from astromorph_nb.session.images import RESERVED_COLUMNS, SessionImages
from astromorph_nb.session.results import Results

__all__ = ["RESERVED_COLUMNS", "color_options", "color_values", "results_table"]


def results_table(images: SessionImages, results: Results) -> Table:
    r"""Return the session's results table, one row per image.

    Columns: ``index``, the metadata, then ``tsne_x``/``tsne_y``, ``cluster``,
    ``anomaly_score`` and ``embedding`` (a vector column) for those results that exist.
    Bytes columns that are not valid UTF-8 become text with each undecodable byte written
    as ``\xNN`` (``io/export/readable_text.py``), so that every output can show them.
    """
    table = Table({"index": np.arange(images.n_images, dtype=np.int64)})
    meta = images.meta
    for name in meta.colnames:
        if name in RESERVED_COLUMNS:
            table[f"meta_{name}"] = meta[name]
        else:
            table[name] = meta[name]
    make_text_readable(table, kinds="S")
    table.meta.update(meta.meta)
    if results.tsne is not None:
        coordinates = results.array("tsne_coordinates")
        table["tsne_x"], table["tsne_y"] = coordinates[:, 0], coordinates[:, 1]
        table["tsne_x"].description = "t-SNE map, first coordinate"
        table["tsne_y"].description = "t-SNE map, second coordinate"
    if results.clusters is not None:
        table["cluster"] = results.array("cluster_labels")
        table["cluster"].description = f"cluster label ({results.cluster_method}; -1: noise)"
    if results.scores is not None:
        table["anomaly_score"] = results.array("anomaly_scores")
        table[
            "anomaly_score"
        ].description = f"anomaly score ({results.score_method}); higher = more unusual"
    if results.embeddings is not None:
        table["embedding"] = results.array("embeddings")
        table[
            "embedding"
        ].description = (
            f"BYOL encoder representation after {results.embeddings_step} training steps"
        )
    return table


def color_options(images: SessionImages, results: Results) -> list[str]:
    """Names that :func:`color_values` accepts: results that exist, then metadata columns."""
    options = []
    if results.clusters is not None:
        options.append("cluster")
    if results.scores is not None:
        options.append("anomaly_score")
    if results.search is not None:
        options.append("search_score")
    return options + [n for n in images.meta.colnames if images.meta[n].ndim == 1]


def color_values(images: SessionImages, results: Results, name: str) -> tuple[np.ndarray, str]:
    """Return ``(values, label)`` to colour a map by ``name`` (see :func:`color_options`).

    ``"cluster"`` gives the cluster labels, ``"anomaly_score"`` the scores,
    ``"search_score"`` the latest search's scores, any other name a metadata column (as an
    array).
    """
    if name == "cluster":
        return results.array("cluster_labels"), "cluster"
    if name == "anomaly_score":
        return results.array("anomaly_scores"), "anomaly score"
    if name == "search_score" and results.search is not None:
        return np.array(results.search.scores, copy=True), "search score"
    if name in images.meta.colnames:
        return np.asarray(images.meta[name]), name
    choices = ["anomaly_score", "cluster", *images.meta.colnames]
    msg = f"Cannot colour by {name!r}. Choose one of: {', '.join(choices)}."
    raise KeyError(msg)
