"""``astromorph-nb sample``, ``demo`` and ``inspect``: bundled data, the whole job, files (cli)."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

# The parser is built without PyTorch: each command imports what it needs when it runs.
from astromorph_nb.cli._shared import read_options, summary
from astromorph_nb.exceptions import AstromorphWarning


def run_sample(args: argparse.Namespace) -> int:
    """Print what the bundled Hubble Deep Field sample holds."""
    from astromorph_nb.datasets import hubble_deep_field

    images = hubble_deep_field(size=args.size, channels=args.channels)
    title = (
        "Hubble eXtreme Deep Field sample (real HST data shipped inside scikit-image; "
        "galaxies detected and cut on the fly, no download)"
    )
    print(summary(images, title))
    flux = np.asarray(images.meta["flux"], dtype=float)
    print(f"  source flux: {flux.min():.3g} .. {flux.max():.3g} (background-subtracted, gray)")
    if args.write_fits:
        from astromorph_nb.io.fits.writer import write_fits

        paths = write_fits(images, args.write_fits, prefix="xdf", overwrite=args.overwrite)
        print(f"Wrote {len(paths)} FITS files to {Path(args.write_fits).resolve()}")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """Run the whole job on the bundled sample and write its outputs."""
    from astromorph_nb.demo import run_demo
    from astromorph_nb.train.callbacks import ConsoleProgress

    minutes = None if args.minutes <= 0 else args.minutes
    print(
        "Training BYOL on the bundled Hubble Deep Field sample for "
        + (f"{args.minutes:g} minutes" if minutes else f"{args.epochs} epochs")
        + (f" (at most {args.epochs} epochs)" if minutes and args.epochs else "")
        + "; press Ctrl-C to stop early."
    )
    result = run_demo(
        args.output,
        minutes=minutes,
        n_epochs=args.epochs,
        overwrite=args.overwrite,
        random_state=args.seed,
        device=args.device,
        callbacks=(ConsoleProgress(description="BYOL"),),
    )
    print(result.summary)
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    """Read FITS files as ``read_fits`` would and report what was read and skipped."""
    from astromorph_nb.io.fits.reader import read_fits

    options = read_options(args, image_size=None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AstromorphWarning)
        images = read_fits(
            args.source, n_threads=args.threads, n_processes=args.processes, **options
        )
    print(summary(images, f"Read {len(images)} images from {', '.join(args.source)}"))
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    return 0
