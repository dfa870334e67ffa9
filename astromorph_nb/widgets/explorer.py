"""EmbeddingExplorer: the t-SNE map linked to cutouts, neighbours and selections (widgets layer).

The map is a :class:`~astromorph_nb.widgets.map_scatter.MapScatter`: the browser draws it,
shows each object's cutout on hover from thumbnails it already holds, and sends clicks and
lasso selections back. This panel turns those into session calls (``select``,
``neighbors``, ``tag``, ``export``) and shows the answers: the clicked object large with its
metadata and its nearest neighbours (click one to move there), and a table of the selection.
Below the map, a :class:`~astromorph_nb.widgets.search_panel.SearchPanel` finds more objects
like the selection (or the clicked object) and re-ranks them with every yes / no answer;
the map marks its candidates (``MapScatter.highlighted``). It computes nothing itself.

Colours follow one rule with the companion page (``display/colors.py``): numbers by
value, cluster labels and text by category, at most :data:`MAX_COLOR_CATEGORIES` of them,
the distinct values present in sorted order (cluster labels ``[0, 3000000]`` are two
categories); with more, the 19 most common keep their colours and the rest are ``"other"``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as W
import numpy as np

from astromorph_nb.display.colors import MAX_COLOR_CATEGORIES, color_coding
from astromorph_nb.display.stretch import STRETCHES
from astromorph_nb.exceptions import NotReadyError
from astromorph_nb.widgets._errors import (
    ERROR_COLOR,
    ErrorLine,
    report_errors,
    report_observer_errors,
)
from astromorph_nb.widgets._explorer_text import category_text, details_html, selection_html
from astromorph_nb.widgets._neighbor_tiles import NeighborTiles, session_cutouts
from astromorph_nb.widgets._render import cutout_png
from astromorph_nb.widgets.map_scatter import MapScatter
from astromorph_nb.widgets.search_panel import SearchPanel

if TYPE_CHECKING:
    from astromorph_nb.session import Session

__all__ = ["MAX_COLOR_CATEGORIES", "EmbeddingExplorer"]

STRETCH_CHOICES = tuple(STRETCHES)
_DETAIL_PX = 220
_NEIGHBOR_PX = 84


class EmbeddingExplorer(W.VBox):
    """Explore a session's t-SNE map: hover, click, lasso, neighbours, tags, exports, search.

    Parameters
    ----------
    session : Session
        A session with embeddings and a t-SNE map (``session.analyse()`` makes them).
    n_neighbors : int, default=8
        Neighbours shown for the clicked object.
    color : str, optional
        What colours the map first: ``"cluster"``, ``"anomaly_score"`` or a metadata column.

    Examples
    --------
    >>> explorer = session.explorer()   # doctest: +SKIP
    >>> explorer                         # doctest: +SKIP
    """

    def __init__(self, session: Session, *, n_neighbors: int = 8, color: str | None = None) -> None:
        self._session = session
        self._closed = False
        self._focus_index = -1
        self._sent_thumbnails: np.ndarray | None = None
        self._map = MapScatter(height=520, layout=W.Layout(width="100%", flex="0 0 auto"))
        self._map.add_class("amn-explorer-map")
        self._color = W.Dropdown(description="Colour by", layout=W.Layout(width="260px"))
        self._stretch = W.Dropdown(
            options=STRETCH_CHOICES,
            value="asinh",
            description="Stretch",
            layout=W.Layout(width="190px"),
        )
        self._n_neighbors = W.BoundedIntText(
            value=n_neighbors,
            min=1,
            max=50,
            description="Neighbours",
            layout=W.Layout(width="170px"),
        )
        self._refresh_button = W.Button(
            description="Refresh map",
            icon="refresh",
            tooltip="Embed the images with the current weights and recompute the map "
            "(also while training runs)",
        )
        self._message = W.HTML()
        self._message.add_class("amn-message")
        self._errors = ErrorLine()
        self._cutout = W.Image(
            format="png", layout=W.Layout(width=f"{_DETAIL_PX}px", display="none")
        )
        self._cutout.add_class("amn-cutout")
        self._details = W.HTML("<i>Click a point of the map to see the object.</i>")
        self._details.add_class("amn-details")
        self._gallery = W.GridBox(
            layout=W.Layout(grid_template_columns=f"repeat(4, {_NEIGHBOR_PX + 8}px)")
        )
        self._gallery.add_class("amn-gallery")
        self._tiles = NeighborTiles(
            self._gallery, n_neighbors, _NEIGHBOR_PX, self._on_neighbor_click
        )
        self._table = W.HTML("<i>Lasso points on the map (lasso mode or shift+drag).</i>")
        self._table.add_class("amn-selection-table")
        self._tag_name = W.Text(placeholder="tag name", layout=W.Layout(width="150px"))
        self._tag_button = W.Button(
            description="Tag selection", icon="tag", layout=W.Layout(width="auto")
        )
        self._export_path = W.Text(value="selection.fits", layout=W.Layout(width="190px"))
        self._export_button = W.Button(
            description="Export selection",
            icon="download",
            tooltip=".fits, .ecsv, .csv or .parquet",
        )
        self._more_button = W.Button(
            description="More like these",
            icon="search",
            tooltip="Select the neighbours of the selection's mean embedding",
        )
        self._search = SearchPanel(
            session,
            focused=lambda: self._focus_index,
            on_candidates=lambda indices: setattr(self._map, "highlighted", indices),
            on_show=self.show,
        )
        self._color.observe(self._on_color_change, names="value")
        self._stretch.observe(self._on_stretch_change, names="value")
        self._refresh_button.on_click(self._on_refresh_click)
        self._tag_button.on_click(self._on_tag_click)
        self._export_button.on_click(self._on_export_click)
        self._more_button.on_click(self._on_more_click)
        self._map.observe(self._on_clicked_change, names="clicked")
        self._map.observe(self._on_selected_change, names="selected")
        session.observe(self._on_results_version_change, names=["results_version"])
        session.observe(self._on_selection_change, names=["selection"])
        map_column = W.Layout(flex="1 1 auto", min_width="420px")  # the search is below the map
        toolbar = W.HBox([self._color, self._stretch, self._n_neighbors, self._refresh_button])
        detail = W.VBox(
            [self._cutout, self._details, W.HTML("<b>Nearest neighbours</b>"), self._gallery],
            layout=W.Layout(width="400px", padding="0 0 0 12px"),
        )
        actions = W.HBox(
            [
                self._more_button,
                self._tag_name,
                self._tag_button,
                self._export_path,
                self._export_button,
            ]
        )
        super().__init__(
            [
                toolbar,
                W.HBox([W.VBox([self._map, self._search], layout=map_column), detail]),
                self._message,
                self._errors.widget,
                actions,
                self._table,
            ]
        )
        self.add_class("amn-explorer")
        self._load_map(color)
        self._on_selection_change({"new": session.selection})

    # -- session → widgets ---------------------------------------------------------------

    def _load_map(self, color: str | None = None) -> None:
        """Send coordinates, thumbnails, labels and colour choices to the map."""
        session = self._session
        try:
            coordinates = session.tsne_coordinates
        except NotReadyError as err:
            self._message.value = f"<b>No map yet.</b> {html.escape(str(err))}"
            return
        options = session.color_options()
        with self._map.hold_sync():
            self._map.set_points(coordinates[:, 0], coordinates[:, 1])
            thumbnails = session.thumbnails  # cached by the session: sent again only if new
            if thumbnails is not self._sent_thumbnails or not self._map.thumbnails:
                self._map.set_thumbnails(thumbnails)
                self._sent_thumbnails = thumbnails
            self._map.set_labels(self._hover_labels())
        current = color or self._color.value
        self._color.options = ["(none)", *options]
        self._color.value = (
            current if current in options else ("cluster" if "cluster" in options else "(none)")
        )
        self._apply_color(self._color.value)
        self._message.value = f"Map of {session.n_images:,} objects."

    def _hover_labels(self) -> list[str]:
        names = self._session.object_names
        return [f"#{i}" + (f" {names[i]}" if names else "") for i in range(self._session.n_images)]

    def _apply_color(self, name: str | None) -> None:
        if not name or name == "(none)":
            self._map.set_colors(np.zeros(self._session.n_images, np.float32), mode="none")
            return
        values, label = self._session.color_values(name)
        if values.dtype.kind not in "iufb":
            values = category_text(np.asarray(values))
        coding = color_coding(name, values)
        if coding.grouped:
            self._message.value = (
                f"{html.escape(name)} has more than {MAX_COLOR_CATEGORIES} distinct values: "
                f"the {MAX_COLOR_CATEGORIES - 1} most common are coloured, the rest are 'other'."
            )
        self._map.set_colors(
            coding.values, mode=coding.mode, categories=coding.categories, label=label
        )

    @report_observer_errors
    def _on_results_version_change(self, change: dict[str, Any]) -> None:
        self._load_map()

    @report_observer_errors
    def _on_selection_change(self, change: dict[str, Any]) -> None:
        selection = list(change["new"])
        if list(self._map.selected) != selection:
            self._map.selected = selection
        self._table.value = selection_html(self._session, selection)

    def show(self, index: int) -> None:
        """Show object ``index`` large, with its metadata and nearest neighbours."""
        session = self._session
        k = min(int(self._n_neighbors.value), session.n_images - 1)
        found = session.neighbors(int(index), k=k)
        self._focus_index = int(index)
        stretch = str(self._stretch.value)
        cutouts = session_cutouts(self._session)
        with self._map.hold_sync():
            self._map.focus = int(index)
            self._map.neighbors = [int(i) for i in found["index"]]
        self._cutout.value = cutout_png(cutouts[index], stretch=stretch, size=_DETAIL_PX)
        self._cutout.layout.display = None
        self._details.value = self._details_html(int(index))
        self._tiles.show(
            [
                (int(i), float(d), cutout_png(cutouts[int(i)], stretch=stretch, size=_NEIGHBOR_PX))
                for i, d in zip(found["index"], found["distance"], strict=True)
            ]
        )

    def _details_html(self, index: int) -> str:
        return details_html(self._session, index)

    # -- widgets → session ---------------------------------------------------------------

    @report_errors
    def _on_neighbor_click(self, index: int) -> None:
        self.show(index)

    @report_errors
    def _on_clicked_change(self, change: dict[str, Any]) -> None:
        if change["new"] is not None and int(change["new"]) >= 0:
            self.show(int(change["new"]))

    @report_errors
    def _on_selected_change(self, change: dict[str, Any]) -> None:
        if tuple(change["new"]) != self._session.selection:
            self._session.select(list(change["new"]))

    @report_errors
    def _on_color_change(self, change: dict[str, Any]) -> None:
        self._apply_color(change["new"])

    @report_errors
    def _on_stretch_change(self, change: dict[str, Any]) -> None:
        if self._focus_index >= 0:
            self.show(self._focus_index)

    def _report(self, text: str, *, error: bool = False) -> None:
        style = f"color:{ERROR_COLOR}" if error else "color:#1b5e20"
        self._message.value = f"<span style='{style}'>{html.escape(text)}</span>"

    @report_errors
    def _on_refresh_click(self, _button: W.Button) -> None:
        self._report("Embedding and mapping with the current weights…")
        try:
            self._session.refresh()
        except Exception:
            self._message.value = ""  # the error line below says what went wrong
            raise
        self._report(f"Map refreshed from the weights after {self._session.step} steps.")

    @report_errors
    def _on_tag_click(self, _button: W.Button) -> None:
        name = self._tag_name.value.strip()
        self._session.tag(list(self._session.selection), name)
        self._report(f"Tagged {len(self._session.selection)} objects as {name!r}.")

    @report_errors
    def _on_export_click(self, _button: W.Button) -> None:
        selection = list(self._session.selection)
        if not selection:
            self._report("Nothing selected to export.", error=True)
            return
        path = self._session.export(Path(self._export_path.value), rows=selection, overwrite=True)
        self._report(f"Wrote {len(selection)} objects to {path}.")

    @report_errors
    def _on_more_click(self, _button: W.Button) -> None:
        selection = list(self._session.selection)
        if not selection:
            self._report("Select some objects first (lasso).", error=True)
            return
        k = min(
            max(len(selection), int(self._n_neighbors.value)),
            self._session.n_images - len(set(selection)),
        )
        found = self._session.neighbors(selection, k=k)
        self._session.select([*selection, *[int(i) for i in found["index"]]])
        self._report(f"Added {len(found)} objects like the selection.")

    def close(self) -> None:
        """Stop observing the session and close every child widget (safe to call twice)."""
        if getattr(self, "_closed", True):
            return
        self._closed = True
        self._session.unobserve(self._on_results_version_change, names=["results_version"])
        self._session.unobserve(self._on_selection_change, names=["selection"])
        self._search.close()
        self._map.close()
        self._tiles.close()
        for child in (
            self._color,
            self._stretch,
            self._n_neighbors,
            self._refresh_button,
            self._message,
            self._errors.widget,
            self._cutout,
            self._details,
            self._gallery,
            self._table,
            self._tag_name,
            self._tag_button,
            self._export_path,
            self._export_button,
            self._more_button,
        ):
            child.close()
        super().close()
