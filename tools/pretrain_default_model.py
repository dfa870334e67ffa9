"""Train the weights shipped as the default model's starting point, and write them.

What the weights saw, and nothing else: ``datasets.synthetic(n_per_class=600,
random_state=20261127)`` (4,200 generated 64×64 images of 7 morphologies with random PSF and
noise; labels unused) and the 285 ``datasets.hubble_deep_field()`` stamps, trained with BYOL
(no labels) using ``model.defaults.default_model(in_channels=1)`` and the default Trainer for
``--minutes`` of CPU time. The benchmarks evaluate on ``synthetic(random_state=0..2)``, which
comes from the same generator but different random draws.

Usage: ``python tools/pretrain_default_model.py [--minutes 15]``; writes
``astromorph_nb/io/weights/default_1ch.pt`` (a plain state dict).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from astromorph_nb import datasets
from astromorph_nb.io.checkpoints import save_checkpoint
from astromorph_nb.model.defaults import default_model
from astromorph_nb.train import ConsoleProgress, Trainer

TARGET = Path(__file__).resolve().parents[1] / "astromorph_nb" / "io" / "weights" / "default_1ch.pt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    args = parser.parse_args(argv)
    torch.manual_seed(20261127)
    generated = datasets.synthetic(n_per_class=600, image_size=64, random_state=20261127)
    real = datasets.hubble_deep_field(size=64)
    images = torch.cat([generated.images, real.images])
    model = default_model(in_channels=1)
    trainer = Trainer(
        max_time_s=60 * args.minutes,
        n_epochs=100_000,
        random_state=20261127,
        device="cpu",
        callbacks=[ConsoleProgress(description="Pre-training")],
    )
    trainer.fit(model, images)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    save_checkpoint(
        {
            "model": state,
            "steps": trainer.step,
            "seen": "synthetic(n_per_class=600, random_state=20261127) + hubble_deep_field()",
        },
        TARGET,
    )
    print(f"{trainer.step} steps; wrote {TARGET} ({TARGET.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
