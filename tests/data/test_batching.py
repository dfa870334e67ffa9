from __future__ import annotations

import pytest
import torch

from astromorph_nb.data.batching import BatchSource


def test_batches_are_index_gathers_in_the_requested_order():
    images = torch.arange(10, dtype=torch.float32)[:, None, None, None].expand(10, 1, 4, 4).clone()
    source = BatchSource(images, torch.device("cpu"))
    assert source.is_resident
    batch = source.gather(torch.tensor([7, 2, 5]))
    assert batch[:, 0, 0, 0].tolist() == [7.0, 2.0, 5.0]
    assert batch.is_contiguous()


def test_working_size_averages_the_set_down_once():
    images = torch.rand(6, 2, 64, 48)
    source = BatchSource(images, torch.device("cpu"), working_size=32)
    batch = source.gather(torch.arange(6))
    assert batch.shape == (6, 2, 32, 24)
    torch.testing.assert_close(batch.mean(dim=(2, 3)), images.mean(dim=(2, 3)))
    small = BatchSource(torch.rand(3, 1, 16, 16), torch.device("cpu"), working_size=32)
    assert small.gather(torch.arange(3)).shape == (3, 1, 16, 16)


def test_a_stack_whose_averaged_copy_would_not_fit_is_averaged_batch_by_batch(monkeypatch):
    images = torch.rand(20, 2, 64, 48)
    indices = torch.tensor([13, 2, 2, 19, 0])
    copied = BatchSource(images, torch.device("cpu"), working_size=32)
    assert not copied.downsamples_per_batch
    # 20 averaged images take 20 × 2 × 32 × 24 × 4 bytes; say there is less than twice that.
    monkeypatch.setattr("astromorph_nb.data.batching.available_memory", lambda: 100_000)
    streamed = BatchSource(images, torch.device("cpu"), working_size=32)
    assert streamed.downsamples_per_batch
    assert streamed._images is images  # no copy, not even of the averaged images
    torch.testing.assert_close(streamed.gather(indices), copied.gather(indices), rtol=0, atol=0)
    monkeypatch.setattr("astromorph_nb.data.batching.available_memory", lambda: None)
    assert not BatchSource(images, torch.device("cpu"), working_size=32).downsamples_per_batch


def test_batches_come_in_the_requested_memory_format():
    layout = torch.channels_last
    source = BatchSource(torch.rand(4, 3, 8, 8), torch.device("cpu"), memory_format=layout)
    batch = source.gather(torch.arange(4))
    assert batch.is_contiguous(memory_format=layout)
    assert not batch.is_contiguous()


def test_a_copy_that_runs_out_of_memory_falls_back_to_batch_by_batch(monkeypatch):
    images = torch.rand(10, 1, 64, 64)

    def no_memory(*args, **kwargs):
        msg = "DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes."
        raise RuntimeError(msg)

    monkeypatch.setattr("astromorph_nb.data.batching._downsample", no_memory)
    source = BatchSource(images, torch.device("cpu"), working_size=32)
    assert source.downsamples_per_batch
    assert source.gather(torch.tensor([3, 1])).shape == (2, 1, 32, 32)

    def broken(*args, **kwargs):
        msg = "an unrelated failure"
        raise RuntimeError(msg)

    monkeypatch.setattr("astromorph_nb.data.batching._downsample", broken)
    with pytest.raises(RuntimeError, match="unrelated"):
        BatchSource(images, torch.device("cpu"), working_size=32)


def test_the_next_batch_is_prepared_ahead_and_batches_do_not_change(monkeypatch):
    images = torch.rand(40, 1, 64, 64)
    reference = BatchSource(images, torch.device("cpu"), working_size=32)
    monkeypatch.setattr("astromorph_nb.data.batching.available_memory", lambda: 0)
    source = BatchSource(images, torch.device("cpu"), working_size=32)
    assert source.prefetches
    assert not reference.prefetches
    prepared = []
    real_host_batch = source._host_batch

    def recording_host_batch(indices):
        prepared.append(indices.tolist())
        return real_host_batch(indices)

    monkeypatch.setattr(source, "_host_batch", recording_host_batch)
    order = torch.randperm(40, generator=torch.Generator().manual_seed(0))
    steps = [order[:8], order[8:16], order[16:24]]
    for step, indices in enumerate(steps):
        upcoming = steps[step + 1] if step + 1 < len(steps) else None
        batch = source.gather(indices, upcoming)
        torch.testing.assert_close(batch, reference.gather(indices), rtol=0, atol=0)
    assert prepared == [s.tolist() for s in steps]  # each batch prepared once
    # A prepared batch that is not asked for next is dropped, not returned by mistake.
    source.gather(steps[0], upcoming=steps[1])
    other = torch.tensor([39, 0, 5])
    torch.testing.assert_close(source.gather(other), reference.gather(other), rtol=0, atol=0)
    source.close()
    assert source._executor is None
    torch.testing.assert_close(source.gather(other), reference.gather(other), rtol=0, atol=0)


def test_a_memory_mapped_stack_is_gathered_ahead_on_the_cpu_too(tmp_path):
    import numpy as np

    array = np.lib.format.open_memmap(tmp_path / "stack.npy", "w+", np.float32, (30, 1, 8, 8))
    array[:] = np.random.default_rng(0).random(array.shape)
    images = torch.from_numpy(array)
    plain = BatchSource(images, torch.device("cpu"))
    mapped = BatchSource(images, torch.device("cpu"), memory_mapped=True)
    assert not plain.prefetches
    assert mapped.prefetches
    first, second = torch.tensor([4, 29, 0]), torch.tensor([7, 7, 1])
    mapped.gather(first, upcoming=second)
    torch.testing.assert_close(mapped.gather(second), images[second], rtol=0, atol=0)
    mapped.close()
    # An averaged copy in memory is not read from the file: nothing to gather ahead.
    averaged = BatchSource(images, torch.device("cpu"), working_size=4, memory_mapped=True)
    assert not averaged.prefetches
