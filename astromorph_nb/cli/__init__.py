"""The ``astromorph-nb`` command line (cli layer).

``astromorph-nb train CONFIG.toml`` reads FITS images, trains BYOL, embeds the images,
maps them and writes a session folder that ``astromorph_nb.Session.load`` opens in a
notebook; the configuration is our TOML layout or the astromorph seed's settings file (see
:mod:`astromorph_nb.cli.config`). Under ``torchrun`` the same command trains on several
GPUs or machines (see :mod:`astromorph_nb.train.distributed`); only the first process
prints and writes. ``embed SESSION_DIR`` recomputes a session's embeddings, or embeds new
FITS files with its model into a table; ``export SESSION_DIR OUT`` writes its results
table; ``info SESSION_DIR`` summarises it.

``astromorph-nb demo`` runs the whole job on the bundled Hubble Deep Field sample: train
BYOL for a couple of minutes, embed, map, score anomalies, cluster, and write the saved
session, a results table, figures and a summary to a folder.
``astromorph-nb sample`` loads the bundled Hubble eXtreme Deep Field sample and prints what
it holds; ``astromorph-nb inspect SOURCE`` reads your FITS files with the same options as
:func:`astromorph_nb.read_fits` and reports what was read and what was skipped, so problems
show up before any training.

Errors of ours print one line, ``astromorph-nb: error: ...``, and exit with status 1;
warnings print as ``warning: ...`` lines on stderr.
"""

from astromorph_nb.cli.main import main

__all__ = ["main"]
