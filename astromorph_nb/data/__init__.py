"""Images in memory: the ImageSet container and preprocessing (data layer).

Nothing here opens files or trains anything. ``ImageSet`` loads on first use (see
``_lazy.py``), so numpy-only modules such as ``data.cubes`` import without PyTorch.
"""

from typing import TYPE_CHECKING

from astromorph_nb._lazy import attach

__getattr__, __dir__ = attach(__name__, {"ImageSet": "astromorph_nb.data.imageset"})

if TYPE_CHECKING:
    from astromorph_nb.data.imageset import ImageSet

__all__ = ["ImageSet"]
