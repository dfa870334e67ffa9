"""Make the small saved session that examples/05_companion_paper.ipynb opens.

Usage (from the repository root)::

    python tools/make_example_session.py            # about 2 minutes on a laptop CPU

It trains BYOL on the bundled Hubble XDF stamps for ``--minutes``, runs every analysis step
(embeddings, t-SNE map, anomaly scores, clusters) and saves the session without its images
(the thumbnails stay, so the explorer works) to ``examples/data/xdf_session/``, which must
stay under 5 MB so Binder and the repository stay light.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import astromorph_nb as amn

MAX_BYTES = 5 * 1024 * 1024
DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "examples" / "data" / "xdf_session"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--minutes", type=float, default=2.0)
    args = parser.parse_args(argv)

    images = amn.datasets.hubble_deep_field()
    session = amn.Session(images, random_state=0, device="cpu")
    session.train(n_epochs=100_000, max_time_s=60.0 * args.minutes).wait()
    session.analyse(n_clusters=6)
    session.save(args.output, overwrite=True, include_images=False)
    size = folder_size(args.output)
    print(f"{session!r}\nsaved to {args.output} ({size / 1e6:.2f} MB)")
    if size > MAX_BYTES:
        print(f"too large: {size} bytes > {MAX_BYTES}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
