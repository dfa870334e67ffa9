"""Training throughput of our BYOL against byol-pytorch and lightly, measured side by side.

Same encoder (torchvision ResNet18 cut after layer2, one input channel), same 64×64 images,
same batch size, the same family of augmentations (flips, rotations, blur), interleaved
repeats, medians. Also timed bare: the encoder work one BYOL step must do (online
forward+backward and target forward of both views, 2B images each, no augmentation, no
heads), and the encoder's FLOPs per image against this machine's float32 matmul peak.

Peers as their users run them: byol-pytorch augments the whole batch with one set of random
parameters (torchvision transforms on a batch tensor); lightly augments image by image on
the CPU (its transforms run per item in a DataLoader; here in the same process).

Then the default model: its speed in both memory layouts, and in a background thread (as
``Session.train`` runs it) against the calling thread.

Usage: ``python benchmarks/bench_train.py [--batch-size 64] [--steps 10] [--repeats 5]``
(needs ``pip install -e ".[bench]"``). On a GPU machine add ``--device cuda``.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
import torchvision.transforms.v2 as T
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from astromorph_nb import datasets
from astromorph_nb.augment import default_augmentations
from astromorph_nb.model import BYOL, build_encoder
from astromorph_nb.train import Trainer

ENCODER = "resnet18-layer2"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def peer_augmentations() -> nn.Module:
    return T.Compose(
        [
            T.RandomHorizontalFlip(),
            T.RandomVerticalFlip(),
            T.RandomRotation(180),
            T.GaussianBlur(5, sigma=(0.1, 1.5)),
        ]
    )


class Ours:
    name = "ours"
    precision = "auto"  # float32 on the CPU, bfloat16 autocast on CUDA

    def __init__(self, images, batch_size, device):
        self.images, self.batch_size, self.device = images, batch_size, device
        self.model = BYOL(build_encoder(ENCODER, in_channels=1), projection_hidden_size=1024)

    def run(self, steps: int) -> float:
        subset = self.images[: steps * self.batch_size]
        trainer = Trainer(
            n_epochs=1,
            batch_size=self.batch_size,
            device=self.device.type,
            random_state=0,
            augmentations=default_augmentations(),
            precision=self.precision,
        )
        start = time.perf_counter()
        trainer.fit(self.model, subset)
        sync(self.device)
        return time.perf_counter() - start


class OursBF16(Ours):
    """Ours with bfloat16 autocast on the CPU (fast only on CPUs with AMX; slow elsewhere)."""

    name = "ours, bf16 autocast"
    precision = "bf16"


class LucidrainsBYOL:
    name = "byol-pytorch"

    def __init__(self, images, batch_size, device):
        from byol_pytorch import BYOL as LucidBYOL

        self.images, self.batch_size, self.device = images, batch_size, device
        # byol-pytorch checks itself with a 3-channel dry run, so its encoder takes RGB: the
        # single band is repeated inside the encoder (only the first convolution grows).
        encoder = build_encoder(ENCODER, in_channels=1, stack_to_rgb=True)
        self.learner = LucidBYOL(
            encoder,
            image_size=images.shape[-1],
            hidden_layer=-1,
            projection_size=256,
            projection_hidden_size=1024,
            augment_fn=peer_augmentations(),
        ).to(device)
        self.optimizer = torch.optim.Adam(self.learner.parameters(), lr=3e-4)

    def run(self, steps: int) -> float:
        start = time.perf_counter()
        for step in range(steps):
            batch = self.images[step * self.batch_size : (step + 1) * self.batch_size]
            loss = self.learner(batch.to(self.device))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.learner.update_moving_average()
        sync(self.device)
        return time.perf_counter() - start


class LightlyBYOL:
    name = "lightly"

    def __init__(self, images, batch_size, device):
        from lightly.loss import NegativeCosineSimilarity
        from lightly.models.modules import BYOLPredictionHead, BYOLProjectionHead
        from lightly.models.utils import deactivate_requires_grad

        self.images, self.batch_size, self.device = images, batch_size, device
        self.backbone = build_encoder(ENCODER, in_channels=1)
        n_features = self.backbone.n_features
        self.projection = BYOLProjectionHead(n_features, 1024, 256)
        self.prediction = BYOLPredictionHead(256, 1024, 256)
        self.backbone_momentum = copy.deepcopy(self.backbone)
        self.projection_momentum = copy.deepcopy(self.projection)
        deactivate_requires_grad(self.backbone_momentum)
        deactivate_requires_grad(self.projection_momentum)
        self.modules = nn.ModuleList(
            [
                self.backbone,
                self.projection,
                self.prediction,
                self.backbone_momentum,
                self.projection_momentum,
            ]
        ).to(device)
        self.criterion = NegativeCosineSimilarity()
        params = [*self.backbone.parameters(), *self.projection.parameters()]
        params += [*self.prediction.parameters()]
        self.optimizer = torch.optim.SGD(params, lr=0.06)
        self.transform = peer_augmentations()

    def run(self, steps: int) -> float:
        from lightly.models.utils import update_momentum
        from lightly.utils.scheduler import cosine_schedule

        start = time.perf_counter()
        for step in range(steps):
            batch = self.images[step * self.batch_size : (step + 1) * self.batch_size]
            views = [
                torch.stack([self.transform(image) for image in batch]).to(self.device)
                for _ in range(2)
            ]
            momentum = cosine_schedule(step, steps, 0.996, 1)
            update_momentum(self.backbone, self.backbone_momentum, m=momentum)
            update_momentum(self.projection, self.projection_momentum, m=momentum)
            p0 = self.prediction(self.projection(self.backbone(views[0])))
            z0 = self.projection_momentum(self.backbone_momentum(views[0])).detach()
            p1 = self.prediction(self.projection(self.backbone(views[1])))
            z1 = self.projection_momentum(self.backbone_momentum(views[1])).detach()
            loss = 0.5 * (self.criterion(p0, z1) + self.criterion(p1, z0))
            loss.backward()
            self.optimizer.step()
            self.optimizer.zero_grad()
        sync(self.device)
        return time.perf_counter() - start


class BareEncoderWork:
    """Online forward+backward and target forward of 2B images: BYOL's unavoidable work.

    In the memory layout our Trainer uses (channels-last), so that "ours / bare" measures
    only what BYOL adds: augmentation, heads, loss, optimiser and EMA.
    """

    name = "bare encoder work"
    memory_format = torch.channels_last

    def __init__(self, images, batch_size, device):
        self.images, self.batch_size, self.device = images, batch_size, device
        self.online = build_encoder(ENCODER, in_channels=1).to(
            device, memory_format=self.memory_format
        )
        self.target = copy.deepcopy(self.online).requires_grad_(False)

    def run(self, steps: int) -> float:
        start = time.perf_counter()
        for step in range(steps):
            batch = self.images[step * self.batch_size : (step + 1) * self.batch_size]
            views = torch.cat([batch, batch]).to(self.device)
            views = views.contiguous(memory_format=self.memory_format)
            self.online(views).sum().backward()
            with torch.no_grad():
                self.target(views)
        sync(self.device)
        return time.perf_counter() - start


class BareEncoderWorkNCHW(BareEncoderWork):
    """The same work in PyTorch's default layout, as the peers run it."""

    name = "bare, default layout"
    memory_format = torch.contiguous_format


