"""``astromorph-nb embed``, ``export`` and ``info``: work on a saved session folder (cli)."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

# The parser is built without PyTorch: each command imports what it needs when it runs.
from astromorph_nb.cli._shared import analyse, in_process_group, read_options
from astromorph_nb.exceptions import (
    InvalidImageError,
    NotReadyError,
)

if TYPE_CHECKING:
    from astromorph_nb.session import Session
    from astromorph_nb.train.distributed import DistributedContext


def run_embed(args: argparse.Namespace) -> int:
    """Embed a saved session's images again, or new FITS files, with its model."""
    return in_process_group(args.device, _embed, args)


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
        analyse(session)
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
    options = read_options(args, image_size)
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


def run_export(args: argparse.Namespace) -> int:
    """Write a saved session's results table."""
    from astromorph_nb.session import Session

    session = Session.load(args.session)
    print(f"Wrote {str(session.export(args.output, overwrite=args.overwrite))!r}.")
    return 0


def _result(session: Session, name: str) -> Any:
    try:
        return getattr(session, name)
    except NotReadyError:
        return None


def run_info(args: argparse.Namespace) -> int:
    """Summarise a saved session."""
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
