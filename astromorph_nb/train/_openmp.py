"""Free the calling thread's idle OpenMP workers before training starts on another thread.

GNU OpenMP (libgomp, which PyTorch's Linux wheels use) keeps a pool of worker threads for
every thread that has run parallel code. Once all pools together hold more threads than
there are cores, every worker stops spinning between parallel regions and sleeps, and
waking it costs each of the many small parallel regions of a training step (BatchNorm,
ReLU, the optimiser). Measured on 2 cores: the default model trained at ~1,300 img/s in a
background thread after the main thread had run PyTorch code, and at ~1,900 img/s after the
main thread's pool was freed (``benchmarks/bench_train.py`` prints both). The pool comes
back by itself the next time the thread runs parallel code.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["release_idle_openmp_threads"]

#: Shared-library names of the OpenMP runtimes PyTorch is built with.
_RUNTIMES = ("libgomp", "libomp", "libiomp5")
#: ``omp_pause_soft`` (OpenMP 5.0): free the threads, keep what can be rebuilt cheaply.
_OMP_PAUSE_SOFT = 1

_seen: dict[str, Callable[[int], int] | None] = {}


def _pause_functions() -> list[Callable[[int], int]]:
    """``omp_pause_resource_all`` of every OpenMP runtime loaded in this process.

    There may be several: PyTorch's libgomp, and the private copies that wheels such as
    scikit-learn's bring along.
    """
    if not sys.platform.startswith("linux"):
        return []
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return []
    # Each line: address, permissions, offset, device, inode, then the mapped file's path.
    paths = {parts[5] for parts in map(str.split, maps.splitlines()) if len(parts) >= 6}
    for path in sorted(paths - set(_seen)):
        if not Path(path).name.startswith(_RUNTIMES):
            continue
        try:
            function = ctypes.CDLL(path).omp_pause_resource_all
        except (OSError, AttributeError):
            _seen[path] = None
            continue
        function.argtypes = [ctypes.c_int]
        function.restype = ctypes.c_int
        _seen[path] = function
    return [function for path, function in sorted(_seen.items()) if function is not None]


def release_idle_openmp_threads() -> bool:
    """Free the OpenMP worker threads of the calling thread; return whether any were.

    Call it on the thread that starts a background training thread, just before. Every
    loaded OpenMP runtime with ``omp_pause_resource_all`` is asked; nothing happens (False)
    where there is none, or inside a parallel region.
    """
    results = [function(_OMP_PAUSE_SOFT) == 0 for function in _pause_functions()]
    return any(results)
