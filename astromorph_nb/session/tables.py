"""The session's results as one table: metadata plus everything computed from the model.

Used by ``Session.to_table``, ``export``, ``to_tensorboard`` and the widgets, so every
output names its columns the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from astropy.table import Table

from astromorph_nb.io.export.readable_text import make_text_readable

if TYPE_CHECKING:
    from astromorph_nb.session.session import Session

__all__ = ["RESERVED_COLUMNS", "results_table"]

#: Columns that the session writes; metadata tags may not take these names.
RESERVED_COLUMNS = frozenset({"index", "embedding", "tsne_x", "tsne_y", "cluster", "anomaly_score"})


def results_table(session: Session) -> Table:
    r"""Return the session's results table, one row per image.

    Columns: ``index``, the metadata, then ``tsne_x``/``tsne_y``, ``cluster``,
    ``anomaly_score`` and ``embedding`` (a vector column) for those results that exist.
    Bytes columns that are not valid UTF-8 become text with each undecodable byte written
    as ``\xNN`` (``io/export/readable_text.py``), so that every output can show them.
    """
    table = Table({"index": np.arange(session.n_images, dtype=np.int64)})
    meta = session.meta
    for name in meta.colnames:
        if name in RESERVED_COLUMNS:
            table[f"meta_{name}"] = meta[name]
        else:
            table[name] = meta[name]
    make_text_readable(table, kinds="S")
    table.meta.update(meta.meta)
    if session._tsne is not None:
        coordinates = session.tsne_coordinates
        table["tsne_x"], table["tsne_y"] = coordinates[:, 0], coordinates[:, 1]
        table["tsne_x"].description = "t-SNE map, first coordinate"
        table["tsne_y"].description = "t-SNE map, second coordinate"
    if session._clusters is not None:
        table["cluster"] = session.cluster_labels
        table["cluster"].description = f"cluster label ({session._cluster_method}; -1: noise)"
    if session._scores is not None:
        table["anomaly_score"] = session.anomaly_scores
        table[
            "anomaly_score"
        ].description = f"anomaly score ({session._score_method}); higher = more unusual"
    if session._embeddings is not None:
        table["embedding"] = session.embeddings
        table[
            "embedding"
        ].description = (
            f"BYOL encoder representation after {session._embeddings_step} training steps"
        )
    return table
