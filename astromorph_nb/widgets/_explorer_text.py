"""The explorer's text: the object's details, the selection table, category names (widgets layer).

Pure functions of what the session holds, returning escaped HTML or text for the
:class:`~astromorph_nb.widgets.explorer.EmbeddingExplorer` to show. Every value from the
user's metadata goes through :func:`format_value`, so a header such as
``OBJECT = '<script>…'`` is shown as text, never run.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from astromorph_nb.exceptions import NotReadyError

if TYPE_CHECKING:
    from astromorph_nb.session import Session

__all__ = ["TABLE_ROWS", "category_text", "details_html", "format_value", "selection_html"]

TABLE_ROWS = 200  # rows of the selection table shown (all are exported)


def format_value(value: Any) -> str:
    """Return a short, HTML-escaped text for one metadata value."""
    if isinstance(value, (float, np.floating)):
        text = "" if math.isnan(value) else f"{value:.6g}"
    elif isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    else:
        text = str(value)
    if len(text) > 80:
        text = text[:77] + "…"
    return html.escape(text)


def category_text(values: np.ndarray) -> np.ndarray:
    r"""Return ``values`` as str; bytes and file names that are not UTF-8 show ``\xNN``."""
    if values.dtype.kind == "S":
        return np.char.decode(values, "utf-8", "backslashreplace")
    text = values.astype(str)
    try:
        np.char.encode(text, "utf-8")
    except UnicodeEncodeError:  # lone surrogates: a file name read from non-UTF-8 bytes
        raw = np.char.encode(text, "utf-8", "surrogateescape")
        return np.char.decode(raw, "utf-8", "backslashreplace")
    return text


def selection_html(session: Session, selection: list[int]) -> str:
    """Return the table of the selected objects (first :data:`TABLE_ROWS` rows)."""
    if not selection:
        return "<i>No selection. Lasso points on the map (lasso mode or shift+drag).</i>"
    meta = session.meta
    columns = [c for c in meta.colnames if meta[c].ndim == 1][:8]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["index", *columns])
    rows = []
    for i in selection[:TABLE_ROWS]:
        cells = "".join(f"<td>{format_value(meta[c][i])}</td>" for c in columns)
        rows.append(f"<tr><td>{i}</td>{cells}</tr>")
    more = (
        f"<p>… and {len(selection) - TABLE_ROWS} more (all are exported).</p>"
        if len(selection) > TABLE_ROWS
        else ""
    )
    return (
        f"<b>{len(selection)} selected</b><div style='max-height:260px;overflow:auto'>"
        f"<table class='amn-table'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def details_html(session: Session, index: int) -> str:
    """Return the table of one object's metadata, anomaly score and cluster."""
    meta = session.meta
    rows = [f"<tr><th>index</th><td>{index}</td></tr>"]
    for name in meta.colnames:
        if meta[name].ndim == 1:
            rows.append(
                f"<tr><th>{html.escape(name)}</th><td>{format_value(meta[name][index])}</td></tr>"
            )
    for name, getter in (("anomaly score", "anomaly_scores"), ("cluster", "cluster_labels")):
        try:
            value = getattr(session, getter)[index]
        except NotReadyError:
            continue
        rows.append(f"<tr><th>{name}</th><td>{format_value(value)}</td></tr>")
    return f"<table class='amn-table'>{''.join(rows)}</table>"
