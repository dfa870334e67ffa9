"""Reading speed of read_fits against a bare astropy loop, measured side by side.

Writes N small FITS files (64×64 float32 with a WCS and OBJECT, like survey cutouts) to a
temporary folder, then times interleaved repeats of

* bare:   ``[fits.getdata(path) for path in files]`` (one thread, no checks, no stacking)
* ours-1: ``read_fits(files, n_threads=1)``  (header metadata, checks, NaN mask, min-max)
* ours-N: ``read_fits(files, n_threads=N)`` and ``read_fits(files, n_processes=N)``

and prints medians, the ratio ours/bare (target <= 1.3 single-threaded) and how many cores
each run kept busy (machine-wide busy CPU time / wall time; run it on an idle machine).
Then runs bench_cutouts for the mosaic
target. Usage: ``python benchmarks/bench_io.py [--n-files 10000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
from astropy.io import fits

from astromorph_nb.io import read_fits


def write_files(folder: Path, n_files: int, size: int = 64) -> list[Path]:
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n_files):
        header = fits.Header()
        header["OBJECT"] = f"SRC{i:06d}"
        header["CTYPE1"], header["CTYPE2"] = "RA---TAN", "DEC--TAN"
        header["CRVAL1"], header["CRVAL2"] = 150.0 + i * 1e-4, 2.0
        header["CDELT1"], header["CDELT2"] = -2.8e-5, 2.8e-5
        header["BUNIT"] = "MJy/sr"
        data = rng.normal(0, 1, (size, size)).astype(">f4")
        path = folder / f"src{i:06d}.fits"
        fits.PrimaryHDU(data, header=header).writeto(path)
        paths.append(path)
    return paths


def timed(function) -> tuple[float, float]:
    """Return (wall seconds, cores used = process CPU seconds / wall seconds)."""

    # Machine-wide busy CPU time, so worker processes count too (run on an idle machine).
    def busy() -> float:
        times = psutil.cpu_times()
        return sum(times) - times.idle - getattr(times, "iowait", 0.0)

    cpu0, wall0 = busy(), time.perf_counter()
    function()
    wall = time.perf_counter() - wall0
    return wall, (busy() - cpu0) / wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-files", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="threads / processes to try")
    parser.add_argument("--skip-cutouts", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        files = write_files(Path(tmp), args.n_files)
        print(f"wrote {len(files)} files of 64×64 in {time.perf_counter() - t0:.1f} s")

        def bare() -> None:
            stack = [fits.getdata(path) for path in files]
            assert len(stack) == len(files)

        def ours(n_threads: int = 1, n_processes: int = 1):
            return lambda: read_fits(
                files, n_threads=n_threads, n_processes=n_processes, progress=False
            )

        runs = {
            "bare getdata": bare,
            "ours 1 process": ours(),
            f"ours {args.workers} threads": ours(n_threads=args.workers),
            f"ours {args.workers} processes": ours(n_processes=args.workers),
        }
        for run in runs.values():  # warm the page cache and imports
            run()
        times: dict[str, list[float]] = {name: [] for name in runs}
        cores: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeats):
            for name, run in runs.items():
                wall, used = timed(run)
                times[name].append(wall)
                cores[name].append(used)

    bare_median = statistics.median(times["bare getdata"])
    print(f"\nreading {args.n_files} FITS files, {args.repeats} interleaved repeats (medians)")
    print(f"{'run':<18}{'seconds':>9}{'files/s':>10}{'ratio':>8}{'cores':>7}")
    for name in runs:
        median = statistics.median(times[name])
        print(
            f"{name:<18}{median:>9.2f}{args.n_files / median:>10.0f}"
            f"{median / bare_median:>8.2f}{statistics.median(cores[name]):>7.2f}"
        )
    if not args.skip_cutouts:
        sys.path.insert(0, str(Path(__file__).parent))
        import bench_cutouts

        bench_cutouts.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
