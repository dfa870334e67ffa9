"""Finding a rare kind of object from one example: search with yes/no answers vs plain cosine.

For each family (``--families``), every class in turn is the rare one: all
``--n-per-class`` images of the other classes plus 1 % of rare ones (``--rare-fraction``)
make the set. A search starts from one rare object (a different one per seed), ranks the
set with ``Session.search``, and answers the top ``--answers`` candidates from the true
labels ("yes" if rare, "no" otherwise) for ``--rounds`` rounds, re-ranking after each.
Reported: the recall of the rare class in the top 50 of the ranking (the positives found
so far first, then the candidates) for plain cosine similarity to the one example, and
after each round; and the time of one re-ranking at 100,000 objects.

The embeddings are the shipped weights' (``Session`` defaults, no training), computed once
per family; ``--weights scratch`` uses an untrained encoder instead. With
``--train-seconds S`` the session is first trained for ``S`` seconds on the very set that
is searched (the rare class at 1 %, as a user's images would be), so each rare class gets
its own set and its own training: the set is seed 0's draw, and the seeds vary only the
example the search starts from. ``--rare-classes`` picks some classes.

Usage::

    python benchmarks/bench_search.py --families synthetic,disks,clouds --seeds 0,1,2
    python benchmarks/bench_search.py --families disks --rare-classes crescent,rings \
        --train-seconds 120
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from astromorph_nb import Session, datasets
from astromorph_nb.session.results import Results

FAMILIES = {
    "synthetic": datasets.synthetic,
    "disks": datasets.protoplanetary_disks,
    "clouds": datasets.dark_clouds,
}
TOP = 50


def family_embeddings(family: str, n_per_class: int, *, pretrained: bool) -> tuple[Any, ...]:
    """Return (images, embeddings, labels) of ``n_per_class`` images per class of ``family``."""
    images = FAMILIES[family](n_per_class=n_per_class, image_size=64, random_state=0)
    session = Session(images, pretrained=pretrained, random_state=0, device="cpu")
    return images, session.embed(), np.asarray(images.meta["label"]).astype(str)


def trained_embeddings(images: Any, rows: np.ndarray, seconds: float, *, pretrained: bool):
    """Train a session on ``images[rows]`` for ``seconds`` (defaults) and embed them."""
    session = Session(images[rows], pretrained=pretrained, random_state=0, device="cpu")
    job = session.train(n_epochs=100_000, max_time_s=seconds, quality_every_s=None)
    job.wait()
    return session.embed(), session.step


def search_run(
    embeddings: np.ndarray, rare: np.ndarray, seed: int, *, rounds: int, answers: int
) -> list[float]:
    """Return the recall in the top 50 after 0, 1, ..., ``rounds`` rounds of answers."""
    session = Session.from_arrays(
        np.zeros((len(embeddings), 8, 8), dtype=np.float32), random_state=seed, device="cpu"
    )
    session._results = Results(embeddings=embeddings, embeddings_step=0)  # made once above
    rng = np.random.default_rng(seed)
    positives = [int(rng.choice(np.flatnonzero(rare)))]
    negatives: list[int] = []
    n_rare = int(rare.sum())
    recalls = []
    for round_number in range(rounds + 1):
        table = session.search(positives, negatives, k=None)
        candidates = np.asarray(table["index"])
        top = np.concatenate([positives, candidates[: max(TOP - len(positives), 0)]])[:TOP]
        recalls.append(float(rare[top].sum() / n_rare))
        if round_number == rounds:
            break
        asked = candidates[:answers]
        positives += [int(i) for i in asked if rare[i]]
        negatives += [int(i) for i in asked if not rare[i]]
    return recalls


def rerank_seconds(n_objects: int, n_features: int, repeats: int = 5) -> float:
    """Median seconds of one re-ranking with 60 answers (20 yes, 40 no) at ``n_objects``."""
    rng = np.random.default_rng(0)
    session = Session.from_arrays(np.zeros((n_objects, 4, 4), dtype=np.float32), device="cpu")
    vectors = rng.normal(size=(n_objects, n_features)).astype(np.float32)
    session._results = Results(embeddings=vectors, embeddings_step=0)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.search(list(range(20)), list(range(20, 60)), k=TOP)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="synthetic,disks,clouds")
    parser.add_argument("--n-per-class", type=int, default=500)
    parser.add_argument("--rare-fraction", type=float, default=0.01)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--answers", type=int, default=20)
    parser.add_argument("--weights", choices=("shipped", "scratch"), default="shipped")
    parser.add_argument("--train-seconds", type=float, default=0.0)
    parser.add_argument("--rare-classes", default="", help="comma-separated; default all")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        f"rare class at {args.rare_fraction:.0%}, one example, {args.rounds} rounds of "
        f"{args.answers} answers, recall in the top {TOP}; {args.weights} weights"
        + (f", trained {args.train_seconds:g} s on each set" if args.train_seconds else "")
        + f"; seeds {args.seeds}"
    )
    columns = ["plain cosine"] + [f"round {r}" for r in range(1, args.rounds + 1)]
    print(
        f"{'family':10} {'rare class':15} {'n rare':>6}  " + "  ".join(f"{c:>12}" for c in columns)
    )
    summary: dict[str, list[list[float]]] = {}
    for family in args.families.split(","):
        pretrained = args.weights == "shipped"
        images, embeddings, labels = family_embeddings(
            family, args.n_per_class, pretrained=pretrained
        )
        wanted = [c for c in args.rare_classes.split(",") if c] or np.unique(labels).tolist()
        for rare_class in wanted:
            common = np.flatnonzero(labels != rare_class)
            n_rare = max(1, round(args.rare_fraction * common.size / (1 - args.rare_fraction)))
            runs = []
            for seed in seeds:
                draw = 0 if args.train_seconds else seed  # one set per training
                rng = np.random.default_rng(1000 + draw)
                chosen = rng.choice(np.flatnonzero(labels == rare_class), n_rare, replace=False)
                rows = np.concatenate([common, chosen])
                rare = labels[rows] == rare_class
                if not args.train_seconds:
                    vectors = embeddings[rows]
                elif seed == seeds[0]:
                    vectors, steps = trained_embeddings(
                        images, rows, args.train_seconds, pretrained=pretrained
                    )
                    print(f"  trained on {len(rows)} images with {rare_class} rare: {steps} steps")
                runs.append(
                    search_run(vectors, rare, seed, rounds=args.rounds, answers=args.answers)
                )
            medians = np.median(np.array(runs), axis=0)
            summary.setdefault(family, []).append(medians.tolist())
            print(
                f"{family:10} {rare_class:15} {n_rare:6d}  "
                + "  ".join(f"{m:12.2f}" for m in medians)
            )
    print("\nmedian over the rare classes (each a median over the seeds):")
    for family, rows in summary.items():
        medians = np.median(np.array(rows), axis=0)
        print(
            f"{family:10} "
            + "  ".join(f"{c}: {m:.2f}" for c, m in zip(columns, medians, strict=True))
        )
    for n in (10_000, 100_000):
        print(
            f"one re-ranking with 60 answers at {n:,} objects × 128 features: "
            f"{rerank_seconds(n, 128) * 1000:.0f} ms (median of 5)"
        )


if __name__ == "__main__":
    main()
