"""``astromorph-nb train``: read, train (also under torchrun), analyse, write the session (cli)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The parser is built without PyTorch: each command imports what it needs when it runs.
from astromorph_nb.cli._shared import analyse, fail, in_process_group
from astromorph_nb.exceptions import (
    AstromorphError,
    AstromorphWarning,
)

if TYPE_CHECKING:
    from astromorph_nb.cli.config import RunConfig
    from astromorph_nb.train.distributed import DistributedContext
    from astromorph_nb.train.termination import StopOnTermination


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


def run_train(args: argparse.Namespace) -> int:
    """Train from a configuration file (also under torchrun) and write the session."""
    from astromorph_nb.cli.config import load_run_config

    try:
        config = load_run_config(args.config)
    except ValueError as err:
        return fail(err)
    if args.output:
        config = dataclasses.replace(config, output=Path(args.output).expanduser())
    return in_process_group(config.training.device, _train, config, args.overwrite)


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
                return fail(err)
    problem: Exception | None = None
    if is_main:
        try:
            _check_outputs(config, overwrite=overwrite)
        except (AstromorphError, ValueError, ImportError) as err:  # also unwritable formats
            problem = err
    if context is not None and not all_ranks_agree(problem is None, context):
        return fail(problem) if problem is not None else 1  # rank 0 says why
    if problem is not None:
        return fail(problem)
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
    from astromorph_nb.cli.config import build_session
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
        analyse(session)
    folder = session.save(config.output, overwrite=overwrite)
    written = [session.export(path, overwrite=overwrite) for path in config.export_paths()]
    loss = session.latest_loss
    print(f"Trained {session.step} steps in {seconds:.0f} s ({reason}); last loss {loss:.4f}.")
    print(f"Saved the session to {str(folder)!r}: open it with Session.load({str(folder)!r}).")
    for path in written:
        print(f"Wrote {str(path)!r}.")
    return 0
