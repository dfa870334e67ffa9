"""Checks of augmentation parameters and of the batches they receive (augment layer).

They complement :mod:`astromorph_nb._validation` with the shapes of argument that only
augmentations take: ``(low, high)`` ranges, probabilities, batches and torch generators.
Every message names the parameter and the class it belongs to (STYLE.md §8).
"""

from __future__ import annotations

from typing import Any

import torch

from astromorph_nb._validation import is_finite_real, shorten
from astromorph_nb.exceptions import InvalidImageError

__all__ = [
    "check_batch",
    "check_fraction",
    "check_generator",
    "check_nonnegative",
    "check_range",
]


def check_range(
    value: Any,
    *,
    name: str,
    where: str,
    minimum: float | None = None,
    exclusive: bool = False,
) -> tuple[float, float]:
    """Return ``value`` as a ``(low, high)`` pair of floats with ``low <= high``.

    Parameters
    ----------
    value : object
        The value the user passed; it must be a pair of finite real numbers.
    name, where : str
        The parameter name and the class it belongs to, quoted in the message.
    minimum : float or None, default=None
        Lower bound for both numbers, if any.
    exclusive : bool, default=False
        If True the bound itself is not allowed (``> minimum`` rather than ``>= minimum``).

    Raises
    ------
    TypeError
        If ``value`` is not a pair of finite real numbers.
    ValueError
        If ``low > high`` or a number is below ``minimum``.
    """
    bound = ""
    if minimum is not None:
        bound = f" {'>' if exclusive else '>='} {minimum:g}"
    expected = f"a pair (low, high) of finite numbers{bound} with low <= high"
    try:
        low, high = value
    except (TypeError, ValueError):
        msg = (
            f"The {name!r} parameter of {where} must be {expected}; got {shorten(value)}. "
            f"For a fixed value v pass {name}=(v, v)."
        )
        raise TypeError(msg) from None
    if not (is_finite_real(low) and is_finite_real(high)):
        msg = f"The {name!r} parameter of {where} must be {expected}; got {shorten(value)}."
        raise TypeError(msg)
    low, high = float(low), float(high)
    if minimum is not None and (
        min(low, high) <= minimum if exclusive else min(low, high) < minimum
    ):
        msg = f"The {name!r} parameter of {where} must be {expected}; got {shorten(value)}."
        raise ValueError(msg)
    if low > high:
        msg = (
            f"The {name!r} parameter of {where} must be {expected}; got {shorten(value)}. "
            f"Swap them: {name}=({value[1]!r}, {value[0]!r})."
        )
        raise ValueError(msg)
    return low, high


def check_fraction(
    value: Any, *, name: str, where: str, upper: float = 1.0, inclusive: bool = True
) -> float:
    """Return ``value`` as a float in ``[0, upper]`` (or ``[0, upper)``); otherwise raise.

    Use it for probabilities (``upper=1``) and for fractions of the image size.
    """
    interval = f"[0, {upper:g}{']' if inclusive else ')'}"
    if not is_finite_real(value):
        msg = (
            f"The {name!r} parameter of {where} must be a number in {interval}; "
            f"got {shorten(value)} of type {type(value).__name__}."
        )
        raise TypeError(msg)
    value = float(value)
    if value < 0 or (value > upper if inclusive else value >= upper):
        msg = f"The {name!r} parameter of {where} must be a number in {interval}; got {value!r}."
        raise ValueError(msg)
    return value


def check_batch(batch: Any, *, where: str) -> torch.Tensor:
    """Return ``batch`` if it is a floating-point Tensor of shape (B, C, ny, nx); else raise.

    Only the shape and dtype are checked, never the values, so the check costs nothing and
    never waits for the device.

    Raises
    ------
    TypeError
        If ``batch`` is not a floating-point torch Tensor.
    InvalidImageError
        If it is not 4-D, or has no images, channels or pixels.
    """
    if not isinstance(batch, torch.Tensor):
        msg = (
            f"The batch given to {where} must be a torch.Tensor of shape (B, C, ny, nx); "
            f"got {type(batch).__name__}. Convert arrays with torch.as_tensor(images)."
        )
        raise TypeError(msg)
    if not batch.is_floating_point():
        msg = (
            f"The batch given to {where} must hold floating-point pixels; got dtype "
            f"{batch.dtype}. Convert it with batch.float()."
        )
        raise TypeError(msg)
    if batch.ndim != 4 or batch.numel() == 0:
        hint = " For one image of shape (ny, nx) pass image[None, None]." if batch.ndim == 2 else ""
        msg = (
            f"The batch given to {where} has shape {tuple(batch.shape)}. Expected a non-empty "
            f"Tensor of shape (B, C, ny, nx) in numpy order.{hint}"
        )
        raise InvalidImageError(msg)
    return batch


def check_generator(generator: Any, batch: torch.Tensor, *, where: str) -> torch.Generator:
    """Return ``generator`` if it is a torch.Generator on the batch's device type; else raise.

    Raises
    ------
    TypeError
        If ``generator`` is not a ``torch.Generator``.
    ValueError
        If it lives on another kind of device than the batch.
    """
    fix = "torch.Generator(device=batch.device).manual_seed(seed)"
    if not isinstance(generator, torch.Generator):
        msg = (
            f"The 'generator' given to {where} must be a torch.Generator; got "
            f"{type(generator).__name__}. Create one with {fix}."
        )
        raise TypeError(msg)
    if generator.device.type != batch.device.type:
        msg = (
            f"The 'generator' given to {where} lives on {generator.device.type!r} but the "
            f"batch is on {str(batch.device)!r}. Create it on the batch's device: {fix}."
        )
        raise ValueError(msg)
    return generator


def check_nonnegative(value: Any, *, name: str, where: str) -> float:
    """Return ``value`` as a float if it is a finite number >= 0; otherwise raise."""
    if not is_finite_real(value):
        msg = (
            f"The {name!r} parameter of {where} must be a finite number >= 0; "
            f"got {shorten(value)} of type {type(value).__name__}."
        )
        raise TypeError(msg)
    if value < 0:
        msg = f"The {name!r} parameter of {where} must be a finite number >= 0; got {value!r}."
        raise ValueError(msg)
    return float(value)
