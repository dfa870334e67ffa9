"""Resources: a clear error on out-of-memory, and image sets larger than memory.

Out-of-memory is simulated by making the model's forward pass raise PyTorch's CPU allocator
error. "Larger than RAM" is tested by the memory the process itself holds: a cap with
``RLIMIT_AS`` cannot work here, because the address space counts the memory-mapped cache (as
large as the stack by design) and torch's own reservations. Instead a subprocess samples its
anonymous resident memory (``RssAnon``: heap and tensors, not the file pages of the cache,
which the kernel can drop at any time) while it reads and trains, and the growth must stay
well below the size of the stack (half of it: any in-memory copy of it would exceed that).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from astropy.io import fits

import astromorph_nb as amn
from astromorph_nb.analysis.embed import compute_embeddings
from astromorph_nb.augment import RandomFlip
from astromorph_nb.exceptions import AstromorphError, OutOfMemoryError, is_out_of_memory
from astromorph_nb.model import BYOL, SmallCNN
from astromorph_nb.train import Trainer

_ALLOCATOR = (
    "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: "
    "you tried to allocate 68719476736 bytes. Error code 12 (Cannot allocate memory)"
)


def _small_model() -> BYOL:
    torch.manual_seed(0)
    return BYOL(SmallCNN(in_channels=1, width=8), projection_size=16, projection_hidden_size=32)


def _raise_allocation_failure(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(_ALLOCATOR)


def test_out_of_memory_error_is_ours_and_a_memory_error() -> None:
    assert issubclass(OutOfMemoryError, AstromorphError)
    assert issubclass(OutOfMemoryError, MemoryError)
    assert amn.OutOfMemoryError is OutOfMemoryError
    assert "OutOfMemoryError" in amn.__all__


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RuntimeError(_ALLOCATOR), True),
        (RuntimeError("MPS backend out of memory (MPS allocated: 1 GB)"), True),
        (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),
        (MemoryError(), True),
        (RuntimeError("mat1 and mat2 shapes cannot be multiplied"), False),
        (ValueError("not enough memory"), False),
    ],
)
def test_is_out_of_memory_recognises_allocation_failures(
    error: BaseException, expected: bool
) -> None:
    assert is_out_of_memory(error) is expected


def test_fit_raises_out_of_memory_error_with_half_the_batch_size_when_allocation_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = _small_model()
    monkeypatch.setattr(model, "forward", _raise_allocation_failure)
    trainer = Trainer(n_epochs=1, batch_size=16, device="cpu", augmentations=RandomFlip())
    with pytest.raises(
        OutOfMemoryError,
        match=r"cpu device ran out of memory in Trainer\.fit at step 1\. Expected one batch "
        r"of 16 images to fit.*e\.g\. batch_size=8 \(session\.train\(batch_size=8\)",
    ) as info:
        trainer.fit(model, torch.rand(32, 1, 16, 16))
    assert isinstance(info.value.__cause__, RuntimeError)
    assert trainer.step == 0


def test_fit_lets_other_runtime_errors_through(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _small_model()

    def broken(*args: Any, **kwargs: Any) -> Any:
        msg = "mat1 and mat2 shapes cannot be multiplied"
        raise RuntimeError(msg)

    monkeypatch.setattr(model, "forward", broken)
    trainer = Trainer(n_epochs=1, batch_size=8, device="cpu", augmentations=RandomFlip())
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied") as info:
        trainer.fit(model, torch.rand(16, 1, 16, 16))
    assert not isinstance(info.value, OutOfMemoryError)


def test_compute_embeddings_raises_out_of_memory_error_with_half_the_batch_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = _small_model()
    monkeypatch.setattr(model, "embed", _raise_allocation_failure)
    with pytest.raises(
        OutOfMemoryError,
        match=r"ran out of memory in compute_embeddings\. Expected one batch of 50 images.*"
        r"e\.g\. batch_size=25 \(session\.embed\(batch_size=25\)\)",
    ):
        compute_embeddings(model, torch.rand(60, 1, 16, 16), batch_size=50)


def test_session_embed_raises_out_of_memory_error_and_stays_usable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    images = np.random.default_rng(0).random((6, 16, 16))
    session = amn.Session.from_arrays(images, model=SmallCNN(in_channels=1, width=8), device="cpu")
    monkeypatch.setattr(session.model, "embed", _raise_allocation_failure)
    with pytest.raises(OutOfMemoryError, match=r"e\.g\. batch_size=2 \(session\.embed"):
        session.embed(batch_size=4)
    monkeypatch.undo()
    assert session.embed(batch_size=2).shape[0] == 6


# Runs in a fresh process: reads the FITS folder through the memory-mapped cache and trains
# one epoch, sampling its anonymous resident memory every few milliseconds.
_STREAM = """
import json, sys, threading, time
import torch
torch.set_num_threads(1)
from astromorph_nb import read_fits
from astromorph_nb.io import fits as fits_module
from astromorph_nb.augment import RandomFlip
from astromorph_nb.model import BYOL, SmallCNN
from astromorph_nb.train import Trainer


def anonymous_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


peak, done = [0], threading.Event()


def sample():
    while not done.is_set():
        peak[0] = max(peak[0], anonymous_bytes())
        time.sleep(0.002)


def train(images):
    torch.manual_seed(0)
    model = BYOL(SmallCNN(in_channels=1, width=8), projection_size=16, projection_hidden_size=32)
    trainer = Trainer(n_epochs=1, batch_size=64, device="cpu", augmentations=RandomFlip())
    return trainer, trainer.fit(model, images)


# Costs that do not grow with the image set (thread pools, kernels) come before the baseline.
train(torch.rand(128, 1, 64, 64))
fits_module.CHUNK_FILES = 2  # stream a few files at a time, as 512 at a time in a large set
baseline = anonymous_bytes()
sampler = threading.Thread(target=sample)
sampler.start()
images = read_fits(sys.argv[1], cache_dir=sys.argv[2], cube_mode="planes")
trainer, reason = train(images)
done.set()
sampler.join()
tensor = images.images
print(json.dumps({
    "baseline": baseline, "peak": max(peak[0], anonymous_bytes()), "reason": reason,
    "steps": trainer.step, "shape": list(tensor.shape),
    "stack": tensor.numel() * tensor.element_size(),
}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_training_streams_an_image_set_larger_than_the_memory_it_may_use(tmp_path: Path) -> None:
    folder, cache = tmp_path / "fits", tmp_path / "cache"
    folder.mkdir()
    rng = np.random.default_rng(0)
    n_files, n_planes, size = 32, 200, 64  # 6400 images, 100 MiB as float32
    for index in range(n_files):
        cube = rng.random((n_planes, size, size), dtype=np.float32)
        fits.PrimaryHDU(cube).writeto(folder / f"cube{index:02d}.fits")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_STREAM), str(folder), str(cache)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["shape"] == [n_files * n_planes, 1, size, size]
    assert result["reason"] == "completed"
    assert result["steps"] == n_files * n_planes // 64
    cached = sum(path.stat().st_size for path in cache.glob("*.images.f32"))
    assert cached == result["stack"]  # the images live in the memory-mapped cache file
    grown = result["peak"] - result["baseline"]
    # Holding the stack in memory, even once, would exceed this; streaming used 14-28 MiB.
    assert grown < result["stack"] / 2, (grown, result)
