"""Type aliases shared across the package (base layer)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["ArrayLike", "PathLike", "RandomState", "Source"]

ArrayLike = npt.ArrayLike
PathLike = str | os.PathLike[str]
RandomState = None | int | np.random.Generator
Source = PathLike | Sequence[PathLike]
