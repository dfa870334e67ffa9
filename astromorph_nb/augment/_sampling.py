"""Draws of per-image random numbers from an explicit generator (augment layer)."""

from __future__ import annotations

import math

import torch

__all__ = ["log_uniform", "uniform"]


def uniform(
    low: float, high: float, size: tuple[int, ...], generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """Draw float32 numbers uniformly in [low, high) on ``device``."""
    draws = torch.rand(size, generator=generator, device=device)
    return low + (high - low) * draws


def log_uniform(
    low: float, high: float, size: tuple[int, ...], generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """Draw positive float32 numbers with a uniform logarithm: 0.8 and 1.25 are as likely."""
    return uniform(math.log(low), math.log(high), size, generator, device).exp()
