"""What several commands of ``astromorph-nb`` share: summaries, processes, read options (cli)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

# The parser is built without PyTorch: each command imports what it needs when it runs.

if TYPE_CHECKING:
    from astromorph_nb.data.imageset import ImageSet
    from astromorph_nb.session import Session


#: File endings the results table may be written as.
TABLE_SUFFIXES = (".csv", ".ecsv", ".fits", ".parquet")
#: From this many images on, the t-SNE map is computed with all CPU cores.
_TSNE_THREADS_MIN_IMAGES = 5000


def summary(images: ImageSet, title: str) -> str:
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


def is_first_process() -> bool:
    """Return False on every torchrun process but rank 0 (which alone prints and writes)."""
    return os.environ.get("RANK", "0") == "0"


def in_process_group(device: str, command: Any, *args: Any) -> int:
    """Run ``command(context, *args)`` in torchrun's process group (None for one process).

    A malformed torchrun environment or a device that cannot be shared (MPS) is reported
    as an error of ours.
    """
    from astromorph_nb.train.distributed import init_distributed, shutdown_distributed

    try:
        context = init_distributed(device)
    except ValueError as err:
        return fail(err)
    try:
        status = int(command(context, *args))
    except BaseException:
        shutdown_distributed()  # no barrier: the other ranks may never reach theirs
        raise
    # After a normal end, every rank leaves together, so none closes its connections while
    # rank 0 still saves (see shutdown_distributed).
    shutdown_distributed(synchronize=status == 0)
    return status


def analyse(session: Session) -> None:
    """Map, anomaly scores and clusters from the embeddings (as Session.analyse, no embed)."""
    n_images = session.n_images
    # openTSNE's threads pay off only for large maps; on small ones they mostly wait.
    n_jobs = 1 if n_images < _TSNE_THREADS_MIN_IMAGES else -1
    perplexity = min(30.0, max(2.0, (n_images - 1) / 3.0))
    session.fit_tsne(perplexity=perplexity, n_jobs=n_jobs)
    session.score_anomalies()
    session.cluster(min(8, n_images))


def read_options(args: argparse.Namespace, image_size: Any) -> dict[str, Any]:
    """Return the ``read_fits`` keywords of the reading options (``image_size`` if none given)."""
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


def fail(err: BaseException) -> int:
    print(f"astromorph-nb: error: {err}", file=sys.stderr)
    return 1
