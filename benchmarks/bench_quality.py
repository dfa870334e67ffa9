"""Learning curves: embedding quality against wall-clock training time, with baselines.

For one family of labelled images (``--family``: ``synthetic``, ``disks``, ``clouds``), our
default model trains for the largest of ``--times`` seconds on this machine (2 CPU cores,
or ``--device cuda``), once per seed in ``--seeds``, from the shipped weights
(``pretrained``, or ``--weights FILE``, e.g. weights pretrained without this family) and/or
from scratch (``scratch``). The model is copied when the clock passes each of ``--times``
(the time spent copying is not counted), and every copy is scored afterwards with the
labels it never saw: kNN accuracy (k=10, cosine, 5-fold) and a linear probe (logistic
regression, 5-fold), from ``analysis.evaluate_embeddings``. The points of one curve are
snapshots of one run, whose learning rate and EMA schedules span the whole budget; a run
given a shorter budget anneals earlier.

In the same run: PCA of the pixels (32 components), and a supervised ceiling (the same
encoder with a linear head trained on the labels with the same augmentations, for the same
times). ``--peers`` adds byol-pytorch and lightly (``pip install -e ".[bench]"``) at the
largest time only.

``--set NAME=VALUE`` changes one setting for our runs, for ablations: a ``TrainingConfig``
field (``learning_rate=2e-3``), an augmentation keyword of ``default_augmentations``
(``aug.zoom=0.8:1.25``), or a keyword of ``model.defaults.default_model``
(``model.working_size=64``). Tuples are written ``low:high``.

Usage::

    python benchmarks/bench_quality.py --family disks --times 0,60,120,300,600 --seeds 0,1,2
    python benchmarks/bench_quality.py --family clouds --starts pretrained --times 0,120 \
        --set learning_rate=2e-3 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from torch import nn

from astromorph_nb import datasets
from astromorph_nb.analysis import compute_embeddings, evaluate_embeddings
from astromorph_nb.augment import default_augmentations, two_views
from astromorph_nb.io.store.pretrained import default_weights
from astromorph_nb.model.defaults import default_model
from astromorph_nb.train import QualityMonitor, Trainer, TrainingConfig

FAMILIES = {
    "synthetic": "synthetic",
    "disks": "protoplanetary_disks",
    "clouds": "dark_clouds",
}
TRAINING_FIELDS = set(TrainingConfig.__dataclass_fields__)


def load_family(name: str, n_per_class: int, seed: int):
    return getattr(datasets, FAMILIES[name])(n_per_class=n_per_class, random_state=seed)


def parse_settings(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """Split ``NAME=VALUE`` pairs into trainer, augmentation and model keywords."""
    groups: dict[str, dict[str, Any]] = {"train": {}, "aug": {}, "model": {}}
    for pair in pairs:
        name, _, text = pair.partition("=")
        value: Any = tuple(float(v) for v in text.split(":")) if ":" in text else _scalar(text)
        group, _, key = name.rpartition(".")
        group = group or "train"
        if group == "train" and key not in TRAINING_FIELDS:
            msg = f"--set {pair}: no TrainingConfig field {key!r}"
            raise SystemExit(msg)
        groups[group][key] = value
    return groups


def _scalar(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"none": None, "true": True, "false": False}.get(text.lower(), text)


KNN_ONLY = False  # --knn-only: skip the linear probe (it takes most of the scoring time)
PROBE_AT: set[float] = set()  # --probe-at: times (or steps) that get the probe all the same


def scores(
    features: np.ndarray, labels: np.ndarray, at: float | None = None
) -> tuple[float, float]:
    if KNN_ONLY and at not in PROBE_AT:
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
        knn = KNeighborsClassifier(n_neighbors=10)
        return float(cross_val_score(knn, unit, labels, cv=folds).mean()), float("nan")
    result = evaluate_embeddings(features, labels, random_state=0)
    return result["knn_accuracy"], result["linear_probe_accuracy"]


class Snapshots:
    """Copy the weights each time the clock passes one of ``times`` (copying is not timed).

    With ``in_steps``, ``times`` are step counts instead of seconds.
    """

    def __init__(self, module: nn.Module, times: list[float], *, in_steps: bool = False) -> None:
        self.module, self.pending, self.in_steps = module, sorted(times), in_steps
        self.taken: list[tuple[float, int, dict[str, torch.Tensor]]] = []
        self.paused = 0.0
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started - self.paused

    def take(self, step: int) -> None:
        copying = time.monotonic()
        state = {k: v.detach().to("cpu", copy=True) for k, v in self.module.state_dict().items()}
        self.taken.append((self.pending.pop(0), step, state))
        self.paused += time.monotonic() - copying

    def on_train_start(self) -> None:
        self.started = time.monotonic()

    def on_batch_end(self, step: int) -> None:
        while self.pending and (step if self.in_steps else self.elapsed()) >= self.pending[0]:
            self.take(step)

    def on_train_end(self, trainer: Any) -> None:
        while self.pending:  # the budget ran out between two steps
            self.take(trainer.step)


def build_model(in_channels: int, start: str, seed: int, weights: str | None, options: dict):
    torch.manual_seed(seed)
    model = default_model(in_channels=in_channels, **options)
    if start == "pretrained":
        state = default_weights(in_channels) if weights is None else torch.load(weights)["model"]
        model.load_state_dict(state)
    return model


def run_ours(images, start, seed, times, args, settings):
    model = build_model(images.shape[1], start, seed, args.weights, settings["model"])
    snapshots = Snapshots(model, [t for t in times if t > 0], in_steps=args.in_steps)
    points = []
    if 0 in times:
        points.append((0.0, 0, {k: v.clone() for k, v in model.state_dict().items()}))
    # The label-free signal a user sees in the training panel, with the kNN accuracy of its
    # subset (the labels go to the monitor only), to compare with the full scores.
    monitor = QualityMonitor(images, labels=args.labels, random_state=seed)
    config: dict[str, Any] = {"device": args.device, "random_state": seed}
    if args.in_steps:  # whole epochs that cover the largest step count
        batch = settings["train"].get("batch_size", TrainingConfig.batch_size)
        config["n_epochs"] = -(-int(max(times)) // max(1, len(images) // batch))
    else:
        config.update(n_epochs=100_000, max_time_s=max(times))
    config.update(settings["train"])
    trainer = Trainer(
        callbacks=[snapshots, monitor],
        augmentations=default_augmentations(**settings["aug"]),
        **config,
    )
    trainer.fit(model, images)
    points += snapshots.taken
    args.quality[(start, seed)] = {k: v.tolist() for k, v in monitor.history.columns().items()}
    evaluated = []
    for at, step, state in points:
        model.load_state_dict(state)
        features = compute_embeddings(model, images)
        evaluated.append((at, step, *scores(features, args.labels, at)))
    return evaluated


def run_supervised(images, seed, times, args):
    torch.manual_seed(seed)
    encoder = default_model(in_channels=images.shape[1]).encoder.to(args.device)
    network = nn.Sequential(encoder, nn.Linear(encoder.n_features, int(args.labels.max()) + 1))
    network.to(args.device)
    optimizer = torch.optim.AdamW(network.parameters(), lr=2e-3, weight_decay=1e-4)
    augment = default_augmentations()
    generator = torch.Generator(args.device).manual_seed(seed)
    pixels, targets = images.to(args.device), torch.as_tensor(args.labels, device=args.device)
    evaluated, pending, step = [], sorted(t for t in times if t > 0), 0
    started, paused = time.monotonic(), 0.0
    while pending:
        index = torch.randint(len(pixels), (128,), generator=generator, device=args.device)
        view, _ = two_views(augment, pixels[index], generator)
        loss = nn.functional.cross_entropy(network(view), targets[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        clock = step if args.in_steps else time.monotonic() - started - paused
        if clock >= pending[0]:
            scoring = time.monotonic()
            encoder.eval()
            with torch.inference_mode():
                features = torch.cat([encoder(b) for b in pixels.split(512)]).cpu().numpy()
            encoder.train()
            at = pending.pop(0)
            evaluated.append((at, step, *scores(features, args.labels, at)))
            paused += time.monotonic() - scoring
    return evaluated


def summary(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.median(values):.3f} [{min(values):.3f}-{max(values):.3f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="disks", choices=sorted(FAMILIES))
    parser.add_argument("--n-per-class", type=int, default=500)
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--times", default="0,60,120,300,600")
    parser.add_argument(
        "--in-steps",
        action="store_true",
        help="--times are optimiser steps (ablations on a shared machine; learning rate "
        "and EMA schedules then follow steps)",
    )
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--starts", default="pretrained,scratch")
    parser.add_argument("--weights", default=None, help="state dict file for 'pretrained'")
    parser.add_argument("--baselines", default="pca,supervised")
    parser.add_argument("--peers", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--json", default=None, help="also write the points to this file")
    parser.add_argument("--knn-only", action="store_true", help="skip the linear probe")
    parser.add_argument("--probe-at", default="", help="with --knn-only: times that get it")
    args = parser.parse_args(argv)
    global KNN_ONLY
    KNN_ONLY = args.knn_only
    PROBE_AT.update(float(t) for t in args.probe_at.split(",") if t)
    torch.set_num_threads(args.threads)
    settings = parse_settings(args.set)
    times = [float(t) for t in args.times.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    data = load_family(args.family, args.n_per_class, args.data_seed)
    images, args.labels = data.images, np.asarray(data.meta["label_id"])
    print(
        f"{args.family}: {len(images)} images of {len(set(args.labels))} classes; times "
        f"{times} s; seeds {seeds}; settings {args.set or 'defaults'}",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    args.quality = {}
    if "pca" in args.baselines:
        pixels = PCA(32, random_state=0).fit_transform(images.flatten(1))
        knn, probe = scores(pixels, args.labels, max(times))
        rows.append({"method": "PCA of pixels (32)", "time_s": 0, "knn": knn, "probe": probe})
    starts = [start for start in args.starts.split(",") if start not in ("", "none")]
    runs = [(start, seed) for start in starts for seed in seeds]
    if "supervised" in args.baselines:
        runs += [("supervised", seed) for seed in seeds]
    for start, seed in runs:
        began = time.monotonic()
        if start == "supervised":
            points = run_supervised(images, seed, times, args)
        else:
            points = run_ours(images, start, seed, times, args, settings)
        for at, step, knn, probe in points:
            rows.append(
                {
                    "method": start,
                    "seed": seed,
                    "time_s": at,
                    "steps": step,
                    "knn": knn,
                    "probe": probe,
                }
            )
        last = points[-1]
        print(
            f"  {start} seed {seed}: {last[1]} steps, kNN {last[2]:.3f} at {last[0]:.0f} s "
            f"({time.monotonic() - began:.0f} s with scoring)",
            flush=True,
        )
    if args.peers:
        from bench_quality_peers import PEERS

        for name, train in PEERS.items():
            features, steps = train(images, args.labels, max(times), seeds[0])
            knn, probe = scores(features, args.labels)
            rows.append(
                {"method": name, "time_s": max(times), "steps": steps, "knn": knn, "probe": probe}
            )
    print(
        f"\n{'method':<20}{'time s':>7}{'steps':>8}  {'kNN: median [range]':<24}"
        f"{'probe: median [range]':<24}"
    )
    groups: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["method"], row["time_s"]), []).append(row)
    for (method, at), group in groups.items():
        steps = statistics.median([r.get("steps", 0) for r in group])
        print(
            f"{method:<20}{at:>7.0f}{steps:>8.0f}  {summary([r['knn'] for r in group]):<24}"
            f"{summary([r['probe'] for r in group]):<24}"
        )
    if args.json:
        quality = {f"{start} {seed}": columns for (start, seed), columns in args.quality.items()}
        settings = vars(args) | {"labels": None, "quality": None}
        Path(args.json).write_text(
            json.dumps({"args": settings, "rows": rows, "quality": quality}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
