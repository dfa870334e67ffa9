"""SearchPanel: "Find more like these" or "Unusual objects", refined by an answer per tile.

In its first mode the panel starts a search from the session's selection (or, with nothing
selected, the object clicked on the map) and shows the best candidates of
``session.search`` as cutout tiles, each with its rank, score and Yes / No / Skip buttons.
Every answer is a tag (``answer_tags(name)``: ``name``, ``name_no``, ``name_skipped``), so
the answers are saved and exported with the session, and re-ranks at once: cosine
similarity to the "yes" answers until the first "no", then a classifier of the answers.

In its second mode the same gallery shows the most unusual objects not answered yet, with
Interesting / Boring / Skip buttons (the tags ``ANOMALY_ANSWER_TAGS``); each answer calls
``session.score_anomalies(method, interesting=..., boring=...)`` again, which re-weights
the scores as Astronomaly does (Lochner & Bassett 2021). The tiles are made once and
updated in place; the modes are in :mod:`astromorph_nb.widgets._search_modes`.

The panel computes nothing: it calls ``session.tag``, ``session.search`` and
``session.score_anomalies`` and shows what they return. In the
:class:`~astromorph_nb.widgets.explorer.EmbeddingExplorer` the map marks the candidates
(``MapScatter.highlighted``) and a tile's ``#index`` button shows the object on the map;
both go through callbacks the explorer passes in.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as W

from astromorph_nb._validation import check_positive_int
from astromorph_nb.exceptions import NotReadyError
from astromorph_nb.session.discovery import ANOMALY_METHODS
from astromorph_nb.widgets._errors import ErrorLine, report_errors, report_observer_errors
from astromorph_nb.widgets._neighbor_tiles import NeighborTile, TilePool, session_cutouts
from astromorph_nb.widgets._render import cutout_png
from astromorph_nb.widgets._search_modes import MODES, LikeThese, Unusual, count_tagged

if TYPE_CHECKING:
    from astromorph_nb.session import Session

__all__ = ["ANSWERS", "SearchPanel"]

#: The answers a candidate can get: (answer, button style); a mode labels the buttons.
ANSWERS = (("yes", "success"), ("no", "danger"), ("skip", ""))
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
        self._meanings = [answer for answer, _style in ANSWERS]
        for answer, style in ANSWERS:
            button = W.Button(
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

    def label(self, labels: tuple[tuple[str, str, str], ...]) -> None:
        """Label the three answer buttons: a mode's ``answer_labels``, (text, icon, meaning)."""
        self._meanings = [meaning for _text, _icon, meaning in labels]
        for button, (text, icon, _meaning) in zip(self.answers.values(), labels, strict=True):
            with button.hold_sync():
                button.description, button.icon = text, icon

    def set(self, index: int, rank: int, score: float, png: bytes) -> None:
        """Show candidate ``index`` at ``rank`` with its ``score`` and cutout ``png``."""
        self.object.fill(
            index,
            png,
            caption=f"<small>rank {int(rank)} · {float(score):.3f}</small>",
            tooltip=f"Show object {int(index)} on the map (rank {int(rank)}, score {score:.3f})",
        )
        for button, meaning in zip(self.answers.values(), self._meanings, strict=True):
            button.tooltip = f"Answer {meaning!r} for object {int(index)}"

    def hide(self) -> None:
        """Hide the slot (fewer candidates than slots)."""
        self.object.hide()

    def close(self) -> None:
        """Close the tile's widgets."""
        for widget in (*self.answers.values(), self.row):
            widget.close()
        self.object.close()


