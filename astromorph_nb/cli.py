"""The ``astromorph-nb`` command line (cli layer).

``astromorph-nb demo`` runs the whole job on the bundled Hubble Deep Field sample: train
BYOL for a couple of minutes, embed, map, score anomalies, cluster, and write the saved
session, a results table, figures and a summary to a folder.
``astromorph-nb sample`` loads the bundled Hubble eXtreme Deep Field sample and prints what
it holds; ``astromorph-nb inspect SOURCE`` reads your FITS files with the same options as
:func:`astromorph_nb.read_fits` and reports what was read and what was skipped, so problems
show up before any training.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from astromorph_nb import __version__
from astromorph_nb.data.cubes import CUBE_MODES
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.data.preprocess import NAN_POLICIES, NORMALIZATIONS, RESIZE_MODES
from astromorph_nb.exceptions import AstromorphError, AstromorphWarning

__all__ = ["main"]


def _summary(images: ImageSet, title: str) -> str:
    n, c, ny, nx = images.shape
    values = images.images
    lines = [
        title,
        f"  images     : {n} of {c}×{ny}×{nx} (channels×ny×nx), float32",
        f"  values     : min {float(values.min()):.3g}, median "
        f"{float(values.median()):.3g}, max {float(values.max()):.3g}",
        f"  blank      : {int(images.mask.sum())} pixels masked in "
        f"{int(images.mask.flatten(1).any(1).sum())} images",
        f"  metadata   : {', '.join(images.meta.colnames) or '(none)'}",
        f"  skipped    : {len(images.skipped)} inputs",
    ]
    for row in images.skipped[:10]:
        lines.append(f"    - {row['reason']}")
    if len(images.skipped) > 10:
        lines.append(f"    ... and {len(images.skipped) - 10} more")
    if images.meta.colnames and n:
        lines.append("  first rows :")
        shown = images.meta[: min(5, n)].copy()
        for name in shown.colnames:
            if shown[name].dtype.kind == "f":
                shown[name].info.format = ".5g"
        lines.extend("    " + line for line in shown.pformat(max_width=100))
    return "\n".join(lines)


def _run_sample(args: argparse.Namespace) -> int:
    from astromorph_nb.io.datasets import hubble_deep_field

    images = hubble_deep_field(size=args.size, channels=args.channels)
    title = (
        "Hubble eXtreme Deep Field sample (real HST data shipped inside scikit-image; "
        "galaxies detected and cut on the fly, no download)"
    )
    print(_summary(images, title))
    flux = np.asarray(images.meta["flux"], dtype=float)
    print(f"  source flux: {flux.min():.3g} .. {flux.max():.3g} (background-subtracted, gray)")
    if args.write_fits:
        from astromorph_nb.io.fits_writer import write_fits

        paths = write_fits(images, args.write_fits, prefix="xdf", overwrite=args.overwrite)
        print(f"Wrote {len(paths)} FITS files to {Path(args.write_fits).resolve()}")
    return 0


def _run_demo(args: argparse.Namespace) -> int:
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


def _run_inspect(args: argparse.Namespace) -> int:
    from astromorph_nb.io.fits import read_fits

    hdu: int | str | None = args.hdu
    if isinstance(hdu, str) and hdu.isdigit():
        hdu = int(hdu)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AstromorphWarning)
        images = read_fits(
            args.source,
            hdu=hdu,
            image_size=args.image_size,
            resize_mode=args.resize_mode,
            cube_mode=args.cube_mode,
            nan_policy=args.nan_policy,
            normalize=None if args.normalize == "none" else args.normalize,
            on_error=args.on_error,
            n_threads=args.threads,
            n_processes=args.processes,
        )
    print(_summary(images, f"Read {len(images)} images from {', '.join(args.source)}"))
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="astromorph-nb",
        description="Find structure in astronomical images without labels.",
    )
    parser.add_argument("--version", action="version", version=f"astromorph-nb {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="train, map and explore the bundled Hubble Deep Field sample"
    )
    demo.add_argument("--output", default="astromorph-demo", help="output folder")
    demo.add_argument(
        "--minutes",
        type=float,
        default=2.0,
        help="training time budget (2; 0 for no limit, then give --epochs)",
    )
    demo.add_argument("--epochs", type=int, help="training epochs (default: fill the budget)")
    demo.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    demo.add_argument("--seed", type=int, default=0, help="random seed (0)")
    demo.add_argument("--overwrite", action="store_true", help="replace an earlier demo folder")
    demo.set_defaults(run=_run_demo)

    sample = commands.add_parser("sample", help="load the bundled Hubble Deep Field sample")
    sample.add_argument("--size", type=int, default=64, help="stamp size in pixels (64)")
    sample.add_argument("--channels", choices=("gray", "rgb"), default="gray")
    sample.add_argument("--write-fits", metavar="DIR", help="also write the stamps as FITS files")
    sample.add_argument("--overwrite", action="store_true", help="replace existing FITS files")
    sample.set_defaults(run=_run_sample)

    inspect = commands.add_parser("inspect", help="read FITS files and report what was read")
    inspect.add_argument("source", nargs="+", help="files, folders, glob patterns or file lists")
    inspect.add_argument("--hdu", help="HDU index or EXTNAME (default: first with image data)")
    inspect.add_argument("--image-size", type=int, help="bring all images to this size")
    inspect.add_argument("--resize-mode", choices=RESIZE_MODES, default="resize")
    inspect.add_argument("--cube-mode", choices=CUBE_MODES)
    inspect.add_argument("--nan-policy", choices=NAN_POLICIES, default="mask")
    normalizations = [str(n).lower() for n in NORMALIZATIONS]
    inspect.add_argument("--normalize", choices=normalizations, default="minmax")
    inspect.add_argument("--on-error", choices=("raise", "skip"), default="skip")
    inspect.add_argument("--threads", type=int, default=1, help="reading threads (1)")
    inspect.add_argument("--processes", type=int, help="reading processes (default: by size)")
    inspect.set_defaults(run=_run_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 1 an error of ours)."""
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except AstromorphError as err:
        print(f"astromorph-nb: error: {err}", file=sys.stderr)
        return 1