def matmul_peak_gflops(device: torch.device, size: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    a @ b
    sync(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def encoder_gflop_per_image(batch_size: int, size: int) -> float:
    encoder = build_encoder(ENCODER, in_channels=1)
    images = torch.rand(batch_size, 1, size, size)
    with FlopCounterMode(display=False) as counter:
        encoder(images).sum().backward()
    return counter.get_total_flops() / batch_size / 1e9


def default_model_layouts(device: torch.device, repeats: int, steps: int = 8) -> dict[str, float]:
    """Images/s of the default model (``Session``'s) through ``Trainer.fit`` in each layout."""
    from astromorph_nb.model.defaults import default_model

    images = datasets.synthetic(n_per_class=200, image_size=64, random_state=0).images
    images = images[: steps * 128]
    model = default_model(in_channels=1)

    def run(memory_format: str) -> float:
        trainer = Trainer(
            n_epochs=1,
            batch_size=128,
            device=device.type,
            random_state=0,
            memory_format=memory_format,
        )
        start = time.perf_counter()
        trainer.fit(model, images)
        sync(device)
        return len(images) / (time.perf_counter() - start)

    layouts = ("channels_last", "contiguous")
    for layout in layouts:
        run(layout)
    rates: dict[str, list[float]] = {layout: [] for layout in layouts}
    for _ in range(repeats):
        for layout in layouts:
            rates[layout].append(run(layout))
    return {layout: statistics.median(values) for layout, values in rates.items()}


def background_rates(repeats: int, seconds: float = 6.0) -> dict[str, float]:
    """Images/s of the default model on the Hubble stamps: ``Trainer.fit`` in this thread,
    ``Session.train`` (a background thread, as in notebooks), and the same without freeing
    this thread's idle OpenMP workers first (see ``train/_openmp.py``)."""
    import astromorph_nb as amn
    import astromorph_nb.train.background as background
    from astromorph_nb.model.defaults import default_model

    stamps = amn.datasets.hubble_deep_field()
    release = background.release_idle_openmp_threads

    def in_this_thread() -> float:
        trainer = Trainer(max_time_s=seconds, n_epochs=10**6, device="cpu", random_state=0)
        start = time.perf_counter()
        trainer.fit(default_model(1), stamps.images)
        return trainer.step * 128 / (time.perf_counter() - start)

    def in_session(free_workers: bool) -> float:
        background.release_idle_openmp_threads = release if free_workers else lambda: False
        try:
            session = amn.Session(stamps, device="cpu")
            start = time.perf_counter()
            session.train(max_time_s=seconds).wait()
            return session.step * 128 / (time.perf_counter() - start)
        finally:
            background.release_idle_openmp_threads = release

    runs = {
        "Trainer.fit, this thread": in_this_thread,
        "Session.train, background": lambda: in_session(True),
        "Session.train, background, workers not freed": lambda: in_session(False),
    }
    for run in runs.values():
        run()
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            rates[name].append(run())
    return {name: statistics.median(values) for name, values in rates.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10, help="steps per timed run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--peers", default="byol-pytorch,lightly")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    torch.manual_seed(0)

    n_images = args.batch_size * args.steps
    images = datasets.synthetic(n_per_class=-(-n_images // 7), image_size=64, random_state=0)
    images = images.images[:n_images]
    runners = [Ours, BareEncoderWork, BareEncoderWorkNCHW]
    if device.type == "cpu":  # on CUDA "ours" already uses bfloat16
        runners.append(OursBF16)
    peers = {"byol-pytorch": LucidrainsBYOL, "lightly": LightlyBYOL}
    runners += [peers[name] for name in args.peers.split(",") if name]
    methods = [runner(images, args.batch_size, device) for runner in runners]
    for method in methods:  # warm-up: allocations, thread pools, one-off initialisation
        method.run(2)
    rates: dict[str, list[float]] = {method.name: [] for method in methods}
    for _ in range(args.repeats):
        for method in methods:
            rates[method.name].append(n_images / method.run(args.steps))

    medians = {name: statistics.median(values) for name, values in rates.items()}
    gflop = encoder_gflop_per_image(args.batch_size, 64)
    peak = matmul_peak_gflops(device)
    # One BYOL step: online fwd+bwd (≈3× forward) and target fwd of 2 views → per image ≈
    # 2 × (fwd+bwd) + 2 × fwd, i.e. 2·gflop + 2·gflop/3.
    step_gflop = 2 * gflop + 2 * gflop / 3
    print(
        f"\n{ENCODER}, 64×64, 1 channel, batch {args.batch_size}, device {device}, "
        f"{torch.get_num_threads()} threads; {args.repeats} interleaved repeats of "
        f"{args.steps} steps (median images/s)"
    )
    print(f"encoder forward+backward: {gflop:.3f} GFLOP per image; matmul peak {peak:.0f} GFLOP/s")
    fastest_peer = max((medians[m.name] for m in methods if m.name in peers), default=None)
    print(f"{'method':<20}{'img/s':>9}{'vs faster peer':>16}{'% of fp32 peak':>16}")
    for name, value in medians.items():
        ratio = f"{value / fastest_peer:.2f}" if fastest_peer else "-"
        share = 100 * value * step_gflop / peak
        print(f"{name:<20}{value:>9.1f}{ratio:>16}{share:>15.0f}%")
    print(
        f"\nBYOL step time / bare encoder work: "
        f"{medians['bare encoder work'] / medians['ours']:.3f} (target <= 1.1)"
    )
    layouts = default_model_layouts(device, args.repeats)
    print(
        "\ndefault model (SmallCNN width 16 at 32 px, batch 128) through Trainer.fit: "
        f"channels-last {layouts['channels_last']:.0f} img/s, default layout "
        f"{layouts['contiguous']:.0f} img/s "
        f"({layouts['channels_last'] / layouts['contiguous']:.2f}×)"
    )
    if device.type == "cpu":
        print("\ndefault model on the 285 Hubble stamps (6 s runs, median images/s):")
        for name, rate in background_rates(args.repeats).items():
            print(f"  {name:<46}{rate:>7.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