class SearchPanel(W.VBox):
    """Find objects like some examples, or unusual ones, refined by an answer per candidate.

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
        self._started: dict[str, LikeThese | Unusual] = {}  # the modes ranked so far, by key
        self._ranking = False  # True while this panel's own calls change the session
        self._ready = False
        self.candidates: list[int] = []
        self._mode = W.ToggleButtons(
            options=[("More like these", LikeThese.key), ("Unusual objects", Unusual.key)],
            tooltips=[
                "Objects like the ones you answer Yes, unlike the ones you answer No",
                "The most unusual objects, re-weighted by your Interesting / Boring answers",
            ],
            style={"button_width": "130px"},
        )
        self._mode.add_class("amn-search-mode")
        self._name = W.Text(value=name, description="Search", layout=W.Layout(width="230px"))
        self._method = W.Dropdown(
            options=list(ANOMALY_METHODS),
            value="knn",
            description="Score",
            layout=W.Layout(width="230px", display="none"),
        )
        self._find_button = W.Button(icon="search", layout=W.Layout(width="auto"))
        self._find_button.add_class("amn-find-button")
        self._status = W.HTML()
        self._status.add_class("amn-search-status")
        self._errors = ErrorLine()
        self._gallery = W.GridBox(
            layout=W.Layout(grid_template_columns=f"repeat({_COLUMNS}, {_TILE_PX + 12}px)")
        )
        self._gallery.add_class("amn-search-gallery")
        self._tiles = TilePool(self._gallery, self._n_candidates, self._make_tile)
        self._find_button.on_click(self._on_find_click)
        self._mode.observe(self._on_mode_change, names=["value"])
        session.observe(self._on_results_version_change, names=["results_version"])
        super().__init__(
            [
                self._mode,
                W.HBox([self._name, self._method, self._find_button]),
                self._status,
                self._errors.widget,
                self._gallery,
            ]
        )
        self.add_class("amn-search-panel")
        self._label_widgets(LikeThese)  # the tiles are labelled as they are made
        self._on_results_version_change({"new": session.results_version})

    def _make_tile(self) -> CandidateTile:
        tile = CandidateTile(self._on_show_click, self._on_answer, can_show=bool(self._on_show))
        tile.label(MODES[self.mode].answer_labels)
        return tile

    @property
    def mode(self) -> str:
        """What the gallery ranks: ``"like"`` (like the examples) or ``"unusual"``."""
        return str(self._mode.value)

    # -- session → widgets ---------------------------------------------------------------

    @report_observer_errors
    def _on_results_version_change(self, change: dict[str, Any]) -> None:
        if self._ranking:
            return
        try:
            self._session.tsne_coordinates  # noqa: B018  (raises NotReadyError without a map)
        except NotReadyError as err:
            self._ready = False
            self._clear()
            self._status.value = f"<b>Nothing to search yet.</b> {html.escape(str(err))}"
            return
        self._ready = True
        mode = self._started.get(self.mode)
        if mode is None:
            self._prompt()
            return
        try:  # new embeddings, or answers tagged elsewhere; unusual: order the scores as they are
            self._rank(mode, rescore=False)
        except NotReadyError:  # new embeddings cleared the anomaly scores
            self._clear()
            self._status.value = (
                "<i>New embeddings: press Show unusual objects to score them again with your "
                "answers.</i>"
            )

    def _prompt(self) -> None:
        self._clear()
        self._status.value = (
            "<i>Lasso some objects on the map (or click one), then Find more like these.</i>"
            if self.mode == LikeThese.key
            else "<i>Show unusual objects ranks every object by its anomaly score; answer "
            "Interesting (the star) or Boring (the thumbs-down) to re-weight the ranking.</i>"
        )

    def _clear(self) -> None:
        self._tiles.show([])
        self.candidates = []
        self._on_candidates([])

    def _rank(self, mode: LikeThese | Unusual, *, rescore: bool = True) -> None:
        """Rank with ``mode``'s answers so far and show the best candidates."""
        self._ranking = True
        try:
            table = mode.rank(self._session, self._n_candidates, rescore=rescore)
        finally:
            self._ranking = False
        self._started[mode.key] = mode
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
        self._status.value = mode.status(self._session, table)

    # -- widgets → session ---------------------------------------------------------------

    def _label_widgets(self, mode: type[LikeThese] | type[Unusual]) -> None:
        like = mode is LikeThese
        self._name.layout.display = None if like else "none"
        self._method.layout.display = "none" if like else None
        with self._find_button.hold_sync():
            self._find_button.description = mode.find_label
            self._find_button.tooltip = mode.find_tooltip
        for tile in self._tiles.tiles:
            tile.label(mode.answer_labels)

    @report_observer_errors
    def _on_mode_change(self, change: dict[str, Any]) -> None:
        self._label_widgets(MODES[change["new"]])
        self._errors.clear()
        if not self._ready:
            return
        mode = self._started.get(change["new"])
        if mode is None:
            self._prompt()
        else:
            self._rank(mode, rescore=False)

    def _tag(self, indices: list[int], tag: str, *, value: bool = True) -> None:
        self._ranking = True  # the re-ranking that follows shows the change
        try:
            self._session.tag(indices, tag, value=value)
        finally:
            self._ranking = False

    @report_errors
    def _on_find_click(self, _button: W.Button) -> None:
        if self.mode == Unusual.key:
            self._rank(Unusual(str(self._method.value)))
            return
        name = self._name.value.strip()
        if not name:
            msg = (
                "The search has no name. Type one in the Search box (e.g. 'candidate'): the "
                "answers are kept as tags named after it."
            )
            raise ValueError(msg)
        mode = LikeThese(name)
        focused = self._focused()
        seeds = list(self._session.selection) or ([focused] if focused >= 0 else [])
        if not seeds and not count_tagged(self._session, mode.tags[0]):
            msg = (
                "Nothing to start the search from. Lasso some objects on the map or click one, "
                f"then press Find more like these: they are tagged {mode.tags[0]!r} and the "
                "panel shows the objects most like them."
            )
            raise ValueError(msg)
        meta = self._session.meta
        for other in mode.tags[1:]:  # a seed answered "no" or skipped before is now a "yes"
            again = [i for i in seeds if other in meta.colnames and meta[other][i]]
            if again:
                self._tag(again, other, value=False)
        if seeds:
            self._tag(seeds, mode.tags[0])
        self._rank(mode)

    @report_errors
    def _on_answer(self, index: int, answer: str) -> None:
        mode = self._started.get(self.mode)
        if index < 0 or mode is None:
            return
        slot = [key for key, _style in ANSWERS].index(answer)
        self._tag([index], mode.tags[slot])
        self._rank(mode)

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
        self._mode.unobserve(self._on_mode_change, names=["value"])
        self._tiles.close()
        for child in (*self.children, *self.children[1].children):
            child.close()
        super().close()
