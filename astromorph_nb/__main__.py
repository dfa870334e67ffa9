"""``python -m astromorph_nb``: the same as the ``astromorph-nb`` command."""

import sys

from astromorph_nb.cli import main

sys.exit(main())
