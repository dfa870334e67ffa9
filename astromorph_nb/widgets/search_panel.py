"""SearchPanel: "Find more like these", refined by a yes / no / skip answer per candidate.

The panel starts a search from the session's selection (or, with nothing selected, the
object clicked on the map) and shows the best candidates of ``session.search`` as cutout
tiles, each with its rank, score and Yes / No / Skip buttons. Every answer is a tag
(``answer_tags(name)``: ``name``, ``name_no``, ``name_skipped``), so the answers are saved
and exported with the session, and re-ranks at once: cosine similarity to the "yes"
answers until the first "no", then a classifier of the answers. The tiles are made once
and updated in place.

The panel computes nothing: it calls ``session.tag`` and ``session.search`` and shows what
they return. In the :class:`~astromorph_nb.widgets.explorer.EmbeddingExplorer` the map marks
the candidates (``MapScatter.highlighted``) and a tile's ``#index`` button shows the object
on the map; both go through callbacks the explorer passes in.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as W
import numpy as np

from astromorph_nb._validation import check_positive_int
from astromorph_nb.exceptions import NotReadyError
from astromorph_nb.session.discovery import answer_tags
from astromorph_nb.widgets._errors import ErrorLine, report_errors, report_observer_errors
from astromorph_nb.widgets._neighbor_tiles import NeighborTile, TilePool, session_cutouts
from astromorph_nb.widgets._render import cutout_png

if TYPE_CHECKING:
    from astropy.table import Table

    from astromorph_nb.session import Session

__all__ = ["ANSWERS", "SearchPanel"]

#: The answers a candidate can get: (answer, button label, button style).
ANSWERS = (("yes", "Yes", "success"), ("no", "No", "danger"), ("skip", "Skip", ""))
_TILE_PX = 96
_COLUMNS = 6


class CandidateTile:
    """One candidate: its cutout, rank and score, a button to show it, and the answers."""

    def __init__(
        self,
        on_show: Callable[[int], None],
        on_answer: Callable[[int, str], None],
        *,
        can_show: bool,
    ) -> None:
        self.object = NeighborTile(_TILE_PX, on_show)
        self.object.button.disabled = not can_show
        self.object.button.remove_class("amn-neighbor-button")
        self.object.button.add_class("amn-candidate-button")
        self.answers: dict[str, W.Button] = {}
        for answer, label, style in ANSWERS:
            button = W.Button(
                description=label,
                button_style=style,
                layout=W.Layout(width=f"{(_TILE_PX + 4) // 3}px", padding="0"),
            )
            button.add_class(f"amn-answer-{answer}")
            button.on_click(lambda _button, answer=answer: on_answer(self.object.index, answer))
            self.answers[answer] = button
        self.row = W.HBox(list(self.answers.values()))
        self.box.children = (*self.box.children, self.row)
        self.box.add_class("amn-candidate")

    @property
    def box(self) -> W.Box:
        """The tile's widget."""
        return self.object.box

    def set(self, index: int, rank: int, score: float, png: bytes) -> None:
        """Show candidate ``index`` at ``rank`` with its ``score`` and cutout ``png``."""
        self.object.fill(
            index,
            png,
            caption=f"<small>rank {int(rank)} · {float(score):.3f}</small>",
            tooltip=f"Show object {int(index)} on the map (rank {int(rank)}, score {score:.3f})",
        )
        for answer, button in self.answers.items():
            button.tooltip = f"Answer {answer!r} for object {int(index)}"

    def hide(self) -> None:
        """Hide the slot (fewer candidates than slots)."""
        self.object.hide()

    def close(self) -> None:
        """Close the tile's widgets."""
        for widget in (*self.answers.values(), self.row):
            widget.close()
        self.object.close()


