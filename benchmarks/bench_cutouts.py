"""Time astromorph_nb's cutouts() against the Cutout2D loop a user would write.

Both sides start from the same FITS file on disk (memory-mapped by astropy in both cases,
already in the page cache after a warm-up run) and the same SkyCoord positions, and both end
with one (n_stamps, ny, nx) float32 stack in memory:

(a) bare: ``fits.open`` + ``WCS(header)``, then ``Cutout2D(data, coord, size, wcs=wcs,
    mode="partial", fill_value=np.nan).data`` per position, then ``np.stack``.
(b) ours: ``cutouts(path, coords, size)``, which also builds the mask and the metadata table.
    Timed with ``normalize=None`` (the same work as the bare loop) and with the default
    ``normalize="minmax"`` (extra work the bare loop does not do).

Repeats are interleaved, so machine noise hits both sides alike; medians are reported.

Usage::

    python benchmarks/bench_cutouts.py --n-stamps 5000 --mosaic-size 8192 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D
from astropy.wcs import WCS

from astromorph_nb.io.mosaics.stamps import cutouts


def make_mosaic(path: Path, size: int, rng: np.random.Generator) -> WCS:
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["GLON-TAN", "GLAT-TAN"]
    wcs.wcs.crval = [30.0, 0.0]
    wcs.wcs.crpix = [size / 2 + 0.5, size / 2 + 0.5]
    wcs.wcs.cdelt = [-3.2 / 3600, 3.2 / 3600]  # Hi-GAL 70 micron-like pixels
    data = rng.standard_normal((size, size), dtype=np.float32)
    fits.PrimaryHDU(data, header=wcs.to_header()).writeto(path)
    return wcs


def bare_loop(path: Path, coords: SkyCoord, stamp: int) -> np.ndarray:
    with fits.open(path) as hdul:
        data, wcs = hdul[0].data, WCS(hdul[0].header)
        stamps = [
            Cutout2D(data, coord, stamp, wcs=wcs, mode="partial", fill_value=np.nan).data
            for coord in coords
        ]
        return np.stack(stamps).astype(np.float32)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-stamps", type=int, default=5000)
    parser.add_argument("--mosaic-size", type=int, default=8192)
    parser.add_argument("--stamp-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mosaic.fits"
        t0 = time.perf_counter()
        wcs = make_mosaic(path, args.mosaic_size, rng)
        print(
            f"wrote {args.mosaic_size}x{args.mosaic_size} float32 mosaic in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        # Uniform over the mosaic: about 2 * stamp / mosaic_size of the stamps touch an edge.
        xy = rng.uniform(0, args.mosaic_size - 1, size=(args.n_stamps, 2))
        coords = wcs.pixel_to_world(xy[:, 0], xy[:, 1])

        runs = {
            "bare Cutout2D loop": lambda: bare_loop(path, coords, args.stamp_size),
            "cutouts(normalize=None)": lambda: (
                cutouts(path, coords, args.stamp_size, normalize=None).images
            ),
            "cutouts() default (minmax)": lambda: cutouts(path, coords, args.stamp_size).images,
        }
        # Warm-up: page cache, imports, and a check that both give the same pixels.
        ref = bare_loop(path, coords[:200], args.stamp_size)
        ours = cutouts(path, coords[:200], args.stamp_size, normalize=None)
        same = np.array_equal(np.nan_to_num(ref), ours.images[:, 0].numpy())
        print(f"first 200 stamps identical to Cutout2D: {same}")

        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeats):
            for name, run in runs.items():
                t0 = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - t0)

    bare = statistics.median(times["bare Cutout2D loop"])
    print(
        f"\n{args.n_stamps} stamps of {args.stamp_size}x{args.stamp_size} px, "
        f"{args.repeats} interleaved repeats (median, min .. max):"
    )
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:28s} {median:8.3f} s  ({min(values):.3f} .. {max(values):.3f})"
            f"   ours/bare = {median / bare:.3f}"
        )


if __name__ == "__main__":
    main()
