"""The output verbs of ``Session``: its results table and the files made from it.

The exports write the results table (FITS, ECSV, CSV, Parquet), TensorBoard projector
files, or one self-contained HTML page of the map for a paper. (``save`` and ``load``,
which keep everything to go on with, are beside the constructors in ``session.py``.)
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from astropy.table import Table

from astromorph_nb._validation import check_positive_int
from astromorph_nb.session.state import SessionState
from astromorph_nb.session.tables import color_options, results_table

__all__ = ["OutputMethods"]


class OutputMethods(SessionState):
    """The output verbs of :class:`~astromorph_nb.Session`."""

    def to_table(self) -> Table:
        """One row per image: ``index``, the metadata, and every result computed so far."""
        return results_table(self._images, self._results)

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        rows: Any = None,
        overwrite: bool = False,
    ) -> os.PathLike[str]:
        """Write :meth:`to_table` as a FITS table, ECSV, CSV or Parquet file (by extension).

        Parameters
        ----------
        path : str or path-like
            ``.fits``, ``.ecsv``, ``.csv`` or ``.parquet`` (needs pyarrow).
        rows : int array-like, optional
            Only these images (e.g. ``session.selection``); default all.
        overwrite : bool, default=False
            Replace an existing file.
        """
        from astromorph_nb.io.export.tables import write_table

        self._results.require_embeddings("export")
        table = self.to_table()
        if rows is not None:
            table = table[self._images.check_indices(rows, "rows", "Session.export")]
        return write_table(table, path, overwrite=overwrite)

    def to_tensorboard(
        self, logdir: str | os.PathLike[str], *, overwrite: bool = False
    ) -> os.PathLike[str]:
        """Write TensorBoard projector files (embeddings, metadata, sprite of thumbnails)."""
        from astromorph_nb.io.export.tensorboard import write_projector

        embeddings = self._results.require_embeddings("to_tensorboard")
        table = self.to_table()
        table.remove_columns([n for n in table.colnames if table[n].ndim > 1])
        thumbnails = self._images.thumbnails
        return write_projector(logdir, embeddings, table, thumbnails, overwrite=overwrite)

    def to_html(
        self,
        path: str | os.PathLike[str],
        *,
        title: str | None = None,
        n_neighbors: int = 8,
        overwrite: bool = False,
    ) -> os.PathLike[str]:
        """Write one self-contained HTML page of the map, for a paper's companion site.

        The page needs no kernel, server or network: the t-SNE map with hover cutouts, a
        colour-by selector, search by object name, the clicked object with its
        ``n_neighbors`` most similar objects (computed now), and the results table.

        Parameters
        ----------
        path : str or path-like
            The ``.html`` file to write.
        title : str, optional
            Page title; default names the number of objects.
        n_neighbors : int, default=8
            Neighbours stored per object (fewer if there are fewer other objects).
        overwrite : bool, default=False
            Replace an existing file.

        Raises
        ------
        NotReadyError
            Without a t-SNE map (run :meth:`analyse` or :meth:`fit_tsne` first).
        """
        from astromorph_nb.io.export.html_page import write_html_page

        coordinates = self._results.array("tsne_coordinates")
        n_neighbors = check_positive_int(n_neighbors, name="n_neighbors", where="Session.to_html")
        n = self._images.n_images
        k = min(n_neighbors, n - 1)
        if k:
            distances, found = self._results.neighbor_search().query(np.arange(n), k=k)
        else:
            distances, found = np.zeros((n, 0)), np.zeros((n, 0), int)
        table = self.to_table()
        columns = {name: table[name].tolist() for name in table.colnames if table[name].ndim == 1}
        labels = self._images.object_names or [f"#{i}" for i in range(n)]
        options = color_options(self._images, self._results)
        return write_html_page(
            path,
            title=title or f"astromorph-nb map of {n} objects",
            x=coordinates[:, 0],
            y=coordinates[:, 1],
            thumbnails=self._images.thumbnails,
            labels=labels,
            columns=columns,
            color_options=[c for c in options if c in columns],
            neighbors=found,
            neighbor_distances=distances,
            overwrite=overwrite,
        )
