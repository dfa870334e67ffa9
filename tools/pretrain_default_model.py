"""Train the weights shipped as the default model's starting point, and write them.

What the weights see, and nothing else (labels unused): for each family in ``--families``,
``--n-per-class`` generated 64×64 images drawn with the seed ``20261127`` (other draws than
the benchmarks', which use seeds 0-2): ``synthetic`` (7 galaxy morphologies), ``disks``
(``datasets.protoplanetary_disks``, 7 ALMA-like disk classes) and ``clouds``
(``datasets.dark_clouds``, 6 column-density structures), plus the 285
``datasets.hubble_deep_field()`` stamps unless ``--no-hubble``. BYOL trains
``model.defaults.default_model(in_channels=1)`` with the default Trainer settings for
``--minutes`` (or ``--steps``), seeded, on ``--device``. The file records the families, the
image counts, the steps and the settings, so ``io.pretrained`` can say what the weights saw.

``--exclude FAMILY`` leaves a family out, for leave-one-family-out benchmarks::

    python tools/pretrain_default_model.py --minutes 20            # the shipped weights
    python tools/pretrain_default_model.py --exclude disks --output /tmp/no_disks.pt
    python benchmarks/bench_quality.py --family disks --weights /tmp/no_disks.pt

Writes ``astromorph_nb/io/store/weights/default_1ch.pt`` by default (a plain state dict plus
plain-Python provenance; loaded with ``weights_only=True``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from astromorph_nb import datasets
from astromorph_nb.io.store.checkpoints import save_checkpoint
from astromorph_nb.model.defaults import default_model
from astromorph_nb.train import ConsoleProgress, Trainer

TARGET = (
    Path(__file__).resolve().parents[1]
    / "astromorph_nb"
    / "io"
    / "store"
    / "weights"
    / "default_1ch.pt"
)
SEED = 20261127
FAMILIES = {
    "synthetic": "synthetic",
    "disks": "protoplanetary_disks",
    "clouds": "dark_clouds",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--steps", type=int, default=None, help="instead of --minutes")
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--exclude", default="", help="families to leave out, comma-separated")
    parser.add_argument("--n-per-class", type=int, default=600)
    parser.add_argument("--no-hubble", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    excluded = {name for name in args.exclude.split(",") if name}
    families = [name for name in args.families.split(",") if name not in excluded]
    unknown = sorted((set(families) | excluded) - set(FAMILIES))
    if unknown:
        parser.error(f"unknown families {unknown}; choose from {sorted(FAMILIES)}")

    torch.manual_seed(SEED)
    parts, seen = [], []
    for name in families:
        images = getattr(datasets, FAMILIES[name])(n_per_class=args.n_per_class, random_state=SEED)
        parts.append(images.images)
        seen.append(f"{FAMILIES[name]}(n_per_class={args.n_per_class}, random_state={SEED})")
    if not args.no_hubble:
        parts.append(datasets.hubble_deep_field(size=64).images)
        seen.append("hubble_deep_field()")
    images = torch.cat(parts)
    print(f"Pre-training on {len(images)} images: {' + '.join(seen)}", flush=True)
    model = default_model(in_channels=1)
    budget = {"n_epochs": 100_000, "max_time_s": 60 * args.minutes}
    if args.steps is not None:
        budget = {"n_epochs": -(-args.steps // (len(images) // 128))}
    trainer = Trainer(
        **budget,
        random_state=SEED,
        device=args.device,
        callbacks=[ConsoleProgress(description="Pre-training")],
    )
    trainer.fit(model, images)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    save_checkpoint(
        {
            "model": state,
            "steps": trainer.step,
            "n_images": len(images),
            "seen": " + ".join(seen),
            "config": trainer.config.to_dict(),
        },
        args.output,
    )
    size = args.output.stat().st_size / 1e6
    print(f"{trainer.step} steps; wrote {args.output} ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
