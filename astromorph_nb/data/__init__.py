"""Images in memory: the ImageSet container and preprocessing (data layer).

Nothing here opens files or trains anything.
"""

from astromorph_nb.data.imageset import ImageSet

__all__ = ["ImageSet"]
