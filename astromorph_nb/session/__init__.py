"""The session layer: the one object a user holds, from images to maps and exports.

:class:`Session` (``session.py``) owns its state in a few parts, each in its own module:
the images (``images.py``), the model and how to build it (``model_spec.py``), the record of
its training runs (``training.py``) and the results computed from the model
(``results.py``), declared together in ``state.py``. Its verbs are grouped by what they do
(``training_methods.py``, ``analysis.py``, ``discovery.py``, ``figures.py``, ``outputs.py``);
``persistence.py`` writes and reads a saved session.
"""

from astromorph_nb.session.session import NAME_COLUMNS, STATUSES, Session, imageset_from_arrays

__all__ = ["NAME_COLUMNS", "STATUSES", "Session", "imageset_from_arrays"]
