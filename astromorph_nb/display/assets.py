"""The static files that views share, read as text from the package (display layer).

``display/static/`` holds the front-end code that more than one view runs: the map's ES
module, ``map_scatter.js``, is the notebook widget's front end
(:class:`~astromorph_nb.widgets.MapScatter`) and also the drawing code of the kernel-free
HTML page (``io/export/html_page.py``), whose skeleton, styles and own script are here too
(``html_page.html``, ``.css``, ``.js``). Every view reads them through
:func:`static_asset`, so each file has one place and one way in, also from a wheel or a
zip import.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["MAP_SCRIPT", "static_asset"]

#: File name of the map's ES module in ``display/static/``.
MAP_SCRIPT = "map_scatter.js"


def static_asset(name: str) -> str:
    """Return the text of the file ``name`` in ``astromorph_nb/display/static/``.

    Parameters
    ----------
    name : str
        A file name in that folder, e.g. :data:`MAP_SCRIPT`.

    Raises
    ------
    FileNotFoundError
        If there is no such file; the message lists the files there.

    Examples
    --------
    >>> "export function createMapView" in static_asset(MAP_SCRIPT)
    True
    """
    folder = resources.files("astromorph_nb") / "display" / "static"
    source = folder / name
    if not source.is_file():
        present = sorted(entry.name for entry in folder.iterdir() if entry.is_file())
        msg = (
            f"No static file {name!r} in astromorph_nb/display/static. Expected one of: "
            f"{', '.join(map(repr, present)) or 'none'}. Reinstall the package if a file is "
            "missing."
        )
        raise FileNotFoundError(msg)
    return source.read_text(encoding="utf-8")