class SearchPanel(W.VBox):
    """Find more objects like some examples and refine the ranking with yes / no answers.

    Parameters
    ----------
    session : Session
        A session with embeddings (``session.analyse()`` makes them).
    n_candidates : int, default=12
        Candidates shown at a time.
    name : str, default="candidate"
        The search's name: its answers are the tags ``answer_tags(name)``.
    focused : callable returning int, optional
        The object clicked on the map (-1 for none): the seed when nothing is selected.
    on_candidates : callable taking a list of int, optional
        Called with the candidates shown after every ranking (the explorer marks them).
    on_show : callable taking an int, optional
        Called by a tile's ``#index`` button (the explorer shows that object).

    Examples
    --------
    >>> panel = SearchPanel(session)   # doctest: +SKIP
    >>> panel                           # doctest: +SKIP
    """

    def __init__(
        self,
        session: Session,
        *,
        n_candidates: int = 12,
        name: str = "candidate",
        focused: Callable[[], int] | None = None,
        on_candidates: Callable[[list[int]], None] | None = None,
        on_show: Callable[[int], None] | None = None,
    ) -> None:
        self._n_candidates = check_positive_int(
            n_candidates, name="n_candidates", where="SearchPanel"
        )
        self._session = session
        self._closed = False
        self._focused = focused or (lambda: -1)
        self._on_candidates = on_candidates or (lambda _indices: None)
        self._on_show = on_show
        self._tags: tuple[str, str, str] | None = None  # of the search shown, once started
        self._ranking = False  # True while this panel's own calls change the session
        self._ready = False
        self.candidates: list[int] = []
        self._name = W.Text(value=name, description="Search", layout=W.Layout(width="230px"))
        self._find_button = W.Button(
            description="Find more like these",
            icon="search",
            layout=W.Layout(width="auto"),
            tooltip="Rank every object by its likeness to the selection (or the clicked "
            "object); they are tagged 'yes'",
        )
        self._find_button.add_class("amn-find-button")
        self._status = W.HTML()
        self._status.add_class("amn-search-status")
        self._errors = ErrorLine()
        self._gallery = W.GridBox(
            layout=W.Layout(grid_template_columns=f"repeat({_COLUMNS}, {_TILE_PX + 12}px)")
        )
        self._gallery.add_class("amn-search-gallery")
        self._tiles = TilePool(
            self._gallery,
            self._n_candidates,
            lambda: CandidateTile(self._on_show_click, self._on_answer, can_show=bool(on_show)),
        )
        self._find_button.on_click(self._on_find_click)
        session.observe(self._on_results_version_change, names=["results_version"])
        super().__init__(
            [
                W.HTML("<b>Find more like these</b>"),
                W.HBox([self._name, self._find_button]),
                self._status,
                self._errors.widget,
                self._gallery,
            ]
        )
        self.add_class("amn-search-panel")
        self._on_results_version_change({"new": session.results_version})

    # -- session → widgets ---------------------------------------------------------------

    @report_observer_errors
    def _on_results_version_change(self, change: dict[str, Any]) -> None:
        if self._ranking:
            return
        try:
            self._session.tsne_coordinates  # noqa: B018  (raises NotReadyError without a map)
        except NotReadyError as err:
            self._ready = False
            self._status.value = f"<b>Nothing to search yet.</b> {html.escape(str(err))}"
            return
        if self._tags is not None:
            self._rank(self._tags)  # new embeddings, or answers tagged elsewhere
        elif not self._ready:
            self._status.value = (
                "<i>Lasso some objects on the map (or click one), then Find more like these.</i>"
            )
        self._ready = True

    def _rank(self, tags: tuple[str, str, str]) -> None:
        """Search with the answers in ``tags`` so far and show the best candidates."""
        yes, no, skipped = tags
        self._ranking = True
        try:
            table = self._session.search(yes, no, k=self._n_candidates, exclude=skipped)
        finally:
            self._ranking = False
        self._tags = tags
        self._show(table, tags)

    def _show(self, table: Table, tags: tuple[str, str, str]) -> None:
        cutouts = session_cutouts(self._session)
        found = [int(i) for i in table["index"]]
        self._tiles.show(
            [
                (index, int(rank), float(score), cutout_png(cutouts[index], size=_TILE_PX))
                for index, rank, score in zip(found, table["rank"], table["score"], strict=True)
            ]
        )
        self.candidates = found
        self._on_candidates(found)
        self._status.value = self._status_html(table, tags)

    def _status_html(self, table: Table, tags: tuple[str, str, str]) -> str:
        yes, no, skipped = (html.escape(tag) for tag in tags)
        n_skipped = self._count(tags[2])
        method = html.escape(str(table.meta["method"]))
        how = (
            "similarity to the yes answers; a 'no' switches to a classifier"
            if method == "cosine"
            else "a classifier of the yes and no answers"
        )
        left = "" if len(table) else " <b>No candidates left</b>: every object has an answer."
        return (
            f"<b>{table.meta['n_positives']}</b> yes, <b>{table.meta['n_negatives']}</b> no, "
            f"{n_skipped} skipped · ranked by <b>{method}</b> ({how}; each tile shows its "
            f"rank and score, higher = more alike).{left}<br>"
            f"<small>Answers are tags: {yes}, {no}, {skipped} (saved and exported with the "
            "session).</small>"
        )

    def _count(self, tag: str) -> int:
        meta = self._session.meta
        return int(np.count_nonzero(meta[tag])) if tag in meta.colnames else 0

    # -- widgets → session ---------------------------------------------------------------

    def _tag(self, indices: list[int], tag: str, *, value: bool = True) -> None:
        self._ranking = True  # the re-ranking that follows shows the change
        try:
            self._session.tag(indices, tag, value=value)
        finally:
            self._ranking = False

    @report_errors
    def _on_find_click(self, _button: W.Button) -> None:
        name = self._name.value.strip()
        if not name:
            msg = (
                "The search has no name. Type one in the Search box (e.g. 'candidate'): the "
                "answers are kept as tags named after it."
            )
            raise ValueError(msg)
        tags = answer_tags(name)
        focused = self._focused()
        seeds = list(self._session.selection) or ([focused] if focused >= 0 else [])
        if not seeds and not self._count(tags[0]):
            msg = (
                "Nothing to start the search from. Lasso some objects on the map or click one, "
                f"then press Find more like these: they are tagged {tags[0]!r} and the panel "
                "shows the objects most like them."
            )
            raise ValueError(msg)
        meta = self._session.meta
        for other in tags[1:]:  # a seed answered "no" or skipped before is now a "yes"
            again = [i for i in seeds if other in meta.colnames and meta[other][i]]
            if again:
                self._tag(again, other, value=False)
        if seeds:
            self._tag(seeds, tags[0])
        self._rank(tags)

    @report_errors
    def _on_answer(self, index: int, answer: str) -> None:
        if index < 0 or self._tags is None:
            return
        yes, no, skipped = self._tags
        self._tag([index], {"yes": yes, "no": no, "skip": skipped}[answer])
        self._rank(self._tags)

    @report_errors
    def _on_show_click(self, index: int) -> None:
        if index >= 0 and self._on_show is not None:
            self._on_show(index)

    def close(self) -> None:
        """Stop observing the session and close every child widget (safe to call twice)."""
        if getattr(self, "_closed", True):
            return
        self._closed = True
        self._session.unobserve(self._on_results_version_change, names=["results_version"])
        self._tiles.close()
        for child in (*self.children, *self.children[1].children):
            child.close()
        super().close()
