"""Short texts for people: durations (base layer, imported by the session and the widgets)."""

from __future__ import annotations

__all__ = ["format_duration"]


def format_duration(seconds: float) -> str:
    """Say how long, e.g. ``"4.2 s"``, ``"45 s"``, ``"3 min 05 s"`` or ``"2 h 10 min"``.

    Examples
    --------
    >>> format_duration(4.23), format_duration(185), format_duration(7800)
    ('4.2 s', '3 min 05 s', '2 h 10 min')
    """
    if seconds < 10:
        return f"{max(seconds, 0.0):.1f} s"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, whole = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {whole:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
