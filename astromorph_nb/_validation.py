"""Checks of user-supplied parameters, with messages that name the parameter (base layer)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "as_generator",
    "is_finite_real",
    "shorten",
    "check_choice",
    "check_image_size",
    "check_positive_int",
    "finite_or_none",
]


def shorten(value: Any, limit: int = 60) -> str:
    """Return ``repr(value)``, cut to ``limit`` characters, for quoting in messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_finite_real(value: Any) -> bool:
    """Return True for a finite real number (bools excluded)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def check_choice(value: Any, choices: Iterable[Any], *, name: str, where: str) -> Any:
    """Return ``value`` if it is one of ``choices``; otherwise raise a ValueError listing them.

    Parameters
    ----------
    value : object
        The value the user passed.
    choices : iterable
        The valid values. ``None`` may be one of them.
    name : str
        The parameter name, quoted in the message.
    where : str
        The function the parameter belongs to, e.g. ``"read_fits"``.
    """
    choices = list(choices)
    if value in choices:
        return value
    listed = ", ".join(sorted(repr(c) for c in choices))
    msg = f"The {name!r} parameter of {where} must be one of {listed}; got {shorten(value)}."
    raise ValueError(msg)


def check_positive_int(value: Any, *, name: str, where: str, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``; otherwise raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = (
            f"The {name!r} parameter of {where} must be an int >= {minimum}; "
            f"got {shorten(value)} of type {type(value).__name__}."
        )
        raise TypeError(msg)
    if value < minimum:
        msg = f"The {name!r} parameter of {where} must be an int >= {minimum}; got {value}."
        raise ValueError(msg)
    return int(value)


def check_image_size(value: Any, *, name: str, where: str) -> tuple[int, int] | None:
    """Return ``value`` as ``(ny, nx)``; an int ``n`` means ``(n, n)``; None passes through."""
    if value is None:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    if isinstance(value, (str, bytes)):
        msg = f"The {name!r} parameter of {where} must be an int or a pair (ny, nx); got {value!r}."
        raise TypeError(msg)
    try:
        ny, nx = value
    except (TypeError, ValueError):
        msg = (
            f"The {name!r} parameter of {where} must be an int or a pair (ny, nx) of ints "
            f"in numpy order; got {shorten(value)}."
        )
        raise TypeError(msg) from None
    return (
        check_positive_int(ny, name=name, where=where, minimum=2),
        check_positive_int(nx, name=name, where=where, minimum=2),
    )


def as_generator(random_state: Any, *, name: str = "random_state") -> np.random.Generator:
    """Turn ``None``, an int or a numpy Generator into a numpy Generator.

    Raises
    ------
    TypeError
        For anything else, with the fix (torch generators are made from an int seed).
    """
    if random_state is None or (
        isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
    ):
        return np.random.default_rng(None if random_state is None else int(random_state))
    if isinstance(random_state, np.random.Generator):
        return random_state
    msg = (
        f"{name} must be None, an int or numpy.random.Generator; "
        f"got {type(random_state).__module__}.{type(random_state).__name__}. "
        "Use an int seed; astromorph_nb creates the generators it needs from it."
    )
    raise TypeError(msg)


def finite_or_none(value: float) -> float | None:
    """Return ``value`` as a float, or None for NaN and inf (JSON has neither)."""
    return None if not math.isfinite(value) else float(value)
