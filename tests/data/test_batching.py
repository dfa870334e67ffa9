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
