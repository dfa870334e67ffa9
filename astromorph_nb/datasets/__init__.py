"""Bundled and generated data sets for demos, examples and tests, as ``sklearn.datasets``.

Nothing here needs network access. :func:`hubble_deep_field` cuts galaxy stamps out of the
Hubble eXtreme Deep Field image that ships inside scikit-image (:mod:`.hubble`). Three
generated, labelled families (:mod:`.families`): :func:`synthetic` (galaxy morphologies with
PSF and noise), :func:`protoplanetary_disks` (ALMA-like dust continuum) and
:func:`dark_clouds` (column-density maps of star-forming clouds). All return an
:class:`~astromorph_nb.data.imageset.ImageSet`.

This layer sits above ``io`` and ``data``: it renders with ``data`` and reads with ``io``.
"""

from typing import TYPE_CHECKING

from astromorph_nb._lazy import attach

__getattr__, __dir__ = attach(
    __name__,
    {
        "hubble_deep_field": "astromorph_nb.datasets.hubble",
        "synthetic": "astromorph_nb.datasets.families",
        "protoplanetary_disks": "astromorph_nb.datasets.families",
        "dark_clouds": "astromorph_nb.datasets.families",
    },
)

if TYPE_CHECKING:
    from astromorph_nb.datasets.families import dark_clouds, protoplanetary_disks, synthetic
    from astromorph_nb.datasets.hubble import hubble_deep_field

__all__ = ["dark_clouds", "hubble_deep_field", "protoplanetary_disks", "synthetic"]
