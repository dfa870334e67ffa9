"""Resources: a clear error on out-of-memory, and image sets larger than memory.

Out-of-memory is simulated by making the model's forward pass raise PyTorch's CPU allocator
error. "Larger than memory" is tested with a hard cap in a subprocess: ``RLIMIT_DATA`` limits
the heap and private mappings (every tensor and array the process allocates) but not the
shared mapping of the cache file, so the image stack may exceed the cap only if it stays in
that file. (``RLIMIT_AS`` cannot be used: it counts the mapped cache, which is as large as
the stack by design.)
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


# Runs in a fresh process whose data memory (heap and private mappings, not the shared
# mapping of the cache file) is capped with RLIMIT_DATA after a warm-up: it reads the FITS
# folder into the memory-mapped cache, trains an encoder that averages images to 32 px (its
# averaged copy of the stack would take a quarter of the stack, twice the cap) and embeds
# every image. Then it checks that the cap bites: copying a quarter of the stack must fail.
_CAPPED = """
import json, resource, sys
import torch
torch.set_num_threads(1)
from astromorph_nb import read_fits
from astromorph_nb.analysis.embed import compute_embeddings
from astromorph_nb.augment import RandomFlip
from astromorph_nb.io.fits import reader as fits_module
from astromorph_nb.model import BYOL, SmallCNN, build_encoder
from astromorph_nb.train import Trainer


def data_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024


def train(images, max_time_s):
    torch.manual_seed(0)
    encoder = build_encoder(SmallCNN(in_channels=1, width=4), in_channels=1, working_size=32)
    model = BYOL(encoder, projection_size=16, projection_hidden_size=32)
    trainer = Trainer(n_epochs=1, batch_size=32, device="cpu", augmentations=RandomFlip(),
                      max_time_s=max_time_s)
    return model, trainer, trainer.fit(model, images)


# Costs that do not grow with the image set (thread pools, kernels) come before the cap.
model, _, _ = train(torch.rand(128, 1, 64, 64), None)
compute_embeddings(model, torch.rand(256, 1, 64, 64), batch_size=256)
fits_module.CHUNK_BYTES = 8 * 2**20  # two 3.2 MB files at a time, as 256 MiB in a large set
cap = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_DATA, (data_bytes() + cap, resource.RLIM_INFINITY))
images = read_fits(sys.argv[1], cache_dir=sys.argv[2], cube_mode="planes")
model, trainer, reason = train(images, 3.0)
embeddings = compute_embeddings(model, images, batch_size=256)
tensor = images.images
try:
    tensor[: len(tensor) // 4].clone()
    bites = False
except (MemoryError, RuntimeError):
    bites = True
print(json.dumps({
    "reason": reason, "steps": trainer.step, "shape": list(tensor.shape),
    "embeddings": list(embeddings.shape), "finite": bool(torch.isfinite(
        torch.from_numpy(embeddings)).all()),
    "stack": tensor.numel() * tensor.element_size(), "cap_bites": bites,
}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_training_and_embedding_work_under_a_memory_cap_smaller_than_the_image_set(
    tmp_path: Path,
) -> None:
    folder, cache = tmp_path / "fits", tmp_path / "cache"
    folder.mkdir()
    rng = np.random.default_rng(0)
    n_files, n_planes, size = 128, 200, 64  # 25,600 images, 400 MiB as float32
    for index in range(n_files):
        cube = rng.random((n_planes, size, size), dtype=np.float32)
        fits.PrimaryHDU(cube).writeto(folder / f"cube{index:03d}.fits")
    stack = n_files * n_planes * size * size * 4
    cap = stack // 8  # 50 MiB: less than the encoder's averaged copy (stack / 4)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CAPPED), str(folder), str(cache), str(cap)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["shape"] == [n_files * n_planes, 1, size, size]
    assert result["stack"] == stack
    assert result["cap_bites"], "the memory cap did not stop a copy of a quarter of the stack"
    assert result["reason"] == "time limit"
    assert result["steps"] > 0
    assert result["embeddings"] == [n_files * n_planes, 32]  # SmallCNN(width=4): 32 features
    assert result["finite"]
    cached = sum(path.stat().st_size for path in cache.glob("*.images.f32"))
    assert cached == stack  # the images live in the memory-mapped cache file
