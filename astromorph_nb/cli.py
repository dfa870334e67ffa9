"""The ``astromorph-nb`` command line (cli layer).

``astromorph-nb train CONFIG.toml`` reads FITS images, trains BYOL, embeds the images,
maps them and writes a session folder that ``astromorph_nb.Session.load`` opens in a
notebook; the configuration is our TOML layout or the astromorph seed's settings file (see
:mod:`astromorph_nb.run_config`). Under ``torchrun`` the same command trains on several
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

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from astromorph_nb import __version__
from astromorph_nb.data.cubes import CUBE_MODES
from astromorph_nb.data.preprocess import NAN_POLICIES, NORMALIZATIONS, RESIZE_MODES
from astromorph_nb.exceptions import (
    AstromorphError,
    AstromorphWarning,
    InvalidImageError,
    NotReadyError,
)

# The parser is built without PyTorch: each command imports what it needs when it runs.
if TYPE_CHECKING:
    from astromorph_nb.data.imageset import ImageSet
    from astromorph_nb.run_config import RunConfig
    from astromorph_nb.session import Session
    from astromorph_nb.train.distributed import DistributedContext
    from astromorph_nb.train.termination import StopOnTermination

__all__ = ["main"]

#: File endings the results table may be written as.
TABLE_SUFFIXES = (".csv", ".ecsv", ".fits", ".parquet")
#: From this many images on, the t-SNE map is computed with all CPU cores.
_TSNE_THREADS_MIN_IMAGES = 5000


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
    from astromorph_nb.datasets import hubble_deep_field

    images = hubble_deep_field(size=args.size, channels=args.channels)
    title = (
        "Hubble eXtreme Deep Field sample (real HST data shipped inside scikit-image; "
        "galaxies detected and cut on the fly, no download)"
    )
    print(_summary(images, title))
    flux = np.asarray(images.meta["flux"], dtype=float)
    print(f"  source flux: {flux.min():.3g} .. {flux.max():.3g} (background-subtracted, gray)")
    if args.write_fits:
        from astromorph_nb.io.fits.writer import write_fits

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
    from astromorph_nb.io.fits.reader import read_fits

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


def _fail(err: BaseException) -> int:
    print(f"astromorph-nb: error: {err}", file=sys.stderr)
    return 1


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


def _is_first_process() -> bool:
    """Return False on every torchrun process but rank 0 (which alone prints and writes)."""
    return os.environ.get("RANK", "0") == "0"


def _in_process_group(device: str, command: Any, *args: Any) -> int:
    """Run ``command(context, *args)`` in torchrun's process group (None for one process).

    A malformed torchrun environment or a device that cannot be shared (MPS) is reported
    as an error of ours.
    """
    from astromorph_nb.train.distributed import init_distributed, shutdown_distributed

    try:
        context = init_distributed(device)
    except ValueError as err:
        return _fail(err)
    try:
        status = int(command(context, *args))
    except BaseException:
        shutdown_distributed()  # no barrier: the other ranks may never reach theirs
        raise
    # After a normal end, every rank leaves together, so none closes its connections while
    # rank 0 still saves (see shutdown_distributed).
    shutdown_distributed(synchronize=status == 0)
    return status


def _analyse(session: Session) -> None:
    """Map, anomaly scores and clusters from the embeddings (as Session.analyse, no embed)."""
    n_images = session.n_images
    # openTSNE's threads pay off only for large maps; on small ones they mostly wait.
    n_jobs = 1 if n_images < _TSNE_THREADS_MIN_IMAGES else -1
    perplexity = min(30.0, max(2.0, (n_images - 1) / 3.0))
    session.fit_tsne(perplexity=perplexity, n_jobs=n_jobs)
    session.score_anomalies()
    session.cluster(min(8, n_images))


def _check_outputs(config: RunConfig, *, overwrite: bool) -> None:
    """Refuse now, before training, every output that could not be written after it."""
    from astromorph_nb.exceptions import OutputExistsError
    from astromorph_nb.io.export import output_checks
    from astromorph_nb.io.store.session_folder import check_session_target

    checkpoint = [config.checkpoint_path] if config.checkpoint_every_epochs else []
    existing = [p for p in (config.output, *config.export_paths(), *checkpoint) if p.exists()]
    if existing and not overwrite:
        msg = (
            f"The output {str(existing[0])!r} exists already. Pass --overwrite to replace "
            "it, or choose another folder with --output."
        )
        raise OutputExistsError(msg)
    try:
        check_session_target(config.output, overwrite=overwrite)
    except OutputExistsError as err:
        msg = f"{err} Nothing was trained: choose another session folder with --output."
        raise OutputExistsError(msg) from err
    output_checks.check_writable_parent(config.output)
    for path in config.export_paths():
        output_checks.check_table_target(path, overwrite=overwrite)
    for path in checkpoint:
        output_checks.check_file_target(path, overwrite=overwrite)


def _run_train(args: argparse.Namespace) -> int:
    from astromorph_nb.run_config import load_run_config

    try:
        config = load_run_config(args.config)
    except ValueError as err:
        return _fail(err)
    if args.output:
        config = dataclasses.replace(config, output=Path(args.output).expanduser())
    return _in_process_group(config.training.device, _train, config, args.overwrite)


def _train(context: DistributedContext | None, config: RunConfig, overwrite: bool) -> int:
    import torch

    from astromorph_nb.io.fits.run_cache import run_cache
    from astromorph_nb.train.distributed import all_ranks_agree, check_batch_size
    from astromorph_nb.train.termination import StopOnTermination

    is_main = context is None or context.is_main
    if context is not None:  # refuse a batch too small to share before reading anything
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstromorphWarning)  # the trainer warns itself
            try:
                check_batch_size(config.training.batch_size, context)
            except ValueError as err:
                return _fail(err)
    problem: Exception | None = None
    if is_main:
        try:
            _check_outputs(config, overwrite=overwrite)
        except (AstromorphError, ValueError, ImportError) as err:  # also unwritable formats
            problem = err
    if context is not None and not all_ranks_agree(problem is None, context):
        return _fail(problem) if problem is not None else 1  # rank 0 says why
    if problem is not None:
        return _fail(problem)
    if config.n_cpu_threads:
        torch.set_num_threads(config.n_cpu_threads)
    # Images streamed to cache_dir go to a folder of this run's own, deleted when it ends;
    # SIGTERM (a batch system's time limit) stops training and saves, like Ctrl-C.
    cache = run_cache(config.read_options.get("cache_dir"))
    with StopOnTermination() as termination, cache as cache_dir:
        if cache_dir is not None:
            options = {**config.read_options, "cache_dir": cache_dir}
            config = dataclasses.replace(config, read_options=options)
        return _train_session(context, config, overwrite, termination)


def _train_session(
    context: DistributedContext | None,
    config: RunConfig,
    overwrite: bool,
    termination: StopOnTermination,
) -> int:
    from astromorph_nb.run_config import build_session
    from astromorph_nb.train.callbacks import CheckpointEvery, ConsoleProgress
    from astromorph_nb.train.distributed import convert_batchnorm

    is_main = context is None or context.is_main
    session = build_session(config, progress=None if is_main else False)
    if termination.requested:  # ended while reading: there is nothing to save yet
        print("astromorph-nb: ended by SIGTERM before training; nothing saved.", file=sys.stderr)
        return 128 + 15
    if context is not None and config.sync_batchnorm == "all":
        device = "cuda" if context.backend == "nccl" else "cpu"
        for encoder in (session.model.encoder, session.model.target_encoder):
            convert_batchnorm(encoder, device)
    callbacks: list[Any] = []
    if is_main:
        n, c, ny, nx = session.images.shape
        processes = "" if context is None else f" on {context.world_size} processes"
        print(f"Read {n} images of {c}×{ny}×{nx} (channels×ny×nx); training{processes}.")
        callbacks.append(ConsoleProgress(description="BYOL"))
        if config.checkpoint_every_epochs:
            every = config.checkpoint_every_epochs
            callbacks.append(CheckpointEvery(config.checkpoint_path, n_epochs=every))
    started = time.monotonic()
    job = session.train(callbacks=callbacks, **config.training_options())
    termination.watch(job)
    try:
        reason = job.wait()
    except KeyboardInterrupt:  # Ctrl-C: stop after this step, then save as usual
        if is_main:
            print("Stopping after the current step; the session is saved.", file=sys.stderr)
        job.stop()
        reason = job.wait()
    if termination.requested and is_main:
        print("Stopped by SIGTERM after the current step; the session is saved.", file=sys.stderr)
    seconds = time.monotonic() - started
    session.embed()  # on every process: each embeds its share of the images
    if not is_main:
        return 0
    if config.analyse:
        _analyse(session)
    folder = session.save(config.output, overwrite=overwrite)
    written = [session.export(path, overwrite=overwrite) for path in config.export_paths()]
    loss = session.latest_loss
    print(f"Trained {session.step} steps in {seconds:.0f} s ({reason}); last loss {loss:.4f}.")
    print(f"Saved the session to {str(folder)!r}: open it with Session.load({str(folder)!r}).")
    for path in written:
        print(f"Wrote {str(path)!r}.")
    return 0


def _read_options(args: argparse.Namespace, image_size: Any) -> dict[str, Any]:
    hdu: int | str | None = args.hdu
    if isinstance(hdu, str) and hdu.isdigit():
        hdu = int(hdu)
    return {
        "hdu": hdu,
        "image_size": args.image_size if args.image_size is not None else image_size,
        "resize_mode": args.resize_mode,
        "cube_mode": args.cube_mode,
        "nan_policy": args.nan_policy,
        "normalize": None if args.normalize == "none" else args.normalize,
        "on_error": args.on_error,
    }


def _run_embed(args: argparse.Namespace) -> int:
    return _in_process_group(args.device, _embed, args)


def _embed(context: DistributedContext | None, args: argparse.Namespace) -> int:
    from astromorph_nb.session import Session

    is_main = context is None or context.is_main
    session = Session.load(args.session, device=args.device)
    if args.data:
        return _embed_new(session, args, is_main=is_main)
    session.embed(batch_size=args.batch_size)  # on every process, each its share
    if not is_main:
        return 0
    if not args.embeddings_only:
        _analyse(session)
    if args.output:
        print(f"Wrote {str(session.export(args.output, overwrite=args.overwrite))!r}.")
    else:
        session.save(args.session, overwrite=True)
        print(f"Updated the embeddings in {args.session!r}.")
    return 0


def _embed_new(session: Session, args: argparse.Namespace, *, is_main: bool) -> int:
    from astromorph_nb.io.export.tables import write_table
    from astromorph_nb.io.fits.reader import read_fits
    from astromorph_nb.session import Session

    try:
        image_size: Any = tuple(session.images.shape[2:])
    except NotReadyError:  # saved without images: read the new ones at their own size
        image_size = None
    options = _read_options(args, image_size)
    images = read_fits(args.data, progress=None if is_main else False, **options)
    if len(images) < 2:
        msg = (
            f"Only {len(images)} image was read from --data; embedding new images needs at "
            "least 2 (the smallest session). Add another file."
        )
        raise InvalidImageError(msg)
    new = Session(images, model=session.model, device=args.device)
    new.embed(batch_size=args.batch_size)  # on every process, each its share
    table = new.to_table()
    if _result(session, "tsne_coordinates") is not None:
        coordinates = session.place(images)  # into the session's map; shared like embed
        table["tsne_x"], table["tsne_y"] = coordinates[:, 0], coordinates[:, 1]
    if is_main:
        path = write_table(table, args.output, overwrite=args.overwrite)
        print(f"Embedded {len(images)} new images; wrote {str(path)!r}.")
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from astromorph_nb.session import Session

    session = Session.load(args.session)
    print(f"Wrote {str(session.export(args.output, overwrite=args.overwrite))!r}.")
    return 0


def _result(session: Session, name: str) -> Any:
    try:
        return getattr(session, name)
    except NotReadyError:
        return None


def _run_info(args: argparse.Namespace) -> int:
    from astromorph_nb.session import Session

    session = Session.load(args.session)
    images = _result(session, "images")
    model = session.model
    n_weights = sum(p.numel() for p in model.parameters() if p.requires_grad)
    lines = [
        f"Session in {args.session!r}",
        f"  {session!r}",
        f"  images     : {session.n_images}"
        + (" (stored)" if images is not None else " (not stored: embed --data needs files)"),
        f"  model      : {model.n_features} features per image, {n_weights:,} trained weights",
    ]
    loss = session.latest_loss
    lines.append(
        f"  training   : {session.step} steps, status {session.status!r}"
        + ("" if math.isnan(loss) else f", latest loss {loss:.4f}")
    )
    config = session.config
    if config is not None:
        lines.append(
            f"  last run   : {config.n_epochs} epochs, batch {config.batch_size}, "
            f"{config.optimizer} at {config.learning_rate:g}, seed {config.random_state}"
        )
    results = []
    embeddings = _result(session, "embeddings")
    if embeddings is not None:
        results.append(f"embeddings {embeddings.shape[0]}×{embeddings.shape[1]}")
    for name, label in (
        ("tsne_coordinates", "t-SNE map"),
        ("anomaly_scores", "anomaly scores"),
        ("cluster_labels", "clusters"),
    ):
        if _result(session, name) is not None:
            results.append(label)
    lines.append(f"  results    : {', '.join(results) or 'none yet (run embed)'}")
    lines.append(f"  metadata   : {', '.join(session.meta.colnames) or '(none)'}")
    print("\n".join(lines))
    return 0


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
    demo.set_defaults(run=_run_demo)

    sample = commands.add_parser("sample", help="load the bundled Hubble Deep Field sample")
    sample.add_argument("--size", type=int, default=64, help="stamp size in pixels (64)")
    sample.add_argument("--channels", choices=("gray", "rgb"), default="gray")
    sample.add_argument("--write-fits", metavar="DIR", help="also write the stamps as FITS files")
    sample.add_argument("--overwrite", action="store_true", help="replace existing FITS files")
    sample.set_defaults(run=_run_sample)

    inspect = commands.add_parser("inspect", help="read FITS files and report what was read")
    inspect.add_argument("source", nargs="+", help="files, folders, glob patterns or file lists")
    _add_read_options(inspect, on_error="skip")
    inspect.add_argument("--threads", type=int, default=1, help="reading threads (1)")
    inspect.add_argument("--processes", type=int, help="reading processes (default: by size)")
    inspect.set_defaults(run=_run_inspect)

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
    train.set_defaults(run=_run_train)

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
    embed.set_defaults(run=_run_embed)

    export = commands.add_parser("export", help="write a session's results table")
    export.add_argument("session", help="a session folder")
    export.add_argument("output", type=_table_path, help="OUT.csv, .ecsv, .fits or .parquet")
    export.add_argument("--overwrite", action="store_true", help="replace an existing file")
    export.set_defaults(run=_run_export)

    info = commands.add_parser("info", help="summarise a saved session")
    info.add_argument("session", help="a session folder")
    info.set_defaults(run=_run_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 1 an error of ours)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "embed" and args.data and not args.output:
        parser.error("embed --data writes a table: give --output OUT.csv (or .ecsv, .fits)")
    with _warnings_as_lines(quiet=not _is_first_process()):
        try:
            return int(args.run(args))
        except AstromorphError as err:
            return _fail(err)
