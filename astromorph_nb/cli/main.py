"""The ``astromorph-nb`` parser and entry point: commands, errors as one line, warnings (cli)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from astromorph_nb import __version__
from astromorph_nb.cli._shared import TABLE_SUFFIXES, fail, is_first_process

# The parser is built without PyTorch: each command imports what it needs when it runs.
from astromorph_nb.cli.data import run_demo, run_inspect, run_sample
from astromorph_nb.cli.sessions import run_embed, run_export, run_info
from astromorph_nb.cli.train import run_train
from astromorph_nb.data.cubes import CUBE_MODES
from astromorph_nb.data.preprocess import NAN_POLICIES, NORMALIZATIONS, RESIZE_MODES
from astromorph_nb.exceptions import AstromorphError, AstromorphWarning


@contextlib.contextmanager
def _warnings_as_lines(*, quiet: bool) -> Iterator[None]:
    """Print our warnings as ``warning: ...`` lines (none at all when ``quiet``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if quiet else "always", AstromorphWarning)
        shown = warnings.showwarning

        def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if issubclass(category, AstromorphWarning):
                print(f"warning: {message}", file=sys.stderr)
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        yield


def _table_path(text: str) -> str:
    if not text.lower().endswith(TABLE_SUFFIXES):
        msg = f"expected a file ending in {', '.join(TABLE_SUFFIXES)}; got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return text


def _add_read_options(command: argparse.ArgumentParser, *, on_error: str) -> None:
    command.add_argument("--hdu", help="HDU index or EXTNAME (default: first with image data)")
    command.add_argument("--image-size", type=int, help="bring all images to this size")
    command.add_argument("--resize-mode", choices=RESIZE_MODES, default="resize")
    command.add_argument("--cube-mode", choices=CUBE_MODES)
    command.add_argument("--nan-policy", choices=NAN_POLICIES, default="mask")
    normalizations = [str(n).lower() for n in NORMALIZATIONS]
    command.add_argument("--normalize", choices=normalizations, default="minmax")
    command.add_argument("--on-error", choices=("raise", "skip"), default=on_error)


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
    demo.set_defaults(run=run_demo)

    sample = commands.add_parser("sample", help="load the bundled Hubble Deep Field sample")
    sample.add_argument("--size", type=int, default=64, help="stamp size in pixels (64)")
    sample.add_argument("--channels", choices=("gray", "rgb"), default="gray")
    sample.add_argument("--write-fits", metavar="DIR", help="also write the stamps as FITS files")
    sample.add_argument("--overwrite", action="store_true", help="replace existing FITS files")
    sample.set_defaults(run=run_sample)

    inspect = commands.add_parser("inspect", help="read FITS files and report what was read")
    inspect.add_argument("source", nargs="+", help="files, folders, glob patterns or file lists")
    _add_read_options(inspect, on_error="skip")
    inspect.add_argument("--threads", type=int, default=1, help="reading threads (1)")
    inspect.add_argument("--processes", type=int, help="reading processes (default: by size)")
    inspect.set_defaults(run=run_inspect)

    train = commands.add_parser(
        "train",
        help="train on FITS images as a TOML file says; write a session folder",
        description="Train BYOL as CONFIG.toml says (our layout or the astromorph seed's "
        "settings file), embed and map the images, and write a session folder for "
        "Session.load. Several GPUs or machines: torchrun --nproc_per_node=N -m "
        "astromorph_nb train CONFIG.toml.",
    )
    train.add_argument("config", help="the TOML configuration file")
    train.add_argument("--output", help="session folder (default: from the config)")
    train.add_argument("--overwrite", action="store_true", help="replace earlier outputs")
    train.set_defaults(run=run_train)

    embed = commands.add_parser(
        "embed",
        help="recompute a session's embeddings, or embed new FITS images with its model",
        description="Without --data: recompute the embeddings (and map, scores, clusters) "
        "with the session's model and save them into the session, or write them to "
        "--output. With --data: embed those FITS images, read with the options below (use "
        "those the training images were read with; the size defaults to theirs), place them "
        "in the session's map, and write a table to --output.",
    )
    embed.add_argument("session", help="a session folder (from train or Session.save)")
    embed.add_argument("--data", nargs="+", help="new FITS files, folders, globs or lists")
    embed.add_argument("--output", type=_table_path, help="write a table here instead")
    embed.add_argument("--embeddings-only", action="store_true", help="skip map and scores")
    embed.add_argument("--batch-size", type=int, default=512, help="images per pass (512)")
    embed.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    embed.add_argument("--overwrite", action="store_true", help="replace an existing table")
    _add_read_options(embed, on_error="raise")
    embed.set_defaults(run=run_embed)

    export = commands.add_parser("export", help="write a session's results table")
    export.add_argument("session", help="a session folder")
    export.add_argument("output", type=_table_path, help="OUT.csv, .ecsv, .fits or .parquet")
    export.add_argument("--overwrite", action="store_true", help="replace an existing file")
    export.set_defaults(run=run_export)

    info = commands.add_parser("info", help="summarise a saved session")
    info.add_argument("session", help="a session folder")
    info.set_defaults(run=run_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 1 an error of ours)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "embed" and args.data and not args.output:
        parser.error("embed --data writes a table: give --output OUT.csv (or .ecsv, .fits)")
    with _warnings_as_lines(quiet=not is_first_process()):
        try:
            return int(args.run(args))
        except AstromorphError as err:
            return fail(err)
