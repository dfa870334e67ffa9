"""Session overheads, measured side by side with the libraries it wraps.

1. ``Session.fit_tsne`` on N×128 embeddings against ``openTSNE.TSNE(...).fit`` with the same
   settings, interleaved, medians (target: ≤ 1.2×).
2. ``Session.embed`` against the encoder's raw eval-mode forward pass over the same images
   at the same batch size (target: ≥ 90% of its throughput).
3. ``Session.load`` of a saved 100,000-object session (images memory-mapped, embeddings,
   map, scores, clusters, thumbnails, metadata), medians (target: ≤ 5 s).

The embeddings for (1) are 40 Gaussian clusters in 128-D (t-SNE's cost depends on N and the
neighbour graph, not on where the vectors come from). For (3) the stored results are random
arrays of the right shapes, put in place without training or analysis: loading time does
not depend on their values.

Usage: ``python benchmarks/bench_session.py [--tsne-n 50000] [--repeats 3] [--load-n 100000]``
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import openTSNE
import torch
from astropy.table import Table

from astromorph_nb import Session
from astromorph_nb.analysis.tsne import TSNEMap
from astromorph_nb.session.results import Results


def clustered(n: int, dim: int = 128, n_clusters: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, dim)) * 3.0
    return (centres[rng.integers(n_clusters, size=n)] + rng.normal(size=(n, dim))).astype(
        np.float32
    )


def bench_tsne(n: int, repeats: int) -> None:
    embeddings = clustered(n)
    session = Session.from_arrays(np.zeros((n, 4, 4), np.float32), device="cpu")
    session._results = Results(embeddings=embeddings, embeddings_step=0)  # as embed() makes
    ours, theirs = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        openTSNE.TSNE(
            perplexity=30, metric="cosine", initialization="pca", n_jobs=-1, random_state=0
        ).fit(embeddings)
        theirs.append(time.perf_counter() - started)
        gc.collect()
        started = time.perf_counter()
        session.fit_tsne(perplexity=30, random_state=0)
        ours.append(time.perf_counter() - started)
        gc.collect()
    o, t = statistics.median(ours), statistics.median(theirs)
    print(
        f"fit_tsne {n}x128: ours {o:.1f} s, openTSNE {t:.1f} s -> ratio {o / t:.3f} "
        f"(target <= 1.2; runs ours {[round(x, 1) for x in ours]}, "
        f"openTSNE {[round(x, 1) for x in theirs]})"
    )
    assert isinstance(session._results.tsne, TSNEMap)


def bench_embed(n: int, repeats: int, batch_size: int = 512) -> None:
    rng = np.random.default_rng(0)
    session = Session.from_arrays(rng.random((n, 64, 64), dtype=np.float32), device="cpu")
    images = session.images.images
    encoder = session.model.encoder
    ours, raw = [], []
    for _ in range(repeats):
        encoder.eval()
        started = time.perf_counter()
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                encoder(images[start : start + batch_size])
        raw.append(n / (time.perf_counter() - started))
        started = time.perf_counter()
        session.embed(batch_size=batch_size)
        ours.append(n / (time.perf_counter() - started))
    o, r = statistics.median(ours), statistics.median(raw)
    print(
        f"embed {n} images 64x64 (default model): ours {o:.0f} img/s, raw eval forward "
        f"{r:.0f} img/s -> {o / r:.1%} of raw (target >= 90%)"
    )


def bench_load(n: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    images = rng.random((n, 64, 64), dtype=np.float32)
    meta = Table(
        {
            "OBJECT": [f"J{i:07d}" for i in range(n)],
            "RA": rng.uniform(0, 360, n),
            "DEC": rng.uniform(-90, 90, n),
            "file": [f"/data/survey/tile_{i // 1000:03d}/J{i:07d}.fits" for i in range(n)],
            "hdu": np.zeros(n, dtype=np.int64),
            "flux": rng.random(n),
            "label": ["disk"] * n,
        }
    )
    session = Session.from_arrays(images, meta, normalize=None, device="cpu")
    del images
    embeddings = rng.normal(size=(n, 128)).astype(np.float32)
    tsne = TSNEMap.from_coordinates(embeddings[:10], rng.normal(size=(10, 2)), perplexity=3)
    tsne.coordinates_ = rng.normal(size=(n, 2)).astype(np.float32)
    tsne._data = embeddings
    session._results = Results(
        embeddings=embeddings,
        embeddings_step=0,
        tsne=tsne,
        scores=rng.random(n),
        score_method="knn",
        clusters=rng.integers(0, 8, n),
        cluster_method="kmeans",
    )
    started = time.perf_counter()
    _ = session.thumbnails
    thumbs_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = session.save(Path(tmp) / "big")
        save_s = time.perf_counter() - started
        del session
        gc.collect()
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            loaded = Session.load(path, device="cpu")
            _ = loaded.tsne_coordinates, loaded.embeddings, loaded.meta["OBJECT"][-1]
            times.append(time.perf_counter() - started)
            del loaded
            gc.collect()
    print(
        f"Session.load of {n} objects: median {statistics.median(times):.2f} s "
        f"(target <= 5 s; runs {[round(t, 2) for t in times]}); save took {save_s:.1f} s, "
        f"thumbnails {thumbs_s:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tsne-n", type=int, default=50_000)
    parser.add_argument("--embed-n", type=int, default=8192)
    parser.add_argument("--load-n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("tsne", "embed", "load"))
    args = parser.parse_args()
    print(
        f"torch {torch.__version__}, openTSNE {openTSNE.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    if args.only in (None, "embed"):
        bench_embed(args.embed_n, args.repeats)
    if args.only in (None, "load"):
        bench_load(args.load_n, args.repeats)
    if args.only in (None, "tsne"):
        bench_tsne(args.tsne_n, args.repeats)


if __name__ == "__main__":
    main()
