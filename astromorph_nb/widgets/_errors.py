"""One way for every panel to show an error: a line in the panel (widgets layer).

A panel keeps an :class:`ErrorLine` as ``self._errors`` and puts its ``widget`` among its
children. Handlers of user actions are decorated with :func:`report_errors`: any exception
from the session call they make is shown on that line as ``Error <Type>: <message>``
(HTML-escaped) instead of propagating, and the line is cleared when the next action starts.
Observers of session traits are decorated with :func:`report_observer_errors`, which shows
the error the same way but leaves the line alone when nothing fails: the training thread
sets those traits, and an exception there would end up in the session's own callback.

Nothing is swallowed silently: every caught exception is on the screen until the user acts
again. An exception raised while the error line itself is drawn still propagates.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

import ipywidgets as W

__all__ = ["ERROR_COLOR", "ErrorLine", "report_errors", "report_observer_errors"]

#: Colour of error text in every panel.
ERROR_COLOR = "#c62828"

_Handler = TypeVar("_Handler", bound=Callable[..., Any])


class ErrorLine:
    """An ``HTML`` line that shows one error, hidden while there is none.

    Examples
    --------
    >>> line = ErrorLine()
    >>> line.show(ValueError("flux < 0"))
    >>> line.widget.value
    '<span style="color:#c62828"><b>Error</b> ValueError: flux &lt; 0</span>'
    >>> line.clear()
    >>> line.widget.layout.display
    'none'
    >>> line.close()
    """

    def __init__(self) -> None:
        self.widget = W.HTML(layout=W.Layout(display="none"))
        self.widget.add_class("amn-error")

    def show(self, error: BaseException | None) -> None:
        """Show ``error`` with its type, or hide the line when ``error`` is None."""
        with self.widget.hold_sync():
            if error is None:
                self.widget.layout.display = "none"
                self.widget.value = ""
                return
            text = html.escape(f"{type(error).__name__}: {error}")
            self.widget.value = f'<span style="color:{ERROR_COLOR}"><b>Error</b> {text}</span>'
            self.widget.layout.display = None

    def clear(self) -> None:
        """Hide the line."""
        self.show(None)

    @property
    def text(self) -> str:
        """The HTML shown now (``""`` when there is no error)."""
        return str(self.widget.value)

    def close(self) -> None:
        """Close the widget."""
        self.widget.close()


class _HasErrorLine(Protocol):
    _errors: ErrorLine


def _reporting(handler: _Handler, *, clear: bool) -> _Handler:
    @functools.wraps(handler)
    def wrapper(self: _HasErrorLine, *args: Any, **kwargs: Any) -> Any:
        if clear:
            self._errors.clear()
        try:
            return handler(self, *args, **kwargs)
        except Exception as error:  # shown in the panel, see the module docstring
            self._errors.show(error)
            return None

    return cast("_Handler", wrapper)


def report_errors(handler: _Handler) -> _Handler:
    """Decorate a panel method that handles a user action (a click, a slider, a dropdown).

    The panel's error line is cleared when the action starts; an exception is shown on it
    and not raised, and the method then returns None.
    """
    return _reporting(handler, clear=True)


def report_observer_errors(handler: _Handler) -> _Handler:
    """Decorate a panel method that observes a trait (of the session or of a widget).

    An exception is shown on the panel's error line and not raised, so it never reaches
    the code that set the trait (often the training thread); a success leaves the line as
    it is, so an error from the last user action stays visible.
    """
    return _reporting(handler, clear=False)
