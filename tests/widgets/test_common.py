"""Checks that every panel passes: it only observes the session, reports errors, closes.

Each panel is registered in ``PANELS`` with how to make it, which session method one of its
user actions calls, and how to trigger that action. The map widget (``MapScatter``) is not
here: it knows no session and is checked through the explorer and in the browser tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
import numpy as np
import pytest

from astromorph_nb import Session
from astromorph_nb.widgets import AugmentationPreview, Dashboard, EmbeddingExplorer, TrainingPanel
from astromorph_nb.widgets._errors import ErrorLine
from astromorph_nb.widgets.search_panel import SearchPanel


@dataclass(frozen=True)
class PanelCase:
    make: Callable[[Session], W.Widget]
    #: the panel (or sub-panel) whose error line shows the action's error
    reporter: Callable[[Any], Any]
    #: the session method the action calls, and the action (a click)
    method: str
    act: Callable[[Any], None]
    #: a session member one of its observers reads, and the trait change that runs it
    observed: str
    change: Callable[[Session], None]


def bump_results(session: Session) -> None:
    session.set_trait("results_version", session.results_version + 1)


def toggle_status(session: Session) -> None:
    status = session.status
    session.set_trait("status", "trained" if status != "trained" else "ready")
    session.set_trait("status", status)


PANELS = {
    "TrainingPanel": PanelCase(
        TrainingPanel,
        lambda p: p,
        "train",
        lambda p: p._start_button.click(),
        "quality_history",
        toggle_status,
    ),
    "EmbeddingExplorer": PanelCase(
        EmbeddingExplorer,
        lambda p: p,
        "refresh",
        lambda p: p._refresh_button.click(),
        "color_options",
        bump_results,
    ),
    "AugmentationPreview": PanelCase(
        AugmentationPreview,
        lambda p: p,
        "set_augmentations",
        lambda p: p._apply_button.click(),
        "augmentation_settings",
        toggle_status,
    ),
    "SearchPanel": PanelCase(
        # started from the object clicked on the map, as the explorer tells it
        lambda s: SearchPanel(s, focused=lambda: 3),
        lambda p: p,
        "search",
        lambda p: p._find_button.click(),
        "tsne_coordinates",
        bump_results,
    ),
    "Dashboard": PanelCase(
        Dashboard,
        lambda p: p.explorer,
        "neighbors",
        # a click on point 3, as the browser sends it
        lambda p: p.explorer._map._on_front_end_message(None, {"event": "click", "index": 3}, []),
        "color_options",
        bump_results,
    ),
}


@pytest.fixture(scope="module")
def analysed() -> Session:
    images = np.random.default_rng(0).random((24, 16, 16))
    session = Session.from_arrays(images, device="cpu", random_state=0, ui_interval_s=0.0)
    session.analyse(perplexity=5, n_clusters=3)
    return session


@pytest.fixture
def session(analysed) -> Session:
    analysed.select(None)
    return analysed


@pytest.fixture(params=sorted(PANELS))
def case(request) -> PanelCase:
    return PANELS[request.param]


@pytest.fixture
def panel(case, session):
    panel = case.make(session)
    yield panel
    panel.close()


def trait_state(session: Session) -> dict[str, Any]:
    return {name: getattr(session, name) for name in session.trait_names()}


def owners(panel: Any) -> set[int]:
    """ids of the panel and the panels it holds (the dashboard holds three)."""
    parts = [panel, *(getattr(panel, name, None) for name in vars(panel))]
    return {id(part) for part in parts if isinstance(part, W.Widget)}


def handlers_of(session: Session, panel: Any) -> list[Any]:
    ids = owners(panel)
    found = []
    for by_type in session._trait_notifiers.values():
        for handlers in by_type.values():
            found += [h for h in handlers if id(getattr(h, "__self__", None)) in ids]
    return found


def test_making_a_panel_changes_nothing_in_the_session(case, session):
    before = trait_state(session)
    panel = case.make(session)
    assert trait_state(session) == before
    panel.close()
    assert trait_state(session) == before


def test_panel_observes_the_session_by_trait_name(session, panel):
    assert handlers_of(session, panel)
    for name, by_type in session._trait_notifiers.items():
        for handler in by_type.get("change", []):
            if id(getattr(handler, "__self__", None)) in owners(panel):
                assert name in session.trait_names()


def test_an_error_from_the_session_is_shown_escaped_and_not_raised(
    case, session, panel, monkeypatch
):
    def fail(*args: Any, **kwargs: Any) -> None:
        msg = "bad <b>flux</b> & co"
        raise RuntimeError(msg)

    monkeypatch.setattr(session, case.method, fail)
    case.act(panel)  # does not raise
    errors = case.reporter(panel)._errors
    assert isinstance(errors, ErrorLine)
    assert errors.widget.layout.display is None
    assert "RuntimeError: bad &lt;b&gt;flux&lt;/b&gt; &amp; co" in errors.text
    assert "<b>flux" not in errors.text
    monkeypatch.undo()
    case.act(panel)  # the next action that succeeds clears the line
    if session.is_training:
        session.stop()
        session.wait()
    assert errors.text == ""
    assert errors.widget.layout.display == "none"


def test_an_error_in_an_observer_is_shown_and_never_reaches_the_session(
    case, session, panel, monkeypatch
):
    def fail(*args: Any, **kwargs: Any) -> None:
        msg = "the session broke"
        raise RuntimeError(msg)

    member = getattr(Session, case.observed)
    monkeypatch.setattr(
        Session, case.observed, property(fail) if isinstance(member, property) else fail
    )
    case.change(session)  # does not raise: the session (or training thread) carries on
    monkeypatch.undo()
    assert "RuntimeError: the session broke" in case.reporter(panel)._errors.text


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """Names of the panels' handlers as they are called (patched before a panel is made)."""
    called: list[str] = []
    for cls in (TrainingPanel, EmbeddingExplorer, AugmentationPreview, SearchPanel):
        for name, method in list(vars(cls).items()):
            if name.startswith("_on_") and name.endswith("_change"):

                def spy(self, *args, _method=method, _name=name, **kwargs):
                    called.append(_name)
                    return _method(self, *args, **kwargs)

                monkeypatch.setattr(cls, name, spy)
    return called


def change_every_trait(session: Session) -> None:
    status = session.status
    session.select([1, 2])
    session.set_trait("results_version", session.results_version + 1)
    session.set_trait("step", session.step + 1)
    session.set_trait("status", "training" if status != "training" else "trained")
    session.set_trait("status", status)
    session.select(None)


def test_close_stops_observing_the_session(case, session, calls):
    panel = case.make(session)
    change_every_trait(session)
    assert calls  # the panel did observe the session
    panel.close()
    assert handlers_of(session, panel) == []
    calls.clear()
    change_every_trait(session)
    assert calls == []
    panel.close()  # twice is fine


def test_panel_is_a_widget_that_renders(panel):
    assert isinstance(panel, W.Widget)
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == panel.model_id
