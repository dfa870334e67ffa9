"""Small helpers shared by the figures: plain user text, the figure of an axes (plotting layer).

Private. Object names and FITS metadata can contain ``$``, ``_`` or ``^``
(``"J1234+56_$z$"``). Matplotlib would read a pair of ``$`` as mathtext, or hand the text to
LaTeX when ``text.usetex`` is on, and fail or garble it. Every text artist that shows a user
string goes through :func:`plain`, which turns both off for that artist only.
"""

from __future__ import annotations

import sys
from typing import Any, cast

from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.text import Text

__all__ = ["figure_of", "plain"]


def plain(*texts: Text) -> None:
    """Make text artists show their string literally: no mathtext, no LaTeX.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> title = Figure().subplots().set_title("NGC_1$2$")
    >>> plain(title)
    >>> title.get_parse_math(), title.get_usetex()
    (False, False)
    """
    for text in texts:
        text.set_parse_math(False)
        text.set_usetex(False)


def figure_of(ax: Axes) -> Figure:
    """Return the top-level figure holding ``ax``, also when ``ax`` is in a subfigure."""
    figure = ax.get_figure()
    while isinstance(figure, SubFigure):
        figure = figure.get_figure()
    return cast(Figure, figure)


def show_in_notebooks() -> None:
    """Let Jupyter draw the figures we return, without pyplot managing them.

    Our figures are plain ``Figure`` objects (never kept open by pyplot). IPython draws a
    ``Figure`` that ends a cell only once matplotlib's inline backend is set up, which
    importing pyplot does; so import it when running under IPython.
    """
    if "IPython" in sys.modules:
        import matplotlib.pyplot  # noqa: F401  (sets up the notebook's figure display)


def new_figure(**kwargs: Any) -> Figure:
    """Return a new ``Figure(**kwargs)`` that notebooks display when it ends a cell."""
    show_in_notebooks()
    return Figure(**kwargs)
